"""Vectorized building blocks shared by the checks: dataset lookup, text, dates, findings.

Every helper works on whole columns. Datasets are addressed by their SDTM domain code (taken
from the ``DOMAIN`` column, else from the dataset name), so split datasets such as ``LBCH`` and
``LBHE`` are checked as ``LB``. Row numbers in findings are 1-based record numbers of the
dataset as given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from sdtm.derive.dates import compute_dtc_compare
from sdtm.findings import FINDING_COLUMNS, FindingsTable
from sdtm.read.text import per_distinct, stripped_or_missing

# Canonical ISO 8601 date-time prefix: only leading components that are fully known count.
# "2024---15" (unknown month) therefore has year precision; comparisons use this prefix.
_NUMERIC = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# The canonical decimal CORE uses for --STRESC (CORE-000542/-000732): no "+", no leading zeros,
# no bare ".5", no exponent.
_CANONICAL_NUMBER = r"^-?(0|[1-9]\d*)(\.\d+)?$"

EMPTY = FindingsTable()
"""The empty findings table (immutable, shared to avoid rebuilding it for every clean check)."""

SUBJECT_CLASSES_EXCLUDED = frozenset({"DM", "TA", "TE", "TI", "TS", "TV", "TD", "TM", "RELREC"})
"""Domains that are not per-subject observation domains."""


def domain_of(name: str, frame: pd.DataFrame) -> str:
    """Return the domain code of a dataset: its ``DOMAIN`` value, else the name (``SUPPAE``)."""
    upper = name.upper()
    if upper.startswith("SUPP") or upper == "RELREC":
        return upper
    if _DOMAIN in frame.attrs:
        return str(frame.attrs[_DOMAIN])
    if "DOMAIN" in frame.columns and len(frame):
        # DOMAIN is constant within a dataset: the first populated value decides.
        values = frame["DOMAIN"].iloc[:100].dropna().astype(str).str.strip()
        values = values[values != ""]
        if len(values):
            return str(values.iloc[0]).upper()
    return upper


def datasets(
    frames: Mapping[str, pd.DataFrame], domain: str | None = None
) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(dataset name, domain code, frame)``; only ``domain`` when given.

    SUPP-- datasets and RELREC are yielded only when asked for by name. Frames are returned
    with a fresh 0-based index so that ``index + 1`` is the record number.
    """
    for name, frame in frames.items():
        code = domain_of(name, frame)
        if domain is None and (code.startswith("SUPP") or code == "RELREC"):
            continue
        if domain is not None and code != domain:
            continue
        yield name, code, _positional(frame)


def domain_parts(
    items: Iterable[tuple[str, str, pd.DataFrame]],
) -> dict[str, list[tuple[str, pd.DataFrame]]]:
    """Group ``(name, code, frame)`` items by domain code: the parts of each split domain.

    Checks that judge a domain as a whole (``LBCH`` and ``LBHE`` are one ``LB``) use it.

    Args:
        items: Datasets as yielded by :func:`datasets` (possibly filtered).

    Returns:
        ``{code: [(dataset name, frame), ...]}``, codes and parts in the order given.
    """
    parts: dict[str, list[tuple[str, pd.DataFrame]]] = {}
    for name, code, frame in items:
        parts.setdefault(code, []).append((name, frame))
    return parts


def supp_datasets(frames: Mapping[str, pd.DataFrame]) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(name, frame)`` for every SUPP-- dataset."""
    for name, frame in frames.items():
        if name.upper().startswith("SUPP"):
            yield name, _positional(frame)


def _positional(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with a 0-based RangeIndex (position = record number - 1)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)


def frame_of(frames: Mapping[str, pd.DataFrame], domain: str) -> pd.DataFrame | None:
    """Return the rows of one domain (split datasets concatenated), or ``None`` if absent."""
    parts = [frame for _, _, frame in datasets(frames, domain)]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


_PREPARED = "sdtm_text_prepared"
_DOMAIN = "sdtm_domain"
_LABELS = "sdtm_labels_json"


def prepare_frames(frames: Mapping[str, pd.DataFrame]) -> Mapping[str, pd.DataFrame]:
    """Return the package with text columns normalised once for all checks.

    Every text column becomes pandas ``string`` dtype, stripped, blanks as missing; the frames
    get a 0-based index. :func:`text` then returns those columns as they are instead of
    converting them again in every check. The input frames are not modified.
    """
    prepared = {}
    for name, frame in frames.items():
        out = _positional(frame).copy(deep=False)
        # pandas deep-copies attrs into every derived Series: with the labels of thousands of
        # columns that made this loop quadratic (issue 12), so they are set after it.
        out.attrs = {}
        for column in out.columns:
            series = out[column]
            if pd.api.types.is_string_dtype(series) or series.dtype == object:
                out[column] = stripped_or_missing(series)
        # pandas deep-copies attrs into every derived Series: keep them to a few strings.
        labels = json.dumps(dict(frame.attrs.get("labels") or {}))
        out.attrs = {_PREPARED: True, _DOMAIN: domain_of(name, frame), _LABELS: labels}
        if frame.attrs.get("source_file"):
            out.attrs["source_file"] = str(frame.attrs["source_file"])
        prepared[name.upper()] = out
    return MappingProxyType(prepared)


def labels_of(frame: pd.DataFrame) -> dict[str, str]:
    """Return the variable labels a dataset carries (``attrs["labels"]``), if any."""
    if _LABELS in frame.attrs:
        return json.loads(frame.attrs[_LABELS])
    return dict(frame.attrs.get("labels") or {})


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as stripped text with blanks as missing; all-missing if absent."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    series = frame[column]
    if frame.attrs.get(_PREPARED) and isinstance(series.dtype, pd.StringDtype):
        return series
    if pd.api.types.is_float_dtype(series):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        if np.signbit(numbers[numbers == 0]).any():
            as_text = _float_text(series)  # -0.0 and 0.0 are one value to factorize
        else:
            # Numbers repeat (visit numbers, results): each distinct one is written once.
            as_text = per_distinct(
                series, lambda distinct: _float_text(distinct.astype("float64")), pd.NA
            ).astype("string")
    elif pd.api.types.is_string_dtype(series) or series.dtype == object:
        return stripped_or_missing(series)
    else:
        as_text = series.astype("string")
    return as_text.where(as_text.str.len() > 0)


def _float_text(series: pd.Series) -> pd.Series:
    """Numbers as the text a person sees, for ``text``."""
    # Round away binary noise (9.299999999999999 is the 9.3 someone typed) and show
    # integral numbers without ".0", so numeric keys compare like the text a person sees.
    rounded = series.round(9)
    if ((rounded % 1 == 0) | rounded.isna()).all():
        return rounded.astype("Int64").astype("string")
    return rounded.astype("string").str.replace(r"\.0$", "", regex=True)


def number(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as floats (unparseable or absent -> NaN)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _matches(values: pd.Series, pattern: str) -> pd.Series:
    if not isinstance(values.dtype, pd.StringDtype):
        return values.str.match(pattern).fillna(False).astype(bool)
    return per_distinct(
        values,
        lambda text: text.astype("string").str.match(pattern).fillna(False).astype(bool),
        False,
    ).astype(bool)


def is_numeric_text(values: pd.Series) -> pd.Series:
    """Return True where a text value is a plain decimal number (no comparator, no unit)."""
    return _matches(values, _NUMERIC)


def is_canonical_number(values: pd.Series) -> pd.Series:
    """Return True where a text value is a canonical decimal (``-12.5``; not ``+5``, ``05``)."""
    return _matches(values, _CANONICAL_NUMBER)


def _complete_date(values: pd.Series) -> pd.Series:
    # A partial date ("2024-03") or a "-" placeholder ("2024---15") fails the exact format.
    return pd.to_datetime(values.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def complete_date(values: pd.Series) -> pd.Series:
    """Return the date part as datetime64 where it is a complete date, else NaT."""
    if not isinstance(values.dtype, pd.StringDtype):
        return _complete_date(values)
    # Each distinct date-time text is parsed once (a lab draw time is shared by its tests).
    return per_distinct(values, lambda text: _complete_date(text.astype("string")), pd.NaT)


def is_partial_date(values: pd.Series) -> pd.Series:
    """True where a date-time is populated but its date part is not a complete date."""
    return values.notna() & complete_date(values).isna()


def after(first: pd.Series, second: pd.Series) -> pd.Series:
    """True where ``first`` is later than ``second``, compared at their common precision.

    Both are ISO 8601 date-time texts (``2024-03`` vs ``2024-03-05T10``: months compare); rows
    where either side is missing or not ISO 8601 are False. The comparison is the one the
    derivations use (``sdtm.derive.dates.compute_dtc_compare``).
    """
    return (compute_dtc_compare(first, second) > 0).fillna(False).astype(bool)


def subject_map(dm: pd.DataFrame, column: str) -> pd.Series:
    """Return DM ``column`` as text indexed by USUBJID (first record per subject)."""
    keyed = pd.DataFrame({"USUBJID": text(dm, "USUBJID"), "value": text(dm, column)})
    keyed = keyed.dropna(subset=["USUBJID"]).drop_duplicates("USUBJID")
    return keyed.set_index("USUBJID")["value"]


def lookup(keys: pd.Series, table: pd.Series | Mapping[str, str]) -> pd.Series:
    """Map ``keys`` through ``table`` and return text (missing where a key is not found)."""
    return keys.map(table).astype("string")


def prefixed(code: str, frame: pd.DataFrame, suffix: str) -> str | None:
    """Return ``<domain><suffix>`` (e.g. ``AESTDTC``) when that column exists, else ``None``."""
    column = f"{code[:2]}{suffix}" if not code.startswith("SUPP") else suffix
    return column if column in frame.columns else None


class Detail:
    """A check's message text, put together only for the rows that get a finding.

    ``Detail("AESTDTC ", start, " is after ", end)`` stands for the text
    ``"AESTDTC " + start + " is after " + end``: parts are text or Series aligned with the
    dataset. Checks run over every record, but most select no row or a few; joining the text
    for all records first cost more than the checks themselves on large datasets.
    """

    __slots__ = ("parts",)

    def __init__(self, *parts: str | pd.Series | Detail) -> None:
        """Hold the parts in order (a ``Detail`` among them contributes its own parts)."""
        flat: list[str | pd.Series] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, Detail) else (part,))
        self.parts = tuple(flat)

    def at(self, rows: pd.Index) -> pd.Series | str:
        """The text of the rows ``rows`` (index labels of the dataset)."""
        text: pd.Series | str | None = None
        for part in self.parts:
            piece = part if isinstance(part, str) else part.loc[rows]
            text = piece if text is None else text + piece
        return "" if text is None else text


def make_findings(
    dataset: str,
    frame: pd.DataFrame,
    mask: pd.Series,
    *,
    variable: str | None,
    value: pd.Series | None = None,
    detail: pd.Series | str | Detail = "",
    code: str | None = None,
) -> FindingsTable:
    """Build located findings for the rows of ``frame`` where ``mask`` is True.

    Args:
        dataset: Dataset name as given (``LBCH``).
        frame: The dataset with a 0-based positional index.
        mask: Rows that violate the rule.
        variable: Variable concerned.
        value: Offending values (defaults to ``frame[variable]``).
        detail: Check-specific text (one string, one per row, or a ``Detail`` built for the
            selected rows only) for the message.
        code: Domain code, used to find ``--SEQ``.

    Returns:
        The findings, with ``rule_id``/``severity`` left for the registry to fill.
    """
    mask = mask.fillna(False).astype(bool) if mask.dtype != bool else mask
    if not mask.any():
        return EMPTY
    rows = frame.index[mask.to_numpy()]
    code = code or domain_of(dataset, frame)
    seq_column = prefixed(code, frame, "SEQ")
    if value is None:
        value = text(frame, variable) if variable else pd.Series(pd.NA, index=frame.index)
    out = pd.DataFrame(
        {
            "dataset": dataset.upper(),
            "variable": variable,
            "usubjid": text(frame, "USUBJID").loc[rows].astype("object"),
            "seq": number(frame, seq_column).loc[rows] if seq_column else np.nan,
            "row": rows.to_numpy() + 1,
            "value": value.loc[rows].astype("object").where(value.loc[rows].notna(), None),
            "message": detail.loc[rows]
            if isinstance(detail, pd.Series)
            else detail.at(rows)
            if isinstance(detail, Detail)
            else detail,
            "source_file": frame.attrs.get("source_file"),
        },
        index=rows,
    )
    out["value"] = out["value"].map(_as_text, na_action="ignore")
    return FindingsTable.from_frame(out.reset_index(drop=True))


def dataset_finding(dataset: str, *, variable: str | None = None, detail: str = "", value=None):
    """Build one finding about a whole dataset (or a missing one), not a record."""
    frame = pd.DataFrame(
        [{"dataset": dataset.upper(), "variable": variable, "value": value, "message": detail}]
    )
    return FindingsTable.from_frame(frame)


def collect(tables: list[FindingsTable]) -> FindingsTable:
    """Concatenate findings tables (empty result when none)."""
    found = [table for table in tables if len(table)]
    if not found:
        return EMPTY
    return found[0] if len(found) == 1 else FindingsTable.concat(found)


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = [
    "FINDING_COLUMNS",
    "after",
    "collect",
    "complete_date",
    "dataset_finding",
    "datasets",
    "domain_of",
    "domain_parts",
    "frame_of",
    "is_numeric_text",
    "is_partial_date",
    "make_findings",
    "number",
    "prefixed",
    "subject_map",
    "supp_datasets",
    "text",
]
