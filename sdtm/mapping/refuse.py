"""Refuse a block whose raw table lacks a column it reads: report its rows, map none of them.

Mapping such a block anyway gives records whose variables are all empty and a count check
that says "ok" (a lab file read without its header, because banner lines sat above it, once
gave 1,215 empty LB records). So the block is not run: one ``RD0020`` finding per raw row
names the file, the row, the block and the columns missing, and the count check shows the
rows as reported. ``RD0007`` still names each missing column once, at the header.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ROW, condition_columns, evaluate
from sdtm.mapping.check import block_missing_columns
from sdtm.mapping.spec import Block
from sdtm.read.options import SNIFFED_DELIMITERS
from sdtm.read.raw import RawFile

REFUSE_RULES = MappingProxyType({"RD0020": ("block-columns-missing", "error")})
"""Rule id -> (name, severity) of a refused block's rows."""
RULE_IDS: tuple[str, ...] = tuple(REFUSE_RULES)


def _hint(columns: tuple[str, ...]) -> str:
    """A likely cause, when the header shows one (a wrong delimiter, banner lines)."""
    if len(columns) == 1:
        for delimiter in SNIFFED_DELIMITERS:
            if delimiter in columns[0]:
                return (
                    f"; the header is one column holding {delimiter!r}: declare "
                    f"read: {{delimiter: {delimiter!r}}}"
                )
        return (
            f"; the header is one column ({columns[0]!r}): a banner line above the real header "
            "(declare read: {skip_rows: N}), or another delimiter (read: {delimiter: ...})?"
        )
    if columns and sum(c.startswith("Unnamed:") for c in columns) > len(columns) // 2:
        return "; most header cells are empty: is the header further down (read: {skip_rows: N})?"
    return ""


def refuse_block(
    block: Block,
    dataset: str,
    raw: Mapping[str, RawFile],
    columns: Mapping[str, tuple[str, ...]],
) -> FindingsTable | None:
    """Findings for every row of a block that cannot be mapped, or ``None`` to map it.

    Args:
        block: The block.
        dataset: Its target dataset.
        raw: The raw tables read.
        columns: Header of each raw table, by key.

    Returns:
        ``None`` when every column the block reads exists in a readable table (a lookup table
        that could not be read at all just joins no row); else one ``RD0020`` per row of the
        block's table (the rows its ``where`` selects, when that can be evaluated).
    """
    readable = {key: cols for key, cols in columns.items() if raw[key].frame is not None}
    lacking = [
        item
        for item in block_missing_columns(block, readable)
        if item.column is not None and item.file in readable
    ]
    if not lacking:
        return None
    frame = raw[block.table].frame
    assert frame is not None  # the caller maps only blocks whose table was read
    if all(c in frame.columns for c in condition_columns(block.where)):
        frame = frame.loc[evaluate(frame, block.where)]
    names = ", ".join(dict.fromkeys(f"{i.column} ({i.file})" for i in lacking))
    name, severity = REFUSE_RULES["RD0020"]
    hint = _hint(columns.get(block.table, ()))
    message = (
        frame[SRC_FILE].astype("string")
        + ":"
        + frame[SRC_ROW].astype("string")
        + f": row not mapped to {dataset}: the block at {block.location} reads column(s) "
        + f"{names} that the raw data lacks; the block is refused rather than mapped with "
        + f"empty values{hint} [RD0020 {name}]"
    )
    found = pd.DataFrame(
        {
            "rule_id": "RD0020",
            "rule_name": name,
            "severity": severity,
            "stage": Stage.READ.value,
            "dataset": dataset,
            "variable": lacking[0].column,
            "value": names,
            "source_file": frame[SRC_FILE].astype(object),
            "source_row": frame[SRC_ROW].astype("Int64"),
            "message": message.astype(object),
        }
    ).reset_index(drop=True)
    return FindingsTable.from_frame(found)
