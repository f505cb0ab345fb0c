"""``write_review``: read a package, build its review page, write one HTML file.

This is the function ``sdtm report`` and ``sdtm run --report`` call. Study settings come from a
mapping folder when one is given: ``review.yaml`` (timeline panels and highlights, see
:mod:`sdtm.review.config`) and ``waivers.yaml`` (the reasons of waived findings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sdtm.config import default_specs_dir
from sdtm.review.config import ReviewConfig, load_review_config
from sdtm.review.inputs import read_review_inputs
from sdtm.review.page import build_review, write_review_file
from sdtm.standards import available_ct_versions, load_standards
from sdtm.validate.registry import load_rules

REVIEW_SUFFIX = "-report.html"
"""Default name: the package folder's name plus this, written next to the folder."""
CONFIG_FILE = "review.yaml"
"""Timeline settings in a study's mapping folder."""
WAIVERS_FILE = "waivers.yaml"
"""Waivers in a study's mapping folder."""


def default_review_path(package_dir: Path) -> Path:
    """Return ``<parent>/<folder name>-report.html``: beside the package, never inside it.

    ``sdtm run`` reports any file in its output folder that it did not write (MP0018
    output-folder-has-foreign-files), so a page inside the folder would change the next run's
    findings.
    """
    folder = package_dir if package_dir.name else package_dir.resolve()
    return folder.parent / f"{folder.name}{REVIEW_SUFFIX}"


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """What :func:`write_review` wrote."""

    path: Path
    """The HTML file."""
    size: int
    """Its size in bytes."""
    subjects: int
    """Subjects with a timeline."""
    findings: int
    """Findings listed."""
    notes: tuple[str, ...]
    """What was used or missing (settings files, findings file), for the caller to print."""


def write_review(
    package_dir: Path,
    out: Path | None = None,
    *,
    mapping_dir: Path | None = None,
    config_file: Path | None = None,
    findings_file: Path | None = None,
    waivers_file: Path | None = None,
    subjects: Iterable[str] = (),
    specs_dir: Path | None = None,
    tool_version: str = "",
) -> ReviewResult:
    """Write the review page of an SDTM package.

    Args:
        package_dir: Folder of ``.xpt`` or Dataset-JSON datasets (``out/<study>``).
        out: The HTML file; default :func:`default_review_path` (``out/<study>-report.html``
            for ``out/<study>``).
        mapping_dir: The study's mapping folder; its ``review.yaml`` and ``waivers.yaml`` are
            used unless ``config_file``/``waivers_file`` are given.
        config_file: Timeline settings (``review.yaml``).
        findings_file: Findings JSON instead of the package's ``findings.json``.
        waivers_file: Waivers, for the reasons of waived findings.
        subjects: USUBJIDs to draw (default: every subject in DM).
        specs_dir: Standards folder (default: the package's ``specs/``).
        tool_version: Version written in the page header.

    Returns:
        Where the page went and what it holds.

    Raises:
        SdtmError: the package cannot be read, a settings file has problems, or a subject
            asked for is not in DM.
    """
    notes = []
    if mapping_dir is not None:
        if config_file is None and (mapping_dir / CONFIG_FILE).is_file():
            config_file = mapping_dir / CONFIG_FILE
        if waivers_file is None and (mapping_dir / WAIVERS_FILE).is_file():
            waivers_file = mapping_dir / WAIVERS_FILE
    config = load_review_config(config_file) if config_file is not None else ReviewConfig()
    notes.append(
        f"timeline settings: {config_file}"
        if config_file is not None
        else "timeline settings: derived from the data (no review.yaml)"
    )
    inputs = read_review_inputs(package_dir, findings_file=findings_file, waivers_file=waivers_file)
    if inputs.findings is None:
        notes.append("no findings.json: the findings section says how to produce one")
    if waivers_file is not None:
        notes.append(f"waiver reasons: {waivers_file}")
    specs = specs_dir or default_specs_dir()
    wanted_ct = str(inputs.standards.get("ct") or "")
    ct_version = wanted_ct if wanted_ct in available_ct_versions(specs) else None
    standards = load_standards(specs, ct_version)
    rules = load_rules(specs / "rules")
    page = build_review(
        inputs,
        config=config,
        standards=standards,
        rules=rules,
        subjects=subjects,
        tool_version=tool_version,
    )
    path = write_review_file(page, out or default_review_path(package_dir))
    return ReviewResult(
        path=path,
        size=path.stat().st_size,
        subjects=len(page.subjects),
        findings=page.findings,
        notes=tuple(notes),
    )
