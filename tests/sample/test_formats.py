import datetime as dt

import pytest

from sdtm.sample.formats import edc_date, edc_partial_date, hhmm, iso_date, number, trim_number


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [((2024, 1), {}, "UN JAN 2024"), ((2024,), {}, "UN UNK 2024"),
     ((2024,), {"unknown_day": "UNK"}, "UNK UNK 2024"), ((2024, 3, 5), {}, "05 MAR 2024")],
    ids=["day-unknown", "month-unknown", "unk-token", "complete"],
)
def test_edc_partial_date(args, kwargs, expected):
    assert edc_partial_date(*args, **kwargs) == expected


def test_edc_date_and_times():
    assert edc_date(dt.date(2024, 3, 12)) == "12 MAR 2024"
    assert edc_date(None) == ""
    assert hhmm(dt.datetime(2024, 3, 12, 7, 5)) == "07:05"
    assert hhmm(None) == ""
    assert iso_date(dt.date(2024, 3, 12)) == "2024-03-12"


@pytest.mark.parametrize(("value", "decimals", "expected"),
                         [(3.0, 1, "3"), (2.50, 2, "2.5"), (0.0004, 2, "0"), (12345.678, 1,
                                                                               "12345.7")],
                         ids=["int", "trailing-zero", "rounds-to-zero", "no-sci"])
def test_trim_number(value, decimals, expected):
    assert trim_number(value, decimals) == expected


def test_number_never_uses_scientific_notation():
    assert number(12000000.0, 1) == "12000000.0"
    assert number(0.00012, 3) == "0.000"
