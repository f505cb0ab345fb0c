"""CLI command ``sdtm explain VAR``: SDTMIG metadata of a variable and the steps that fill it."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import DEFAULT_STUDY_DIR
from sdtm.errors import InputError

DEFAULT_STUDY = DEFAULT_STUDY_DIR.name
"""The bundled sample study's folder name: the default spec folder."""
MAX_TERMS = 12


def register(app: click.Group) -> None:
    """Add ``sdtm explain`` to ``app``."""
    @app.command("explain")
    @click.argument("variable")
    @click.option(
        "--mapping",
        "mapping_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help=f"Mapping spec to look in (default: mappings/{DEFAULT_STUDY} when it exists).",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    @click.option(
        "--ct-version", "ct_version", default=None, help="CT package date (default: newest)."
    )
    def explain_command(
        variable: str, mapping_dir: Path | None, specs_dir: Path | None, ct_version: str | None
    ) -> int:
        """Explain VARIABLE: SDTMIG metadata and the steps of the spec that fill it.

        VARIABLE is AESEV, AE.AESEV, or --SEV for every dataset (write `sdtm explain -- --SEV`).
        Prints label, type, role, core, codelist (extensible or not, its terms), definition,
        and each step of the mapping spec that fills it, with file:line. Exit 2 when no
        dataset of the standards has the variable.
        """
        from rich.console import Console

        from sdtm.authoring.explain import describe_step, explain_variable
        from sdtm.authoring.names import load_raw_names
        from sdtm.config import default_specs_dir
        from sdtm.mapping.load_yaml import read_yaml_spec
        from sdtm.pipeline import DEFAULT_MAPPINGS_DIR
        from sdtm.standards import load_standards

        specs = specs_dir or default_specs_dir()
        standards = load_standards(specs, ct_version)
        default = DEFAULT_MAPPINGS_DIR / DEFAULT_STUDY
        folder = mapping_dir or (default if default.is_dir() else None)
        spec = None
        if folder is not None:
            loaded = read_yaml_spec(folder)
            spec = loaded.spec
        found = explain_variable(standards, variable, spec=spec, names=load_raw_names(specs))
        if not found:
            raise InputError(
                f"no SDTMIG {standards.sdtmig_version} dataset has a variable {variable!r} "
                "(give AESEV, AE.AESEV or --SEV)"
            )
        console = Console(highlight=False)
        for item in found:
            v = item.variable
            console.print(
                f"[bold]{item.domain.name}.{v.name}[/] - {v.label} (SDTMIG "
                f"{standards.sdtmig_version}, {item.domain.label})"
            )
            console.print(f"  type {v.data_type}, role {v.role}, core {v.core}")
            if v.model_variable:
                console.print(f"  study addition of the SDTM model variable {v.model_variable}")
            for codelist in item.codelists:
                terms = [t.submission_value for t in codelist.terms]
                shown = ", ".join(terms[:MAX_TERMS]) + (" ..." if len(terms) > MAX_TERMS else "")
                console.print(
                    f"  codelist {codelist.short_name} ({codelist.code}, "
                    f"{'extensible' if codelist.extensible else 'not extensible'}, CT "
                    f"{standards.ct_version}): {shown}"
                )
            for code in item.missing_codelists:
                console.print(f"  codelist {code}: not in CT package {standards.ct_version}")
            if v.described_value_domain:
                console.print(f"  value domain: {v.described_value_domain}")
            if v.notes:
                console.print(f"  definition: {v.notes}")
            if spec is None:
                console.print("  our spec: no mapping folder given")
            elif item.steps:
                console.print(f"  our spec ({folder}):")
                for filled in item.steps:
                    console.print(
                        f"    {filled.step.location}  {filled.block.file}: "
                        f"{describe_step(filled.step)}"
                    )
            elif item.derived:
                console.print(f"  our spec ({folder}): derived after mapping (docs/derive.md)")
            else:
                console.print(f"  our spec ({folder}): no step fills it")
        return 0
