import pandas as pd
import pytest

from sdtm.derive.baseline import derive_last_obs_before_exposure_flag
from sdtm.errors import MappingError

DM = pd.DataFrame(
    {
        "USUBJID": ["S1", "S2", "SF"],
        # RFXSTDTC = first lymphodepletion dose, not the CAR-T infusion
        "RFXSTDTC": ["2024-03-07T09:00", "2024-03-07", None],
    }
)


def test_lobxfl_is_last_value_before_first_ld_dose():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 6,
            "LBTESTCD": ["CRP", "CRP", "CRP", "CRP", "CRP", "IFNG"],
            "LBSPEC": ["SERUM"] * 5 + ["PLASMA"],
            "LBSTRESC": ["4", "5", None, "7", "9", "3"],
            "LBDTC": [
                "2024-02-20",  # screening
                "2024-03-07T08:00",  # pre-LD on first dose day: the baseline
                "2024-03-07T08:30",  # later, but not done (no result)
                "2024-03-12T08:00",  # pre-infusion (post-LD): not LOBXFL
                "2024-03-07T09:00",  # exactly at dosing: candidate, and latest
                "2024-03-01",
            ],
        }
    )
    result = derive_last_obs_before_exposure_flag(lb, DM, domain="LB")
    assert result.frame["LBLOBXFL"].tolist() == [pd.NA, pd.NA, pd.NA, pd.NA, "Y", "Y"]
    assert len(result.findings) == 0


def test_lobxfl_same_day_without_time_uses_pre_dose_time_point():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1", "S2", "S2"],
            "LBTESTCD": ["PSA", "PSA", "ALT", "ALT", "ALT"],
            "LBSTRESC": ["52", "50", "30", "20", "25"],
            "LBDTC": [
                "2024-02-20",
                "2024-03-07",  # no time, planned time point says pre-dose: candidate
                "2024-03-07",  # no time and no time point: skipped with a notice
                "2024-03-01",
                "2024-03-07T08:00",  # S2's RFXSTDTC has no time: cannot be ordered
            ],
            "LBTPT": [None, "PRE-DOSE", None, None, None],
            "_src_file": ["lab.csv"] * 5,
            "_src_row": [2, 3, 4, 5, 6],
        }
    )
    result = derive_last_obs_before_exposure_flag(lb, DM, domain="LB", tpt_var="LBTPT")
    assert result.frame["LBLOBXFL"].tolist() == [pd.NA, "Y", pd.NA, "Y", pd.NA]
    assert result.findings.rows(["rule_id", "usubjid", "source_row"]) == [
        ["MP0550", "S1", 4],
        ["MP0550", "S2", 6],
    ]


def test_lobxfl_tie_flags_later_source_row_with_notice():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "LBTESTCD": ["CRP", "CRP"],
            "LBSTRESC": ["5", "6"],
            "LBDTC": ["2024-03-01T08:00", "2024-03-01T08:00"],  # exact duplicate draw time
            "_src_file": ["lab.csv", "lab.csv"],
            "_src_row": [9, 4],
        }
    )
    result = derive_last_obs_before_exposure_flag(lb, DM, domain="LB")
    assert result.frame["LBLOBXFL"].tolist() == ["Y", pd.NA]  # row 9 is the later source row
    assert result.findings.rows(["rule_id", "source_row"]) == [["MP0551", 9]]


def test_lobxfl_untreated_subject_has_no_flag_and_no_finding():
    lb = pd.DataFrame(
        {"USUBJID": ["SF"], "LBTESTCD": ["CRP"], "LBSTRESC": ["5"], "LBDTC": ["2024-01-01"]}
    )
    result = derive_last_obs_before_exposure_flag(lb, DM, domain="LB")
    assert result.frame["LBLOBXFL"].isna().all()
    assert len(result.findings) == 0


def test_pc_has_no_baseline_flag():
    pc = pd.DataFrame(
        {"USUBJID": ["S1"], "PCTESTCD": ["PSCACART"], "PCSTRESC": ["<50"], "PCDTC": ["2024-03-01"]}
    )
    with pytest.raises(MappingError, match="PC has no --LOBXFL"):
        derive_last_obs_before_exposure_flag(pc, DM, domain="PC")


@pytest.mark.parametrize(
    ("dtc", "tpt", "flag", "rules"),
    [
        ("2024-03-07", None, pd.NA, ["MP0550"]),  # both date-only: order unknown
        ("2024-03-07", "PRE-DOSE", "Y", []),  # ... unless the time point says pre-dose
        ("2024-03-06T23:00", None, "Y", []),  # the day before
    ],
    ids=["same-date", "same-date-predose", "day-before"],
)
def test_lobxfl_date_only_first_dose(dtc, tpt, flag, rules):
    lb = pd.DataFrame(
        {
            "USUBJID": ["S2"],  # RFXSTDTC 2024-03-07 without time
            "LBTESTCD": ["ALT"],
            "LBSTRESC": ["20"],
            "LBDTC": [dtc],
            "LBTPT": [tpt],
        }
    )
    result = derive_last_obs_before_exposure_flag(lb, DM, domain="LB", tpt_var="LBTPT")
    assert result.frame["LBLOBXFL"].tolist() == [flag]
    assert [row[0] for row in result.findings.rows(["rule_id"])] == rules
