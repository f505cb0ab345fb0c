"""CLI commands ``sdtm rules`` (list, write docs) and ``sdtm rule ID`` (show one rule)."""

from __future__ import annotations

from pathlib import Path

import click


def _rules_dir(specs: Path | None) -> Path:
    if specs is not None:
        return specs / "rules"
    from sdtm.validate.registry import default_rules_dir

    return default_rules_dir()


_SPECS_OPTION = click.option(
    "--specs",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Standards folder holding rules/ (default: the project's specs/).",
)


@click.command("rules")
@_SPECS_OPTION
@click.option(
    "--write-docs",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write docs/rules/ (one page per rule and an index) from the rule YAML.",
)
@click.option(
    "--check-docs",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Exit 1 when the pages in this folder are not what --write-docs would write.",
)
def rules_command(specs: Path | None, write_docs: Path | None, check_docs: Path | None) -> int:
    """List every conformance rule (id, name, severity, stage)."""
    from rich.console import Console
    from rich.table import Table

    from sdtm.validate.registry import load_rules, stale_rule_docs, write_rule_docs

    rules = load_rules(_rules_dir(specs))
    console = Console()
    if write_docs is not None:
        written = write_rule_docs(rules, write_docs)
        console.print(f"wrote {len(written)} page(s) to {write_docs}", highlight=False)
        return 0
    if check_docs is not None:
        stale = stale_rule_docs(rules, check_docs)
        for name in stale:
            console.print(f"out of date: {check_docs / name}", highlight=False)
        return 1 if stale else 0
    table = Table("id", "severity", "stage", "default")
    # Names wrap rather than being cut with an ellipsis on narrow terminals.
    table.add_column("name", overflow="fold")
    for rule in rules.values():
        table.add_row(
            rule.id,
            rule.severity.value,
            rule.stage.value,
            "on" if rule.default_enabled else "off",
            rule.name,
        )
    console.print(table)
    return 0


@click.command("rule")
@_SPECS_OPTION
@click.argument("rule_id")
def rule_command(specs: Path | None, rule_id: str) -> int:
    """Show one rule: what it checks, its message, how to fix it and its references."""
    from sdtm.validate.registry import load_rules, render_rule_doc

    rules = load_rules(_rules_dir(specs))
    from sdtm.errors import SpecError

    rule = rules.get(rule_id.upper())
    if rule is None:
        raise SpecError(f"unknown rule id {rule_id!r} (see `sdtm rules`)")
    click.echo(render_rule_doc(rule), nl=False)
    return 0


def register(app: click.Group) -> None:
    """Add ``rules`` and ``rule`` to ``app``."""
    app.add_command(rules_command)
    app.add_command(rule_command)
