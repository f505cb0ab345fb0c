"""Text tests worked out once per distinct value give what pandas gives row by row."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.validate.checks import common

_TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(
            ["12.5", "-0", "05", "+5", "1e3", ".5", "7\n", "2024-03-12", "2024-03-12T10:05",
             "2024-03", "2024---15", "2024-02-30", " 2024-03-12", "NEGATIVE", ""]
        ),
        st.text(max_size=12),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_number_patterns_and_dates_equal_the_row_by_row_answers(values):
    series = pd.Series(values, dtype="string", index=range(3, 3 + len(values)))
    for helper, pattern in (
        (common.is_numeric_text, common._NUMERIC),
        (common.is_canonical_number, common._CANONICAL_NUMBER),
    ):
        expected = series.str.match(pattern).fillna(False).astype(bool)
        pd.testing.assert_series_equal(helper(series), expected)
    expected_dates = pd.to_datetime(series.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    got = common.complete_date(series)
    assert got.index.equals(series.index)
    assert got.isna().tolist() == expected_dates.isna().tolist()
    assert (got.dropna() == expected_dates.dropna()).all()


def test_a_repeated_date_is_read_for_every_row_and_a_partial_one_is_not():
    series = pd.Series(["2024-03-12T10:05", None, "2024-03", "2024-03-12T10:05"], dtype="string")
    got = common.complete_date(series)
    assert got.tolist()[0] == pd.Timestamp("2024-03-12") == got.tolist()[3]
    assert got.isna().tolist() == [False, True, True, False]


def test_numbers_as_text_worked_out_by_hand():
    frame = pd.DataFrame(
        {
            "X": [9.299999999999999, 12.0, None, 12.0, 0.5],
            "WHOLE": [3.0, None, 3.0, 10.0, -2.0],
            "ZEROS": [-0.0, 0.0, 1.5, -0.0, None],
        },
        index=range(7, 12),
    )
    assert common.text(frame, "X").tolist() == ["9.3", "12", pd.NA, "12", "0.5"]
    assert common.text(frame, "WHOLE").tolist() == ["3", pd.NA, "3", "10", "-2"]
    # -0.0 and 0.0 are one value to a hash table but two texts here (as before).
    assert common.text(frame, "ZEROS").tolist() == ["-0", "0", "1.5", "-0", pd.NA]
    assert list(common.text(frame, "X").index) == list(range(7, 12))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from([0.0, -0.0, 1.0, 2.5, 9.299999999999999, 1e15, -3.25]),
            st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
        ),
        max_size=30,
    )
)
def test_numbers_as_text_once_per_distinct_equal_the_whole_column(values):
    series = pd.Series(values, dtype="float64")
    frame = pd.DataFrame({"N": series})
    expected = common._float_text(series)
    expected = expected.where(expected.str.len() > 0)
    pd.testing.assert_series_equal(common.text(frame, "N"), expected, check_names=False)
