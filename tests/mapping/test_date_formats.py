"""Date formats of assign_datetime (issue 10): one passing and one failing case per format.

Expected ISO 8601 values are worked out by hand: SAS dates count days from 1960-01-01
(23447 = 2024-03-12), SAS datetimes seconds from 1960-01-01T00:00:00 (23447 * 86400 + 8.4167 h
= 2025851100 = 2024-03-12T08:25), Excel serials days of
the 1900 system (45363 = 2024-03-12; .5 is noon).
"""

import pandas as pd
import pytest

from sdtm.mapping.dates import (
    DATE_FORMATS,
    compute_iso_datetime,
    date_format_problem,
    time_format_problem,
    user_date_pattern,
)


def _iso(dates, date_format, times=None, time_format=None):
    iso, bad_date, bad_time = compute_iso_datetime(
        pd.Series(dates, dtype="string"),
        None if times is None else pd.Series(times, dtype="string"),
        date_format,
        time_format,
    )
    return (
        [None if pd.isna(v) else v for v in iso],
        bad_date.tolist(),
        bad_time.tolist(),
    )


@pytest.mark.parametrize(
    ("date_format", "good", "expected", "bad"),
    [
        ("DD MON YYYY", ["12 MAR 2024", "UN/MAR/2024", "UNK-UNK-2024"],
         ["2024-03-12", "2024-03", "2024"], "12 MAX 2024"),
        ("DD/MM/YYYY", ["03/04/2024", "UN/04/2024"], ["2024-04-03", "2024-04"], "31/02/2024"),
        ("MM/DD/YYYY", ["03/04/2024", "12/UN/2024"], ["2024-03-04", "2024-12"], "13/01/2024"),
        ("YYYY-MM-DD", ["2024-03-12", "2024-03"], ["2024-03-12", "2024-03"], "2024-3-12x"),
        ("ISO 8601", ["2024-03-12T14:05", "2024"], ["2024-03-12T14:05", "2024"], "12.03.2024"),
        ("ISO 8601 basic", ["20240312", "20240312T0830", "202403"],
         ["2024-03-12", "2024-03-12T08:30", "2024-03"], "20241312"),
        ("YYYY/MM/DD HH:MM", ["2024/03/12 14:05", "2024/03/12", "2024/UN/UN"],
         ["2024-03-12T14:05", "2024-03-12", "2024"], "2024/03/12 1405"),
        ("SAS DATE", ["23447", "0"], ["2024-03-12", "1960-01-01"], "23447.5"),
        ("SAS DATETIME", ["2025851100"], ["2024-03-12T08:25:00"], "12MAR2024"),
        ("EXCEL DATE", ["45363", "45363.5"], ["2024-03-12", "2024-03-12T12:00:00"], "60"),
        ("%d.%m.%Y %H:%M", ["12.03.2024 14:05", "12.03.2024", "UN.03.2024"],
         ["2024-03-12T14:05", "2024-03-12", "2024-03"], "2024-03-12"),
    ],
    ids=["DD-MON-YYYY", "DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "ISO-8601",
         "ISO-8601-basic", "YYYY/MM/DD-HH:MM", "SAS-DATE", "SAS-DATETIME", "EXCEL-DATE",
         "user-pattern"],
)
def test_date_format_reads_its_values_and_reports_others(date_format, good, expected, bad):
    iso, bad_date, _ = _iso([*good, bad], date_format)
    assert iso == [*expected, None]
    assert bad_date == [False] * len(good) + [True]


def test_every_named_format_is_covered_by_the_test_above():
    # a new named format must get its passing and failing case here
    assert set(DATE_FORMATS) == {
        "DD MON YYYY", "DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "ISO 8601", "ISO 8601 basic",
        "YYYY/MM/DD HH:MM", "SAS DATE", "SAS DATETIME", "EXCEL DATE",
    }


def test_time_format_hhmm_next_to_a_basic_date():
    # lab dates 20240312 + 0830 (ISO 8601 basic); 2561 is no time: the date is kept
    iso, _, bad_time = _iso(
        ["20240312", "20240312", "20240312"], "ISO 8601 basic", ["0830", "830", "2561"], "HHMM"
    )
    assert iso == ["2024-03-12T08:30", "2024-03-12T08:30", "2024-03-12"]
    assert bad_time == [False, False, True]


def test_time_format_default_does_not_read_hhmm():
    iso, _, bad_time = _iso(["20240312"], "ISO 8601 basic", ["0830"])
    assert iso == ["2024-03-12"]
    assert bad_time == [True]


def test_date_and_time_in_one_cell_with_unknown_minutes_is_reduced_not_imputed():
    iso, _, _ = _iso(["12 MAR 2024"], "DD MON YYYY", ["14:UN"])
    assert iso == ["2024-03-12T14"]


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [
        (None, "03/04/2024 reads two ways"),
        ("DD-MM-YY", "unknown date format 'DD-MM-YY'"),
        ("%d/%m/%y", "two-digit year"),
        ("%d/%m", "needs %Y"),
        ("%Y-%m-%d %Q", "unknown directive '%Q'"),
        ("%Y %H:%M", "needs a full date"),
        ("%Y-%m-%m", "appears twice"),
    ],
    ids=["missing", "unknown-name", "two-digit-year", "no-year", "bad-directive",
         "time-without-day", "repeated"],
)
def test_a_date_format_that_would_be_a_guess_is_a_spec_problem(date_format, expected):
    assert expected in (date_format_problem(date_format) or "")


def test_usable_formats_have_no_problem():
    assert date_format_problem("%Y/%m/%d %H:%M") is None
    assert date_format_problem("DD MON YYYY") is None
    assert time_format_problem("HHMM") is None
    assert "unknown time format" in (time_format_problem("HH.MM") or "")


def test_user_pattern_time_part_is_optional():
    pattern = user_date_pattern("%Y/%m/%d %H:%M")
    assert pattern.endswith(")?$")
