import pandas as pd

from sdtm.derive.fa import derive_findings_about_object

AE = pd.DataFrame(
    {
        "USUBJID": ["S1", "S1", "S2"],
        "AESPID": ["2", "3", "2"],
        "AETERM": ["CYTOKINE RELEASE SYNDROME", "confusion", "FEVER"],
        # S1 AE 3 is not coded yet: its verbatim term is the object (SDTMIG 3.4 section 6.4.3)
        "AEDECOD": ["Cytokine release syndrome", None, "Pyrexia"],
    }
)


def _fa(links, objects=None):
    frame = pd.DataFrame(
        {
            "DOMAIN": "FA",
            "USUBJID": ["S1"] * len(links),
            "_link": links,
            "_src_file": "edc/crs.csv",
            "_src_row": range(2, 2 + len(links)),
        }
    )
    if objects is not None:
        frame["FAOBJ"] = objects
    return frame


def _derive(fa):
    return derive_findings_about_object(
        fa,
        AE,
        link_var="_link",
        parent_key="AESPID",
        parent_domain="AE",
        source_vars=("AEDECOD", "AETERM"),
    )


def test_faobj_is_the_parent_decod_else_its_verbatim_term():
    result = _derive(_fa(["2", "2.0", "3"]))
    assert result.frame["FAOBJ"].tolist() == [
        "Cytokine release syndrome",
        "Cytokine release syndrome",  # the AE number 2 written as 2.0 still matches
        "confusion",
    ]
    assert result.findings.rows(["rule_id"]) == []


def test_a_mapped_faobj_is_kept():
    result = _derive(_fa(["2"], objects=["CYTOKINE RELEASE SYNDROME"]))
    assert result.frame["FAOBJ"].tolist() == ["CYTOKINE RELEASE SYNDROME"]


def test_unmatched_link_keeps_a_null_and_names_the_raw_row():
    # AE 9 does not exist for S1 (S2's AE 2 must not match either: links are per subject)
    result = _derive(_fa(["2", "9", None]))
    assert result.frame["FAOBJ"].isna().tolist() == [False, True, True]
    assert result.findings.rows(["rule_id", "source_file", "source_row", "variable", "value"]) == [
        ["MP0612", "edc/crs.csv", 3, "FAOBJ", "9"],
        ["MP0612", "edc/crs.csv", 4, "FAOBJ", None],
    ]
