"""CLI command ``sdtm profile``: what every raw column of a study folder holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from sdtm.authoring.profile import StudyProfile


def render_profile(profile: StudyProfile, console: Console) -> None:
    """Print one table per file: column, kind, fill rate, distinct values, detail, flags."""
    from rich.table import Table

    from sdtm.authoring.profile_report import describe_column

    for item in profile.files:
        title = f"{item.path}: {item.rows} rows, {item.encoding}"
        if item.subject_column:
            title += f", up to {item.rows_per_subject} row(s) per {item.subject_column}"
        table = Table(title=title, title_justify="left")
        for column in ("column", "kind", "filled", "distinct", "what it holds", "flags"):
            right = column in ("filled", "distinct")
            table.add_column(column, justify="right" if right else "left")
        for column in item.columns:
            table.add_row(
                column.name,
                column.kind,
                f"{column.fill_rate:.0%}",
                str(column.distinct),
                describe_column(column),
                "; ".join(column.flags),
            )
        console.print(table)
        for flag in item.flags:
            console.print(f"[bold]{item.path}[/]: {flag}")


def register(app: click.Group) -> None:
    """Add ``sdtm profile`` to ``app``."""
    @app.command("profile")
    @click.argument("study_dir", type=click.Path(path_type=Path))
    @click.option(
        "--out",
        "out_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Also write the profile here: .json or .xlsx.",
    )
    @click.option(
        "--top", "top_n", default=10, show_default=True, help="Most frequent values kept."
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    @click.option(
        "--ct-version", "ct_version", default=None, help="CT package date (default: newest)."
    )
    def profile_command(
        study_dir: Path,
        out_file: Path | None,
        top_n: int,
        specs_dir: Path | None,
        ct_version: str | None,
    ) -> int:
        """Profile every raw file (CSV, XLSX) under STUDY_DIR, column by column.

        Per column: kind, fill rate, most frequent values, date formats (an ambiguous
        DD/MM vs MM/DD column is flagged, never guessed), numeric range, units, and the CDISC
        codelists the values match (exact / other case / synonym / preferred term, with the
        share of rows). Files that are not UTF-8 are flagged. Exit 0; 2 when the folder or
        the standards cannot be read.
        """
        from rich.console import Console

        from sdtm.authoring.names import load_raw_names
        from sdtm.authoring.profile import profile_study
        from sdtm.authoring.profile_report import write_profile_json, write_profile_xlsx
        from sdtm.config import default_specs_dir
        from sdtm.standards import load_standards
        from sdtm.standards.search import TermIndex

        if out_file is not None and out_file.suffix.lower() not in (".json", ".xlsx"):
            raise InputError(f"--out must end in .json or .xlsx, not {out_file.name!r}")
        specs = specs_dir or default_specs_dir()
        standards = load_standards(specs, ct_version)
        index = TermIndex.build(standards.codelists.values())
        stderr = Console(stderr=True)
        with stderr.status(f"sdtm profile: reading {study_dir}"):
            profile = profile_study(
                study_dir,
                index,
                load_raw_names(specs),
                ct_version=standards.ct_version,
                top_n=top_n,
            )
        render_profile(profile, Console(highlight=False, width=max(Console().width, 160)))
        if out_file is not None:
            if out_file.suffix.lower() == ".json":
                write_profile_json(profile, out_file)
            else:
                write_profile_xlsx(profile, out_file)
            stderr.print(f"wrote {out_file}", highlight=False)
        return 0
