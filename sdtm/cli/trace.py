"""CLI command ``sdtm trace``: print the raw rows an SDTM record came from."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import DEFAULT_MAPPINGS_DIR, DEFAULT_OUT_DIR, DEFAULT_STUDY_DIR


def register(app: click.Group) -> None:
    """Add ``sdtm trace`` to ``app``."""

    @app.command("trace")
    @click.argument("usubjid")
    @click.argument("domain")
    @click.argument("seq", required=False, type=float)
    @click.option(
        "--study",
        "study_dir",
        type=click.Path(path_type=Path),
        default=DEFAULT_STUDY_DIR,
        show_default=True,
        help="Study folder the run read.",
    )
    @click.option(
        "--mapping",
        "mapping_dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Mapping spec of the run, for how each raw file was read (sheets, delimiters, "
        "banner lines); default mappings/<study folder name> when it exists.",
    )
    @click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        help="Output folder of the run (default: out/<study folder name>).",
    )
    def trace_command(
        usubjid: str,
        domain: str,
        seq: float | None,
        study_dir: Path,
        mapping_dir: Path | None,
        out_dir: Path | None,
    ) -> int:
        """Print the raw rows behind the record USUBJID DOMAIN SEQ (SEQ omitted for DM).

        Exit code 2 when no record matches (1 is reserved for findings, which trace never
        reports).
        """
        from rich.console import Console

        from sdtm.mapping.lineage import read_lineage, trace_record
        from sdtm.mapping.load_yaml import read_yaml_spec

        name = study_dir.resolve().name
        out_dir = out_dir or DEFAULT_OUT_DIR / name
        mapping_dir = mapping_dir or DEFAULT_MAPPINGS_DIR / name
        plan = read_yaml_spec(mapping_dir).spec.read_plan if mapping_dir.is_dir() else None
        traced = trace_record(read_lineage(out_dir), study_dir, usubjid, domain, seq, plan)
        console = Console(highlight=False)
        label = f"{usubjid} {domain.upper()}" + ("" if seq is None else f" {seq:g}")
        if not traced:
            Console(stderr=True, highlight=False).print(
                f"error: no {label} record in {out_dir}/lineage.csv; check USUBJID, DOMAIN and "
                "SEQ against the datasets of that run"
            )
            return 2
        console.print(f"{label} <- {len(traced)} raw row(s)")
        for row in traced:
            console.print(f"{row.source_file}:{row.source_row}")
            for column, value in row.values.items():
                if value != "":
                    console.print(f"    {column} = {value}")
        return 0
