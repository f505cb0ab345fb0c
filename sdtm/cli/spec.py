"""CLI commands ``sdtm spec export-excel`` and ``sdtm spec import-excel``."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import DEFAULT_MAPPINGS_DIR

DEFAULT_STUDY = "cart-psca-001"


def register(app: click.Group) -> None:
    """Add the ``spec`` command group to ``app``."""

    @app.group("spec")
    def spec_group() -> None:
        """Mapping specs: export to / import from a reviewer's Excel workbook."""

    @spec_group.command("export-excel")
    @click.argument(
        "mapping_dir",
        required=False,
        type=click.Path(path_type=Path),
    )
    @click.option(
        "--out",
        "out_file",
        type=click.Path(path_type=Path),
        help="Workbook to write (default: out/<study>/<study>-spec.xlsx).",
    )
    def export_excel(mapping_dir: Path | None, out_file: Path | None) -> int:
        """Write a study's YAML mapping spec as an Excel workbook for review.

        MAPPING_DIR defaults to mappings/cart-psca-001.
        """
        from sdtm.mapping.load_excel import write_excel_spec
        from sdtm.mapping.load_yaml import read_yaml_spec
        from sdtm.mapping.problems import raise_if_problems

        mapping_dir = mapping_dir or DEFAULT_MAPPINGS_DIR / DEFAULT_STUDY
        loaded = read_yaml_spec(mapping_dir)
        raise_if_problems(loaded.problems)
        study = loaded.spec.study
        out_file = out_file or Path("out") / study / f"{study}-spec.xlsx"
        write_excel_spec(loaded.spec, out_file)
        click.echo(f"wrote {out_file} ({len(loaded.spec.domains)} datasets)")
        return 0

    @spec_group.command("import-excel")
    @click.argument("workbook", type=click.Path(path_type=Path, exists=True, dir_okay=False))
    @click.option(
        "--compare",
        "compare_dir",
        type=click.Path(path_type=Path),
        help="YAML mapping folder to compare with; exit 1 when the specs differ.",
    )
    @click.option(
        "--write",
        "write_dir",
        type=click.Path(path_type=Path),
        help="Write the workbook's spec as YAML files into this folder.",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    def import_excel(
        workbook: Path, compare_dir: Path | None, write_dir: Path | None, specs_dir: Path | None
    ) -> int:
        """Read a spec workbook back, check it against the standards, compare or write YAML."""
        from rich.console import Console

        from sdtm.config import default_specs_dir
        from sdtm.mapping.check import check_spec
        from sdtm.mapping.load_excel import read_excel_spec
        from sdtm.mapping.load_yaml import read_yaml_spec
        from sdtm.mapping.problems import raise_if_problems
        from sdtm.mapping.write_yaml import write_yaml_spec
        from sdtm.standards import load_standards

        spec = read_excel_spec(workbook)
        standards = load_standards(specs_dir or default_specs_dir())
        raise_if_problems(check_spec(spec, standards))
        click.echo(
            f"read {workbook}: {len(spec.domains)} datasets, checked against SDTMIG "
            f"{standards.sdtmig_version} / CT {standards.ct_version}"
        )
        status = 0
        if compare_dir is not None:
            other = read_yaml_spec(compare_dir)
            raise_if_problems(other.problems)
            if other.spec == spec:
                click.echo(f"identical to {compare_dir}")
            else:
                Console(stderr=True).print(f"[bold]differs from {compare_dir}[/]")
                status = 1
        if write_dir is not None:
            written = write_yaml_spec(spec, write_dir)
            click.echo(f"wrote {len(written)} YAML files to {write_dir}")
        return status
