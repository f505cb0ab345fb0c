"""CLI command ``sdtm ct import``: rebuild ``specs/ct/<date>/`` from an NCI EVS CT export."""

from __future__ import annotations

from pathlib import Path

import click


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
