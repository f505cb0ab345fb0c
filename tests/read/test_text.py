"""The vectorized text helpers give what the pandas ``.str`` chains they replace give."""

import numpy as np
import pandas as pd
import pytest

from sdtm.read.text import regex_mask, stripped, stripped_or_missing

CASES = {
    "object-with-none": pd.Series([" a ", None, "", "  ", "b", " a "], dtype=object),
    "string-dtype": pd.Series([" a ", None, "", "  ", "b\t", "\u00e9 "], dtype="string"),
    "numbers-in-text": pd.Series([1, 1.0, True, " x", None, np.nan], dtype=object),
    "all-missing": pd.Series([None, None], dtype=object),
    "empty": pd.Series([], dtype=object),
}


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_stripped_is_pandas_strip(values):
    expected = values.astype("string").str.strip()
    pd.testing.assert_series_equal(stripped(values), expected)


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_stripped_or_missing_is_pandas_strip_with_blank_as_missing(values):
    text = values.astype("string").str.strip()
    expected = text.where(text != "", pd.NA)
    pd.testing.assert_series_equal(stripped_or_missing(values), expected)


def test_numbers_keep_their_own_text_form():
    # 1, 1.0 and True are equal as Python objects but not as text (worked out by hand).
    got = stripped(pd.Series([1, 1.0, True], dtype=object))
    assert got.tolist() == ["1", "1.0", "True"]


@pytest.mark.parametrize(
    ("how", "expected"),
    [("search", [True, True, False]), ("match", [True, False, False]),
     ("fullmatch", [True, False, False])],
    ids=["search", "match", "fullmatch"],
)  # fmt: skip
def test_regex_mask_follows_the_re_method(how, expected):
    values = np.array(["2024", "x2024y", "20"], dtype=object)
    assert regex_mask(values, r"\d{4}", how).tolist() == expected


def test_per_distinct_computes_each_distinct_value_once_and_fills_missing_rows():
    from sdtm.read.text import per_distinct

    seen = []

    def lengths(distinct):
        seen.extend(distinct.tolist())
        return distinct.str.len()

    values = pd.Series(["ab", None, "ab", "xyz", None], index=[10, 11, 12, 13, 14], dtype="string")
    got = per_distinct(values, lengths, -1)
    assert seen == ["ab", "xyz"]
    assert got.index.tolist() == [10, 11, 12, 13, 14]
    assert got.tolist() == [2, -1, 2, 3, -1]
