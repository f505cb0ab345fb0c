"""CLI commands ``sdtm ct import`` and ``sdtm ct search``.

``import`` rebuilds ``specs/ct/<date>/`` from an NCI EVS CT export; ``search`` finds terms by
submission value, synonym, preferred term or C-code.
"""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.errors import InputError


def register(app: click.Group) -> None:
    """Add the ``sdtm ct`` command group to ``app``."""

    @app.group("ct")
    def ct_group() -> None:
        """CDISC Controlled Terminology packages."""

    @ct_group.command("import")
    @click.argument("export", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--date", "package_date", required=True, help="CT package date, YYYY-MM-DD.")
    @click.option(
        "--specs",
        "specs_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Standards folder to write ct/<date>/ into (default: the project's specs/).",
    )
    def import_command(export: Path, package_date: str, specs_dir: Path | None) -> int:
        """Import EXPORT (NCI EVS 'SDTM Terminology' .txt or .xlsx) as specs/ct/<date>/.

        Only the codelists the SDTMIG specs refer to, plus the project's extra list, are
        written; rerunning on the same export gives the same files.
        """
        from rich.console import Console

        from sdtm.config import default_specs_dir
        from sdtm.standards.ct_import import write_ct_package

        result = write_ct_package(export, package_date, specs_dir or default_specs_dir())
        console = Console(stderr=True)
        console.print(
            f"wrote {result.codelist_count} codelists ({result.term_count} terms) to "
            f"{result.package_dir}",
            highlight=False,
        )
        for missing in result.missing:
            console.print(f"warning: codelist {missing} is not in the export", highlight=False)
        return 0

    @ct_group.command("search")
    @click.argument("text")
    @click.option(
        "--codelist",
        "codelist",
        default=None,
        help="Only this codelist (C-code, short name such as NY, or name); with an empty TEXT "
        "(\"\") every term of it is listed.",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    @click.option(
        "--ct-version", "ct_version", default=None, help="CT package date (default: newest)."
    )
    @click.option("--limit", default=50, show_default=True, help="Print at most this many terms.")
    def search_command(
        text: str, codelist: str | None, specs_dir: Path | None, ct_version: str | None, limit: int
    ) -> int:
        """Find CT terms whose submission value, synonym, preferred term or C-code holds TEXT.

        Prints codelist (C-code, extensible or not), term C-code, submission value, CDISC
        synonyms and what matched; whole-word matches come first. Exit 0 (also when nothing
        matches, which is said on stderr); 2 for an unknown --codelist.
        """
        from rich.console import Console
        from rich.table import Table

        from sdtm.config import default_specs_dir
        from sdtm.standards import load_standards
        from sdtm.standards.search import resolve_codelists, search_ct

        standards = load_standards(specs_dir or default_specs_dir(), ct_version)
        if codelist is not None and not resolve_codelists(standards, codelist):
            raise InputError(
                f"codelist {codelist!r} is not in CT package {standards.ct_version} "
                "(give a C-code, a short name such as NY, or a codelist name)"
            )
        hits = search_ct(standards, text, codelist=codelist)
        stderr = Console(stderr=True)
        if not hits:
            stderr.print(
                f"no term of CT {standards.ct_version} matches {text!r}", highlight=False
            )
            return 0
        table = Table(
            title=f"CDISC SDTM CT {standards.ct_version}: {len(hits)} term(s) for {text!r}",
            title_justify="left",
        )
        for column in ("codelist", "extensible", "term", "submission value", "synonyms", "matched"):
            table.add_column(column)
        for hit in hits[:limit]:
            table.add_row(
                f"{hit.codelist.short_name} ({hit.codelist.code})",
                "yes" if hit.codelist.extensible else "no",
                hit.term.code,
                hit.term.submission_value,
                "; ".join(hit.term.synonyms),
                "listed" if not text else hit.matched + ("" if hit.exact else " (part)"),
            )
        Console(highlight=False, width=max(Console().width, 120)).print(table)
        if len(hits) > limit:
            stderr.print(f"{len(hits) - limit} more; use --limit or --codelist", highlight=False)
        return 0
