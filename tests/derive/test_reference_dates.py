import pandas as pd

from sdtm.derive.reference_dates import (
    derive_informed_consent_date,
    derive_participation_end,
    derive_reference_dates,
)

EX = pd.DataFrame(
    {
        "USUBJID": ["S1", "S1", "S1", "S1", "LD1", "X9"],
        "EXTRT": [
            "FLUDARABINE",
            "CYCLOPHOSPHAMIDE",
            "FLUDARABINE",
            "PSCA CAR-T",
            "FLUDARABINE",
            "PSCA CAR-T",
        ],
        "EXSTDTC": [
            "2024-03-09T09:00",
            "2024-03-07T09:30",
            "2024-03-07T09:00",  # earliest dose of any treatment: RFXSTDTC
            "2024-03-12T10:05",  # CAR-T start: RFSTDTC
            "2024-03-01T09:00",
            "2024-01-01",
        ],
        "EXENDTC": ["2024-03-09T09:30", None, "2024-03-07T09:30", "2024-03-12T10:32", None, None],
        "_src_file": ["ex.csv"] * 6,
        "_src_row": [2, 3, 4, 5, 6, 7],
    }
)


def test_reference_dates_for_cart_ld_only_and_untreated_subjects():
    dm = pd.DataFrame({"USUBJID": ["S1", "LD1", "SF1"]})
    result = derive_reference_dates(dm, EX, anchor_treatments=("PSCA CAR-T",))
    out = result.frame
    assert out["RFXSTDTC"].tolist() == ["2024-03-07T09:00", "2024-03-01T09:00", pd.NA]
    assert out["RFXENDTC"].tolist() == ["2024-03-12T10:32", "2024-03-01T09:00", pd.NA]
    # LD-only subject: RFSTDTC falls back to the first LD dose (brief 2.1)
    assert out["RFSTDTC"].tolist() == ["2024-03-12T10:05", "2024-03-01T09:00", pd.NA]
    assert out["RFENDTC"].tolist() == ["2024-03-12T10:32", "2024-03-01T09:00", pd.NA]
    assert result.findings.rows(["rule_id", "usubjid", "source_row"]) == [
        ["MP0570", "LD1", None],
        ["MP0571", "X9", 7],  # EX subject absent from DM
    ]


def test_partial_exposure_date_is_reported():
    dm = pd.DataFrame({"USUBJID": ["S1"]})
    ex = pd.DataFrame(
        {"USUBJID": ["S1"], "EXTRT": ["PSCA CAR-T"], "EXSTDTC": ["2024-03"], "EXENDTC": [None]}
    )
    result = derive_reference_dates(dm, ex, anchor_treatments=("PSCA CAR-T",))
    assert result.frame["RFSTDTC"].tolist() == ["2024-03"]
    assert result.findings.rows(["rule_id", "usubjid"]) == [["MP0572", "S1"]]


def test_informed_consent_takes_first_consent():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"]})
    ic = pd.DataFrame(
        {"USUBJID": ["S1", "S1"], "ICDTC": ["2024-02-20", "2024-01-15"]}  # re-consent later
    )
    result = derive_informed_consent_date(dm, ic, source_var="ICDTC")
    assert result.frame["RFICDTC"].tolist() == ["2024-01-15", pd.NA]
    assert result.findings.rows(["rule_id", "usubjid"]) == [["MP0573", "S2"]]


def test_participation_end_is_latest_date_across_sources():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "DTHDTC": [None, "2024-04-01"]})
    ds = pd.DataFrame(
        {"USUBJID": ["S1", "S1", "S2"], "DSSTDTC": ["2024-08-27", "2024-09", "2024-03-30"]}
    )
    result = derive_participation_end(dm, ((ds, "DSSTDTC"), (dm, "DTHDTC")))
    # "2024-09" is later than any day of August whatever its day
    assert result.frame["RFPENDTC"].tolist() == ["2024-09", "2024-04-01"]
    assert len(result.findings) == 0
