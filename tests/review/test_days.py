import math

import pandas as pd
import pytest

from sdtm.review.days import (
    Anchor,
    compute_days,
    compute_reference_date,
    compute_study_days,
    day_start,
    study_day,
)

RFSTDTC = "2024-03-12T10:05"


def _days(values, anchor):
    ref = compute_reference_date(pd.Series([RFSTDTC] * len(values)))
    return compute_days(pd.Series(values, dtype="object"), ref, anchor=anchor).tolist()


@pytest.mark.parametrize(
    ("value", "anchor", "expected"),
    [
        # 12:00 on the reference date: half a day after its midnight
        ("2024-03-12T12:00", Anchor.START, 0.5),
        # date only: start, middle or end of its day
        ("2024-03-11", Anchor.START, -1.0),
        ("2024-03-11", Anchor.MIDDLE, -0.5),
        ("2024-03-11", Anchor.END, 0.0),
        # 2024-03-16T18:00 (an emapalumab dose of the seed subject): 4 days 18 h after
        ("2024-03-16T18:00", Anchor.MIDDLE, 4.75),
    ],
    ids=["time", "date-start", "date-middle", "date-end", "datetime-ignores-anchor"],
)
def test_compute_days_places_dates_on_the_axis(value, anchor, expected):
    assert _days([value], anchor) == [expected]


@pytest.mark.parametrize(
    "value",
    ["2024", "2024-03", "", None, "not a date"],
    ids=["year", "month", "blank", "null", "text"],
)
def test_compute_days_gives_no_position_without_a_full_date(value):
    assert math.isnan(_days([value], Anchor.START)[0])


@pytest.mark.parametrize(
    ("t", "day"),
    [(-1.0, -1), (-0.01, -1), (0.0, 1), (0.99, 1), (1.0, 2), (-5.0, -5), (28.0, 29)],
    ids=["-1 start", "-1 end", "1 start", "1 end", "2 start", "-5", "29"],
)
def test_study_day_has_no_day_zero(t, day):
    # SDTMIG 3.4 §4.4.4: reference date is day 1, the day before is day -1.
    assert study_day(t) == day


def test_day_start_refuses_day_zero():
    with pytest.raises(ValueError, match="no study day 0"):
        day_start(0)


def test_day_start_is_the_inverse_of_study_day():
    assert [day_start(d) for d in (-5, -1, 1, 8)] == [-5.0, -1.0, 0.0, 7.0]


def test_compute_study_days_matches_the_scalar_rule():
    days = compute_study_days(pd.Series([-3.2, -0.5, 0.0, 6.9, float("nan")]))
    assert days.tolist() == [-4, -1, 1, 7, pd.NA]
