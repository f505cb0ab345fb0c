"""--ENTPT from the subject's own end of observation (issue 17)."""

import pandas as pd

from sdtm.derive.end_reference import derive_end_reference


def test_ongoing_records_end_relative_to_the_subjects_own_last_contact_or_death():
    # Issue 17: AEENTPT was the study's data cut-off (2024-10-31) for every subject, so the
    # AE of a subject who died on 2024-04-04 was "ongoing as of" a date months after death.
    dm = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", "S-3"],
            # S-2: a lab sample dated after death moved RFPENDTC past DTHDTC
            "RFPENDTC": ["2024-06-12", "2024-04-10", None],
            "DTHDTC": [None, "2024-04-04", None],
        }
    )
    ae = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-1", "S-2", "S-3"],
            "AEENRTPT": ["ONGOING", None, "ONGOING", "ONGOING"],
            "_src_file": "ae.csv",
            "_src_row": [2, 3, 4, 5],
        }
    )
    result = derive_end_reference(ae, dm, domain="AE")
    assert result.frame["AEENTPT"].tolist() == ["2024-06-12", pd.NA, "2024-04-04", pd.NA]
    assert result.findings.rows(["rule_id", "source_row", "variable", "value"]) == [
        ["MP0661", 5, "AEENTPT", "ONGOING"]
    ]
    assert result.findings.frame["message"][0] == (
        "ae.csv:5 (USUBJID S-3): AEENRTPT ONGOING but the subject has neither DTHDTC nor "
        "RFPENDTC; AEENTPT left null [MP0661 end-reference-not-derived]"
    )


def test_records_of_subjects_missing_from_dm_are_left_to_the_dm_finding():
    dm = pd.DataFrame({"USUBJID": ["S-1"], "RFPENDTC": ["2024-06-12"]})
    cm = pd.DataFrame({"USUBJID": ["S-9"], "CMENRTPT": ["ONGOING"]})
    result = derive_end_reference(cm, dm, domain="CM")
    assert result.frame["CMENTPT"].isna().all()
    assert len(result.findings) == 0  # MP0013 names the cause
