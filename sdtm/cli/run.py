"""CLI command ``sdtm run``: read -> map -> derive -> validate -> export one study."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.cli.defaults import DEFAULT_MAPPINGS_DIR, DEFAULT_STUDY_DIR, JOBS_HELP, SEVERITIES
from sdtm.cli.export import creation_datetime_from

if TYPE_CHECKING:
    from rich.console import Console

    from sdtm.pipeline import RunResult


def render_summary(result: RunResult, console: Console) -> None:
    """Print the run summary: per-file counts, per-dataset records, findings by severity."""
    import pandas as pd
    from rich.table import Table

    from sdtm.findings import summarise

    counts = Table(title="Raw rows: in = mapped + reported", title_justify="left")
    for column in ("file", "rows in", "mapped", "reported", "check"):
        counts.add_column(column, justify="left" if column == "file" else "right")
    for row in result.counts.itertuples(index=False):
        ok = row.rows_in == row.rows_mapped + row.rows_reported
        counts.add_row(
            row.file,
            str(row.rows_in),
            str(row.rows_mapped),
            str(row.rows_reported),
            "ok" if ok else "MISMATCH",
        )
    console.print(counts)
    datasets = Table(title="SDTM datasets", title_justify="left")
    datasets.add_column("dataset")
    datasets.add_column("records", justify="right")
    for name in sorted(result.frames):
        datasets.add_row(name, str(len(result.frames[name])))
    console.print(datasets)
    frame = result.findings.frame
    summary = summarise(result.findings)
    if summary["by_rule"]:
        by_rule = pd.DataFrame(summary["by_rule"])
        by_rule = by_rule[by_rule["severity"].isin(["error", "warning"])]
        names = frame.drop_duplicates("rule_id").set_index("rule_id")["rule_name"]
        by_rule = by_rule.assign(name=by_rule["rule_id"].map(names)).sort_values(
            ["severity", "count"], ascending=[True, False], kind="mergesort"
        )
        rules = Table(title="Errors and warnings by rule", title_justify="left")
        for column in ("severity", "rule", "name", "records", "causes", "following"):
            rules.add_column(
                column, justify="left" if column in ("severity", "rule", "name") else "right"
            )
        for row in by_rule.itertuples(index=False):
            rules.add_row(
                row.severity,
                row.rule_id,
                str(row.name or ""),
                str(row.count),
                str(row.causes),
                str(row.following),
            )
        if len(by_rule):
            console.print(rules)
    by_severity = result.findings.count_by_severity()
    console.print(
        "Findings: "
        + ", ".join(f"{count} {level}" for level, count in by_severity.items())
        + f"; {summary['causes']} cause(s), {summary['records']} record(s)"
        + (f" (details: {result.out_dir}/findings.json)" if result.out_dir else "")
    )
    for note in result.notes:
        console.print(f"note: {note}")


def register(app: click.Group) -> None:
    """Add ``sdtm run`` to ``app``."""

    @app.command("run")
    @click.argument("study_dir", required=False, type=click.Path(path_type=Path))
    @click.option(
        "--mapping",
        "mapping_dir",
        type=click.Path(path_type=Path),
        help="Mapping spec folder (default: mappings/<study folder name>).",
    )
    @click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        help="Output folder (default: out/<study folder name>).",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    @click.option(
        "--ct-version", "ct_version", default=None, help="CT package date (default: newest)."
    )
    @click.option("--ct", "ct_version_alias", default=None, hidden=True)
    @click.option(
        "--creation-datetime",
        default=None,
        help="ISO datetime stamped into every file; default SOURCE_DATE_EPOCH, else the "
        "study.yaml setting creation_datetime or data_cutoff, else the clock (then reruns "
        "differ).",
    )
    @click.option(
        "--keep-invalid-records",
        is_flag=True,
        default=False,
        help="Keep records that fail a hard rule (subject not in DM, exact duplicate raw row, "
        "Required value missing) in the datasets; by default they are withheld and each is "
        "reported (MP0040) with its raw file and row.",
    )
    @click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        default=None,
        help="Exit 1 when findings at or above this severity exist (default: exit 0 whenever "
        "the run completes and writes its outputs).",
    )
    @click.option(
        "--report",
        "write_report",
        is_flag=True,
        default=False,
        help="Also write the HTML review (sdtm report) beside the output folder, as "
        "<OUT>-report.html.",
    )
    @click.option("--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
    @click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress display on stderr (the summary is still printed).",
    )
    def run_command(
        study_dir: Path | None,
        mapping_dir: Path | None,
        out_dir: Path | None,
        specs_dir: Path | None,
        ct_version: str | None,
        ct_version_alias: str | None,
        creation_datetime: str | None,
        keep_invalid_records: bool,
        fail_on: str | None,
        write_report: bool,
        quiet: bool,
        jobs: int | None,
    ) -> int:
        """Map a study's raw files to SDTM and write datasets plus findings.

        STUDY_DIR defaults to the bundled sample study sample_data/cart-psca-001.
        """
        from rich.console import Console

        from sdtm.cli.progress import StageProgress
        from sdtm.pipeline import fails, run_study
        from sdtm.workers import default_jobs

        stderr = Console(stderr=True)
        # --ct is the old name of --ct-version, kept hidden so existing scripts still work.
        ct_version = ct_version or ct_version_alias
        # Same policy as `sdtm export`: the option, else SOURCE_DATE_EPOCH; then the study's
        # own setting (run_study), and the clock only when nothing fixes the stamp.
        moment = creation_datetime_from(creation_datetime, os.environ.get("SOURCE_DATE_EPOCH"))
        from sdtm.mapping.status import DRAFT, spec_status

        study = (study_dir or DEFAULT_STUDY_DIR).resolve().name
        spec_dir = mapping_dir or DEFAULT_MAPPINGS_DIR / study
        if spec_status(spec_dir) == DRAFT:
            stderr.print(
                f"[bold yellow]warning:[/] {spec_dir} is a DRAFT spec (study.yaml status: draft, "
                "from sdtm propose): its steps are not reviewed; review them with "
                f"`sdtm spec review {spec_dir} --out review.xlsx` [MP0030 spec-not-reviewed]",
                highlight=False,
            )
        with StageProgress(stderr, "sdtm run", enabled=not quiet) as progress:
            result = run_study(
                study_dir,
                mapping_dir,
                out_dir,
                specs_dir=specs_dir,
                ct_version=ct_version,
                creation_datetime=moment,
                keep_invalid_records=keep_invalid_records,
                progress=progress,
                jobs=jobs or default_jobs(),
            )
        progress.print_throughput(
            int(result.counts["rows_in"].sum()), sum(len(f) for f in result.frames.values())
        )
        if result.creation_source == "clock":
            stderr.print(
                "note: no --creation-datetime, SOURCE_DATE_EPOCH or study.yaml creation_datetime/"
                "data_cutoff; the clock is stamped into the files, so a rerun will not be "
                "byte-identical",
                highlight=False,
            )
        render_summary(result, Console(highlight=False))
        if write_report and result.out_dir is not None:
            from sdtm import __version__
            from sdtm.cli.report import print_review_summary
            from sdtm.review import write_review

            with stderr.status("sdtm report"):
                review = write_review(
                    result.out_dir,
                    mapping_dir=mapping_dir or DEFAULT_MAPPINGS_DIR / result.study,
                    specs_dir=specs_dir,
                    tool_version=__version__,
                )
            print_review_summary(review, stderr)
        return 1 if fails(result.findings, fail_on) else 0
