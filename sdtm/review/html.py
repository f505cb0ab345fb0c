"""Small HTML helpers: escaping, tables, and packed (gzip + base64) data blocks.

The report builds its HTML with these few functions instead of a template engine: the page is
mostly generated tables and SVG, and every value from the data passes through :func:`esc`
exactly once, in :func:`table` or at the call that builds a cell.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any


def esc(value: object) -> str:
    """Return ``value`` as HTML-escaped text (``None`` and NaN become empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return escape(str(value))


def number(value: object) -> str:
    """Format a count or measure for a table cell (integers without decimals)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return esc(value)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    row_classes: Iterable[str] | None = None,
    css: str = "",
) -> str:
    """Return an HTML table; ``rows`` hold cell HTML (already escaped by the caller).

    Args:
        headers: Column headings (plain text; escaped here).
        rows: Cell HTML per row.
        numeric: Indexes of right-aligned columns.
        row_classes: CSS class per row (``""`` for none).
        css: Class of the table.
    """
    right = set(numeric)
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in right else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    classes = iter(row_classes) if row_classes is not None else None
    body = []
    for row in rows:
        css_row = next(classes, "") if classes is not None else ""
        cells = "".join(
            f'<td class="num">{cell}</td>' if i in right else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f'<tr class="{css_row}">{cells}</tr>' if css_row else f"<tr>{cells}</tr>")
    table_class = f' class="{css}"' if css else ""
    rows_html = "".join(body)
    return f"<table{table_class}><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"


def pack(text: str) -> str:
    """Return ``text`` gzip-compressed and base64-encoded (deterministic: no time stamp).

    The page's script unpacks it with the browser's built-in ``DecompressionStream``.
    """
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode(
        "ascii"
    )


def unpack(data: str) -> str:
    """Inverse of :func:`pack` (used by tests and by readers of the file)."""
    return gzip.decompress(base64.b64decode(data)).decode("utf-8")


def data_block(element_id: str, payload: Any, *, packed: bool = True) -> str:
    """Return an inert ``<script>`` element holding ``payload`` (JSON) for the page's script.

    Args:
        element_id: The element id the script reads.
        payload: JSON-ready value, or a string (HTML) when not JSON.
        packed: gzip + base64 the content (:func:`pack`).
    """
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    kind = "application/gzip;base64" if packed else "application/json"
    content = pack(text) if packed else text.replace("</", "<\\/")
    return f'<script type="{kind}" id="{esc(element_id)}">{content}</script>'
