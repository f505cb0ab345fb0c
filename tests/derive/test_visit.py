import pandas as pd

from sdtm.derive.visit import collect_unscheduled_dates, derive_visit
from sdtm.mapping.design import Visit

# VISITDY is the SDTM day: protocol Day 0 -> 1, Day 4 -> 5, Day 7 -> 8 (no day 0).
PLAN = (
    Visit(1, "SCREENING", -28),
    Visit(6, "DAY 0", 1),
    Visit(10, "DAY 4", 5),
    Visit(11, "DAY 7", 8),
    Visit(99, "END OF STUDY", None),
)


def test_planned_and_unscheduled_visits():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 7,
            "VISITNUM": [6, None, None, None, None, 11, 99],
            "LBDY": [1, 5, 5, 6, 9, 8, 170],
            "LBDTC": [
                "2024-03-12T08:00",
                "2024-03-16T16:00",  # unscheduled CRS draw on protocol Day 4 -> after DAY 4
                "2024-03-16T22:00",  # same date: same unscheduled visit 10.01
                "2024-03-17T06:00",  # next date: 10.02
                "2024-03-20",  # after DAY 7 (VISITDY 8): 11.01
                "2024-03-19T08:40",
                "2024-08-28",
            ],
        }
    )
    result = derive_visit(lb, PLAN, dy_var="LBDY", source_var="LBDTC")
    out = result.frame
    assert out["VISITNUM"].tolist() == [6.0, 10.01, 10.01, 10.02, 11.01, 11.0, 99.0]
    assert out["VISIT"].tolist() == [
        "DAY 0",
        "UNSCHEDULED 10.01",
        "UNSCHEDULED 10.01",
        "UNSCHEDULED 10.02",
        "UNSCHEDULED 11.01",
        "DAY 7",
        "END OF STUDY",
    ]
    assert out["VISITDY"].tolist() == [1, pd.NA, pd.NA, pd.NA, pd.NA, 8, pd.NA]
    assert len(result.findings) == 0
    assert lb["VISITNUM"].isna().sum() == 4  # input untouched


def test_unscheduled_numbering_is_per_subject():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2"],
            "VISITNUM": [None, None],
            "LBDY": [9, 10],
            "LBDTC": ["2024-03-20", "2024-05-02"],
        }
    )
    out = derive_visit(lb, PLAN, dy_var="LBDY", source_var="LBDTC").frame
    assert out["VISITNUM"].tolist() == [11.01, 11.01]


def test_visits_that_cannot_be_numbered_give_findings():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "VISITNUM": [None, None, 42],
            "LBDY": [None, -40, 8],
            "LBDTC": ["2024-03", "2024-01-02", "2024-03-19"],
            "_src_file": ["lab.csv"] * 3,
            "_src_row": [5, 6, 7],
        }
    )
    result = derive_visit(lb, PLAN, dy_var="LBDY", source_var="LBDTC")
    assert result.frame["VISITNUM"].iloc[:2].isna().all()
    assert result.frame["VISITNUM"].iloc[2] == 42.0  # kept, but it has no label
    assert result.frame["VISIT"].isna().all()
    assert result.findings.rows(["rule_id", "source_row"]) == [
        ["MP0530", 5],  # partial date: no study day
        ["MP0530", 6],  # before screening
        ["MP0531", 7],  # VISITNUM not in the map
    ]


def test_unscheduled_numbers_agree_across_domains():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "VISITNUM": [None, None],
            "LBDY": [5, 6],
            "LBDTC": ["2024-03-16T16:00", "2024-03-17T06:00"],
        }
    )
    pc = pd.DataFrame(
        {"USUBJID": ["S1"], "VISITNUM": [None], "PCDY": [6], "PCDTC": ["2024-03-17T06:05"]}
    )
    alone = derive_visit(pc, PLAN, dy_var="PCDY", source_var="PCDTC").frame
    assert alone["VISITNUM"].tolist() == [10.01]  # PC alone would reuse LB's 10.01 for 03-17
    dates = collect_unscheduled_dates([(lb, "LBDY", "LBDTC"), (pc, "PCDY", "PCDTC")])
    assert len(dates) == 3
    shared_pc = derive_visit(pc, PLAN, dy_var="PCDY", source_var="PCDTC", study_dates=dates)
    shared_lb = derive_visit(lb, PLAN, dy_var="LBDY", source_var="LBDTC", study_dates=dates)
    assert shared_pc.frame["VISITNUM"].tolist() == [10.02]  # 03-17 is the second date
    assert shared_lb.frame["VISITNUM"].tolist() == [10.01, 10.02]
    assert shared_pc.frame["VISIT"].tolist() == ["UNSCHEDULED 10.02"]
