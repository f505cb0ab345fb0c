"""Streaming, byte-deterministic writers for the raw files (CSV and XLSX)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

FIXED_TIMESTAMP = dt.datetime(2024, 11, 1, 0, 0, 0)
"""Timestamp written into XLSX document properties and zip entries (the day after the data
cut-off), so that regenerating a workbook gives identical bytes."""


class CsvSink:
    """Append rows to a UTF-8 CSV file (LF line ends, minimal quoting)."""

    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(header)

    def write(self, rows: Iterable[tuple[str, ...]]) -> None:
        """Append rows."""
        self._writer.writerows(rows)

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()


_PKG = "http://schemas.openxmlformats.org/package/2006"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    f'{_XML_DECL}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEET_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SHEET_CT}.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML_DECL}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG}/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    f'{_XML_DECL}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_OFFICE_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)  # fmt: skip
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _workbook_xml(sheet: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _core_xml(stamp: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>sdtm sample</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def column_letter(index: int) -> str:
    """Spreadsheet column letters of 0-based column ``index`` (0 -> ``A``, 26 -> ``AA``)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class XlsxSink:
    """Stream rows into a one-sheet XLSX workbook, written directly as SpreadsheetML.

    openpyxl stamps the save time into the zip entries and document properties, which breaks
    byte-identical reruns; writing the few parts of a minimal workbook ourselves avoids that
    and streams the sheet into the zip, so memory does not grow with the number of rows.
    Every cell is an inline string (the EDC exports text); empty values are left out.
    """

    def __init__(self, path: Path, header: tuple[str, ...], sheet: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = (
            ("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
            ("docProps/core.xml", _core_xml(stamp)), ("xl/workbook.xml", _workbook_xml(sheet)),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), ("xl/styles.xml", _STYLES),
        )  # fmt: skip
        for name, text in parts:
            self._zip.writestr(self._entry(name), text.encode("utf-8"))
        self._sheet = self._zip.open(self._entry("xl/worksheets/sheet1.xml"), "w",
                                     force_zip64=True)  # fmt: skip
        self._sheet.write(_SHEET_HEAD.encode("utf-8"))
        self._letters = tuple(column_letter(i) for i in range(len(header)))
        self._row = 0
        self.write([header])

    @staticmethod
    def _entry(name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        return entry

    def write(self, rows: Iterable[tuple[str, ...]]) -> None:
        """Append rows."""
        parts = []
        letters = self._letters
        for row in rows:
            self._row += 1
            number = self._row
            cells = "".join(
                f'<c r="{letters[i]}{number}" t="inlineStr"><is><t xml:space="preserve">'
                f"{escape(value)}</t></is></c>"
                for i, value in enumerate(row)
                if value != ""
            )
            parts.append(f'<row r="{number}">{cells}</row>')
        self._sheet.write("".join(parts).encode("utf-8"))

    def close(self) -> None:
        """Finish the sheet and the zip."""
        self._sheet.write(_SHEET_TAIL.encode("utf-8"))
        self._sheet.close()
        self._zip.close()


def read_xlsx_rows(path: Path) -> list[tuple[str, ...]]:
    """Read a generated workbook back as rows of strings (header first); empty cells -> ``""``.

    Args:
        path: Workbook path.

    Returns:
        All rows of the first sheet.
    """
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    sheet = book.worksheets[0]
    rows = [tuple("" if v is None else str(v) for v in row)
            for row in sheet.iter_rows(values_only=True)]  # fmt: skip
    book.close()
    width = len(rows[0]) if rows else 0
    # Trailing empty cells are not stored, so pad every row to the header width.
    return [row + ("",) * (width - len(row)) for row in rows]
