"""CLI command ``sdtm report OUT_DIR``: one self-contained HTML review of an SDTM package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sdtm.cli.defaults import DEFAULT_STUDY_DIR

if TYPE_CHECKING:
    from rich.console import Console

    from sdtm.review import ReviewResult

DEFAULT_MAPPINGS_DIR = Path("mappings")


def default_mapping_dir(package_dir: Path) -> Path | None:
    """Return ``mappings/<package folder name>`` when it exists (as ``sdtm run`` names it)."""
    candidate = DEFAULT_MAPPINGS_DIR / package_dir.resolve().name
    return candidate if candidate.is_dir() else None


def print_review_summary(result: ReviewResult, console: Console) -> None:
    """Print where the page went, its size, and the settings used (to ``console``)."""
    for note in result.notes:
        console.print(f"report: {note}", highlight=False, soft_wrap=True)
    # soft_wrap: a path is never broken over two lines.
    console.print(
        f"report: wrote {result.path} ({result.size / 1_000_000:.2f} MB, "
        f"{result.subjects} subject(s), {result.findings} finding(s))",
        highlight=False,
        soft_wrap=True,
    )


def register(app: click.Group) -> None:
    """Add ``sdtm report`` to ``app``."""
    @app.command("report")
    @click.argument("out_dir", type=click.Path(path_type=Path))
    @click.option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="HTML file to write (default: <OUT_DIR>-report.html beside the folder, e.g. "
        f"out/{DEFAULT_STUDY_DIR.name}-report.html; not inside it, where sdtm run would report "
        "it).",
    )
    @click.option(
        "--subject",
        "subjects",
        multiple=True,
        help="Draw only this subject (USUBJID as in DM; repeatable). Default: every subject.",
    )
    @click.option(
        "--mapping",
        "mapping_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Study mapping folder whose review.yaml and waivers.yaml are used (default: "
        "mappings/<OUT_DIR folder name> when it exists).",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Timeline settings file (review.yaml; see docs/report.md).",
    )
    @click.option(
        "--findings",
        "findings_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Findings JSON (sdtm validate --format json) instead of OUT_DIR/findings.json.",
    )
    @click.option(
        "--waivers",
        "waivers_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Waivers file, for the reasons of waived findings.",
    )
    @click.option(
        "--specs",
        "specs_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Standards folder (default: the project's specs/).",
    )
    def report_command(
        out_dir: Path,
        out_file: Path | None,
        subjects: tuple[str, ...],
        mapping_dir: Path | None,
        config_file: Path | None,
        findings_file: Path | None,
        waivers_file: Path | None,
        specs_dir: Path | None,
    ) -> int:
        """Write one self-contained HTML review of the SDTM package in OUT_DIR.

        OUT_DIR holds .xpt (or Dataset-JSON) datasets, and findings.json, counts.csv and
        lineage.csv when sdtm run wrote it. The page works offline: findings to fix, each
        subject's course on a study-day axis, and dataset profiles.
        """
        from rich.console import Console

        from sdtm import __version__
        from sdtm.review import write_review

        stderr = Console(stderr=True)
        if mapping_dir is None:
            mapping_dir = default_mapping_dir(out_dir)
        with stderr.status("sdtm report"):
            result = write_review(
                out_dir,
                out_file,
                mapping_dir=mapping_dir,
                config_file=config_file,
                findings_file=findings_file,
                waivers_file=waivers_file,
                subjects=subjects,
                specs_dir=specs_dir,
                tool_version=__version__,
            )
        print_review_summary(result, stderr)
        return 0
