"""CLI command ``sdtm validate PATH``: check SDTM .xpt datasets against SDTMIG 3.4 and CDISC CT."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.cli.defaults import JOBS_HELP, SEVERITIES

if TYPE_CHECKING:
    from rich.console import Console

    from sdtm.findings import FindingsTable, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1

_SHOWN_GROUPS = 500
"""Most finding groups the text table shows."""

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "notice": "cyan"}


def render_findings(findings: FindingsTable, console: Console, *, fail_on: Severity) -> None:
    """Print findings grouped by rule, dataset and variable, with counts and one example each."""
    from rich.table import Table

    from sdtm.findings import Severity, summarise

    frame = findings.frame
    if frame.empty:
        console.print("No findings.")
        return
    frame["variable"] = frame["variable"].fillna("")
    frame["rank"] = frame["severity"].map(lambda level: -Severity(level).rank)
    grouped = (
        frame.groupby(["rank", "severity", "rule_id", "dataset", "variable"], sort=True)
        .agg(
            count=("rule_id", "size"),
            following=("caused_by", "count"),
            example=("message", "first"),
        )
        .reset_index()
    )
    table = Table(title="Findings (grouped; --format json for every record)", title_justify="left")
    for column in ("severity", "rule", "dataset", "variable", "count", "following", "example"):
        table.add_column(column, justify="right" if column in ("count", "following") else "left")
    for row in grouped.head(_SHOWN_GROUPS).itertuples(index=False):
        table.add_row(
            f"[{_SEVERITY_STYLE[row.severity]}]{row.severity}[/]",
            row.rule_id,
            str(row.dataset),
            row.variable,
            str(row.count),
            str(row.following or ""),
            row.example,
        )
    console.print(table)
    if len(grouped) > _SHOWN_GROUPS:
        # A table of tens of thousands of rows takes minutes to lay out and nobody reads it.
        console.print(
            f"... {len(grouped) - _SHOWN_GROUPS} more groups not shown (--format json or csv "
            "--output FILE lists every finding)"
        )
    counts = findings.count_by_severity()
    summary = summarise(findings)
    console.print(
        "Findings: "
        + ", ".join(f"{count} {level}" for level, count in counts.items())
        + f"; {summary['causes']} cause(s), {summary['records']} record(s)"
        + f" (fail-on {fail_on.value}; 'following' findings name their cause in caused_by)"
    )


RUN_RECORD = "run.json"
"""``sdtm.export.package.RUN_FILE``: the record an ``sdtm run`` writes into its folder."""


def recorded_waivers(path: Path) -> Path | None:
    """The waivers file an ``sdtm run`` recorded in its output folder ``path``, if any.

    ``run.json`` names it (``"waivers": "waivers.yaml"``) and the run copied it next to the
    datasets; a folder without that record (any other package) has none.
    """
    run = path / RUN_RECORD
    if not path.is_dir() or not run.is_file():
        return None
    try:
        name = json.loads(run.read_text(encoding="utf-8")).get("waivers")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(name, str) or Path(name).name != name:
        return None  # only a file inside the folder, named plainly
    target = path / name
    return target if target.is_file() else None


def register(app: click.Group) -> None:
    """Add ``sdtm validate`` to ``app``."""

    @app.command("validate")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", "csv", "xlsx", "junit"]),
        default="text",
        show_default=True,
        help="text: grouped table on the terminal; json: the findings document; csv, xlsx "
        "(a sheet per severity and a Rules sheet), junit (a test case per rule and dataset).",
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="File for --format json (default: standard output); required for csv, xlsx, junit.",
    )
    @click.option(
        "--waivers",
        "waivers_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Waivers file (mappings/<study>/waivers.yaml): covered findings are kept, "
        "marked waived, and do not count for --fail-on. Default: the waivers an `sdtm run` "
        "recorded in PATH (its run.json and waivers.yaml), if any.",
    )
    @click.option(
        "--select",
        multiple=True,
        help="Run only these cross-dataset rule ids or prefixes (repeatable; a rule that is off "
        "by default runs when named in full, e.g. --select XR0009).",
    )
    @click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        default="error",
        show_default=True,
        help="Exit 1 when findings at or above this severity exist.",
    )
    @click.option("--ct-version", default=None, help="CT package date (default: newest).")
    @click.option("--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
    @click.option(
        "--specs",
        "specs_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Standards folder (default: the project's specs/).",
    )
    @click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Text encoding of the .xpt files; values invalid in it are read as cp1252 and "
        "reported (ST0016).",
    )
    def validate_command(
        path: Path,
        output_format: str,
        output: Path | None,
        fail_on: str,
        ct_version: str | None,
        specs_dir: Path | None,
        encoding: str,
        waivers_file: Path | None,
        select: tuple[str, ...],
        jobs: int | None,
    ) -> int:
        """Validate the SDTM datasets (.xpt) in PATH (a folder or one file).

        Exit codes: 0 no findings at or above --fail-on, 1 such findings, 2 usage or input
        error.
        """
        if output_format in ("csv", "xlsx", "junit") and output is None:
            raise click.UsageError(f"--format {output_format} needs --output FILE")
        from rich.console import Console

        from sdtm.findings import Severity
        from sdtm.read.sdtm_package import read_sdtm_package
        from sdtm.standards import load_standards
        from sdtm.validate.package import standards_info, tool_info, validate_package
        from sdtm.validate.registry import build_registry
        from sdtm.validate.waivers import load_waivers
        from sdtm.workers import default_jobs

        standards = load_standards(specs_dir, ct_version)
        registry = build_registry(specs_dir / "rules" if specs_dir else None)
        if waivers_file is None:
            waivers_file = recorded_waivers(path)
            if waivers_file is not None:
                from rich.console import Console as ErrorConsole

                ErrorConsole(stderr=True, highlight=False).print(
                    f"applying the waivers the run recorded: {waivers_file}"
                )
        waivers = load_waivers(waivers_file) if waivers_file is not None else ()
        frames, read_findings = read_sdtm_package(path, encoding=encoding)
        findings = read_findings + validate_package(
            frames,
            standards,
            registry=registry,
            waivers=waivers,
            select=select or None,
            jobs=jobs or default_jobs(),
        )
        level = Severity(fail_on)
        document_args = {"tool": tool_info(), "standards": standards_info(standards)}
        ran = registry.check_rules(select=select or None)
        reported = {rule.id for rule in ran} | set(findings.frame["rule_id"].dropna())
        rules = [registry.rules[i] for i in sorted(reported) if i in registry.rules]
        if output is not None and output_format != "text":
            # Imported here: the export package costs a third of a second to import, and
            # the default text output does not need it.
            from sdtm.export.report import write_report

            write_report(
                findings,
                output_format,
                output,
                rules=rules,
                datasets=sorted(frames),
                fail_on=level,
                **document_args,
            )
            Console(stderr=True).print(f"wrote {len(findings)} findings to {output}")
        elif output_format == "json":
            document = findings.to_json_document(**document_args)
            document["rules"] = [{"id": r.id, "name": r.name} for r in rules]
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            console = Console(width=max(Console().width, 160))
            summary = ", ".join(f"{name} ({len(frame)})" for name, frame in sorted(frames.items()))
            console.print(
                f"SDTMIG {standards.sdtmig_version}, CT {standards.ct_version}; "
                f"datasets: {summary}",
                highlight=False,
            )
            render_findings(findings, console, fail_on=level)
        return EXIT_FINDINGS if len(findings.at_or_above(level)) else EXIT_OK
