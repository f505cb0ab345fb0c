import numpy as np
import pandas as pd

from sdtm.derive.ex import derive_dose_per_bsa, derive_weight_based_dose


def test_dose_per_bsa_from_actual_mg():
    ex = pd.DataFrame(
        {
            "USUBJID": ["S1"] * 4,
            "ACTDOSMG": [61.5, 1025.0, 60.0, 55.0],  # seed case: BSA 2.05 m2
            "BSA": [2.05, 2.05, 0.0, 2.0],
            "EXDOSE": [np.nan, np.nan, np.nan, 20.0],  # last one reported, 10% off 27.5
            "_src_file": ["ld.csv"] * 4,
            "_src_row": [2, 3, 4, 5],
        }
    )
    result = derive_dose_per_bsa(ex, source_var="ACTDOSMG", bsa_var="BSA")
    np.testing.assert_array_equal(result.frame["EXDOSE"].to_numpy(), [30.0, 500.0, np.nan, 20.0])
    assert result.findings.rows(["rule_id", "source_row"]) == [["MP0590", 4], ["MP0591", 5]]


def test_weight_based_cart_dose():
    ex = pd.DataFrame(
        {
            "USUBJID": ["SEED", "LOW"],
            "TOTCELL": [492.0, 300.0],  # 10^6 CAR+ viable T cells
            "WEIGHT": [82.0, 75.0],
            "EXDOSE": [6.0, 6.0],  # LOW reports the target, but 300/75 = 4.0 was given
        }
    )
    result = derive_weight_based_dose(ex, source_var="TOTCELL", weight_var="WEIGHT")
    assert result.frame["EXDOSE"].tolist() == [6.0, 6.0]  # reported values are kept
    assert result.findings.rows(["rule_id", "usubjid"]) == [["MP0591", "LOW"]]


def test_unreadable_reported_dose_is_reported_not_replaced():
    ex = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3"],
            "TOTCELL": [492.0, 300.0, 300.0],
            "WEIGHT": [82.0, 75.0, 75.0],
            "EXDOSE": ["6,0", "4.0", None],  # decimal comma: not readable
            "_src_file": ["cart.csv"] * 3,
            "_src_row": [2, 3, 4],
        }
    )
    result = derive_weight_based_dose(ex, source_var="TOTCELL", weight_var="WEIGHT")
    # Left null, not silently replaced by 492/82 = 6.0; readable and missing ones as before.
    np.testing.assert_array_equal(result.frame["EXDOSE"].to_numpy(), [np.nan, 4.0, 4.0])
    assert result.findings.rows(["rule_id", "source_file", "source_row", "variable", "value"]) == [
        ["MP0592", "cart.csv", 2, "EXDOSE", "6,0"]
    ]
    assert "EXDOSE 6,0 is not a number" in result.findings.frame["message"].iloc[0]


def test_unreadable_amount_is_reported():
    ex = pd.DataFrame(
        {"USUBJID": ["S1", "S2"], "ACTDOSMG": ["61.5 mg", "61.5"], "BSA": [2.05, 2.05]}
    )
    result = derive_dose_per_bsa(ex, source_var="ACTDOSMG", bsa_var="BSA")
    np.testing.assert_array_equal(result.frame["EXDOSE"].to_numpy(), [np.nan, 30.0])
    assert result.findings.rows(["rule_id", "usubjid", "value"]) == [["MP0592", "S1", "61.5 mg"]]
