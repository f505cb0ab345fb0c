import pandas as pd

from sdtm.derive.ae import derive_treatment_emergent_flag, derive_worst_grade

AE = pd.DataFrame(
    {
        "STUDYID": ["CART-PSCA-001"] * 3,
        "USUBJID": ["SEED", "SEED", "S2"],
        "AESPID": ["1", "2", "1"],
        "AEDECOD": ["Cytokine release syndrome", "Pyrexia", "Cystitis"],
        "AESTDTC": ["2024-03-13T22:00", "2024-03", "2024-01-10"],
        "AETOXGR": [None, "2", "3"],
    }
)
# Brief 4.4 item 8: CRS grade log 1 -> 2 -> 3 -> 4 -> 2 -> 1
GRADE_LOG = pd.DataFrame(
    {
        "USUBJID": ["SEED"] * 7 + ["NOBODY"],
        "AESPID": ["1"] * 6 + ["2", "1"],
        "GRADE": ["1", "2", "3", "4", "2", "1", "grade 1", "3"],
        "FADTC": [
            "2024-03-13",
            "2024-03-14",
            "2024-03-15",
            "2024-03-16",
            "2024-03-17",
            "2024-03-18",
            "2024-03-10",
            "2024-03-10",
        ],
        "_src_file": ["crs_daily.csv"] * 8,
        "_src_row": list(range(2, 10)),
    }
)


def test_worst_grade_from_daily_log():
    result = derive_worst_grade(AE, GRADE_LOG)
    # CRS: max of 1,2,3,4,2,1; pyrexia keeps its collected 2 (log grade invalid); S2 keeps 3
    assert result.frame["AETOXGR"].tolist() == ["4", "2", "3"]
    assert len(result.frame) == len(AE)  # still one AE per event
    assert result.findings.rows(["rule_id", "source_row", "value"]) == [
        ["MP0600", 8, "grade 1"],
        ["MP0601", 9, "3"],  # event not in AE: reported, not lost
    ]


def test_treatment_emergent_flag_relative_to_first_ld_dose():
    dm = pd.DataFrame(
        {
            "USUBJID": ["SEED", "S2", "SF"],
            "RFXSTDTC": ["2024-03-07T09:00", "2024-01-10T09:00", None],
        }
    )
    ae = pd.DataFrame(
        {
            "USUBJID": ["SEED", "SEED", "SEED", "S2", "SF", "S2"],
            "AESTDTC": [
                "2024-03-13T22:00",  # after CAR-T: emergent
                "2024-03-01",  # before LD: not emergent
                "2024-03",  # partial, same month as first dose: Y (conservative) + notice
                "2024-01-10T08:00",  # one hour before the first dose: N
                "2024-01-01",  # never dosed: N
                None,  # no start date: null + warning
            ],
        }
    )
    result = derive_treatment_emergent_flag(ae, dm)
    assert result.frame["AETRTEM"].tolist() == ["Y", "N", "Y", "N", "N", pd.NA]
    assert result.findings.rows(["rule_id", "usubjid"]) == [
        ["MP0602", "S2"],
        ["MP0603", "SEED"],
    ]
    # message wording is user-facing: pinned, ending with the rule id and name like every finding
    assert result.findings.frame["message"].tolist() == [
        "USUBJID S2: AETRTEM not derived: AESTDTC (null) is missing or not ISO 8601 "
        "[MP0602 treatment-emergence-not-derived]",
        "USUBJID SEED: AESTDTC 2024-03 cannot be ordered against RFXSTDTC 2024-03-07T09:00 at "
        "its precision; AETRTEM set to Y (conservative) "
        "[MP0603 treatment-emergence-from-partial-date]",
    ]
