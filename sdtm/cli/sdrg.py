"""CLI command ``sdtm sdrg``: the conformance sections of a Study Data Reviewer's Guide."""

from __future__ import annotations

from pathlib import Path

import click

from sdtm.cli.defaults import SEVERITIES
from sdtm.errors import InputError


def register(app: click.Group) -> None:
    """Add ``sdtm sdrg`` to ``app``."""
    @app.command("sdrg")
    @click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["md", "docx"]),
        default="md",
        show_default=True,
        help="Markdown (printed, or written with --output) or Word (needs --output).",
    )
    @click.option(
        "--output", "output", type=click.Path(path_type=Path, dir_okay=False), help="File."
    )
    @click.option(
        "--waivers",
        "waivers_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="waivers.yaml with the reasons (default: mappings/<OUT_DIR name>/waivers.yaml).",
    )
    @click.option(
        "--min-severity",
        type=click.Choice(list(SEVERITIES)),
        default="notice",
        show_default=True,
        help="Leave findings below this severity out of the Issues Summary.",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    def sdrg_command(
        out_dir: Path,
        output_format: str,
        output: Path | None,
        waivers_file: Path | None,
        min_severity: str,
        specs_dir: Path | None,
    ) -> int:
        """Draft the conformance sections of the SDRG for the package a run wrote to OUT_DIR.

        PHUSE template order: standards inventory (SDTMIG, CT, Define-XML, tool versions), data
        flow (counts.csv), conformance inputs, Issues Summary (every rule with findings left,
        its count, and the waiver reason or "to be explained") and per-rule details. A DRAFT
        banner stays until every finding is explained. Exit 0; 2 when OUT_DIR has no
        findings.json.
        """
        from rich.console import Console

        from sdtm.config import default_specs_dir
        from sdtm.export.sdrg import build_reviewers_guide, render_markdown, write_docx
        from sdtm.pipeline import DEFAULT_MAPPINGS_DIR
        from sdtm.validate.registry import load_rules
        from sdtm.validate.waivers import load_waivers

        if not (out_dir / "findings.json").is_file():
            raise InputError(f"{out_dir} has no findings.json: run `sdtm run` first")
        if output_format == "docx" and output is None:
            raise InputError("--format docx needs --output FILE.docx")
        default = DEFAULT_MAPPINGS_DIR / out_dir.resolve().name / "waivers.yaml"
        source = waivers_file or (default if default.is_file() else None)
        waivers = load_waivers(source) if source is not None else ()
        rules = load_rules((specs_dir or default_specs_dir()) / "rules")
        guide = build_reviewers_guide(
            out_dir,
            waivers=waivers,
            waivers_source=None if source is None else source.as_posix(),
            rules=rules,
            min_severity=min_severity,
        )
        stderr = Console(stderr=True)
        if output_format == "docx":
            assert output is not None
            write_docx(guide, output)
        elif output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(render_markdown(guide), encoding="utf-8")
        else:
            click.echo(render_markdown(guide), nl=False)
        if output is not None:
            stderr.print(f"wrote {output}", highlight=False)
        if guide.draft:
            stderr.print("DRAFT: some findings are not explained yet", highlight=False)
        return 0
