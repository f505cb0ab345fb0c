import numpy as np
import pandas as pd
import pytest

from sdtm.derive.dm import derive_age, derive_arms, derive_death
from sdtm.errors import MappingError
from sdtm.mapping.design import Arm, ArmRules, StudyDesign

DESIGN = StudyDesign(
    studyid="CART-PSCA-001",
    arms=(
        Arm("DL1", "PSCA CAR-T 1x10^6 CAR+ cells/kg after Flu/Cy", ()),
        Arm("DL2", "PSCA CAR-T 3x10^6 CAR+ cells/kg after Flu/Cy", ()),
    ),
    elements=(),
    arm_rules=ArmRules(
        anchor_treatments=("PSCA CAR-T",),
        unplanned_description="LYMPHODEPLETION ONLY; CAR-T NOT INFUSED",
    ),
)


def test_derive_arms_follows_brief_2_2():
    dm = pd.DataFrame(
        {
            "USUBJID": ["TRT", "SF", "MFG", "LDO", "LOW", "BAD"],
            "ARMCD": ["DL2", None, "DL1", "DL2", "DL2", "DL9"],
            "ACTUAL": [None, None, None, None, "DL1", None],
        }
    )
    ex = pd.DataFrame(
        {
            "USUBJID": ["TRT", "TRT", "LDO", "LOW", "BAD"],
            "EXTRT": ["FLUDARABINE", "PSCA CAR-T", "FLUDARABINE", "PSCA CAR-T", "PSCA CAR-T"],
        }
    )
    result = derive_arms(dm, ex, DESIGN, actarmcd_var="ACTUAL")
    out = result.frame
    assert out["ARM"].tolist() == [
        "PSCA CAR-T 3x10^6 CAR+ cells/kg after Flu/Cy",
        pd.NA,  # screen failure: not assigned
        "PSCA CAR-T 1x10^6 CAR+ cells/kg after Flu/Cy",
        "PSCA CAR-T 3x10^6 CAR+ cells/kg after Flu/Cy",
        "PSCA CAR-T 3x10^6 CAR+ cells/kg after Flu/Cy",
        pd.NA,  # DL9 is not in the design
    ]
    # LOW got the DL1 dose (collected actual arm); BAD's code is unknown
    assert out["ACTARMCD"].tolist() == ["DL2", pd.NA, pd.NA, pd.NA, "DL1", "DL9"]
    assert out["ACTARM"].tolist()[4] == "PSCA CAR-T 1x10^6 CAR+ cells/kg after Flu/Cy"
    assert out["ARMNRS"].tolist() == [
        pd.NA,
        "SCREEN FAILURE",
        "ASSIGNED, NOT TREATED",  # manufacturing failure: no EX at all
        "UNPLANNED TREATMENT",  # LD given, CAR-T not infused
        pd.NA,
        pd.NA,
    ]
    assert out["ACTARMUD"].tolist()[3] == "LYMPHODEPLETION ONLY; CAR-T NOT INFUSED"
    assert out["ACTARMUD"].isna().sum() == 5
    assert result.findings.rows(["rule_id", "usubjid", "value"]) == [["MP0582", "BAD", "DL9"]]


def test_derive_arms_needs_arm_rules():
    design = StudyDesign(studyid="X", arms=(), elements=())
    dm = pd.DataFrame({"USUBJID": ["A"], "ARMCD": ["DL1"]})
    ex = pd.DataFrame({"USUBJID": ["A"], "EXTRT": ["X"]})
    with pytest.raises(MappingError, match="arm_rules"):
        derive_arms(dm, ex, design)


@pytest.mark.parametrize(
    ("birth", "ref", "age", "rule"),
    [
        ("1960-05-20", "2024-05-20", 64, None),  # birthday on the reference day
        ("1960-05-21", "2024-05-20", 63, None),  # birthday tomorrow
        ("1960-03", "2024-02-15", 63, None),  # month decides
        ("1960-03", "2024-03-15", 63, "MP0583"),  # same month, no day: 63 or 64
        ("1960", "2024-02-01", 63, "MP0583"),  # year only: 63 or 64
        (None, "2024-02-01", None, "MP0584"),
        ("1960-05-20", "consent", None, "MP0584"),
    ],
    ids=["birthday", "day-before", "month", "same-month", "year-only", "no-birth", "bad-ref"],
)
def test_derive_age_with_available_precision(birth, ref, age, rule):
    dm = pd.DataFrame({"USUBJID": ["S1"], "BRTHDTC": [birth], "RFICDTC": [ref]})
    result = derive_age(dm)
    expected_age = np.nan if age is None else float(age)
    np.testing.assert_array_equal(result.frame["AGE"].to_numpy(), [expected_age])
    assert result.frame["AGEU"].tolist() == (["YEARS"] if age is not None else [pd.NA])
    assert result.findings.rows(["rule_id"]) == ([[rule]] if rule else [])


def test_derive_death_from_death_form_and_fatal_ae():
    dm = pd.DataFrame({"USUBJID": ["IECHS", "FATALNODATE", "CONFLICT", "ALIVE"]})
    deaths = pd.DataFrame(
        {
            "USUBJID": ["IECHS", "CONFLICT", "CONFLICT"],
            "DTHDTC": ["2024-04-01", "2024-04-01", "2024-04-03"],
        }
    )
    ae = pd.DataFrame(
        {
            "USUBJID": ["IECHS", "FATALNODATE", "ALIVE"],
            "AEOUT": ["FATAL", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"],
            "AESDTH": ["Y", "Y", "N"],
        }
    )
    result = derive_death(dm, deaths=deaths, ae=ae)
    assert result.frame["DTHDTC"].tolist() == ["2024-04-01", pd.NA, pd.NA, pd.NA]
    assert result.frame["DTHFL"].tolist() == ["Y", "Y", "Y", pd.NA]  # never "N"
    assert result.findings.rows(["rule_id", "usubjid"]) == [
        ["MP0580", "CONFLICT"],
        ["MP0581", "FATALNODATE"],
    ]
