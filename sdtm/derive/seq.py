"""Sequence numbers (``--SEQ``), deterministic so that reruns give identical datasets."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    located_message,
    require_columns,
    row_findings,
)
from sdtm.findings import Severity

DUPLICATE_KEY = DeriveRule("MP0510", "seq-order-not-determined-by-keys", Severity.NOTICE)
RULE_IDS: tuple[str, ...] = (DUPLICATE_KEY.id,)

_PROVENANCE = ("_src_file", "_src_row")


def _sortable(frame: pd.DataFrame) -> pd.DataFrame:
    """Make text and object columns sortable: numbers where every value is one, else text.

    A raw column mixing numbers and text (``3``, ``"3a"``) cannot be sorted as objects, and
    CRF line numbers held as text (``"9"``, ``"10"``) should sort as numbers. The choice
    depends only on the values (not on the pandas version's string dtype), so the order is
    deterministic.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        # Decided on the distinct values (a key column repeats its codes and dates), so a
        # text column is not parsed as numbers row by row only to be kept as text.
        distinct = pd.Series(column.dropna().unique(), dtype=object)
        if pd.to_numeric(distinct, errors="coerce").notna().all():
            out[name] = pd.to_numeric(column, errors="coerce")
        else:
            out[name] = column.astype("string")
    return out


def derive_seq(
    df: pd.DataFrame,
    *,
    by: Sequence[str] = ("USUBJID",),
    order: Sequence[str],
    new_var: str,
) -> DeriveResult:
    """Number the records of each ``by`` group 1, 2, ... in the order of the natural keys.

    Implements the SDTM ``--SEQ`` definition (SDTMIG 3.4 Identifier variables; uniqueness per
    USUBJID checked by CORE-000544 / CG0028): a number unique within the subject. The order is
    a stable sort on ``order`` (nulls last), then on the provenance columns ``_src_file``,
    ``_src_row`` when present, so the same input always gives the same numbers, whatever order
    the rows arrive in. The returned frame keeps the input row order.

    Args:
        df: Domain frame.
        by: Grouping variables (the subject).
        order: Natural-key variables that order the records within the group, e.g.
            ``("LBTESTCD", "LBDTC")``.
        new_var: Variable to add, e.g. ``LBSEQ``.

    Returns:
        ``DeriveResult``: ``df`` plus ``new_var`` (int64). Finding MP0510 (notice) for rows
        whose ``by`` + ``order`` keys are not unique and that have no provenance columns to
        break the tie (their relative order is then the input order).
    """
    require_columns(df, (*by, *order), f"derive_seq({new_var})")
    tie_break = [name for name in _PROVENANCE if name in df.columns]
    keys = [*by, *order, *tie_break]
    ordered = _sortable(df[keys]).sort_values(keys, kind="mergesort", na_position="last")
    seq = ordered.groupby(list(by), sort=False, dropna=False).cumcount() + 1
    out = df.copy()
    out[new_var] = seq.reindex(df.index).astype("int64")
    ambiguous = df.duplicated(subset=keys, keep=False)
    message = located_message(
        ambiguous,
        f": {new_var} order not determined by the keys {', '.join(keys)}: "
        "another record has the same key values; the input order was used",
    )
    findings = row_findings(
        df, ambiguous, DUPLICATE_KEY, message, dataset=new_var[:-3] or None, variable=new_var
    )
    return DeriveResult(out, findings)
