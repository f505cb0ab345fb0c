"""CLI command module `sample` (registered by ``sdtm.cli.build_app``)."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import (
    DEFAULT_SEED,
    DEFAULT_SUBJECTS,
    SAMPLE_LAYOUTS,
    SECOND_LAYOUT_SEED,
    SECOND_LAYOUT_SUBJECTS,
)


@click.command("sample")
@click.option("--layout", type=click.Choice(SAMPLE_LAYOUTS), default=SAMPLE_LAYOUTS[0],
              show_default=True,
              help=f"Which sample study: {SAMPLE_LAYOUTS[0]} (CSV/XLSX EDC, two central labs, "
              f"CSV kinetics) or {SAMPLE_LAYOUTS[1]} (another sponsor's layout: Rave CSV, "
              "multi-sheet workbook, ODM XML, semicolon Latin-1 lab with LOINC codes, SAS "
              "XPORT kinetics).")  # fmt: skip
@click.option("--subjects", "n_subjects", type=click.IntRange(min=1), default=None,
              help=f"Number of subjects [default: {DEFAULT_SUBJECTS}, {SECOND_LAYOUT_SUBJECTS} "
              f"for {SAMPLE_LAYOUTS[1]}].")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help=f"Random seed; the same seed and size give byte-identical files [default: "
              f"{DEFAULT_SEED}, {SECOND_LAYOUT_SEED} for {SAMPLE_LAYOUTS[1]}].")  # fmt: skip
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Study folder to write (edc/, lab/, bioanalytical/).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
def sample_command(
    layout: str, n_subjects: int | None, seed: int | None, out_dir: Path, quiet: bool
) -> int:
    """Write the raw files of a synthetic CAR-T sample study (EDC, central labs, kinetics)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    stderr = Console(stderr=True, quiet=quiet)
    if layout == SAMPLE_LAYOUTS[1]:
        from sdtm.sample.cd19 import write_cd19_sample

        n_subjects = n_subjects or SECOND_LAYOUT_SUBJECTS
        seed = SECOND_LAYOUT_SEED if seed is None else seed
        counts = write_cd19_sample(out_dir, n_subjects, seed)
    else:
        from sdtm.sample.generate import write_sample

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
