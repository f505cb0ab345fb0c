import pandas as pd

from sdtm.derive.supp import SUPP_COLUMNS, SuppQualifier, build_supp


def test_build_supp_uses_final_seq_and_skips_nulls():
    ex = pd.DataFrame(
        {
            "STUDYID": ["S"] * 3,
            "USUBJID": ["SEED", "SEED", "S2"],
            "EXSEQ": [7, 1, 3],
            "TOTCELL": [492.0, None, 300.0],
            "NBAGS": ["2", "", "1"],
        }
    )
    quals = (
        SuppQualifier("TOTCELL", "Total CAR+ Viable T Cells Infused 10^6", "TOTCELL", "CRF"),
        SuppQualifier("NBAGS", "Number of Bags Infused", "NBAGS", "CRF"),
    )
    result = build_supp(ex, quals, domain="EX")
    out = result.frame
    assert list(out.columns) == list(SUPP_COLUMNS)
    assert out[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["SEED", "EXSEQ", "7", "TOTCELL", "492"],  # canonical number, not "492.0"
        ["S2", "EXSEQ", "3", "TOTCELL", "300"],
        ["SEED", "EXSEQ", "7", "NBAGS", "2"],
        ["S2", "EXSEQ", "3", "NBAGS", "1"],
    ]
    assert out["RDOMAIN"].unique().tolist() == ["EX"]
    assert out["QORIG"].unique().tolist() == ["CRF"]
    assert out["QEVAL"].isna().all()
    assert len(result.findings) == 0


def test_build_supp_dm_has_no_idvar():
    dm = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["A"], "RACEOTH": ["ASIAN; WHITE"]})
    result = build_supp(dm, (SuppQualifier("RACE1", "Race 1", "RACEOTH", "CRF"),), domain="DM")
    assert result.frame["IDVAR"].isna().all()
    assert result.frame["IDVARVAL"].isna().all()
    assert result.frame["QVAL"].tolist() == ["ASIAN; WHITE"]


def test_build_supp_reports_bad_qualifiers_and_missing_seq():
    ae = pd.DataFrame(
        {
            "STUDYID": ["S", "S"],
            "USUBJID": ["A", "A"],
            "AESEQ": [1, None],
            "CTCAE": ["4", "2"],
            "_src_file": ["ae.csv", "ae.csv"],
            "_src_row": [2, 3],
        }
    )
    quals = (
        SuppQualifier("CTCAEGR", "CTCAE v5.0 Toxicity Grade", "CTCAE", "CRF"),
        SuppQualifier("ctcae grade", "x", "CTCAE", "CRF"),
        SuppQualifier("LONGLBL", "A label that is much longer than forty chars", "CTCAE", "CRF"),
    )
    result = build_supp(ae, quals, domain="AE")
    assert result.frame["QNAM"].tolist() == ["CTCAEGR"]
    assert result.findings.rows(["rule_id", "variable", "source_row"]) == [
        ["MP0620", "QNAM", None],
        ["MP0620", "QNAM", None],
        ["MP0621", "CTCAEGR", 3],
    ]


def test_build_supp_carries_requested_parent_columns():
    ae = pd.DataFrame(
        {
            "STUDYID": ["S", "S"],
            "USUBJID": ["A", "A"],
            "AESEQ": [2, 1],
            "FLAG": ["Y", None],
            "_src_file": ["ae.csv", "ae.csv"],
            "_src_row": [7, 8],
        }
    )
    quals = (SuppQualifier("AETRTEM", "Treatment Emergent Flag", "FLAG", "Derived"),)
    out = build_supp(
        ae, quals, domain="AE", keep_columns=("_src_file", "_src_row", "_absent")
    ).frame
    assert list(out.columns) == [*SUPP_COLUMNS, "_src_file", "_src_row"]
    assert out[["IDVARVAL", "QVAL", "_src_file", "_src_row"]].values.tolist() == [
        ["2", "Y", "ae.csv", 7]
    ]
