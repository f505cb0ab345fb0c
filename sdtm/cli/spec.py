"""CLI commands ``sdtm spec export-excel``, ``sdtm spec import-excel`` and ``sdtm spec review``."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import DEFAULT_MAPPINGS_DIR, DEFAULT_STUDY_DIR, REVIEW_THRESHOLD
from sdtm.errors import InputError

DEFAULT_STUDY = DEFAULT_STUDY_DIR.name
"""The bundled sample study's folder name: the default spec folder."""


def register(app: click.Group) -> None:
    """Add the ``spec`` command group to ``app``."""

    @app.group("spec")
    def spec_group() -> None:
        """Mapping specs: reviewer's Excel workbook (export, import) and the review queue."""

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
    @click.option(
        "--formula-values",
        is_flag=True,
        help="Use the values Excel saved for formula cells instead of refusing those cells.",
    )
    def import_excel(
        workbook: Path,
        compare_dir: Path | None,
        write_dir: Path | None,
        specs_dir: Path | None,
        formula_values: bool,
    ) -> int:
        """Read a spec workbook back, check it against the standards, compare or write YAML.

        Cells holding formulas are refused with their references (Sheet!A1) unless
        --formula-values is given.
        """
        from rich.console import Console

        from sdtm.config import default_specs_dir
        from sdtm.mapping.check import check_spec
        from sdtm.mapping.load_excel import read_excel_spec
        from sdtm.mapping.load_yaml import read_yaml_spec
        from sdtm.mapping.problems import raise_if_problems
        from sdtm.mapping.write_yaml import write_yaml_spec
        from sdtm.standards import load_standards

        spec = read_excel_spec(workbook, formula_values=formula_values)
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

    @spec_group.command("review")
    @click.argument("mapping_dir", type=click.Path(path_type=Path, file_okay=False))
    @click.option(
        "--out",
        "out_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Write the review workbook (steps below the threshold) here.",
    )
    @click.option(
        "--apply",
        "apply_file",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="Apply the decisions of this review workbook to the YAML spec.",
    )
    @click.option(
        "--threshold",
        default=REVIEW_THRESHOLD,
        show_default=True,
        help="Steps with a confidence below this are reviewed.",
    )
    @click.option("--reviewer", default=None, help="Name recorded with every decision.")
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    def review_command(
        mapping_dir: Path,
        out_file: Path | None,
        apply_file: Path | None,
        threshold: float,
        reviewer: str | None,
        specs_dir: Path | None,
    ) -> int:
        """Review the uncertain steps of the spec in MAPPING_DIR (e.g. a `sdtm propose` draft).

        --out writes a workbook with one row per step whose confidence is below the threshold
        (file:line, cells, rationale); write approve, change or reject in its Decision column.
        --apply checks every decision and, when all are sound, rewrites the YAML of the datasets
        that changed; with nothing left undecided the draft becomes status: reviewed. Problems
        are listed with workbook:sheet:row or the spec's file:line (exit 2, nothing written).
        """
        from sdtm.authoring.review import apply_review, write_review_workbook
        from sdtm.config import default_specs_dir
        from sdtm.mapping.load_yaml import read_yaml_spec
        from sdtm.mapping.problems import raise_if_problems
        from sdtm.standards import load_standards

        if (out_file is None) == (apply_file is None):
            raise InputError("give exactly one of --out (write the queue) or --apply WORKBOOK")
        if out_file is not None:
            loaded = read_yaml_spec(mapping_dir)
            raise_if_problems(loaded.problems)
            count = write_review_workbook(loaded.spec, out_file, threshold)
            click.echo(
                f"wrote {out_file}: {count} step(s) with a confidence below {threshold:g} "
                f"(spec status: {loaded.spec.status or 'not a draft'})"
            )
            return 0
        assert apply_file is not None
        standards = load_standards(specs_dir or default_specs_dir())
        outcome = apply_review(
            mapping_dir, apply_file, standards, reviewer=reviewer, threshold=threshold
        )
        click.echo(
            f"applied {apply_file.name}: {outcome.approved} approved, {outcome.changed} changed, "
            f"{outcome.rejected} rejected; {outcome.pending} step(s) below {threshold:g} still "
            f"undecided; status: {outcome.status or 'not a draft'}"
        )
        for path in outcome.written:
            click.echo(f"wrote {path}")
        return 0
