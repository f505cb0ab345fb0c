"""Writing a run's package: output folder hygiene, the export, and the run's own files.

An earlier run's outputs (the files its manifest lists, unchanged since) are replaced by this
run's, so that nothing stale passes for this run's; files the tool did not write are never
deleted or overwritten but reported (MP0018). The package is staged and switched in with
``manifest.json`` last (``sdtm.export.output_folder``).
The datasets are exported (XPT v5, Define-XML 2.1 with the origins the mapping spec gives,
Dataset-JSON 1.1); a dataset that cannot be exported as XPT is delivered as CSV. The run's
own files (lineage, counts, findings, run summary) complete the package.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from sdtm import __version__
from sdtm.errors import SdtmError
from sdtm.export.output_folder import (
    LEFT_RULE,
    PackageWriter,
    inventory_output_folder,
    left_findings,
)
from sdtm.export.submission import InputFile
from sdtm.findings import FindingsTable, Stage, link_causes
from sdtm.mapping.spec import MappingSpec
from sdtm.read.manifest import FileDigests
from sdtm.stage import guarded
from sdtm.standards import Standards
from sdtm.validate.stage import locate_findings
from sdtm.workers import run_calls

RULE_IDS: tuple[str, ...] = (LEFT_RULE[0],)
"""MP0018 (a file left in the output folder) is reported here, by ``write_package``."""

LINEAGE_FILE = "lineage.csv"
COUNTS_FILE = "counts.csv"
FINDINGS_FILE = "findings.json"
RUN_FILE = "run.json"
RUN_WAIVERS_FILE = "waivers.yaml"
"""Copy of the study's waivers the run applied; ``sdtm validate OUT`` applies it again."""

def write_run_files(
    out_dir: Path,
    frames: Mapping[str, pd.DataFrame],
    findings: FindingsTable,
    lineage: pd.DataFrame,
    counts: pd.DataFrame,
    standards: Standards,
    *,
    csv_names: tuple[str, ...],
    created: tuple[datetime, str],
    waivers: Path | None = None,
    jobs: int = 1,
    digests: FileDigests | None = None,
) -> list[str]:
    """Write the run's own files: CSV datasets, lineage, counts, findings and ``run.json``.

    The study's waivers file, when the run applied one, is copied as ``waivers.yaml`` and
    named in ``run.json``, so that validating the folder later applies the same waivers.
    With two jobs or more, the tables (CSV datasets, lineage, counts) and the findings are
    written by two processes at once (:func:`sdtm.workers.run_calls`); ``digests`` takes
    the SHA-256 of the files they wrote, hashed by the process that wrote each.

    Returns:
        The files written, relative to ``out_dir``.

    Raises:
        SdtmError: when the output folder cannot be created.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SdtmError(f"cannot create the output folder {out_dir}: {error}") from error

    def tables() -> tuple[list[str], FileDigests]:
        names = []
        for name, frame in frames.items():
            if name in csv_names:
                frame.to_csv(out_dir / f"{name.lower()}.csv", index=False)
                names.append(f"{name.lower()}.csv")
        lineage.to_csv(out_dir / LINEAGE_FILE, index=False)
        counts.to_csv(out_dir / COUNTS_FILE, index=False)
        return _hashed(out_dir, [*names, LINEAGE_FILE, COUNTS_FILE])

    def findings_file() -> tuple[list[str], FileDigests]:
        findings.write_json(
            out_dir / FINDINGS_FILE,
            tool={"name": "sdtm", "version": __version__},
            standards={"sdtmig": standards.sdtmig_version, "ct": standards.ct_version},
        )
        return _hashed(out_dir, [FINDINGS_FILE])

    written: list[str] = []
    for names, hashed in run_calls(
        [tables, findings_file],
        jobs=jobs,
        costs=[float(len(lineage)), float(len(findings))],
    ):
        written.extend(names)
        if digests is not None:
            digests.add(hashed)
    recorded: dict[str, str] = {}
    if waivers is not None and waivers.is_file():
        (out_dir / RUN_WAIVERS_FILE).write_bytes(waivers.read_bytes())
        written.append(RUN_WAIVERS_FILE)
        recorded["waivers"] = RUN_WAIVERS_FILE
    (out_dir / RUN_FILE).write_text(
        json.dumps(
            {
                # The stamp of the files, never the wall clock of this run (unless the
                # clock is that stamp): reruns must give the same bytes.
                "creation_datetime": created[0].strftime("%Y-%m-%dT%H:%M:%S"),
                "creation_source": created[1],
                "datasets": {name: len(frame) for name, frame in frames.items()},
                "severity": findings.count_by_severity(),
                **recorded,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    written.append(RUN_FILE)
    return written


def _hashed(out_dir: Path, names: list[str]) -> tuple[list[str], FileDigests]:
    """``names`` with the SHA-256 of each file, for the manifest (read while still cached)."""
    digests = FileDigests()
    for name in names:
        digests.sha256(out_dir / name)
    return names, digests


def export_datasets(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    out_dir: Path,
    spec: MappingSpec,
    creation_datetime: datetime,
    specs_dir: Path | None = None,
    inputs: tuple[InputFile, ...] | None = None,
    jobs: int = 1,
    alongside: Callable[[], None] | None = None,
    digests: FileDigests | None = None,
) -> tuple[FindingsTable, bool]:
    """Export XPT / Define-XML / Dataset-JSON when the export package provides it.

    The Dataset-JSON and Define-XML schemas come from the standards folder of the run
    (``specs_dir``; default the bundled one), like the standards and the rules. ``jobs``
    processes share out the datasets (:func:`sdtm.workers.run_calls`); ``alongside`` is
    work this process does meanwhile. It must not raise: an exception it raised would be
    reported as the export's. ``digests`` keeps the SHA-256 of the files hashed.
    """

    def call() -> FindingsTable:
        from sdtm.export.define_xml import SCHEMA_FILE
        from sdtm.export.submission import DEFINE_SCHEMA_DIR, ExportSettings, export_submission

        settings = None
        if specs_dir is not None:
            json_dir = specs_dir / "dataset-json-1.1"
            define_dir = specs_dir / DEFINE_SCHEMA_DIR
            settings = ExportSettings(
                dataset_json_schema_dir=json_dir if json_dir.is_dir() else None,
                define_schema_dir=define_dir if (define_dir / SCHEMA_FILE).is_file() else None,
            )
        from sdtm.export.define_origins import define_metadata_for_package

        return export_submission(
            frames,
            standards,
            out_dir,
            define_metadata=define_metadata_for_package(frames, spec, standards),
            creation_datetime=creation_datetime,
            settings=settings,
            inputs=inputs,
            jobs=jobs,
            alongside=alongside,
            digests=digests,
        )

    value, failed = guarded(Stage.EXPORT, "export", call)
    return (value, True) if value is not None else (failed, False)


@dataclass(frozen=True, slots=True)
class PackageResult:
    """What writing the package produced."""

    findings: FindingsTable
    """Every finding of the run, the export's and the output folder's included."""
    outputs: tuple[str, ...]
    """Run files and CSV datasets written (relative to the output folder)."""
    notes: tuple[str, ...]
    """Things the summary should say: foreign files, datasets delivered as CSV."""


def write_package(
    out_dir: Path,
    frames: Mapping[str, pd.DataFrame],
    findings: FindingsTable | Callable[[], FindingsTable],
    *,
    lineage: pd.DataFrame,
    counts: pd.DataFrame,
    provenance: Mapping[str, pd.DataFrame],
    standards: Standards,
    spec: MappingSpec,
    created: tuple[datetime, str],
    specs_dir: Path | None,
    inputs: tuple[InputFile, ...] | None = None,
    export: bool = True,
    follows: Mapping[str, Sequence[str]] | None = None,
    waivers: Path | None = None,
    jobs: int = 1,
) -> PackageResult:
    """Clear the earlier run's outputs, export the datasets and write the run's own files.

    Args:
        out_dir: Output folder.
        frames: Final datasets.
        findings: Every finding of the run so far, causes linked (``link_causes``), or the
            call that gives them: it is called while the datasets are exported (a run
            validates them meanwhile, since the dataset files do not depend on the
            findings), and its exception, if any, is raised once the export has ended.
            Findings the export adds are linked with them.
        lineage: ``lineage.csv`` rows.
        counts: ``counts.csv`` rows.
        provenance: Raw file and row per dataset row, to locate export findings.
        standards: SDTMIG metadata and CT.
        spec: The mapping spec (origins for define.xml).
        created: Time stamp of the files and where it came from.
        specs_dir: Standards folder of the run (schemas); ``None`` for the bundled one.
        inputs: The run's input files, whose SHA-256 the manifest records.
        export: Export XPT/Define-XML/Dataset-JSON; else the datasets are written as CSV.
        follows: Rule id -> rules its findings can follow from (the registry's
            ``follows()``), so export findings name their cause too.
        waivers: The study's waivers file the run applied (copied into the folder).
        jobs: Processes that share out the datasets' export and the run's own files
            (:mod:`sdtm.workers`).

    Returns:
        The findings (with the export's), the files written and notes for the summary.

    Raises:
        SdtmError: when the output folder cannot be created.
    """
    notes: list[str] = []
    # Only files an earlier run wrote (listed in its manifest, unchanged since) may be
    # replaced; every other file stays where it is and is reported (MP0018).
    inventory = inventory_output_folder(out_dir)
    left = left_findings(inventory)
    if inventory.left:
        listed = [item.path for item in inventory.left]
        shown = ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")
        notes.append(
            f"output folder holds {len(listed)} file(s) this tool did not write (or that "
            f"changed since), left in place (warning MP0018): {shown}"
        )
    # The package is written into a staging folder and switched in at the end, manifest last:
    # a killed or failed run leaves the earlier package or a folder without a manifest.
    collected: list[FindingsTable] = []
    failure: list[Exception] = []

    def collect() -> None:
        if collected or failure:
            return
        if not callable(findings):
            collected.append(findings)
            return
        try:
            collected.append(findings())
        except Exception as error:  # raised below, not taken for the export's own failure
            failure.append(error)

    # Each file is hashed once for the export's manifest, the package's and the journal.
    digests = FileDigests()
    with PackageWriter(out_dir) as package:
        staging = package.staging
        export_findings, exported = (
            export_datasets(
                frames,
                standards,
                staging,
                spec,
                created[0],
                specs_dir,
                inputs,
                jobs,
                alongside=collect,
                digests=digests,
            )
            if export
            else (FindingsTable(), False)
        )
        collect()  # not called yet when the export stopped before its datasets
        if failure:
            raise failure[0]
        # The run's findings come with their causes linked; linking is done again only
        # when the export or the output folder added findings (0.24 s for 70,000).
        added = left + locate_findings(export_findings, provenance)
        table = link_causes(collected[0] + added, follows or {}) if len(added) else collected[0]
        if not exported:
            notes.append("datasets written as CSV (export to XPT/Define-XML not available)")
        # Datasets the exporter could not write as XPT (findings say why) are still
        # delivered as CSV, so that nothing mapped is lost from the outputs.
        csv_names = tuple(
            name for name in frames if not (staging / f"{name.lower()}.xpt").is_file()
        )
        if exported and csv_names:
            notes.append(
                f"not exported as XPT (see findings), written as CSV: {', '.join(csv_names)}"
            )
        write_run_files(
            staging,
            frames,
            table,
            lineage,
            counts,
            standards,
            csv_names=csv_names,
            created=created,
            waivers=waivers,
            jobs=jobs,
            digests=digests,
        )
        outputs = package.commit(
            inventory, creation_datetime=created[0], inputs=inputs, digests=digests
        )
    return PackageResult(findings=table, outputs=tuple(outputs), notes=tuple(notes))
