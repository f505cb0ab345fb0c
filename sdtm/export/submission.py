"""Write a whole submission: XPT v5, Define-XML 2.1, Dataset-JSON 1.1 (JSON and NDJSON), manifest.

Layout of ``out_dir``::

    <dataset>.xpt ...        SAS transport v5, one per dataset, lower-case names
    define.xml               Define-XML 2.1 (with the define2-1.xsl stylesheet instruction)
    json/<dataset>.json      Dataset-JSON 1.1
    ndjson/<dataset>.ndjson  Dataset-JSON 1.1, NDJSON variant
    manifest.json            every file written: path, size, SHA-256, record count (sorted);
                             optionally the SHA-256 of every input (raw files, spec, CT)

Every byte depends only on the inputs and ``creation_datetime``, so two runs on the same data
give the same manifest; comparing manifests proves a rerun byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import pandas as pd

from sdtm.config import default_specs_dir
from sdtm.errors import ExportError, StandardsError
from sdtm.export.dataset_json import write_dataset_json_pair
from sdtm.export.define_checks import check_define_structure, validate_define
from sdtm.export.define_metadata import DefineMetadata
from sdtm.export.define_xml import (
    SCHEMA_FILE,
    DefineContent,
    add_to_define,
    define_bytes,
    define_document,
    merge_define_content,
    metadata_version_oid,
)
from sdtm.export.metadata import prepare_dataset
from sdtm.export.rules import make_finding
from sdtm.export.xpt import MAX_FILE_BYTES, write_xpt, xpt_file_name
from sdtm.findings import FindingsTable, Severity
from sdtm.read.manifest import FileDigests
from sdtm.standards.model import Standards
from sdtm.workers import run_calls

RULE_IDS: tuple[str, ...] = ("XP0024",)

FORMATS: tuple[str, ...] = ("xpt", "define", "dataset-json")
"""What ``export_submission`` can write."""
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """Where the validation schemas are and how big an XPT file may get."""

    dataset_json_schema_dir: Path | None = None
    """Folder with the Dataset-JSON 1.1 schemas; ``None`` skips their validation."""
    define_schema_dir: Path | None = None
    """Folder with ``cdisc-define-2.1/define2-1-0.xsd``; ``None`` skips XSD validation (the
    structural checks always run)."""
    max_xpt_bytes: int = MAX_FILE_BYTES
    """Size over which an XPT file must be split (FDA TCG: 5 GB)."""


DEFINE_SCHEMA_DIR = Path("define-xml-2.1") / "schema"
"""Define-XML 2.1 XSD folder inside the standards folder (``specs/``)."""


def default_export_settings() -> ExportSettings:
    """Return settings that validate with the schemas bundled under ``specs/``.

    Dataset-JSON files are checked against ``specs/dataset-json-1.1`` and define.xml against
    the Define-XML 2.1 XSD in ``specs/define-xml-2.1/schema`` (a folder that is missing
    skips that validation; the structural checks always run).
    """
    try:
        specs = default_specs_dir()
    except StandardsError:
        return ExportSettings()
    json_dir = specs / "dataset-json-1.1"
    define_dir = specs / DEFINE_SCHEMA_DIR
    return ExportSettings(
        dataset_json_schema_dir=json_dir if json_dir.is_dir() else None,
        define_schema_dir=define_dir if (define_dir / SCHEMA_FILE).is_file() else None,
    )


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file a run read, to be fingerprinted in the manifest."""

    group: str
    """``raw``, ``spec`` or ``ct``."""
    name: str
    """Path shown in the manifest, relative to the group's folder (``edc/ae.csv``)."""
    path: Path
    """Where the file is."""


def input_files(
    study_dir: Path, raw_files: Iterable[str], mapping_dir: Path, ct_dir: Path
) -> tuple[InputFile, ...]:
    """List the inputs of a run for :func:`write_manifest`: raw files, spec files, CT files.

    Args:
        study_dir: The raw study folder.
        raw_files: Raw files read, relative to ``study_dir`` (``edc/ae.csv``).
        mapping_dir: The mapping spec folder (every ``*.yaml`` in it, waivers included).
        ct_dir: The CT package folder used (``specs/ct/2025-03-28``; every file under it).

    Returns:
        The inputs, sorted by group and name.
    """
    raw = [InputFile("raw", name, study_dir / name) for name in sorted(set(raw_files))]
    spec = [InputFile("spec", p.name, p) for p in sorted(mapping_dir.glob("*.yaml"))]
    ct = [
        InputFile("ct", p.relative_to(ct_dir.parent).as_posix(), p)
        for p in sorted(ct_dir.rglob("*"))
        if p.is_file()
    ]
    return (*raw, *spec, *ct)


def _input_entries(
    inputs: Iterable[InputFile], digests: FileDigests
) -> dict[str, list[dict[str, object]]]:
    """Manifest entries of the inputs by group; a file that is missing is listed with nulls."""
    groups: dict[str, list[dict[str, object]]] = {}
    for item in sorted(inputs, key=lambda i: (i.group, i.name)):
        present = item.path.is_file()
        groups.setdefault(item.group, []).append(
            {
                "file": item.name,
                "size": item.path.stat().st_size if present else None,
                "sha256": digests.sha256(item.path) if present else None,
            }
        )
    return groups


def write_manifest(
    out_dir: Path,
    written: Mapping[Path, int | None],
    *,
    creation_datetime: datetime,
    inputs: Iterable[InputFile] | None = None,
    digests: FileDigests | None = None,
) -> Path:
    """Write ``manifest.json``: one entry per file (path relative to ``out_dir``), sorted.

    Args:
        out_dir: The export folder.
        written: Files written, each with its record count (``None`` for define.xml).
        creation_datetime: The datetime stamped into the files, recorded for the reader.
        inputs: The run's inputs (:func:`input_files`); when given, the manifest also has an
            ``inputs`` object with the size and SHA-256 of each, by group (``raw``, ``spec``,
            ``ct``), so that a package can be traced to the exact bytes it was made from. Kept
            apart from ``files``: those are the outputs a rerun may replace.
        digests: Digests computed before (by the process that wrote a file), reused while
            the file is unchanged; the ones computed here are added to it.

    Returns:
        The manifest path.
    """
    digests = digests if digests is not None else FileDigests()
    entries = sorted(
        (
            {
                "file": path.relative_to(out_dir).as_posix(),
                "size": path.stat().st_size,
                "sha256": digests.sha256(path),
                "records": records,
            }
            for path, records in written.items()
        ),
        key=lambda entry: entry["file"],
    )
    document: dict[str, object] = {
        "creation_datetime": creation_datetime.isoformat(),
        "files": entries,
    }
    if inputs is not None:
        document["inputs"] = _input_entries(inputs, digests)
    target = out_dir / MANIFEST
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target


def _not_written(dataset: str, what: str, findings: FindingsTable, stale: Path) -> FindingsTable:
    """Report that a file was not written; remove an older one of that name.

    A file left from an earlier run would sit next to a define.xml that no longer matches it and
    could be submitted by mistake, so it is removed (and the finding says so).
    """
    errors = findings.at_or_above(Severity.ERROR)
    rules = ", ".join(sorted(set(errors.frame["rule_id"])))
    removed = ""
    if stale.is_file():
        try:
            stale.unlink()
        except OSError as error:
            raise ExportError(f"cannot remove the outdated {stale}: {error}") from error
        removed = f"; the older {stale.name} of an earlier run was removed"
    return FindingsTable.from_findings(
        [
            make_finding(
                "XP0024",
                f"{dataset}: {what} not written because of {len(errors)} error finding(s) "
                f"({rules}){removed}",
                dataset=dataset,
                value=what,
            )
        ]
    )


@dataclass(frozen=True, slots=True)
class _ExportedDataset:
    """What exporting one dataset gave: findings, files written, its define.xml summary."""

    findings: list[FindingsTable]
    written: dict[Path, int | None]
    define: DefineContent | None
    digests: FileDigests


def _export_dataset(
    key: str,
    frame: pd.DataFrame,
    *,
    standards: Standards,
    out_dir: Path,
    metadata: DefineMetadata,
    creation_datetime: datetime,
    formats: tuple[str, ...],
    settings: ExportSettings,
) -> _ExportedDataset:
    """Prepare one dataset, write its files and summarise it for define.xml."""
    dataset = prepare_dataset(key, frame, standards)
    name = dataset.meta.name
    tables: list[FindingsTable] = []
    written: dict[Path, int | None] = {}
    if "xpt" in formats:
        result = write_xpt(
            dataset,
            out_dir,
            creation_datetime=creation_datetime,
            max_file_bytes=settings.max_xpt_bytes,
        )
        tables.append(result.findings)
        if result.path is None:
            stale = out_dir / xpt_file_name(name)
            tables.append(_not_written(name, "XPT", result.findings, stale))
        else:
            written[result.path] = dataset.meta.records
    else:
        tables.append(dataset.findings)
    if "dataset-json" in formats:
        folders = ("json", "ndjson")
        for folder in folders:
            (out_dir / folder).mkdir(exist_ok=True)
        old_files = [out_dir / folder / f"{name.lower()}.{folder}" for folder in folders]
        own_errors = dataset.findings.at_or_above(Severity.ERROR)
        if len(own_errors):
            for folder, old_file in zip(folders, old_files, strict=True):
                tables.append(_not_written(name, folder, own_errors, old_file))
        else:
            outcomes = write_dataset_json_pair(
                dataset,
                out_dir / "json",
                out_dir / "ndjson",
                creation_datetime=creation_datetime,
                study=metadata.study,
                metadata_version_oid=metadata_version_oid(metadata.study.study_oid, standards),
                schema_dir=settings.dataset_json_schema_dir,
            )
            for folder, old_file, (path, found) in zip(folders, old_files, outcomes, strict=True):
                tables.append(found)
                if path is None:
                    tables.append(_not_written(name, folder, found, old_file))
                else:
                    written[path] = dataset.meta.records
    define = None
    if "define" in formats:
        define = DefineContent(metadata)
        add_to_define(define, dataset, standards)
    # Hashed here, by the process that wrote them, while they are in the page cache.
    digests = FileDigests()
    for path in written:
        digests.sha256(path)
    return _ExportedDataset(findings=tables, written=written, define=define, digests=digests)


def export_submission(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    out_dir: Path,
    *,
    define_metadata: DefineMetadata | None = None,
    creation_datetime: datetime,
    formats: tuple[str, ...] = FORMATS,
    settings: ExportSettings | None = None,
    inputs: Iterable[InputFile] | None = None,
    on_records: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    alongside: Callable[[], None] | None = None,
    digests: FileDigests | None = None,
) -> FindingsTable:
    """Export SDTM datasets as XPT v5, Define-XML 2.1 and Dataset-JSON 1.1, plus a manifest.

    Args:
        frames: Datasets by name (``AE``, ``SUPPAE``, ...); provenance columns (``_...``) are
            dropped. ``attrs["dataset_label"]``/``attrs["labels"]`` label what the standards
            do not know.
        standards: SDTMIG metadata and CT.
        out_dir: Target folder (created when missing).
        define_metadata: Origins, methods, comments and study facts from the mapping stage;
            defaults apply when ``None`` (see ``sdtm.export.define_metadata``).
        creation_datetime: Stamped into every file instead of the clock (e.g. from a study
            setting or ``SOURCE_DATE_EPOCH``).
        formats: Any of ``FORMATS``.
        settings: Schema folders and the XPT size limit; ``None`` takes
            ``default_export_settings()``.
        inputs: The files the run read (:func:`input_files`), fingerprinted in the manifest;
            ``None`` writes the manifest without them.
        on_records: Called before each dataset this process exports with (records of the
            datasets started so far, records in all datasets), and once with (total, total)
            at the end, for a progress display.
        jobs: Processes that share out the datasets (:func:`sdtm.workers.run_calls`); every
            file written is byte-identical for any number.
        alongside: Other work this process does while the workers export the datasets
            (``run_calls``'s ``alongside``): a run validates meanwhile.
        digests: Where the SHA-256 of every file written and read is kept, for the caller to
            reuse (a run's package manifest); ``None`` keeps them to this call.

    Returns:
        All findings of the export. A dataset with error findings is not written in the
        format concerned (XP0024 says so); define.xml is written even with structural or schema
        findings, so that they can be inspected.

    Raises:
        ExportError: When ``out_dir`` cannot be created or written.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ExportError(f"unknown export format(s) {unknown}; choose from {list(FORMATS)}")
    settings = settings or default_export_settings()
    metadata = define_metadata or DefineMetadata()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot create {out_dir}: {error}") from error
    # Datasets are prepared, written and summarised for define.xml one at a time per
    # process, so that a process holds one prepared copy at once (all of them at once took
    # over a gigabyte on a 10,000-subject study). A name given twice in different case is one
    # dataset: the last frame given, as before.
    order: dict[str, str] = {}
    for key in sorted(frames):
        order[key.upper()] = key
    names = sorted(order)
    export = partial(
        _export_dataset,
        standards=standards,
        out_dir=out_dir,
        metadata=metadata,
        creation_datetime=creation_datetime,
        formats=formats,
        settings=settings,
    )
    total = sum(len(frames[key]) for key in order.values())
    started = 0

    def announce(index: int) -> None:
        nonlocal started
        if on_records is not None:
            on_records(started, total)
        started += len(frames[order[names[index]]])

    exported = run_calls(
        [partial(export, order[upper], frames[order[upper]]) for upper in names],
        jobs=jobs,
        costs=[float(frames[order[upper]].size) for upper in names],
        on_start=announce,
        alongside=alongside,
    )
    tables: list[FindingsTable] = []
    written: dict[Path, int | None] = {}
    digests = digests if digests is not None else FileDigests()
    define_content = DefineContent(metadata) if "define" in formats else None
    # In define.xml's order, whichever process exported each dataset.
    for one in exported:
        tables.extend(one.findings)
        written.update(one.written)
        digests.add(one.digests)
        if define_content is not None and one.define is not None:
            merge_define_content(define_content, one.define)
    if on_records is not None:
        on_records(total, total)
    if define_content is not None and order:
        tree, found = define_document(
            define_content, standards, creation_datetime=creation_datetime
        )
        document = define_bytes(tree)
        tables.append(found)
        tables.append(check_define_structure(document))
        if settings.define_schema_dir is not None:
            tables.append(validate_define(document, settings.define_schema_dir))
        target = out_dir / "define.xml"
        temp = out_dir / ".define.xml.tmp"
        temp.write_bytes(document)
        temp.replace(target)
        written[target] = None
    write_manifest(
        out_dir, written, creation_datetime=creation_datetime, inputs=inputs, digests=digests
    )
    return FindingsTable.concat(tables)
