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
