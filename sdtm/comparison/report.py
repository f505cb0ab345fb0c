"""Reports of a package comparison: terminal text, JSON, XLSX and HTML.

Every format holds the same levels (datasets, attributes, records, values with examples, keys
that are not unique, notes) and ends with the verdict. Text shows the first ``limit`` rows of
each table; JSON, XLSX and HTML hold every row the result holds. Spreadsheet cells are made
safe the way the findings reports make them (see :func:`sdtm.export.report.neutralize`), and
HTML escapes every value.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from sdtm import __version__
from sdtm.comparison.result import CompareResult
from sdtm.errors import ExportError
from sdtm.export.report import neutralize

COMPARE_FORMATS = ("text", "json", "xlsx", "html")
"""Formats of :func:`write_compare_report`."""

_XLSX_MAX_ROWS = 1_048_575
"""Data rows an Excel sheet holds below its header row."""


def _sections(result: CompareResult) -> list[tuple[str, str, pd.DataFrame]]:
    """Return (key, title, table) for every level, in report order."""
    return [
        ("datasets", "Datasets", result.datasets),
        ("attributes", "Attribute differences", result.attributes),
        ("records", "Records in one package only", result.records),
        ("values", "Value differences per variable", result.values),
        ("examples", "Value differences (first per variable)", result.examples),
        ("duplicate_keys", "Keys not unique", result.duplicate_keys),
    ]


def _options_text(result: CompareResult) -> str:
    options = result.options
    keys = ", ".join(f"{name}={'/'.join(v)}" for name, v in options.keys.items()) or "SDTMIG"
    text = "exact"
    if options.trim or options.ignore_case:
        text = " and ".join(
            what
            for what, on in (("trimmed", options.trim), ("case-insensitive", options.ignore_case))
            if on
        )
    return (
        f"keys: {keys}; numeric tolerance {options.tolerance:g}; text {text}; "
        f"ignored: {', '.join(options.ignore) or 'none'}"
    )


def _plain(value: Any) -> Any:
    """Return a JSON- and cell-friendly value: Python scalars, ``None`` for missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [
        {column: _plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def to_json_document(result: CompareResult) -> dict[str, Any]:
    """Return the whole comparison as one JSON-serializable document."""
    document: dict[str, Any] = {
        "tool": {"name": "sdtm compare", "version": __version__},
        "base": result.base,
        "compare": result.compare,
        "options": {
            "datasets": list(result.options.datasets) if result.options.datasets else None,
            "keys": {name: list(keys) for name, keys in result.options.keys.items()},
            "tolerance": result.options.tolerance,
            "ignore": list(result.options.ignore),
            "trim": result.options.trim,
            "ignore_case": result.options.ignore_case,
            "max_examples": result.options.max_examples,
        },
        "identical": result.identical,
        "verdict": result.verdict,
    }
    for key, _, frame in _sections(result):
        document[key] = _rows(frame)
    document["notes"] = list(result.notes)
    return document


def render_text(result: CompareResult, console: Console, *, limit: int = 20) -> None:
    """Print the comparison; each table shows at most ``limit`` rows per dataset.

    Args:
        result: The comparison.
        console: Where to print.
        limit: Rows shown per dataset and table (the others are counted).
    """
    console.print(f"base:    {result.base}", highlight=False)
    console.print(f"compare: {result.compare}", highlight=False)
    console.print(_options_text(result), highlight=False)
    _render_datasets(result, console)
    for key, title, frame in _sections(result)[1:]:
        if key == "values":
            frame = frame[frame["differences"] > 0]
        if frame.empty:
            console.print(f"{title}: none", highlight=False)
            continue
        shown = frame.groupby("dataset", sort=False).head(limit)
        table = Table(title=f"{title} ({len(frame):,})", title_justify="left")
        for column in shown.columns:
            table.add_column(column, overflow="fold")
        for row in shown.itertuples(index=False, name=None):
            table.add_row(*(_text_cell(v) for v in row))
        console.print(table)
        if len(shown) < len(frame):
            console.print(
                f"... {len(frame) - len(shown):,} more rows (first {limit} per dataset shown; "
                "--format json, xlsx or html for all)",
                highlight=False,
            )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    style = "bold green" if result.identical else "bold red"
    console.print(f"[{style}]{result.verdict}[/]", highlight=False)


_DATASET_HEADERS = {
    "dataset": "dataset",
    "base_records": "base",
    "compare_records": "compare",
    "matched": "matched",
    "only_base": "only base",
    "only_compare": "only compare",
    "attribute_differences": "attributes",
    "value_differences": "values",
    "duplicate_keys": "keys not unique",
    "status": "status",
}


def _text_cell(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def _render_datasets(result: CompareResult, console: Console) -> None:
    """Print the dataset table (records and difference counts), then each dataset's keys."""
    frame = result.datasets
    table = Table(title=f"Datasets ({len(frame)})", title_justify="left")
    for column, header in _DATASET_HEADERS.items():
        table.add_column(header, justify="left" if column in ("dataset", "status") else "right")
    for row in frame.to_dict("records"):
        table.add_row(*(_text_cell(row[column]) for column in _DATASET_HEADERS))
    console.print(table)
    for row in frame.to_dict("records"):
        if row["key_source"]:
            keys = row["keys"] or "(none)"
            console.print(f"  {row['dataset']} keys: {keys} ({row['key_source']})", highlight=False)


def write_text(result: CompareResult, path: Path, *, limit: int = 20) -> None:
    """Write the text report to ``path`` (no colours, wide enough not to wrap tables)."""
    with path.open("w", encoding="utf-8") as stream:
        render_text(result, Console(file=stream, width=200, no_color=True), limit=limit)


def _cell(value: Any) -> Any:
    value = _plain(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return neutralize(str(value))


def write_xlsx(result: CompareResult, path: Path) -> None:
    """Write a workbook: a Summary sheet with the verdict, then one sheet per level."""
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    for label, value in (
        ("verdict", result.verdict),
        ("base", result.base),
        ("compare", result.compare),
        ("options", _options_text(result)),
        ("tool", f"sdtm compare {__version__}"),
    ):
        summary.append([label, _cell(value)])
    for note in result.notes:
        summary.append(["note", _cell(note)])
    for key, _, frame in _sections(result):
        sheet = workbook.create_sheet(key)
        sheet.append(list(frame.columns))
        for row in frame.head(_XLSX_MAX_ROWS).itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        if len(frame) > _XLSX_MAX_ROWS:
            summary.append(
                ["note", f"sheet {key}: first {_XLSX_MAX_ROWS:,} of {len(frame):,} rows"]
            )
        sheet.freeze_panes = "A2"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # openpyxl stores a text starting with "=" as a formula unless told otherwise.
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    workbook.save(path)


_CSS = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.identical { color: #17692b; } .different { color: #a31515; }
"""


def render_html(result: CompareResult) -> str:
    """Return the comparison as one self-contained HTML page."""
    state = "identical" if result.identical else "different"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>sdtm compare: {html.escape(result.base)} vs {html.escape(result.compare)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<h1 class="{state}">{html.escape(result.verdict)}</h1>',
        f"<p>base: <code>{html.escape(result.base)}</code><br>"
        f"compare: <code>{html.escape(result.compare)}</code><br>"
        f"{html.escape(_options_text(result))}<br>sdtm compare {__version__}</p>",
    ]
    if result.notes:
        items = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
        parts.append(f"<h2>Notes</h2><ul>{items}</ul>")
    for _, title, frame in _sections(result):
        parts.append(f"<h2>{html.escape(title)} ({len(frame):,})</h2>")
        if frame.empty:
            parts.append("<p>none</p>")
            continue
        header = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{'' if _plain(v) is None else html.escape(str(_plain(v)))}</td>" for v in row
            )
            + "</tr>"
            for row in frame.itertuples(index=False, name=None)
        )
        parts.append(f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_compare_report(result: CompareResult, output_format: str, path: Path) -> None:
    """Write the comparison to ``path`` as ``text``, ``json``, ``xlsx`` or ``html``.

    Raises:
        ExportError: The format is unknown or the file cannot be written.
    """
    if output_format not in COMPARE_FORMATS:
        raise ExportError(f"unknown report format {output_format!r}; choose from {COMPARE_FORMATS}")
    try:
        if output_format == "text":
            write_text(result, path)
        elif output_format == "json":
            text = json.dumps(to_json_document(result), indent=2, ensure_ascii=False)
            path.write_text(text + "\n", encoding="utf-8")
        elif output_format == "xlsx":
            write_xlsx(result, path)
        else:
            path.write_text(render_html(result), encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error}") from error
