from datetime import date as _date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.mapping.dates import compute_iso_datetime


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("12 MAR 2024", "08:05", "2024-03-12T08:05"),
        ("12 MAR 2024", "14:UN", "2024-03-12T14"),  # hour precision
        ("12 MAR 2024", "UNK", "2024-03-12"),
        ("12 MAR 2024", None, "2024-03-12"),
        ("UN JAN 2024", "10:00", "2024-01"),  # no time on a partial date
        ("UNK UNK 2024", None, "2024"),
        ("UN UNK 1956", None, "1956"),
        ("12 mar 2024", "8:05", "2024-03-12T08:05"),
        ("UNK UNK UNK", None, None),
        (None, "10:00", None),
    ],
    ids=[
        "full",
        "hour-only",
        "time-unknown",
        "no-time",
        "month",
        "year",
        "un-unk",
        "lower",
        "all-unknown",
        "no-date",
    ],
)
def test_compute_iso_datetime_keeps_collected_precision(date, time, expected):
    iso, bad_date, bad_time = compute_iso_datetime(
        pd.Series([date], dtype="string"), pd.Series([time], dtype="string"), "DD MON YYYY"
    )
    assert (None if pd.isna(iso[0]) else iso[0]) == expected
    assert not bad_date[0]
    assert not bad_time[0]


@pytest.mark.parametrize(
    "date",
    ["31 FEB 2024", "12 XYZ 2024", "garbage", "2024-03-12"],
    ids=["impossible-day", "bad-month", "text", "wrong-format"],
)
def test_compute_iso_datetime_flags_unreadable_dates(date):
    iso, bad_date, _ = compute_iso_datetime(pd.Series([date]), None, "DD MON YYYY")
    assert pd.isna(iso[0])
    assert bad_date[0]


def test_compute_iso_datetime_flags_bad_time_and_keeps_date():
    iso, bad_date, bad_time = compute_iso_datetime(
        pd.Series(["05 JAN 2024"]), pd.Series(["25:00"]), "DD MON YYYY"
    )
    assert iso[0] == "2024-01-05"
    assert not bad_date[0]
    assert bad_time[0]


@pytest.mark.parametrize(
    ("date", "time", "fmt", "expected"),
    [
        ("2024-03-12", "09:10", "YYYY-MM-DD", "2024-03-12T09:10"),
        ("2024-03-12", "UNK", "YYYY-MM-DD", "2024-03-12"),
        ("2024-03", None, "YYYY-MM-DD", "2024-03"),
        ("2024-03-12T09:10", None, "ISO 8601", "2024-03-12T09:10"),
        ("12/03/2024", None, "DD/MM/YYYY", "2024-03-12"),
        ("03/12/2024", None, "MM/DD/YYYY", "2024-03-12"),
    ],
    ids=["iso-date", "iso-unk-time", "iso-partial", "iso-datetime", "dmy", "mdy"],
)
def test_compute_iso_datetime_other_formats(date, time, fmt, expected):
    times = None if time is None else pd.Series([time])
    iso, bad_date, _ = compute_iso_datetime(pd.Series([date]), times, fmt)
    assert iso[0] == expected
    assert not bad_date[0]


MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=_date(1900, 1, 1), max_value=_date(2099, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    unknown=st.sampled_from(["none", "day", "month", "minute"]),
)
def test_edc_dates_round_trip_to_iso_at_the_collected_precision(day, hour, minute, unknown):
    day_text = "UN" if unknown in ("day", "month") else f"{day.day:02d}"
    month_text = "UNK" if unknown == "month" else MONTH_NAMES[day.month - 1]
    minute_text = "UN" if unknown == "minute" else f"{minute:02d}"
    raw_date = f"{day_text} {month_text} {day.year}"
    raw_time = f"{hour:02d}:{minute_text}"
    iso, bad_date, bad_time = compute_iso_datetime(
        pd.Series([raw_date]), pd.Series([raw_time]), "DD MON YYYY"
    )
    expected = {
        "none": f"{day.isoformat()}T{hour:02d}:{minute:02d}",
        "minute": f"{day.isoformat()}T{hour:02d}",
        "day": f"{day.year:04d}-{day.month:02d}",
        "month": f"{day.year:04d}",
    }[unknown]
    assert iso[0] == expected
    assert not bad_date[0] and not bad_time[0]
