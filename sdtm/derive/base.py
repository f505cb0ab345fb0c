"""The one return convention of every ``derive_*`` and ``build_*`` function, and finding helpers.

Every derivation returns ``DeriveResult(frame, findings)``: ``frame`` is a new DataFrame (the
input is never modified or re-ordered) and ``findings`` holds one finding per row that could
not be derived, naming the subject, the raw source row (from the ``_src_file``/``_src_row``
provenance columns when present) and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sdtm.findings import FindingsTable, Severity, Stage
from sdtm.read.text import distinct_text, per_distinct


@dataclass(frozen=True, slots=True)
class DeriveResult:
    """What every ``derive_*``/``build_*`` function returns."""

    frame: pd.DataFrame
    """The derived frame: a new object; the input frame is left untouched."""
    findings: FindingsTable
    """Rows that could not be derived (null kept in ``frame``), one finding each."""


@dataclass(frozen=True, slots=True)
class DeriveRule:
    """Identity of one derivation finding rule (metadata in ``specs/rules/<id>.yaml``)."""

    id: str
    """Stable rule id in the derive range ``MP0500``-``MP0999``."""
    name: str
    """Kebab-case name of the problem, e.g. ``partial-date-study-day-not-derived``."""
    severity: Severity
    """Severity the finding is reported with."""


def _text(series: pd.Series) -> pd.Series:
    """Return ``series`` as object dtype with missing values as ``None``."""
    out = series.astype("object")
    return out.where(series.notna(), None)


def row_findings(
    df: pd.DataFrame,
    mask: pd.Series,
    rule: DeriveRule,
    message: pd.Series | str | Callable[[pd.DataFrame], pd.Series],
    *,
    dataset: str | None = None,
    variable: str | None = None,
    value: pd.Series | None = None,
) -> FindingsTable:
    """Build one finding per row of ``df`` selected by ``mask`` (vectorized).

    Args:
        df: The frame the rows come from; ``USUBJID``, ``_src_file`` and ``_src_row`` are used
            when present to say which subject and which raw row the finding is about.
        mask: Boolean Series aligned with ``df``; True selects a row.
        rule: The rule that fired.
        message: The message: one string, a Series aligned with ``df``, or a function given
            the selected rows that returns their messages (so that text is built only for
            the rows that have a finding, not for every record). ``[<rule id> <name>]`` is
            appended, as on the findings of every other stage.
        dataset: Dataset name (``LB``, ``DM``) to record.
        variable: The variable that could not be derived.
        value: The offending value per row (aligned with ``df``), if any.

    Returns:
        A findings table with one row per selected row, in ``df`` order.
    """
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return FindingsTable()
    selected = df.loc[mask]
    out = pd.DataFrame(index=selected.index)
    out["rule_id"] = rule.id
    out["rule_name"] = rule.name
    out["severity"] = rule.severity.value
    out["stage"] = Stage.DERIVE.value
    out["dataset"] = dataset
    out["variable"] = variable
    if callable(message):
        message = message(selected)
        out["message"] = message.to_numpy() if isinstance(message, pd.Series) else message
    else:
        out["message"] = message.loc[mask] if isinstance(message, pd.Series) else message
    out["message"] = out["message"].astype(str) + f" [{rule.id} {rule.name}]"
    if "USUBJID" in selected.columns:
        out["usubjid"] = _text(selected["USUBJID"])
    if value is not None:
        out["value"] = _text(value.loc[mask].astype("string"))
    if "_src_file" in selected.columns:
        out["source_file"] = _text(selected["_src_file"])
    if "_src_row" in selected.columns:
        out["source_row"] = selected["_src_row"]
    return FindingsTable.from_frame(out.reset_index(drop=True))


def located_message(
    mask: pd.Series, *parts: str | pd.Series
) -> Callable[[pd.DataFrame], pd.Series]:
    """A ``row_findings`` message built for the rows ``mask`` selects only.

    The message is the row's location (``where_label``) followed by ``parts``, which are text
    or Series aligned with the frame. Most masks select no row or a few, so building the text
    for every record first (a dozen string operations over each large dataset) would be wasted.
    """
    chosen = mask.fillna(False).astype(bool)

    def build(rows: pd.DataFrame) -> pd.Series:
        text = where_label(rows)
        for part in parts:
            text = text + (part if isinstance(part, str) else part.loc[chosen].to_numpy())
        return text

    return build


def where_label(df: pd.DataFrame) -> pd.Series:
    """Return a per-row location label for messages.

    ``file:row (USUBJID x)`` when the provenance columns exist, else ``USUBJID x``, else the
    1-based row number, so every message says where and for whom without repeating it.
    """
    subject = (
        "USUBJID " + df["USUBJID"].astype("string").fillna("?") if "USUBJID" in df.columns else None
    )
    if "_src_file" in df.columns and "_src_row" in df.columns:
        source = (
            df["_src_file"].astype("string").fillna("?")
            + ":"
            + df["_src_row"].astype("string").fillna("?")
        )
        return source if subject is None else source + " (" + subject + ")"
    if subject is not None:
        return subject
    return pd.Series("row " + pd.Series(range(1, len(df) + 1), index=df.index).astype("string"))


def require_columns(df: pd.DataFrame, columns: tuple[str, ...] | list[str], what: str) -> None:
    """Raise ``MappingError`` naming the missing columns a derivation needs.

    A missing column is a defect of the mapping spec, not of the data, so the run cannot
    continue with this derivation.
    """
    from sdtm.errors import MappingError

    missing = [name for name in columns if name not in df.columns]
    if missing:
        raise MappingError(f"{what} needs column(s) {', '.join(missing)}, which the frame lacks")


def parse_numbers(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` as float64, once per distinct value.

    Results, limits and ranges repeat across records; each text is read once and the number
    spread back to its rows (null where missing or not a number).
    """
    numbers = per_distinct(
        values, lambda distinct: pd.to_numeric(distinct, errors="coerce").astype("float64"), np.nan
    )
    return numbers.astype("float64")


def compute_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read numbers from a column, telling blanks apart from values that are not numbers.

    ``pd.to_numeric(errors="coerce")`` alone would turn ``6,0`` or ``fifty`` into a silent
    null; callers use the second Series to report such values (file, row, value) instead.

    Args:
        values: Numbers, or text holding numbers (surrounding blanks allowed).

    Returns:
        ``(numbers, unreadable)``: float Series (null where blank or unreadable) and a boolean
        Series, True where a non-blank value could not be read as a number.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    # "inf" parses, but no dose or limit is infinite: treat it as unreadable text.
    numbers = numbers.where(np.isfinite(numbers))
    unreadable = (text.notna() & (text != "") & numbers.isna()).fillna(False).astype(bool)
    return numbers, unreadable


def key_text(series: pd.Series) -> pd.Series:
    """Return key values as comparable text: numbers canonical (``3.0`` -> ``3``), text stripped.

    Keys that tie records together (CRF line numbers, ``--SPID``, ``--SEQ``) arrive as numbers
    from one source and as text from another; comparing their canonical text makes ``3``,
    ``3.0`` and ``" 3"`` the same key.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return compute_canonical_number(series, 6)
    # Keys repeat (VISITNUM, --SPID): each distinct text is worked out once.
    codes, uniques = distinct_text(series)
    text = pd.Series(uniques, dtype="string").str.strip()
    number = pd.to_numeric(text.where(text.str.fullmatch(r"-?\d+(\.\d+)?").fillna(False)))
    canonical = compute_canonical_number(number, 6).where(number.notna(), text)
    taken = pd.api.extensions.take(canonical.array, codes, allow_fill=True, fill_value=pd.NA)
    return pd.Series(taken, index=series.index, dtype="string")


def compute_canonical_number(values: pd.Series, decimals: pd.Series | int) -> pd.Series:
    r"""Format numbers as canonical SDTM result text.

    Rounds to ``decimals`` places (printf rounding of the binary value), then drops trailing
    zeros and a trailing point: ``260.0`` -> ``260``, ``0.01129`` (4 decimals) -> ``0.0113``.
    Never uses scientific notation, never a leading ``+`` or leading zeros, and ``-0`` becomes
    ``0``, so the text matches ``^-?(0|[1-9]\d*)(\.\d+)?$``.

    Args:
        values: Numbers (nulls stay null).
        decimals: Decimal places, one for all rows or per row.

    Returns:
        String Series.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    places = (
        pd.Series(decimals, index=values.index)
        if isinstance(decimals, int)
        else pd.to_numeric(decimals, errors="coerce").reindex(values.index)
    )
    places = places.fillna(0).astype("int64").clip(lower=0)
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for d in sorted(places.unique()):
        chosen = (places == d) & numbers.notna()
        if not chosen.any():
            continue
        # Each distinct number is formatted once (results, visit numbers and limits
        # repeat); 0.0 and -0.0 fall together, and both give "0".
        codes, distinct = pd.factorize(numbers[chosen].to_numpy())
        # printf rounding of the binary value; np.round first would add its own error.
        text = np.char.mod(f"%.{int(d)}f", distinct)
        # Trailing zeros after the point, then a trailing point, go: what the regexes
        # (\.\d*?)0+$ -> \1 and \.$ -> "" do, as C string functions on the whole array.
        has_point = np.strings.find(text, ".") >= 0
        trimmed = np.strings.rstrip(np.strings.rstrip(text, "0"), ".")
        text = np.where(has_point, trimmed, text)
        text = np.where(text == "-0", "0", text)
        out[chosen] = pd.array(text.astype(object)[codes], dtype="string")
    return out
