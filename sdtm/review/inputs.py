"""Read what a review needs from an SDTM package folder, and nothing else.

The report is built from the outputs alone, so it works on a package another tool produced:

- the datasets: ``*.xpt`` files, else Dataset-JSON ``*.json``/``*.ndjson`` files of the folder;
- ``findings.json`` (the folder's, else its parent's, which is where ``sdtm run`` puts it when
  the folder given is its ``json/`` or ``ndjson/`` subfolder), or the file given;
- ``counts.csv`` (raw rows in = mapped + reported) and ``lineage.csv``, when present;
- optionally the study's ``waivers.yaml``, for the reasons of waived findings (findings.json
  marks a finding waived but does not carry the reason).

Each missing piece leaves its section with a note saying what is missing; none is an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FINDING_COLUMNS, FindingsTable
from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.validate.waivers import Waiver, load_waivers

FINDINGS_FILE = "findings.json"
COUNTS_FILE = "counts.csv"
LINEAGE_FILE = "lineage.csv"
RUN_FILE = "run.json"
# Files `sdtm run` writes next to Dataset-JSON datasets that are not datasets themselves.
_NOT_DATASETS = frozenset((FINDINGS_FILE, RUN_FILE, "manifest.json"))
_DATASET_JSON_SUFFIXES = (".json", ".ndjson")


@dataclass(frozen=True, slots=True)
class ReviewInputs:
    """One package as read for the review."""

    name: str
    """Folder name of the package (never an absolute path: the report may be shared)."""
    frames: Mapping[str, pd.DataFrame]
    """Datasets by upper-case file stem (``AE``, ``LBCH``)."""
    read_findings: FindingsTable
    """Problems met while reading the datasets (ST0016, ST0017)."""
    findings: pd.DataFrame | None = None
    """The findings (``FINDING_COLUMNS`` plus any extra keys such as ``root_cause``);
    ``None`` when the package has no findings file."""
    findings_file: str = ""
    """Name of the findings file read."""
    tool: Mapping[str, Any] = field(default_factory=dict)
    """``tool`` block of the findings file (name, version)."""
    standards: Mapping[str, Any] = field(default_factory=dict)
    """``standards`` block of the findings file (SDTMIG version, CT package date)."""
    counts: pd.DataFrame | None = None
    """``counts.csv``: file, rows_in, rows_mapped, rows_reported."""
    lineage: pd.DataFrame | None = None
    """``lineage.csv``: DOMAIN, USUBJID, SEQ, _src_file, _src_row."""
    run_info: Mapping[str, Any] = field(default_factory=dict)
    """``run.json`` (creation datetime, dataset record counts), when present."""
    waivers: tuple[Waiver, ...] = ()
    """The study's waivers, when a waivers file was given."""
    waivers_file: str = ""
    """Name of the waivers file read."""


def _dataset_files(folder: Path) -> list[Path]:
    """Return the ``.xpt`` files of ``folder``, else its Dataset-JSON files (one per name)."""
    xpt = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xpt")
    if xpt:
        return xpt
    chosen: dict[str, Path] = {}
    for suffix in _DATASET_JSON_SUFFIXES:
        for path in sorted(folder.glob(f"*{suffix}")):
            if path.name.lower() not in _NOT_DATASETS:
                chosen.setdefault(path.stem.upper(), path)
    return [chosen[name] for name in sorted(chosen)]


def read_findings_document(path: Path) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Read a findings JSON document (``sdtm run`` or ``sdtm validate --format json``).

    Args:
        path: The file.

    Returns:
        The findings frame (standard columns first, extra keys after), the ``tool`` and the
        ``standards`` blocks.

    Raises:
        InputError: when the file is not a findings document.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read findings file {path.name}: {error}") from None
    records = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise InputError(f"{path.name}: not a findings document (no 'findings' list)")
    frame = pd.DataFrame.from_records(records)
    standard = FindingsTable.from_frame(
        frame.loc[:, [c for c in frame.columns if c in FINDING_COLUMNS]]
    ).frame
    extra = frame.loc[:, [c for c in frame.columns if c not in FINDING_COLUMNS]]
    joined = pd.concat([standard, extra.reset_index(drop=True)], axis=1)
    return joined, dict(document.get("tool") or {}), dict(document.get("standards") or {})


def _optional_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_review_inputs(
    package_dir: Path,
    *,
    findings_file: Path | None = None,
    waivers_file: Path | None = None,
    encoding: str = "utf-8",
) -> ReviewInputs:
    """Read a package folder for :func:`sdtm.review.build_review`.

    Args:
        package_dir: Folder of ``.xpt`` (or Dataset-JSON) datasets, e.g. ``out/<study>``.
        findings_file: Findings JSON to use instead of the folder's ``findings.json``.
        waivers_file: The study's ``waivers.yaml``, for the reasons of waived findings.
        encoding: Text encoding of the ``.xpt`` files.

    Returns:
        The datasets and whatever of findings, counts, lineage and run information exists.

    Raises:
        InputError: when the folder does not exist or holds no dataset.
        SpecError: when the waivers file has problems.
    """
    if not package_dir.is_dir():
        raise InputError(f"package folder not found: {package_dir}")
    files = _dataset_files(package_dir)
    if not files:
        raise InputError(
            f"{package_dir}: no .xpt files in this folder (nor Dataset-JSON .json/.ndjson files)"
        )
    frames: dict[str, pd.DataFrame] = {}
    problems = []
    for path in files:
        read, found = read_sdtm_package(path, encoding=encoding)
        frames.update(read)
        problems.append(found)
    if findings_file is None:
        for folder in (package_dir, package_dir.parent):
            if (folder / FINDINGS_FILE).is_file():
                findings_file = folder / FINDINGS_FILE
                break
    findings, tool, standards = (None, {}, {})
    if findings_file is not None:
        findings, tool, standards = read_findings_document(findings_file)
    run_info: dict[str, Any] = {}
    if (package_dir / RUN_FILE).is_file():
        try:
            run_info = json.loads((package_dir / RUN_FILE).read_text(encoding="utf-8"))
        except ValueError:
            run_info = {}
    waivers = load_waivers(waivers_file) if waivers_file is not None else ()
    return ReviewInputs(
        name=package_dir.resolve().name,
        frames=MappingProxyType(frames),
        read_findings=FindingsTable.concat(problems),
        findings=findings,
        findings_file=findings_file.name if findings_file is not None else "",
        tool=MappingProxyType(tool),
        standards=MappingProxyType(standards),
        counts=_optional_csv(package_dir / COUNTS_FILE),
        lineage=_optional_csv(package_dir / LINEAGE_FILE),
        run_info=MappingProxyType(run_info if isinstance(run_info, dict) else {}),
        waivers=waivers,
        waivers_file=waivers_file.name if waivers_file is not None else "",
    )
