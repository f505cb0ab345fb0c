"""CLI command ``sdtm derivations``: the derivation plan, and the table in docs/derive.md."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.errors import InputError


def _page(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from error


@click.command("derivations")
@click.option(
    "--write-docs",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rewrite the plan table between the <!-- plan-table --> markers of this page "
    "(docs/derive.md).",
)
@click.option(
    "--check-docs",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Exit 1 when the plan table of this page is not what --write-docs would write.",
)
def derivations_command(write_docs: Path | None, check_docs: Path | None) -> int:
    """List the derivation plan: every derivation of a run, in the order it runs."""
    from rich.console import Console
    from rich.table import Table

    from sdtm.derive.plan import DERIVATION_PLAN, EACH, with_plan_table

    console = Console()
    for path in (write_docs, check_docs):
        if path is None:
            continue
        page = _page(path)
        try:
            wanted = with_plan_table(page)
        except ValueError as error:
            raise InputError(f"{path}: {error}") from error
        if path == check_docs:
            if wanted != page:
                console.print(f"out of date: {path} (run sdtm derivations --write-docs {path})")
                return 1
            console.print(f"up to date: {path}")
            return 0
        path.write_text(wanted, encoding="utf-8")
        console.print(f"wrote the plan table of {len(DERIVATION_PLAN)} rows to {path}")
        return 0
    table = Table(title="Derivation plan (sdtm/derive/plan.py)")
    for column in ("#", "pass", "dataset", "derivation", "writes"):
        table.add_column(column)
    for number, row in enumerate(DERIVATION_PLAN, start=1):
        where = "each" if row.datasets == (EACH,) else ", ".join(row.datasets)
        table.add_row(str(number), row.pass_over, where, row.function, ", ".join(row.outputs))
    console.print(table)
    return 0


def register(app: click.Group) -> None:
    """Add ``derivations`` to the ``sdtm`` command group."""
    app.add_command(derivations_command)
