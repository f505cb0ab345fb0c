"""CLI command ``sdtm export``: an SDTM package folder -> XPT v5 / Define-XML / Dataset-JSON."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.cli.defaults import EXPORT_FORMATS, JOBS_HELP, SEVERITIES
from sdtm.errors import InputError

if TYPE_CHECKING:
    from sdtm.findings import FindingsTable

_WHAT = {
    "xpt": ("xpt",),
    "define": ("define",),
    "dataset-json": ("dataset-json",),
    "all": EXPORT_FORMATS,
}
_SHOWN = 50


def creation_datetime_from(option: str | None, source_date_epoch: str | None) -> datetime | None:
    """Return the datetime to stamp into the files: the option, else SOURCE_DATE_EPOCH.

    Raises:
        InputError: When either value cannot be read.
    """
    if option:
        try:
            return datetime.fromisoformat(option).replace(tzinfo=None)
        except ValueError as error:
            raise InputError(
                f"--creation-datetime {option!r} is not an ISO 8601 datetime"
            ) from error
    if source_date_epoch:
        try:
            moment = datetime.fromtimestamp(int(source_date_epoch), tz=UTC)
        except (ValueError, OverflowError, OSError) as error:
            raise InputError(
                f"SOURCE_DATE_EPOCH {source_date_epoch!r} is not a number of seconds"
            ) from error
        return moment.replace(tzinfo=None)
    return None


def _render(findings: FindingsTable) -> None:
    for finding in list(findings)[:_SHOWN]:
        click.echo(f"{finding.severity}: {finding.message}")
    if len(findings) > _SHOWN:
        click.echo(f"... {len(findings) - _SHOWN} more findings (use --findings FILE)")
    counts = findings.count_by_severity()
    click.echo(
        f"{len(findings)} finding(s): {counts['error']} error, {counts['warning']} warning, "
        f"{counts['notice']} notice"
    )


def register(app: click.Group) -> None:
    """Add ``sdtm export`` to ``app``."""

    @app.command("export")
    @click.argument("what", type=click.Choice(list(_WHAT)))
    @click.argument("src_dir", type=click.Path(path_type=Path, file_okay=False))
    @click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path))
    @click.option(
        "--specs",
        "specs_dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Standards folder (default: the project's specs/).",
    )
    @click.option("--ct-version", default=None, help="CT package date (default: newest).")
    @click.option(
        "--creation-datetime",
        default=None,
        help="ISO datetime stamped into every file; default SOURCE_DATE_EPOCH, "
        "else the clock (then reruns differ).",
    )
    @click.option(
        "--define-schema",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Define-XML 2.1 schema folder (holding "
        "cdisc-define-2.1/define2-1-0.xsd); validates define.xml against it.",
    )
    @click.option("--study-oid", default=None, help="Study OID (default: STUDYID of the data).")
    @click.option(
        "--mapping",
        "mapping_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The study's mapping folder: define.xml takes origins, methods, comments, "
        "dictionaries and value-level metadata from it and the derivation plan, as `sdtm run` "
        "does (without it, origins are generic).",
    )
    @click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Text encoding of input .xpt files (cp1252 is tried for bad bytes).",
    )
    @click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        default="error",
        show_default=True,
    )
    @click.option(
        "--findings",
        "findings_file",
        type=click.Path(path_type=Path),
        default=None,
        help="Write all findings as JSON to this file.",
    )
    @click.option("--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
    def export_command(
        what: str,
        src_dir: Path,
        out_dir: Path,
        specs_dir: Path | None,
        ct_version: str | None,
        creation_datetime: str | None,
        define_schema: Path | None,
        study_oid: str | None,
        mapping_dir: Path | None,
        encoding: str,
        fail_on: str,
        findings_file: Path | None,
        jobs: int | None,
    ) -> int:
        """Export an SDTM package (folder of .xpt or Dataset-JSON) as WHAT into --out.

        WHAT is xpt, define, dataset-json or all. A manifest.json with the SHA-256 of every
        file written is always written, last: the package is written into a staging folder and
        switched into --out at the end. Files in --out that an earlier export did not write are
        left in place and reported; the export is refused when it would overwrite one.
        """
        from rich.console import Console

        from sdtm.config import default_specs_dir
        from sdtm.export.define_metadata import DefineMetadata, StudyInfo
        from sdtm.export.define_origins import define_metadata_for_package
        from sdtm.export.output_folder import (
            PackageWriter,
            check_output_location,
            inventory_output_folder,
            left_findings,
        )
        from sdtm.export.submission import ExportSettings, export_submission
        from sdtm.mapping.stage import load_mapping
        from sdtm.read.sdtm_package import read_sdtm_package
        from sdtm.standards import load_standards
        from sdtm.workers import default_jobs

        stderr = Console(stderr=True)
        moment = creation_datetime_from(creation_datetime, os.environ.get("SOURCE_DATE_EPOCH"))
        if moment is None:
            moment = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            stderr.print(
                "note: no --creation-datetime or SOURCE_DATE_EPOCH; the clock is stamped into "
                "the files, so a rerun will not be byte-identical",
                highlight=False,
            )
        specs = specs_dir or default_specs_dir()
        check_output_location(out_dir, {"source package folder": src_dir})
        standards = load_standards(specs, ct_version)
        frames, read_findings = read_sdtm_package(src_dir, encoding=encoding)
        unreadable = read_findings.frame[read_findings.frame["rule_id"] == "ST0017"]
        if len(unreadable):
            # An export without one of its datasets would look like a complete package.
            listing = "\n  ".join(unreadable["message"].astype(str))
            raise InputError(
                f"nothing exported: {len(unreadable)} file(s) of {src_dir} cannot be read:"
                f"\n  {listing}"
            )
        if study_oid is None:
            studies = {
                str(v) for f in frames.values() if "STUDYID" in f for v in f["STUDYID"].dropna()
            }
            study_oid = sorted(studies)[0] if len(studies) == 1 else "STUDY"
        metadata = DefineMetadata(
            study=StudyInfo(study_oid=study_oid, name=study_oid, protocol=study_oid)
        )
        if mapping_dir is not None:
            if not mapping_dir.is_dir():
                raise InputError(f"mapping folder not found: {mapping_dir}")
            spec = load_mapping(mapping_dir, standards)
            metadata = define_metadata_for_package(frames, spec, standards)
        schema_dir = specs / "dataset-json-1.1"
        inventory = inventory_output_folder(out_dir)
        status = stderr.status(f"exporting {len(frames)} dataset(s)")
        with status, PackageWriter(out_dir) as package:
            findings = export_submission(
                frames,
                standards,
                package.staging,
                define_metadata=metadata,
                creation_datetime=moment,
                formats=_WHAT[what],
                settings=ExportSettings(
                    dataset_json_schema_dir=schema_dir if schema_dir.is_dir() else None,
                    define_schema_dir=define_schema,
                ),
                jobs=jobs or default_jobs(),
            )
            package.commit(inventory, creation_datetime=moment)
        findings = read_findings + left_findings(inventory) + findings
        _render(findings)
        if findings_file is not None:
            findings.write_json(
                findings_file,
                tool={"name": "sdtm", "command": f"export {what}"},
                standards={"sdtmig": standards.sdtmig_version, "ct": standards.ct_version},
            )
        return 1 if len(findings.at_or_above(fail_on)) else 0
