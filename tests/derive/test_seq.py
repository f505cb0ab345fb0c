import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sdtm.derive.seq import derive_seq


def test_derive_seq_orders_by_natural_keys_and_keeps_row_order():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S2", "S1", "S1", "S1"],
            "LBTESTCD": ["CRP", "IFNG", "CRP", "CRP"],
            "LBDTC": ["2024-03-12", "2024-03-12", "2024-03-13", "2024-03-12"],
        }
    )
    result = derive_seq(lb, order=("LBTESTCD", "LBDTC"), new_var="LBSEQ")
    # S1: CRP 03-12 -> 1, CRP 03-13 -> 2, IFNG -> 3; S2 alone -> 1
    assert result.frame["LBSEQ"].tolist() == [1, 3, 2, 1]
    assert result.frame["USUBJID"].tolist() == ["S2", "S1", "S1", "S1"]
    assert len(result.findings) == 0


def test_derive_seq_is_independent_of_input_order_with_provenance():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "LBTESTCD": ["CRP", "CRP", "CRP"],
            "LBDTC": ["2024-03-12", "2024-03-12", "2024-03-11"],
            "_src_file": ["b.csv", "a.csv", "a.csv"],
            "_src_row": [2, 9, 3],
        }
    )
    first = derive_seq(lb, order=("LBTESTCD", "LBDTC"), new_var="LBSEQ").frame
    shuffled = derive_seq(lb.iloc[[2, 0, 1]], order=("LBTESTCD", "LBDTC"), new_var="LBSEQ").frame
    # 03-11 first; the two 03-12 rows tie on the keys and are ordered by a.csv:9 < b.csv:2
    assert first["LBSEQ"].tolist() == [3, 2, 1]
    assert shuffled.sort_index()["LBSEQ"].tolist() == [3, 2, 1]


def test_derive_seq_reports_keys_that_do_not_order():
    cm = pd.DataFrame({"USUBJID": ["S1", "S1", "S1"], "CMTRT": ["A", "A", "B"]})
    result = derive_seq(cm, order=("CMTRT",), new_var="CMSEQ")
    assert result.frame["CMSEQ"].tolist() == [1, 2, 3]
    assert result.findings.rows(["rule_id", "usubjid", "dataset"]) == [
        ["MP0510", "S1", "CM"],
        ["MP0510", "S1", "CM"],
    ]


@given(
    st.lists(
        st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.sampled_from(["A", "B", None])),
        min_size=1,
        max_size=40,
    )
)
def test_derive_seq_is_one_to_n_per_subject(rows):
    df = pd.DataFrame(rows, columns=["USUBJID", "XXTESTCD"])
    seq = derive_seq(df, order=("XXTESTCD",), new_var="XXSEQ").frame
    for _, group in seq.groupby("USUBJID"):
        assert sorted(group["XXSEQ"]) == list(range(1, len(group) + 1))


def test_derive_seq_sorts_columns_mixing_numbers_and_text():
    cm = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 4,
            "CMSPID": pd.Series([10, "9", "2a", None], dtype="object"),  # raw mix
            "NUM": pd.Series([10, 9, 2, 1], dtype="object"),  # numbers stored as objects
        }
    )
    assert derive_seq(cm, order=("NUM",), new_var="CMSEQ").frame["CMSEQ"].tolist() == [4, 3, 2, 1]
    # mixed column: compared as text ("10" < "2a" < "9"), null last
    assert derive_seq(cm, order=("CMSPID",), new_var="CMSEQ").frame["CMSEQ"].tolist() == [
        1,
        3,
        2,
        4,
    ]


def test_derive_seq_sorts_numeric_text_as_numbers():
    ae = pd.DataFrame({"USUBJID": ["S1"] * 3, "AESPID": ["10", "9", "2"]})
    assert derive_seq(ae, order=("AESPID",), new_var="AESEQ").frame["AESEQ"].tolist() == [3, 2, 1]
