import pandas as pd

from sdtm.derive.epoch import derive_epoch

# Seed-case-like subject: screening, LD from Day -5 09:00, CAR-T 10:05 on Day 0, follow-up
# from Day 28 (SDTM day 29) to the end of participation.
SE = pd.DataFrame(
    {
        "USUBJID": ["S1"] * 4,
        "SESTDTC": ["2024-02-20", "2024-03-07T09:00", "2024-03-12T10:05", "2024-04-09"],
        "SEENDTC": ["2024-03-07T09:00", "2024-03-12T10:05", "2024-04-09", "2024-08-27"],
        "EPOCH": ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"],
    }
)


def test_derive_epoch_from_element_boundaries():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 7,
            "LBDTC": [
                "2024-03-07T08:00",  # before the first LD dose: screening
                "2024-03-12",  # infusion day, date only: LD and CAR-T are both TREATMENT
                "2024-04-08T23:00",
                "2024-04-09",  # follow-up starts this day
                "2024-08-27",  # last element includes its end date
                "2024-03-07T09:00",  # exactly at LD start: TREATMENT
                None,
            ],
        }
    )
    result = derive_epoch(lb, SE, source_var="LBDTC")
    assert result.frame["EPOCH"].tolist() == [
        "SCREENING",
        "TREATMENT",
        "TREATMENT",
        "FOLLOW-UP",
        "FOLLOW-UP",
        "TREATMENT",
        pd.NA,
    ]
    assert len(result.findings) == 0


def test_derive_epoch_null_with_findings():
    cm = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1", "S9"],
            "CMSTDTC": ["2024-03-07", "2024-03", "2023", "2024-03-12"],
            "_src_file": ["cm.csv"] * 4,
            "_src_row": [2, 3, 4, 5],
        }
    )
    result = derive_epoch(cm, SE, source_var="CMSTDTC")
    assert result.frame["EPOCH"].isna().all()
    assert result.findings.rows(["rule_id", "source_row", "dataset"]) == [
        ["MP0520", 2, "CM"],  # LD start day without time: screening or treatment
        ["MP0520", 3, "CM"],  # March spans screening and treatment
        ["MP0521", 4, "CM"],  # prior medication started before the study
    ]  # S9 (row 5) has no SE: null EPOCH, the cause is reported once elsewhere (MP0632/XR0001)


def test_derive_epoch_messages_name_file_row_and_date():
    cm = pd.DataFrame(
        {"USUBJID": ["S1", "S1"], "CMSTDTC": ["2023", "2024-03-20"], "_src_file": "cm.csv"},
        index=[7, 7],  # a repeated index label must not misplace messages
    )
    cm["_src_row"] = [4, 5]
    result = derive_epoch(cm, SE, source_var="CMSTDTC")
    assert result.frame["EPOCH"].tolist() == [pd.NA, "TREATMENT"]
    assert result.findings.frame["message"].tolist() == [
        "cm.csv:4 (USUBJID S1): EPOCH null: CMSTDTC 2023 is before the first or after the last "
        "SE element of the subject [MP0521 date-outside-subject-elements]"
    ]


def test_pre_dose_record_on_the_first_dose_day_belongs_to_the_element_before():
    # issue 11: height and weight used for the lymphodepletion dose are dated on the first LD
    # day without a time; VSTPT PRE-DOSE says they were taken before that dose (screening).
    vs = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "VSDTC": ["2024-03-07", "2024-03-07", "2024-03-07T10:00"],
            "VSTPT": ["PRE-DOSE", None, "PRE-DOSE"],
            "_src_file": ["ld.xlsx"] * 3,
            "_src_row": [2, 3, 4],
        }
    )
    result = derive_epoch(vs, SE, source_var="VSDTC", tpt_var="VSTPT")
    assert result.frame["EPOCH"].astype(object).where(
        result.frame["EPOCH"].notna(), None
    ).tolist() == [
        "SCREENING",
        None,  # no time point: either element, MP0520
        "TREATMENT",  # timed after the 09:00 dose: the time wins over the label
    ]
    assert result.findings.rows(["rule_id", "source_row"]) == [["MP0520", 3]]
