"""ISO 8601 date/time helpers for SDTM ``--DTC`` values: precision, comparison, durations.

SDTMIG 3.4 §4.4.1 and §4.4.2: dates are ISO 8601 text at the precision collected
(``2024``, ``2024-03``, ``2024-03-12``, ``2024-03-12T14``, ``2024-03-12T14:30``,
``2024-03-12T14:30:15``); SDTM never imputes. Elapsed times and durations are ISO 8601
durations (§4.4.3, §4.4.10). All functions here are vectorized ``compute_*`` helpers.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

from sdtm.read.text import regex_mask, stripped

_DTC_RE = (
    r"^(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2})"
    r"(?::(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2}(?:\.\d+)?))?)?)?)?)?$"
)
# Characters of the normalised text up to each precision: "YYYY", "YYYY-MM", ... "...T hh:mm:ss".
_PREFIX_LENGTH = {1: 4, 2: 7, 3: 10, 4: 13, 5: 16, 6: 19}


class DatePrecision(IntEnum):
    """How much of an ISO 8601 date/time was collected; ``INVALID`` for non-ISO text."""

    MISSING = -1
    INVALID = 0
    YEAR = 1
    MONTH = 2
    DAY = 3
    HOUR = 4
    MINUTE = 5
    SECOND = 6


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Return the code of each value (``-1`` for null) and the distinct values, stripped.

    A study holds far fewer distinct date strings than records (a lab draw time is shared by
    all the tests of the draw), so each helper below parses every distinct string once and
    maps the answer back by code instead of running its regexes on every record.
    """
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    return codes, stripped(pd.Series(np.asarray(uniques, dtype=object), dtype="string"))


def _spread(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index, fill: object) -> pd.Series:
    """Return ``per_distinct`` taken by ``codes`` (``-1`` gives ``fill``), on ``index``."""
    taken = pd.api.extensions.take(per_distinct.array, codes, allow_fill=True, fill_value=fill)
    return pd.Series(taken, index=index)


def _precision_of(text: pd.Series) -> np.ndarray:
    """``DatePrecision`` values of stripped ISO 8601 texts (the distinct values of a column)."""
    array = text.to_numpy(dtype=object, na_value=None)
    present = np.flatnonzero(~pd.isna(array))
    values = array[present]
    # Length identifies the precision of a valid value; fullmatch (no group extraction) keeps
    # this fast. The regexes run as compiled-pattern methods mapped in C over the values.
    valid = np.zeros(len(array), dtype=bool)
    valid[present] = regex_mask(values, _DTC_RE, "fullmatch")
    length = np.zeros(len(array), dtype=np.int64)
    length[present] = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    level = np.select(
        [length == 4, length == 7, length == 10, length == 13, length == 16, length >= 19],
        [1, 2, 3, 4, 5, 6],
        default=0,
    )
    precision = np.where(valid, level, int(DatePrecision.INVALID))
    # Placeholder forms such as "2024---15" or "2024-03-12T-:30" keep only their leading part.
    # Only values that are not valid ISO 8601 can be such forms: the patterns run on those.
    odd = present[~valid[present]]
    gaps = []
    for pattern in (r"^\d{4}-\d{2}-\d{2}T-", r"^\d{4}-\d{2}--", r"^\d{4}--"):
        found = np.zeros(len(array), dtype=bool)
        found[odd] = regex_mask(array[odd], pattern, "match")
        gaps.append(found)
    gap_level = np.select(gaps, [3, 2, 1], default=0)
    precision = np.where(~valid & (gap_level > 0), gap_level, precision)
    missing = length == 0
    return np.where(missing, int(DatePrecision.MISSING), precision).astype("int64")


def compute_dtc_precision(dtc: pd.Series) -> pd.Series:
    """Return the ``DatePrecision`` (as int) of each ISO 8601 value.

    Values with ``-`` placeholders for a missing component (``2024---15``) are reduced to the
    precision before the first gap (year), since no SDTM day can be computed from them.

    Args:
        dtc: ISO 8601 date/time text; nulls and blanks are ``MISSING``.

    Returns:
        Int Series aligned with ``dtc``.
    """
    codes, uniques = _distinct(dtc)
    per_distinct = pd.Series(_precision_of(uniques))
    return _spread(per_distinct, codes, dtc.index, int(DatePrecision.MISSING)).astype("int64")


def _date_of(text: pd.Series) -> pd.Series:
    """Calendar dates of stripped texts with at least day precision, else ``NaT``."""
    precision = _precision_of(text)
    day = text.str.slice(0, 10).where(precision >= DatePrecision.DAY)
    return pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")


def compute_date(dtc: pd.Series) -> pd.Series:
    """Return the calendar date of each value with at least day precision, else ``NaT``.

    Time of day is dropped: SDTM study days count calendar dates (SDTMIG 3.4 §4.4.4).
    """
    codes, uniques = _distinct(dtc)
    return _spread(_date_of(uniques), codes, dtc.index, pd.NaT)


def _datetime_of(text: pd.Series) -> pd.Series:
    """Timestamps of stripped texts with at least day precision (missing parts 0), else NaT."""
    precision = pd.Series(_precision_of(text), index=text.index)
    template = "0000-01-01T00:00:00"
    full = pd.Series(pd.NA, index=text.index, dtype="string")
    for level in (DatePrecision.DAY, DatePrecision.HOUR, DatePrecision.MINUTE):
        length = _PREFIX_LENGTH[level]
        # Complete the collected prefix with the template's zeros ("...T14" -> "...T14:00:00").
        full = full.mask(precision == level, text.str.slice(0, length) + template[length:])
    full = full.mask(precision == DatePrecision.SECOND, text.str.slice(0, 19))
    return pd.to_datetime(full, format="%Y-%m-%dT%H:%M:%S", errors="coerce")


def compute_datetime(dtc: pd.Series) -> pd.Series:
    """Return each value as a timestamp at the precision collected, missing parts set to 0.

    Only values with at least day precision get a timestamp; a date-only value becomes
    midnight, so callers that need to know whether a time was collected must also look at
    ``compute_dtc_precision``.
    """
    codes, uniques = _distinct(dtc)
    return _spread(_datetime_of(uniques), codes, dtc.index, pd.NaT)


def _compare_text(left: pd.Series, right: pd.Series) -> pd.Series:
    """``compute_dtc_compare`` on stripped texts aligned by position."""
    common = np.minimum(_precision_of(left), _precision_of(right))
    result = pd.Series(pd.NA, index=left.index, dtype="Int64")
    for level, length in _PREFIX_LENGTH.items():
        at_level = common == level
        if not at_level.any():
            continue
        # Casting to a numpy string of ``length`` characters keeps the leading ``length``
        # characters (str.slice(0, length)); numpy compares them by code point, as Python does.
        a = left.to_numpy(dtype=object, na_value="")[at_level].astype(f"U{length}")
        b = right.to_numpy(dtype=object, na_value="")[at_level].astype(f"U{length}")
        result[at_level] = np.where(a < b, -1, np.where(a > b, 1, 0))
    return result


def compute_dtc_compare(left: pd.Series, right: pd.Series) -> pd.Series:
    """Compare two ISO 8601 series at their common precision.

    ``2024-03`` vs ``2024-03-12`` compare at month precision and are equal (0): neither can
    be shown to be earlier. ``2024-03-11`` vs ``2024-03-12T10:05`` compare at day precision: -1.

    Args:
        left: ISO 8601 text.
        right: ISO 8601 text, aligned with ``left``.

    Returns:
        Int64 Series: -1 when ``left`` is earlier, 0 when equal at the common precision,
        1 when later, ``<NA>`` when either value is missing or not ISO 8601.
    """
    left_codes, left_values = _distinct(left)
    right_codes, right_values = _distinct(right)
    # Compare each distinct (left, right) pair once: pair codes combine both value codes
    # (+1 so that null, code -1, is a value of its own).
    pair = (left_codes.astype("int64") + 1) * (len(right_values) + 1) + (right_codes + 1)
    pair_codes, pairs = pd.factorize(pair)
    pairs = np.asarray(pairs, dtype="int64")
    left_at = pairs // (len(right_values) + 1) - 1
    right_at = pairs % (len(right_values) + 1) - 1
    fill = pd.Series([pd.NA], dtype="string")
    a = pd.concat([left_values, fill], ignore_index=True).take(left_at).reset_index(drop=True)
    b = pd.concat([right_values, fill], ignore_index=True).take(right_at).reset_index(drop=True)
    return _spread(_compare_text(a, b), pair_codes, left.index, pd.NA).astype("Int64")


def compute_common_precision(left: pd.Series, right: pd.Series) -> pd.Series:
    """Return the lower of the two precisions per row (``DatePrecision`` values as int)."""
    return pd.Series(
        np.minimum(compute_dtc_precision(left), compute_dtc_precision(right)), index=left.index
    )


def compute_iso_duration(hours: pd.Series) -> pd.Series:
    """Format durations given in hours as ISO 8601 durations (SDTMIG 3.4 §4.4.10).

    Whole days are written as days (``168`` -> ``P7D``), the rest as hours/minutes/seconds
    (``-1`` -> ``-PT1H``, ``0.25`` -> ``PT15M``, ``30`` -> ``P1DT6H``, ``0`` -> ``PT0H``).
    The negative sign for times before the reference follows the SDTMIG ``--ELTM`` examples.

    Args:
        hours: Numeric hours; nulls stay null.

    Returns:
        String Series of durations.
    """
    values = pd.to_numeric(hours, errors="coerce")
    total_seconds = (values.abs() * 3600).round().astype("Int64")
    days = total_seconds // 86400
    rest = total_seconds % 86400
    h = rest // 3600
    m = (rest % 3600) // 60
    s = rest % 60

    def part(amount: pd.Series, suffix: str) -> pd.Series:
        text = amount.astype("string") + suffix
        return text.where(amount > 0, "").fillna("")

    time_part = part(h, "H") + part(m, "M") + part(s, "S")
    time_part = ("T" + time_part).where(time_part != "", "")
    day_part = part(days, "D")
    body = day_part + time_part
    body = body.where(body != "", "T0H")
    sign = pd.Series("", index=values.index, dtype="string").mask(values < 0, "-")
    out = sign + "P" + body
    return out.where(values.notna(), pd.NA).astype("string")
