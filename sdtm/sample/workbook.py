"""A small byte-deterministic writer of multi-sheet XLSX workbooks (text and number cells).

The second sample layout delivers an EDC workbook with one form per sheet, a banner row above
one header and dates as Excel serial numbers, so unlike ``XlsxSink`` it writes several sheets
and keeps numbers as number cells. The zip entries carry a fixed time stamp, as in
``sdtm.sample.writer``, so that regenerating the workbook gives the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from sdtm.sample.writer import (
    _CONTENT_TYPES,
    _OFFICE_RELS,
    _PKG,
    _ROOT_RELS,
    _SHEET_CT,
    _STYLES,
    _XML_DECL,
    FIXED_TIMESTAMP,
    _core_xml,
    column_letter,
)

Cell = str | int | float


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def _cell(reference: str, value: Cell) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    return (
        f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}'
        "</t></is></c>"
    )


def _sheet_xml(rows: Sequence[Sequence[Cell]]) -> str:
    lines = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            _cell(f"{column_letter(i)}{number}", value)
            for i, value in enumerate(row)
            if value != ""
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    return (
        f'{_XML_DECL}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main"><sheetData>{"".join(lines)}</sheetData></worksheet>'
    )


def write_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Cell]]]) -> None:
    """Write ``sheets`` (name -> rows, first row at row 1) as one workbook.

    Args:
        path: Target ``.xlsx`` file (overwritten).
        sheets: Worksheets in order; a cell is text, or a number written as a number cell.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_SHEET_CT}.worksheet+xml"/>'
        for i in range(2, len(names) + 1)
    )
    content_types = _CONTENT_TYPES.replace("</Types>", overrides + "</Types>")
    workbook = (
        f'{_XML_DECL}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    relations = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG}/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_OFFICE_RELS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{_OFFICE_RELS}/styles" '
        'Target="styles.xml"/></Relationships>'
    )
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", _ROOT_RELS),
            ("docProps/core.xml", _core_xml(stamp)),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", relations),
            ("xl/styles.xml", _STYLES),
        ):
            archive.writestr(_entry(name), text.encode("utf-8"))
        for i, name in enumerate(names, start=1):
            archive.writestr(_entry(f"xl/worksheets/sheet{i}.xml"), _sheet_xml(sheets[name]))
