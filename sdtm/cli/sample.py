"""CLI command module `sample` (registered by ``sdtm.cli.build_app``)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sdtm.sample import cd19
from sdtm.sample.generate import DEFAULT_SEED, DEFAULT_SUBJECTS, write_sample
from sdtm.sample.layout import LAYOUT as FIRST_LAYOUT

LAYOUTS = (FIRST_LAYOUT, cd19.LAYOUT)
"""Sample layouts: the first study's, and a second sponsor's deliberately different one."""


@click.command("sample")
@click.option("--layout", type=click.Choice(LAYOUTS), default=LAYOUTS[0], show_default=True,
              help=f"Which sample study: {FIRST_LAYOUT} (CSV/XLSX EDC, two central labs, CSV "
              f"kinetics) or {cd19.LAYOUT} (Rave CSV, multi-sheet workbook, ODM XML, "
              "semicolon Latin-1 lab with LOINC codes, SAS XPORT kinetics).")
@click.option("--subjects", "n_subjects", type=click.IntRange(min=1), default=None,
              help=f"Number of subjects [default: {DEFAULT_SUBJECTS} for {FIRST_LAYOUT}, "
              f"{cd19.DEFAULT_SUBJECTS} for {cd19.LAYOUT}].")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help=f"Random seed; the same seed and size give byte-identical files [default: "
              f"{DEFAULT_SEED}, {cd19.DEFAULT_SEED} for {cd19.LAYOUT}].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Study folder to write (edc/, lab/, bioanalytical/).")
def sample_command(layout: str, n_subjects: int | None, seed: int | None, out_dir: Path) -> int:
    """Write the raw files of a synthetic CAR-T sample study (EDC, central labs, kinetics)."""
    stderr = Console(stderr=True)
    if layout == cd19.LAYOUT:
        n_subjects = n_subjects or cd19.DEFAULT_SUBJECTS
        seed = cd19.DEFAULT_SEED if seed is None else seed
        counts = cd19.write_cd19_sample(out_dir, n_subjects, seed)
    else:
        n_subjects = n_subjects or DEFAULT_SUBJECTS
        seed = DEFAULT_SEED if seed is None else seed
        columns = (TextColumn("[bold]sample"), BarColumn(), MofNCompleteColumn(), TextColumn(
            "subjects"), TimeElapsedColumn())  # fmt: skip
        with Progress(*columns, console=stderr, transient=False) as progress:
            task = progress.add_task("subjects", total=n_subjects)
            summary = write_sample(out_dir, n_subjects, seed,
                                   on_progress=lambda done: progress.update(task, completed=done))
        counts = dict(summary.row_counts)
    for path, count in counts.items():
        click.echo(f"{path}\t{count}")
    stderr.print(f"wrote {len(counts)} tables for {n_subjects} subjects (layout {layout}, "
                 f"seed {seed}) to {out_dir}", highlight=False)  # fmt: skip
    return 0


def register(app: click.Group) -> None:
    """Add this module's commands to ``app``."""
    app.add_command(sample_command)
