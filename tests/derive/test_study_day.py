import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdtm.derive.study_day import compute_study_day, derive_study_day
from sdtm.errors import MappingError

DM = pd.DataFrame(
    {
        "USUBJID": ["S1", "S2", "S3"],
        "RFSTDTC": ["2024-03-12T10:05", None, "2024-03"],
    }
)


def test_derive_study_day_has_no_day_zero_and_ignores_time():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 5,
            "LBDTC": [
                "2024-03-12T08:00",  # pre-infusion sample on infusion day: day 1, not 0
                "2024-03-11T23:00",  # the day before: -1
                "2024-03-19T08:40",  # protocol Day 7 = SDTM day 8 (the day-0 trap)
                "2024-03-07T09:00",  # first LD dose, protocol Day -5 = SDTM -5
                "2024-08-27T09:30",  # Month 6 sample
            ],
        }
    )
    result = derive_study_day(lb, DM, source_var="LBDTC", new_var="LBDY")
    assert result.frame["LBDY"].tolist() == [1, -1, 8, -5, 169]
    assert len(result.findings) == 0
    assert "LBDY" not in lb.columns  # input untouched


def test_derive_study_day_nulls_with_findings():
    lb = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S2", "S3", "S9", "S1"],
            "LBDTC": ["2024-03", "UN JAN 2024", "2024-03-12", "2024-03-12", "2024-03-12", None],
            "_src_file": ["lab_a.csv"] * 6,
            "_src_row": [2, 3, 4, 5, 6, 7],
        }
    )
    result = derive_study_day(lb, DM, source_var="LBDTC", new_var="LBDY")
    assert result.frame["LBDY"].isna().all()
    assert result.findings.rows(
        ["rule_id", "severity", "usubjid", "source_file", "source_row"]
    ) == [
        ["MP0501", "notice", "S1", "lab_a.csv", 2],  # partial date
        ["MP0501", "notice", "S3", "lab_a.csv", 5],  # partial RFSTDTC
        ["MP0502", "notice", "S2", "lab_a.csv", 4],  # no RFSTDTC (e.g. screen failure)
        ["MP0503", "warning", "S1", "lab_a.csv", 3],  # raw text, not ISO 8601
    ]  # the null date (row 7) has nothing to derive: no finding; S9 (row 6) is not in DM,
    # which MP0013/XR0001 report once: the study day adds no finding of its own
    assert pd.isna(result.frame["LBDY"].iloc[4])
    assert result.findings.frame["variable"].unique().tolist() == ["LBDY"]
    # message wording is user-facing: pinned here
    assert result.findings.frame["message"].tolist() == [
        "lab_a.csv:2 (USUBJID S1): LBDY not derived: LBDTC 2024-03 or RFSTDTC "
        "2024-03-12T10:05 has less than day precision; SDTM does not impute dates "
        "[MP0501 partial-date-study-day-not-derived]",
        "lab_a.csv:5 (USUBJID S3): LBDY not derived: LBDTC 2024-03-12 or RFSTDTC 2024-03 "
        "has less than day precision; SDTM does not impute dates "
        "[MP0501 partial-date-study-day-not-derived]",
        "lab_a.csv:4 (USUBJID S2): LBDY null: the subject has no DM.RFSTDTC "
        "(not treated, or reference dates not derived) [MP0502 reference-date-missing]",
        "lab_a.csv:3 (USUBJID S1): LBDY not derived: LBDTC UN JAN 2024 is not an ISO 8601 "
        "date/time [MP0503 date-not-iso8601]",
    ]


def test_derive_study_day_keeps_row_order_and_index():
    ae = pd.DataFrame(
        {"USUBJID": ["S1", "S1"], "AESTDTC": ["2024-03-14", "2024-03-13"]}, index=[10, 5]
    )
    out = derive_study_day(ae, DM, source_var="AESTDTC", new_var="AESTDY").frame
    assert out.index.tolist() == [10, 5]
    assert out["AESTDY"].tolist() == [3, 2]


def test_derive_study_day_missing_column_is_a_spec_error():
    with pytest.raises(MappingError, match="LBDTC"):
        derive_study_day(pd.DataFrame({"USUBJID": ["S1"]}), DM, source_var="LBDTC", new_var="LBDY")


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
)
def test_compute_study_day_is_never_zero_and_counts_days(day, ref):
    result = compute_study_day(pd.Series([day.isoformat()]), pd.Series([ref.isoformat()]))
    value = int(result.iloc[0])
    assert value != 0
    delta = (day - ref).days
    assert value == (delta + 1 if delta >= 0 else delta)
