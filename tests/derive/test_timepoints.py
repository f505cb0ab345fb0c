import pandas as pd

from sdtm.derive.study_day import derive_study_day
from sdtm.derive.timepoints import derive_timepoints
from sdtm.mapping.design import TimePoint

TIMEPOINTS = (
    TimePoint("D0 PRE", "PRE-INFUSION", -1, "CAR-T INFUSION"),
    TimePoint("D0 1H", "1 HOUR POST-INFUSION", 1, "CAR-T INFUSION"),
    TimePoint("D7", "DAY 7", 168, "CAR-T INFUSION"),
    TimePoint("M6", "MONTH 6", 4032, "CAR-T INFUSION"),
)
DM = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2024-03-12T10:05", None]})


def test_pc_rows_from_brief():
    pc = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 4,
            "NOMTIME": ["D0 PRE", "D7", "m6 ", "D0 1H"],  # labels matched case-insensitively
            "PCDTC": ["2024-03-12T09:10", "2024-03-19T08:40", "2024-08-27T09:30", None],
        }
    )
    result = derive_timepoints(pc, TIMEPOINTS, DM, domain="PC", source_var="NOMTIME")
    out = result.frame
    assert out["PCTPT"].tolist() == ["PRE-INFUSION", "DAY 7", "MONTH 6", "1 HOUR POST-INFUSION"]
    assert out["PCTPTNUM"].tolist() == [-1.0, 168.0, 4032.0, 1.0]
    assert out["PCELTM"].tolist() == ["-PT1H", "P7D", "P168D", "PT1H"]
    assert out["PCTPTREF"].tolist() == ["CAR-T INFUSION"] * 4
    assert out["PCRFTDTC"].tolist() == ["2024-03-12T10:05"] * 4
    assert out["PCDTC"].tolist()[:3] == pc["PCDTC"].tolist()[:3]  # actual times untouched
    assert len(result.findings) == 0


def test_unknown_label_and_missing_reference_give_findings():
    pc = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S1"],
            "NOMTIME": ["D99", "D7", None],
            "_src_file": ["bio.csv"] * 3,
            "_src_row": [3, 4, 5],
        }
    )
    result = derive_timepoints(pc, TIMEPOINTS, DM, domain="PC", source_var="NOMTIME")
    assert result.frame["PCTPT"].tolist() == [pd.NA, "DAY 7", pd.NA]
    assert result.frame["PCRFTDTC"].isna().all()
    assert result.findings.rows(["rule_id", "source_row", "variable"]) == [
        ["MP0560", 3, "PCTPT"],
        ["MP0561", 4, "PCRFTDTC"],
    ]


def test_brief_pc_example_rows_end_to_end():
    # Brief 2.9 example: RFSTDTC = PCRFTDTC = 2024-03-12T10:05; PCDY by the --DY rule
    pc = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 3,
            "NOMTIME": ["D0 PRE", "D7", "M6"],
            "PCDTC": ["2024-03-12T09:10", "2024-03-19T08:40", "2024-08-27T09:30"],
        }
    )
    timed = derive_timepoints(pc, TIMEPOINTS, DM, domain="PC", source_var="NOMTIME").frame
    out = derive_study_day(timed, DM, source_var="PCDTC", new_var="PCDY").frame
    assert out[["PCTPT", "PCTPTNUM", "PCELTM", "PCDY"]].values.tolist() == [
        ["PRE-INFUSION", -1.0, "-PT1H", 1],  # 55 min before infusion, same day: day 1
        ["DAY 7", 168.0, "P7D", 8],  # protocol Day 7 = SDTM day 8
        ["MONTH 6", 4032.0, "P168D", 169],
    ]
