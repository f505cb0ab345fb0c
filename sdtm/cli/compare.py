"""CLI command ``sdtm compare BASE COMPARE``: double-programming QC of two SDTM packages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sdtm.cli.defaults import COMPARE_FORMATS
from sdtm.errors import InputError

EXIT_IDENTICAL = 0
EXIT_DIFFERENT = 1


def _names(values: tuple[str, ...]) -> list[str]:
    """Split repeated, comma-separated option values into upper-case names."""
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


def parse_keys(values: tuple[str, ...]) -> str | dict[str, list[str]]:
    """Read ``--keys``: ``auto``, ``VAR,VAR`` (every dataset) or ``DS=VAR,VAR`` (one dataset).

    Raises:
        InputError: The same dataset is given twice, or a value names no variable.
    """
    from sdtm.comparison.keys import ALL_DATASETS

    keys: dict[str, list[str]] = {}
    for value in values:
        if value.strip().lower() == "auto":
            continue
        dataset, _, variables = value.rpartition("=")
        dataset = dataset.strip().upper() or ALL_DATASETS
        names = _names((variables,))
        if not names:
            raise InputError(
                f"--keys {value!r}: no variable named (e.g. --keys LB=USUBJID,LBTESTCD)"
            )
        if dataset in keys:
            shown = "every dataset" if dataset == ALL_DATASETS else dataset
            raise InputError(f"--keys given twice for {shown}")
        keys[dataset] = names
    return keys or "auto"


def register(app: click.Group) -> None:
    """Add ``sdtm compare`` to ``app``."""
    @app.command("compare")
    @click.argument("base", type=click.Path(path_type=Path))
    @click.argument("compare", type=click.Path(path_type=Path))
    @click.option(
        "--datasets",
        multiple=True,
        help="Compare only these datasets (comma-separated or repeated), e.g. --datasets AE,LB.",
    )
    @click.option(
        "--keys",
        multiple=True,
        default=("auto",),
        show_default=True,
        help="Key variables that match records: auto (the SDTMIG natural keys in specs/), "
        "VAR,VAR for every dataset compared, or DS=VAR,VAR for one dataset (repeatable).",
    )
    @click.option(
        "--tolerance",
        type=float,
        default=1e-9,
        show_default=True,
        help="Numbers whose absolute difference is at most this are equal.",
    )
    @click.option(
        "--ignore",
        multiple=True,
        help="Variables not compared (comma-separated or repeated), e.g. --ignore LBSEQ.",
    )
    @click.option("--trim", is_flag=True, help="Ignore leading blanks in text too.")
    @click.option("--ignore-case", is_flag=True, help="Compare text regardless of letter case.")
    @click.option(
        "--max-examples",
        type=click.IntRange(min=0),
        default=20,
        show_default=True,
        help="Value differences kept per variable as examples (counts are always complete).",
    )
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(COMPARE_FORMATS),
        default="text",
        show_default=True,
        help="text: tables on the terminal; json: the whole comparison (standard output "
        "unless --output); xlsx and html: a sheet or section per level (need --output).",
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Report file; required for xlsx and html.",
    )
    @click.option(
        "--fail-on-diff/--no-fail-on-diff",
        default=True,
        show_default=True,
        help="Exit 1 when the packages differ (as diff does); --no-fail-on-diff exits 0 "
        "whenever the comparison ran.",
    )
    @click.option(
        "--specs",
        "specs_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Standards folder holding the SDTMIG keys (default: the project's specs/).",
    )
    @click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Text encoding of the .xpt files.",
    )
    def compare_command(
        base: Path,
        compare: Path,
        datasets: tuple[str, ...],
        keys: tuple[str, ...],
        tolerance: float,
        ignore: tuple[str, ...],
        trim: bool,
        ignore_case: bool,
        max_examples: int,
        output_format: str,
        output: Path | None,
        fail_on_diff: bool,
        specs_dir: Path | None,
        encoding: str,
    ) -> int:
        """Compare two SDTM packages record by record (independent double-programming QC).

        BASE and COMPARE are folders of .xpt or Dataset-JSON files, or one file each. Records
        are matched on each dataset's SDTMIG natural keys (not --SEQ); the report lists
        datasets in one package only, differing attributes (label, type, length, format,
        order), records in one package only, and differing values with examples.

        Exit codes: 0 identical (numbers within --tolerance), 1 differences (unless
        --no-fail-on-diff), 2 usage or input error.
        """
        from rich.console import Console

        from sdtm.comparison.package import compare_frames, options_from, read_package
        from sdtm.comparison.report import render_text, to_json_document, write_compare_report
        from sdtm.standards import load_standards

        if output_format in ("xlsx", "html") and output is None:
            raise click.UsageError(f"--format {output_format} needs --output FILE")
        options = options_from(
            datasets=_names(datasets) or None,
            keys=parse_keys(keys),
            tolerance=tolerance,
            ignore=_names(ignore),
            trim=trim,
            ignore_case=ignore_case,
            max_examples=max_examples,
        )
        progress = Console(stderr=True)
        standards = load_standards(specs_dir)
        loaded = []
        notes: list[str] = []
        for side, path in (("base", base), ("compare", compare)):
            frames, read_notes = read_package(path, encoding=encoding)
            notes += read_notes
            progress.print(f"read {side} {path}: {len(frames)} dataset(s)", highlight=False)
            loaded.append(frames)
        result = compare_frames(
            loaded[0],
            loaded[1],
            options,
            standards,
            base_label=str(base),
            compare_label=str(compare),
            notes=tuple(notes),
        )
        if output is not None:
            write_compare_report(result, output_format, output)
            progress.print(f"wrote {output}", highlight=False)
            progress.print(result.verdict, highlight=False)
        elif output_format == "json":
            document = to_json_document(result)
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        else:
            render_text(result, Console(width=max(Console().width, 160)))
        if fail_on_diff and not result.identical:
            return EXIT_DIFFERENT
        return EXIT_IDENTICAL
