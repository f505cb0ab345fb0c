"""CLI command ``sdtm propose``: draft a mapping spec from a raw study folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.cli.defaults import REVIEW_THRESHOLD
from sdtm.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from sdtm.authoring.propose import Proposal


def render_proposal(proposal: Proposal, console: Console, threshold: float) -> None:
    """Print where each raw file went and, per dataset, how many steps need a reviewer."""
    from rich.table import Table

    files = Table(title="Raw files", title_justify="left")
    for column in ("file", "dataset", "role", "evidence"):
        files.add_column(column)
    for decision in proposal.decisions:
        files.add_row(
            decision.file,
            decision.domain or "-",
            decision.role,
            "; ".join(decision.reasons),
        )
    console.print(files)
    datasets = Table(title=f"Draft steps (review threshold {threshold:g})", title_justify="left")
    for column in ("dataset", "files", "steps", "below threshold", "TODO"):
        datasets.add_column(column, justify="left" if column in ("dataset", "files") else "right")
    for name, mapping in proposal.spec.domains.items():
        steps = [s for b in mapping.blocks for s in b.steps]
        low = [s for s in steps if s.confidence is not None and s.confidence < threshold]
        todo = [s for s in steps if s.reason and s.reason.startswith("TODO")]
        datasets.add_row(
            name,
            ", ".join(b.file for b in mapping.blocks),
            str(len(steps)),
            str(len(low)),
            str(len(todo)),
        )
    console.print(datasets)


def register(app: click.Group) -> None:
    """Add ``sdtm propose`` to ``app``."""
    @app.command("propose")
    @click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False))
    @click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Mapping folder to write (default: mappings/<study folder name>).",
    )
    @click.option("--force", is_flag=True, help="Replace the YAML files of an existing folder.")
    @click.option(
        "--threshold",
        default=REVIEW_THRESHOLD,
        show_default=True,
        help="Confidence below which a step is counted as needing review.",
    )
    @click.option("--specs", "specs_dir", type=click.Path(path_type=Path), help="Standards folder.")
    @click.option(
        "--ct-version", "ct_version", default=None, help="CT package date (default: newest)."
    )
    def propose_command(
        study_dir: Path,
        out_dir: Path | None,
        force: bool,
        threshold: float,
        specs_dir: Path | None,
        ct_version: str | None,
    ) -> int:
        """Draft a mapping spec for the raw files of STUDY_DIR (deterministic, no model).

        Writes study.yaml (status: draft), synonyms.yaml and one <dataset>.yaml per dataset,
        each step with a confidence and a rationale, plus <study>-spec.xlsx (the reviewer's
        workbook). Columns no step reads are listed as not_submitted candidates with a TODO
        reason. Review with `sdtm spec review`; until then `sdtm run` warns that the spec is a
        draft. Exit 0; 2 when the folder cannot be read or the output folder holds a spec
        (use --force).
        """
        from rich.console import Console

        from sdtm.authoring.names import load_raw_names
        from sdtm.authoring.propose import propose_spec
        from sdtm.config import default_specs_dir
        from sdtm.mapping.check import check_spec
        from sdtm.mapping.load_excel import write_excel_spec
        from sdtm.mapping.problems import raise_if_problems
        from sdtm.mapping.write_yaml import write_yaml_spec
        from sdtm.standards import load_standards

        if not study_dir.is_dir():
            raise InputError(f"study folder not found: {study_dir}")
        study = study_dir.resolve().name
        out_dir = out_dir or Path("mappings") / study
        if out_dir.is_dir() and any(out_dir.glob("*.yaml")) and not force:
            raise InputError(
                f"{out_dir} already holds a mapping spec; choose another --out or add --force "
                "to replace its YAML files"
            )
        specs = specs_dir or default_specs_dir()
        standards = load_standards(specs, ct_version)
        stderr = Console(stderr=True)
        with stderr.status(f"sdtm propose: profiling {study_dir}"):
            proposal = propose_spec(study_dir, standards, load_raw_names(specs), study=out_dir.name)
        # The draft must load and check like any spec, so that `sdtm run` takes it unchanged.
        raise_if_problems(check_spec(proposal.spec, standards))
        written = write_yaml_spec(proposal.spec, out_dir)
        workbook = out_dir / f"{out_dir.name}-spec.xlsx"
        write_excel_spec(proposal.spec, workbook)
        console = Console(highlight=False, width=max(Console().width, 140))
        render_proposal(proposal, console, threshold)
        stderr.print(
            f"wrote {len(written)} YAML files and {workbook.name} to {out_dir} (status: draft); "
            f"next: sdtm spec review {out_dir} --out review.xlsx",
            highlight=False,
        )
        return 0
