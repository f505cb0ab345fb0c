"""Value options of a raw table: texts that mean "no value", and the decimal mark.

Both are declared in the mapping spec (``read: {na_values: [ND, "."], decimal: ","}``), so the
change is stated, not guessed; they apply to every text column of the table.
"""

from __future__ import annotations

import pandas as pd

from sdtm.read.options import ReadOptions

NUMBER_WITH_COMMA = (
    r"^\s*(?:[<>]=?\s*)?[+-]?\d+(?:,\d+)?"
    r"(?:\s*-\s*[+-]?\d+(?:,\d+)?)?\s*$"
)
"""A cell that is a number written with a decimal comma, optionally after a comparison
(``<5,0``) or as a ``lo-hi`` range (``3,5-7,0``). Only such cells change with ``decimal: ,``."""


def compute_decimal_point(values: pd.Series) -> pd.Series:
    """Write the decimal commas of numeric cells as points (``3,5`` -> ``3.5``).

    Cells that are not numbers, comparisons or ranges of numbers (``Smith, J``, ``1,2,3``)
    are left as delivered.
    """
    text = values.astype("string")
    numeric = text.str.fullmatch(NUMBER_WITH_COMMA).fillna(False).astype(bool)
    if not numeric.any():
        return text
    converted = text.where(~numeric, text.str.replace(r"(?<=\d),(?=\d)", ".", regex=True))
    return converted.astype("string")


def apply_value_options(
    frame: pd.DataFrame, columns: list[str], options: ReadOptions
) -> pd.DataFrame:
    """Apply ``na_values`` and ``decimal`` to the text columns of a raw table.

    Args:
        frame: Text columns plus provenance.
        columns: The data columns.
        options: Declared reader options.

    Returns:
        A new frame; cells equal (after trimming spaces) to one of ``na_values`` are missing,
        and with ``decimal: ","`` numeric cells use a decimal point.
    """
    out = frame.copy()
    missing = {v.strip() for v in options.na_values or ()}
    for column in columns:
        values = out[column].astype("string")
        if missing:
            values = values.where(~values.str.strip().isin(missing).fillna(False), pd.NA)
        if options.decimal == ",":
            values = compute_decimal_point(values)
        out[column] = values.astype("string")
    return out
