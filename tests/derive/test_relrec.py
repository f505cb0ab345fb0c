import pandas as pd

from sdtm.derive.relrec import (
    RELREC_COLUMNS,
    build_group_relrec,
    build_relrec,
    derive_relrec_links,
)

AE = pd.DataFrame(
    {"STUDYID": "S", "USUBJID": ["SEED", "SEED"], "AESPID": ["3", "4"], "AESEQ": [1, 2]}
)
CM = pd.DataFrame(
    {
        "STUDYID": "S",
        "USUBJID": ["SEED"] * 4,
        "CMSPID": ["10", "11", "12", "13"],
        "CMSEQ": [12, 5, 7, 8],
        "CMAENO": ["3", "3", "9", None],  # CM 12 points at AE line 9, which does not exist
        "_src_file": ["cm.csv"] * 4,
        "_src_row": [2, 3, 4, 5],
    }
)


def test_relrec_from_cm_given_for_ae():
    links = derive_relrec_links(
        CM,
        domain="CM",
        keyvar="CMSPID",
        source_var="CMAENO",
        target_domain="AE",
        target_keyvar="AESPID",
    ).frame
    result = build_relrec(links, {"AE": AE, "CM": CM})
    out = result.frame
    assert list(out.columns) == list(RELREC_COLUMNS)
    assert out[["RDOMAIN", "IDVAR", "IDVARVAL", "RELID"]].values.tolist() == [
        ["AE", "AESEQ", "1", "AE3"],
        ["CM", "CMSEQ", "5", "AE3"],
        ["CM", "CMSEQ", "12", "AE3"],
    ]
    assert out["RELTYPE"].isna().all()  # record-level links
    # the link to AE 9 fails, and CMSPID 12 is then alone in RELID AE9: both findings
    # name the CM raw row (cm.csv:4)
    assert result.findings.rows(["rule_id", "source_file", "source_row", "value"]) == [
        ["MP0610", "cm.csv", 4, "9"],
        ["MP0611", "cm.csv", 4, "AE9"],
    ]


def test_relrec_links_to_many_fa_records():
    fa = pd.DataFrame({"USUBJID": ["SEED"] * 3, "_ae_AESPID": ["3", "3", "4"], "FASEQ": [1, 2, 3]})
    links = pd.DataFrame(
        {
            "STUDYID": ["S", "S"],
            "USUBJID": ["SEED", "SEED"],
            "RELID": ["CRS1", "CRS1"],
            "RDOMAIN": ["AE", "FA"],
            "KEYVAR": ["AESPID", "_ae_AESPID"],
            "KEYVAL": ["3", "3"],
        }
    )
    out = build_relrec(links, {"AE": AE, "FA": fa}).frame
    assert out[["RDOMAIN", "IDVARVAL", "RELID"]].values.tolist() == [
        ["AE", "1", "CRS1"],
        ["FA", "1", "CRS1"],
        ["FA", "2", "CRS1"],
    ]


def test_keys_match_across_number_and_text_sources():
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A"], "AESPID": [3], "AESEQ": [1.0]})
    cm = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["A", "A"],
            "CMSPID": ["10", "11"],
            "CMSEQ": [2.0, 3.0],
            "CMAENO": [3.0, None],  # read as float from a spreadsheet
        }
    )
    links = derive_relrec_links(
        cm,
        domain="CM",
        keyvar="CMSPID",
        source_var="CMAENO",
        target_domain="AE",
        target_keyvar="AESPID",
    ).frame
    result = build_relrec(links, {"AE": ae, "CM": cm})
    assert result.frame[["RDOMAIN", "IDVARVAL", "RELID"]].values.tolist() == [
        ["AE", "1", "AE3"],
        ["CM", "2", "AE3"],
    ]
    assert len(result.findings) == 0


def test_links_keyed_by_seq_with_prefix_name_the_raw_column():
    """The pipeline's use: child records keyed by --SEQ, RELID prefix from the spec."""
    cm = CM.assign(_LINK=CM["CMAENO"])
    links = derive_relrec_links(
        cm,
        domain="CM",
        keyvar="CMSEQ",
        source_var="_LINK",
        target_domain="AE",
        target_keyvar="AESPID",
        relid_prefix="AELINE",
        source_name="CMAENO",
    ).frame
    result = build_relrec(links, {"AE": AE, "CM": cm})
    assert result.frame[["RDOMAIN", "IDVARVAL", "RELID"]].values.tolist() == [
        ["AE", "1", "AELINE3"],
        ["CM", "5", "AELINE3"],
        ["CM", "12", "AELINE3"],
    ]
    assert result.findings.rows(
        ["rule_id", "severity", "source_file", "source_row", "variable", "value"]
    ) == [
        ["MP0610", "error", "cm.csv", 4, "CMAENO", "9"],
        ["MP0611", "warning", "cm.csv", 4, "RELID", "AELINE9"],
    ]
    message = result.findings.frame["message"].iloc[0]
    assert message.startswith("cm.csv:4 (USUBJID SEED) (CMAENO): RELID AELINE9: no AE record")


def test_group_relrec_relates_pp_profiles_to_their_pc_records():
    # issue 11: one RELREC row per dataset and group (IDVAR --GRPID), for groups present in
    # both; S2's PP group has no PC records and is not related.
    pc = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["S1", "S1", "S1"],
            "PCGRPID": ["PSCACART-1", "PSCACART-1", None],
        }
    )
    pp = pd.DataFrame(
        {"STUDYID": "S", "USUBJID": ["S1", "S1", "S2"], "PPGRPID": ["PSCACART-1"] * 2 + ["X-1"]}
    )
    out = build_group_relrec(
        {"PC": pc, "PP": pp}, groups=(("PC", "PCGRPID"), ("PP", "PPGRPID")), relid_prefix="PK-"
    ).frame
    assert list(out.columns) == list(RELREC_COLUMNS)
    assert out[["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"]].values.tolist() == [
        ["PC", "S1", "PCGRPID", "PSCACART-1", "PK-PSCACART-1"],
        ["PP", "S1", "PPGRPID", "PSCACART-1", "PK-PSCACART-1"],
    ]
    assert out["RELTYPE"].isna().all()
