"""Attribute comparison on small frames carrying reader metadata in ``attrs``."""

import pandas as pd

from sdtm.comparison.attributes import compare_attributes


def dataset(columns: list[str], **attrs) -> pd.DataFrame:
    frame = pd.DataFrame({c: ["x"] for c in columns})
    frame.attrs = {
        "dataset_label": attrs.get("dataset_label", "Adverse Events"),
        "labels": {c: f"{c} label" for c in columns} | attrs.get("labels", {}),
        "types": dict.fromkeys(columns, "Char") | attrs.get("types", {}),
        "lengths": dict.fromkeys(columns, 8) | attrs.get("lengths", {}),
        "formats": dict.fromkeys(columns, "") | attrs.get("formats", {}),
    }
    return frame


COLUMNS = ["STUDYID", "USUBJID", "AETERM", "AESEV"]


def test_identical_metadata_has_no_differences() -> None:
    assert compare_attributes("AE", dataset(COLUMNS), dataset(COLUMNS), ()).empty


def test_each_attribute_difference_is_one_row() -> None:
    base = dataset(COLUMNS)
    other = dataset(
        COLUMNS,
        dataset_label="AE",
        labels={"AETERM": "Reported Term"},
        types={"AESEV": "Num"},
        lengths={"USUBJID": 20},
        formats={"STUDYID": "$8."},
    )
    assert compare_attributes("AE", base, other, ()).values.tolist() == [
        ["AE", "", "dataset label", "Adverse Events", "AE"],
        ["AE", "STUDYID", "format", "", "$8."],
        ["AE", "USUBJID", "length", 8, 20],
        ["AE", "AETERM", "label", "AETERM label", "Reported Term"],
        ["AE", "AESEV", "type", "Char", "Num"],
    ]


def test_added_variable_is_presence_only_and_does_not_shift_the_order() -> None:
    base = dataset(COLUMNS)
    other = dataset(["STUDYID", "AESPID", "USUBJID", "AETERM", "AESEV"])
    assert compare_attributes("AE", base, other, ()).values.tolist() == [
        ["AE", "AESPID", "presence", "absent", "present"],
    ]


def test_swapped_variables_are_out_of_order_with_their_positions() -> None:
    other = dataset(["STUDYID", "USUBJID", "AESEV", "AETERM"])
    assert compare_attributes("AE", dataset(COLUMNS), other, ()).values.tolist() == [
        ["AE", "AETERM", "order", 3, 4],
        ["AE", "AESEV", "order", 4, 3],
    ]


def test_ignored_variable_is_not_compared() -> None:
    other = dataset(["STUDYID", "USUBJID", "AETERM"], labels={"AETERM": "Other"})
    result = compare_attributes("AE", dataset(COLUMNS), other, ("AESEV", "AETERM"))
    assert result.empty


def test_unknown_length_is_not_a_difference() -> None:
    # A Dataset-JSON numeric column states no length; XPT says 8.
    other = dataset(COLUMNS)
    del other.attrs["lengths"]["AESEV"]
    assert compare_attributes("AE", dataset(COLUMNS), other, ()).empty
