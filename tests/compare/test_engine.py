"""Record matching and value comparison on small literal frames, expectations worked by hand."""

import numpy as np
import pandas as pd
import pytest

from sdtm.comparison.engine import compare_values, number_text, pair_records
from sdtm.comparison.result import CompareOptions

KEYS = ("USUBJID", "LBTESTCD")


def lb(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["USUBJID", "LBTESTCD", "LBSTRESN", "LBORRES"])


def differences(base: pd.DataFrame, other: pd.DataFrame, **options) -> dict[str, int]:
    opts = CompareOptions(**options)
    variables = ["LBSTRESN", "LBORRES"]
    pairing = pair_records("LB", base, other, KEYS, variables, opts)
    values, _ = compare_values("LB", base, other, pairing, KEYS, variables, opts)
    return dict(zip(values["variable"], values["differences"], strict=True))


@pytest.mark.parametrize(
    ("left", "right", "options", "expected"),
    [
        (1.0, 1.0 + 1e-12, {}, 0),  # within the default 1e-9
        (1.0, 1.0 + 1e-6, {}, 1),
        (1.0, 1.0 + 1e-6, {"tolerance": 1e-5}, 0),
        (np.nan, np.nan, {}, 0),  # both missing
        (np.nan, 0.0, {}, 1),  # missing is not zero
        (100.0, 100.5, {"tolerance": 0.5}, 0),  # the limit itself is equal
    ],
    ids=["tiny", "beyond", "wider-tolerance", "both-missing", "missing-vs-zero", "at-limit"],
)
def test_numbers_equal_within_tolerance(left, right, options, expected) -> None:
    base = lb([("S-1", "ALT", left, "x")])
    other = lb([("S-1", "ALT", right, "x")])
    assert differences(base, other, **options)["LBSTRESN"] == expected


@pytest.mark.parametrize(
    ("left", "right", "options", "expected"),
    [
        ("POS", "POS", {}, 0),
        ("POS", "pos", {}, 1),
        ("POS", "pos", {"ignore_case": True}, 0),
        ("POS", " POS", {}, 1),
        ("POS", " POS", {"trim": True}, 0),
        ("POS", "POS  ", {}, 0),  # trailing blanks never count (SAS pads text)
        ("", None, {}, 0),  # XPT cannot tell empty from missing
        (None, "NEG", {}, 1),
    ],
    ids=["same", "case", "ignore-case", "leading", "trim", "trailing", "empty-none", "none-text"],
)
def test_text_exact_unless_relaxed(left, right, options, expected) -> None:
    base = lb([("S-1", "ALT", 1.0, left)])
    other = lb([("S-1", "ALT", 1.0, right)])
    assert differences(base, other, **options)["LBORRES"] == expected


def test_number_against_text_compares_as_text() -> None:
    # LBORRES numeric in one version (a programmer's mistake), text in the other: "22" == 22.0,
    # "22.5" == 22.5, but "<2" has no numeric twin.
    base = lb([("S-1", "ALT", 1.0, "22"), ("S-1", "AST", 1.0, "22.5"), ("S-1", "CRP", 1.0, "<2")])
    other = base.copy()
    other["LBORRES"] = [22.0, 22.5, np.nan]
    assert differences(base, other)["LBORRES"] == 1


def test_records_match_on_keys_not_on_order() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "AST", 2.0, "b"), ("S-2", "ALT", 3.0, "c")])
    other = base.iloc[[2, 0, 1]].reset_index(drop=True)
    opts = CompareOptions()
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN", "LBORRES"], opts)
    assert pairing.base_rows.tolist() == [0, 1, 2]
    assert pairing.compare_rows.tolist() == [1, 2, 0]
    assert pairing.records.empty and pairing.duplicates.empty


def test_records_in_one_version_only_name_their_key_and_row() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "AST", 2.0, "b")])
    other = lb([("S-1", "AST", 2.0, "b"), ("S-3", "ALT", 1.0, "a")])
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN"], CompareOptions())
    assert pairing.records.values.tolist() == [
        ["LB", "base", 1, "USUBJID=S-1, LBTESTCD=ALT", "no record with this key in compare"],
        ["LB", "compare", 2, "USUBJID=S-3, LBTESTCD=ALT", "no record with this key in base"],
    ]


def test_missing_and_empty_key_values_match_and_case_follows_the_option() -> None:
    base = lb([("S-1", "", 1.0, "a"), ("S-1", "alt", 2.0, "b")])
    other = lb([("S-1", None, 1.0, "a"), ("S-1", "ALT", 2.0, "b")])
    strict = pair_records("LB", base, other, KEYS, ["LBSTRESN"], CompareOptions())
    assert strict.base_rows.tolist() == [0]  # "" == None; "alt" != "ALT"
    assert strict.records[["side", "row"]].values.tolist() == [["base", 2], ["compare", 2]]
    relaxed = pair_records("LB", base, other, KEYS, ["LBSTRESN"], CompareOptions(ignore_case=True))
    assert relaxed.base_rows.tolist() == [0, 1]


def test_identical_duplicate_keys_pair_by_content_whatever_their_order() -> None:
    # Two S-1/ALT records in each version, listed in opposite orders: pairing by position would
    # report two value differences that do not exist.
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "ALT", 2.0, "b"), ("S-2", "ALT", 3.0, "c")])
    other = base.iloc[[1, 0, 2]].reset_index(drop=True)
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN", "LBORRES"], CompareOptions())
    assert sorted(zip(pairing.base_rows.tolist(), pairing.compare_rows.tolist(), strict=True)) == [
        (0, 1),
        (1, 0),
        (2, 2),
    ]
    assert pairing.records.empty
    assert pairing.duplicates.values.tolist() == [
        ["LB", "base", "USUBJID=S-1, LBTESTCD=ALT", 2, "1, 2"],
        ["LB", "compare", "USUBJID=S-1, LBTESTCD=ALT", 2, "1, 2"],
    ]


def test_duplicate_key_with_one_changed_record_pairs_the_remaining_two() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "ALT", 2.0, "b")])
    other = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "ALT", 2.5, "b")])
    assert differences(base, other) == {"LBSTRESN": 1, "LBORRES": 0}


def test_duplicate_key_that_cannot_be_paired_is_listed_not_guessed() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "ALT", 2.0, "b")])
    other = lb([("S-1", "ALT", 1.5, "a"), ("S-1", "ALT", 2.5, "b")])
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN", "LBORRES"], CompareOptions())
    assert len(pairing.base_rows) == 0
    reason = "key not unique; no record with the same key and values in"
    assert pairing.records[["side", "row", "reason"]].values.tolist() == [
        ["base", 1, f"{reason} compare"],
        ["base", 2, f"{reason} compare"],
        ["compare", 1, f"{reason} base"],
        ["compare", 2, f"{reason} base"],
    ]


def test_duplicate_in_base_only_leaves_the_extra_record_unpaired() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "ALT", 1.0, "a")])
    other = lb([("S-1", "ALT", 1.0, "a")])
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN", "LBORRES"], CompareOptions())
    assert (pairing.base_rows.tolist(), pairing.compare_rows.tolist()) == ([0], [0])
    assert pairing.records[["side", "row"]].values.tolist() == [["base", 2]]
    assert pairing.duplicates[["side", "records"]].values.tolist() == [["base", 2]]


def test_without_keys_records_match_by_position() -> None:
    base = lb([("S-1", "ALT", 1.0, "a"), ("S-1", "AST", 2.0, "b")])
    other = lb([("S-1", "ALT", 1.0, "a")])
    pairing = pair_records("LB", base, other, (), ["LBSTRESN"], CompareOptions())
    assert pairing.base_rows.tolist() == [0]
    assert pairing.records.values.tolist() == [
        ["LB", "base", 2, "record 2", "no record at this position in compare"]
    ]


def test_examples_are_limited_but_counts_are_not() -> None:
    base = lb([("S-1", f"T{i}", float(i), "a") for i in range(5)])
    other = base.copy()
    other["LBSTRESN"] += 1.0
    opts = CompareOptions(max_examples=2)
    pairing = pair_records("LB", base, other, KEYS, ["LBSTRESN"], opts)
    values, examples = compare_values("LB", base, other, pairing, KEYS, ["LBSTRESN"], opts)
    assert values.values.tolist() == [["LB", "LBSTRESN", "numeric", 5, 5]]
    assert examples.values.tolist() == [
        ["LB", "LBSTRESN", "USUBJID=S-1, LBTESTCD=T0", 1, 1, 0.0, 1.0],
        ["LB", "LBSTRESN", "USUBJID=S-1, LBTESTCD=T1", 2, 2, 1.0, 2.0],
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1"), (0.1, "0.1"), (-3.0, "-3"), (2.5e20, "2.5e+20"), (np.nan, "")],
    ids=["whole", "fraction", "negative", "huge", "missing"],
)
def test_number_text(value, text) -> None:
    assert number_text(value) == text
