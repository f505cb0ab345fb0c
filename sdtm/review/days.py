"""The time axis of a subject timeline: days since the reference date, shown as study days.

A position ``t`` is the number of days (fractional) since midnight at the start of the
subject's reference date (the date part of ``DM.RFSTDTC``). Study days follow SDTMIG 3.4
§4.4.4: the reference date is day 1 and the day before it is day -1; there is no day 0. So
day ``d >= 1`` covers ``t`` in ``[d - 1, d)`` and day ``d <= -1`` covers ``[d, d + 1)``: the
axis is continuous (no gap where day 0 would be) while its labels skip 0.

Dates with less than day precision have no position (SDTM never imputes; such records are
counted as not drawn). A date without a time is placed at the start of its day for the start
of a bar, at the end of its day for the end of a bar, and at midday for a single event.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
import pandas as pd

from sdtm.derive.dates import DatePrecision, compute_datetime, compute_dtc_precision

_DAY = pd.Timedelta(days=1)


class Anchor(StrEnum):
    """Where in its day a date without a time is placed."""

    START = "start"
    MIDDLE = "middle"
    END = "end"


_OFFSET = {Anchor.START: 0.0, Anchor.MIDDLE: 0.5, Anchor.END: 1.0}


def compute_reference_date(rfstdtc: pd.Series) -> pd.Series:
    """Return midnight of the date part of each reference date/time (``NaT`` if partial)."""
    return compute_datetime(rfstdtc).dt.normalize()


def compute_days(dtc: pd.Series, ref_dates: pd.Series, *, anchor: Anchor) -> pd.Series:
    """Return the axis position ``t`` (days since the reference midnight) of each date/time.

    Args:
        dtc: ISO 8601 date/time text.
        ref_dates: Reference midnights aligned with ``dtc`` (:func:`compute_reference_date`).
        anchor: Where a date without a time goes in its day.

    Returns:
        Float Series; NaN where the date is partial, invalid or missing, or has no reference.

    Examples:
        >>> ref = compute_reference_date(pd.Series(["2024-03-12T10:05"] * 3))
        >>> compute_days(pd.Series(["2024-03-12T12:00", "2024-03-11", "2024"]), ref,
        ...              anchor=Anchor.START).tolist()
        [0.5, -1.0, nan]
    """
    stamps = compute_datetime(dtc)
    precision = compute_dtc_precision(dtc)
    days = (stamps - pd.to_datetime(ref_dates)) / _DAY
    date_only = (precision == int(DatePrecision.DAY)).to_numpy()
    shifted = np.where(date_only, days.to_numpy(dtype=float) + _OFFSET[anchor], days)
    return pd.Series(shifted, index=dtc.index, dtype="float64")


def study_day(t: float) -> int:
    """Return the study day that contains axis position ``t`` (never 0).

    Examples:
        >>> [study_day(t) for t in (-0.5, 0.0, 0.99, 28.0)]
        [-1, 1, 1, 29]
    """
    whole = math.floor(t)
    return whole + 1 if whole >= 0 else whole


def day_start(day: int) -> float:
    """Return the axis position where study day ``day`` starts.

    Raises:
        ValueError: for day 0, which does not exist.

    Examples:
        >>> [day_start(d) for d in (-1, 1, 29)]
        [-1.0, 0.0, 28.0]
    """
    if day == 0:
        raise ValueError("there is no study day 0 (SDTMIG 3.4 §4.4.4)")
    return float(day - 1 if day > 0 else day)


def compute_study_days(t: pd.Series) -> pd.Series:
    """Vectorised :func:`study_day`: the study day of each axis position (``<NA>`` for NaN).

    Examples:
        >>> compute_study_days(pd.Series([-0.5, 0.0, 28.0, float("nan")])).tolist()
        [-1, 1, 29, <NA>]
    """
    whole = np.floor(t.to_numpy(dtype=float))
    days = np.where(whole >= 0, whole + 1, whole)
    return pd.Series(days, index=t.index).astype("Int64")
