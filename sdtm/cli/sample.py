"""CLI command module `sample` (registered by ``sdtm.cli.build_app``)."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import DEFAULT_SEED, DEFAULT_SUBJECTS


@click.command("sample")
@click.option("--subjects", "n_subjects", type=click.IntRange(min=1), default=DEFAULT_SUBJECTS,
              show_default=True, help="Number of subjects to generate.")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True,
              help="Random seed; the same seed and size give byte-identical files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Study folder to write (edc/, lab/, bioanalytical/).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
def sample_command(n_subjects: int, seed: int, out_dir: Path, quiet: bool) -> int:
    """Write the synthetic CART-PSCA-001 raw files (EDC, central labs, cellular kinetics)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from sdtm.sample.generate import write_sample

    stderr = Console(stderr=True, quiet=quiet)
    columns = (TextColumn("[bold]sample"), BarColumn(), MofNCompleteColumn(), TextColumn(
        "subjects"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=stderr, transient=False) as progress:
        task = progress.add_task("subjects", total=n_subjects)
        summary = write_sample(out_dir, n_subjects, seed,
                               on_progress=lambda done: progress.update(task, completed=done))
    for path, count in summary.row_counts.items():
        click.echo(f"{path}\t{count}")
    stderr.print(f"wrote {len(summary.row_counts)} files for {n_subjects} subjects "
                 f"(seed {seed}) to {out_dir}", highlight=False)  # fmt: skip
    return 0


def register(app: click.Group) -> None:
    """Add this module's commands to ``app``."""
    app.add_command(sample_command)
