import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.export.metadata import find_domain_spec, prepare_dataset


def test_prepare_orders_by_ig_labels_from_standards_and_drops_provenance(tiny_standards, ae_frame):
    shuffled = ae_frame[["AESER", "USUBJID", "_src_row", "AETERM", "STUDYID", "AESEQ"]].copy()
    shuffled["AEXTRA"] = ["a", "b", "c"]
    shuffled.attrs["labels"] = {"AEXTRA": "Extra Sponsor Variable"}
    prepared = prepare_dataset("ae", shuffled, tiny_standards)
    assert [(c.name, c.label, c.data_type, c.length) for c in prepared.meta.columns] == [
        ("STUDYID", "Study Identifier", "Char", 5),
        ("USUBJID", "Unique Subject Identifier", "Char", 9),
        ("AESEQ", "Sequence Number", "Num", 8),
        ("AETERM", "Reported Term for the Adverse Event", "Char", 25),
        ("AESER", "Serious Event", "Char", 1),
        ("AEXTRA", "Extra Sponsor Variable", "Char", 1),  # not in the IG: appended
    ]
    assert prepared.meta.name == "AE"
    assert prepared.meta.label == "Adverse Events"
    assert prepared.meta.keys == ("STUDYID", "USUBJID", "AETERM")
    assert [c.key_sequence for c in prepared.meta.columns] == [1, 2, None, 3, None, None]
    assert len(prepared.findings) == 0


def test_prepare_reports_missing_labels_and_uses_names(empty_standards):
    prepared = prepare_dataset("XX", pd.DataFrame({"XXVAR": ["a"]}), empty_standards)
    assert prepared.findings.rows(["rule_id", "dataset", "variable"]) == [
        ["XP0010", "XX", "XXVAR"],
        ["XP0014", "XX", None],
    ]
    assert prepared.meta.label == "XX"
    assert prepared.meta.columns[0].label == "XXVAR"


def test_prepare_text_in_num_variable_is_an_error_naming_the_row(tiny_standards):
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "AESEQ": ["1", "two", None]})
    prepared = prepare_dataset("AE", frame, tiny_standards)
    assert prepared.findings.rows(["rule_id", "variable", "row", "usubjid", "value"]) == [
        ["XP0011", "AESEQ", 2, "S-2", "two"]
    ]
    assert prepared.frame["AESEQ"].tolist()[0] == 1.0


def test_prepare_numbers_in_char_variable_become_text_with_a_warning(tiny_standards):
    frame = pd.DataFrame({"AETERM": [1.0, 2.5, None]})
    prepared = prepare_dataset("AE", frame, tiny_standards)
    assert prepared.findings.rows(["rule_id", "severity", "variable"]) == [
        ["XP0013", "warning", "AETERM"]
    ]
    assert prepared.frame["AETERM"].tolist() == ["1", "2.5", None]


def test_prepare_rejects_datetime_and_duplicate_columns(empty_standards):
    frame = pd.DataFrame({"ADT": pd.to_datetime(["2024-01-01"]), "A": ["x"], "a": ["y"]})
    frame.attrs = {"dataset_label": "L", "labels": {"ADT": "Date", "A": "A"}}
    prepared = prepare_dataset("DS", frame, empty_standards)
    assert prepared.findings.rows(["rule_id", "variable"]) == [
        ["XP0015", "A"],
        ["XP0012", "ADT"],
    ]
    assert prepared.frame.columns.tolist() == ["ADT", "A"]


def test_prepare_blank_text_is_missing_and_lengths_count_bytes(empty_standards):
    frame = pd.DataFrame({"A": ["  ", "", None, "\u00e9t\u00e9"]})
    frame.attrs = {"dataset_label": "L", "labels": {"A": "A"}}
    prepared = prepare_dataset("DS", frame, empty_standards)
    assert prepared.frame["A"].tolist() == [None, None, None, "\u00e9t\u00e9"]
    assert prepared.meta.columns[0].length == 5  # two 2-byte characters and one 1-byte


def test_prepare_all_missing_text_has_length_one_and_integer_flags(empty_standards):
    frame = pd.DataFrame({"A": [None, None], "I": [1.0, 2.0], "F": [1.5, None]})
    frame.attrs = {"dataset_label": "L", "labels": {"A": "A", "I": "I", "F": "F"}}
    columns = prepare_dataset("DS", frame, empty_standards).meta.columns
    assert [(c.name, c.data_type, c.length, c.integer) for c in columns] == [
        ("A", "Char", 1, False),
        ("I", "Num", 8, True),
        ("F", "Num", 8, False),
    ]


def test_supp_dataset_uses_suppqual_labels(tiny_standards):
    frame = pd.DataFrame({"STUDYID": ["S"], "RDOMAIN": ["AE"], "QNAM": ["AETRTEM"]})
    prepared = prepare_dataset("SUPPAE", frame, tiny_standards)
    assert prepared.meta.label == "Supplemental Qualifiers for AE"
    assert [c.label for c in prepared.meta.columns] == [
        "Study Identifier",
        "Related Domain Abbreviation",
        "Qualifier Variable Name",
    ]


def test_split_dataset_resolves_to_its_domain(tiny_standards):
    frame = pd.DataFrame({"DOMAIN": ["LB", "LB"], "LBTESTCD": ["ALB", "ALB"]})
    assert find_domain_spec("LBCH", frame, tiny_standards).name == "LB"
    other = pd.DataFrame({"DOMAIN": ["XX"]})
    assert find_domain_spec("LBCH", other, tiny_standards) is None


def test_utf8_lengths_counts_bytes_and_keeps_missing():
    from sdtm.export.metadata import utf8_lengths

    lengths = utf8_lengths(pd.Series(["abc", "\u00e9t\u00e9", None, "\u20ac"], dtype=object))
    assert lengths.tolist()[:2] == [3, 5]
    assert pd.isna(lengths.iloc[2])
    assert lengths.iloc[3] == 3  # the euro sign is 3 bytes in UTF-8


@pytest.mark.parametrize(
    ("text", "expected_bytes", "expected_printable"),
    [
        ("", 0, True),
        ("abc ~", 5, True),
        ("caf\u00e9", 5, False),  # e acute: 2 bytes in UTF-8
        ("\u20ac", 3, False),  # euro sign: 3 bytes
        ("\U0001f600", 4, False),  # emoji outside the BMP: 4 bytes
        ("tab\there", 8, False),  # byte 9 is a control character
        ("del\x7f", 4, False),  # byte 127 is not printable
        ("\x1f", 1, False),
    ],
    ids=["empty", "ascii", "latin1", "euro", "astral", "tab", "del", "unit-separator"],
)
def test_vectorized_text_checks_agree_with_the_byte_definition(
    text, expected_bytes, expected_printable
):
    from sdtm.export.metadata import printable_ascii, utf8_byte_lengths

    values = np.array(["x", text, "y"], dtype=object)
    assert utf8_byte_lengths(values).tolist() == [1, expected_bytes, 1]
    assert printable_ascii(values).tolist() == [True, expected_printable, True]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126)), st.text()),
        max_size=20,
    )
)
def test_text_checks_equal_the_definition_value_by_value(texts):
    # The all-ASCII and all-printable fast paths must give what each value's own bytes give.
    from sdtm.export.metadata import printable_ascii, utf8_byte_lengths

    values = np.array(texts, dtype=object)
    lengths = [len(t.encode("utf-8", "surrogatepass")) for t in texts]
    assert utf8_byte_lengths(values).tolist() == lengths
    assert printable_ascii(values).tolist() == [t.isascii() and t.isprintable() for t in texts]


def test_prepare_measures_each_char_column_once_for_the_writers(tiny_standards):
    from dataclasses import replace

    from sdtm.export.xpt import preflight_xpt

    frame = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", None],
            # 12 characters, è and ë 2 UTF-8 bytes each: 14 bytes, more than HEADACHE's 8
            "AETERM": ["Fièvre aiguë", "HEADACHE", "   "],
            "AEOUT": ["RECOVERED", "NOT\tRECOVERED", None],  # a tab is not printable
            "AESEQ": [1.0, 2.0, 3.0],
        }
    )
    prepared = prepare_dataset("AE", frame, tiny_standards)
    # Worked out by hand from the values above; Num columns have no text summary.
    assert {name: (s.max_bytes, s.printable) for name, s in prepared.text.items()} == {
        "USUBJID": (3, True),
        "AETERM": (14, False),
        "AEOUT": (13, False),
    }
    assert prepared.text_summary("AETERM") is prepared.text["AETERM"]
    # The summaries do not describe another frame: a copy given one is measured again.
    other = replace(prepared, frame=prepared.frame.copy())
    assert other.text_summary("AETERM") is None
    # The non-ASCII values are still found, by the summary's path and by measuring again.
    for dataset in (prepared, other):
        assert sorted(
            map(tuple, preflight_xpt(dataset).rows(["rule_id", "variable", "row"]))
        ) == [("XP0007", "AEOUT", 2), ("XP0007", "AETERM", 1)]
