import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdtm.derive.dates import (
    DatePrecision,
    compute_date,
    compute_datetime,
    compute_dtc_compare,
    compute_dtc_precision,
    compute_iso_duration,
)
from sdtm.mapping.dates import compute_duration_hours


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024", DatePrecision.YEAR),
        ("2024-03", DatePrecision.MONTH),
        ("2024-03-12", DatePrecision.DAY),
        ("2024-03-12T14", DatePrecision.HOUR),
        ("2024-03-12T14:30", DatePrecision.MINUTE),
        ("2024-03-12T14:30:15", DatePrecision.SECOND),
        ("2024-03-12T14:30:15.25", DatePrecision.SECOND),
        ("2024---15", DatePrecision.YEAR),  # month missing: only the year is usable
        ("12 MAR 2024", DatePrecision.INVALID),
        ("2024-03-12T14:UN", DatePrecision.INVALID),
        ("", DatePrecision.MISSING),
        (None, DatePrecision.MISSING),
    ],
    ids=[
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "fraction",
        "gap",
        "raw-text",
        "unknown-minute",
        "blank",
        "null",
    ],
)
def test_compute_dtc_precision(value, expected):
    assert compute_dtc_precision(pd.Series([value], dtype="object")).tolist() == [int(expected)]


def test_compute_date_drops_time_and_nulls_partial_dates():
    dates = compute_date(pd.Series(["2024-03-12T23:59", "2024-03", None]))
    assert dates.tolist()[0] == pd.Timestamp("2024-03-12")
    assert dates.isna().tolist() == [False, True, True]


def test_compute_datetime_completes_hour_precision():
    values = compute_datetime(pd.Series(["2024-03-12T14", "2024-03-12", "2024"]))
    assert values.tolist()[:2] == [pd.Timestamp("2024-03-12 14:00"), pd.Timestamp("2024-03-12")]
    assert pd.isna(values.iloc[2])


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("2024-03-11", "2024-03-12T10:05", -1),
        ("2024-03-12T08:00", "2024-03-12T10:05", -1),
        ("2024-03-12", "2024-03-12T10:05", 0),  # equal at day precision: order unknown
        ("2024-03", "2024-03-12", 0),
        ("2024-04", "2024-03-12", 1),
        ("2024-03-12T10:05", "2024-03-12T10:05", 0),
        (None, "2024-03-12", None),
        ("junk", "2024-03-12", None),
    ],
    ids=[
        "day-before",
        "time-before",
        "date-vs-datetime",
        "month",
        "month-after",
        "same",
        "null",
        "invalid",
    ],
)
def test_compute_dtc_compare_uses_common_precision(left, right, expected):
    result = compute_dtc_compare(pd.Series([left], dtype="object"), pd.Series([right]))
    assert [None if pd.isna(v) else int(v) for v in result] == [expected]


@pytest.mark.parametrize(
    ("hours", "duration"),
    [
        (168, "P7D"),
        (-1, "-PT1H"),
        (0.25, "PT15M"),
        (30, "P1DT6H"),
        (0, "PT0H"),
        (4032, "P168D"),
        (-0.25, "-PT15M"),
        (1.5, "PT1H30M"),
    ],
    ids=[
        "day7",
        "pre-infusion",
        "15min",
        "day-and-hours",
        "zero",
        "month6",
        "neg-15min",
        "hour-and-half",
    ],
)
def test_compute_iso_duration_and_back(hours, duration):
    assert compute_iso_duration(pd.Series([hours])).tolist() == [duration]
    assert compute_duration_hours(pd.Series([duration])).tolist() == [hours]


def test_compute_duration_hours_rejects_calendar_units_and_text():
    assert compute_duration_hours(pd.Series(["P1Y", "P2M", "soon", None])).isna().all()


@given(st.integers(min_value=-10_000 * 60, max_value=10_000 * 60))
def test_iso_duration_round_trips_whole_minutes(minutes):
    hours = minutes / 60
    back = compute_duration_hours(compute_iso_duration(pd.Series([hours])))
    assert back.iloc[0] == pytest.approx(hours)
