import pandas as pd

from sdtm.derive.trial_design import (
    build_se,
    build_ta,
    build_te,
    build_tv,
    compute_element_anchors,
)
from sdtm.mapping.design import (
    Arm,
    ArmElement,
    ArmRules,
    Element,
    ElementAnchor,
    StudyDesign,
    Visit,
)

ELEMENTS = (
    Element("SCRN", "Screening", "Informed consent", start_anchor="RFICDTC"),
    Element("LD", "Lymphodepletion", "First Flu/Cy dose", start_anchor="LDSTDTC"),
    Element("CART", "PSCA CAR-T infusion", "CAR-T infusion start", start_anchor="RFSTDTC"),
    # follow-up from protocol Day 28, i.e. SDTM day 29 = RFSTDTC date + 28 days
    Element(
        "FU", "Follow-up", "Day 28 after infusion", start_anchor="RFSTDTC", start_offset_days=28
    ),
)
SEQUENCE = (
    ArmElement("SCRN", "SCREENING"),
    ArmElement("LD", "TREATMENT"),
    ArmElement("CART", "TREATMENT"),
    ArmElement("FU", "FOLLOW-UP"),
)
DESIGN = StudyDesign(
    studyid="CART-PSCA-001",
    arms=(Arm("DL1", "Dose level 1", SEQUENCE), Arm("DL2", "Dose level 2", SEQUENCE)),
    elements=ELEMENTS,
    visits=(Visit(1, "SCREENING", -28), Visit(6, "DAY 0", 1), Visit(11, "DAY 7", 8)),
)


def test_build_te_ta_tv():
    te = build_te(DESIGN)
    assert te.frame["ETCD"].tolist() == ["SCRN", "LD", "CART", "FU"]
    assert te.frame["DOMAIN"].unique().tolist() == ["TE"]
    ta = build_ta(DESIGN).frame
    assert ta[["ARMCD", "TAETORD", "ETCD", "EPOCH"]].values.tolist()[:4] == [
        ["DL1", 1, "SCRN", "SCREENING"],
        ["DL1", 2, "LD", "TREATMENT"],  # no custom LYMPHODEPLETION epoch (brief 2.1)
        ["DL1", 3, "CART", "TREATMENT"],
        ["DL1", 4, "FU", "FOLLOW-UP"],
    ]
    assert len(ta) == 8
    tv = build_tv(DESIGN).frame
    assert tv["VISITDY"].tolist() == [-28, 1, 8]  # protocol Day 7 -> VISITDY 8
    assert len(te.findings) == 0


def test_design_problems_are_findings():
    bad = StudyDesign(
        studyid="X",
        arms=(Arm("DL1", "x", (ArmElement("NOPE", "TREATMENT"),)),),
        elements=ELEMENTS,
        visits=(Visit(1, "A", 1), Visit(1, "B", 2)),
    )
    assert build_ta(bad).findings.rows(["rule_id", "message"]) == [
        [
            "MP0630",
            "study design: arm DL1: element 'NOPE' is not a declared element "
            "[MP0630 study-design-inconsistent]",
        ],
        [
            "MP0630",
            "study design: visits: VISITNUM values are not unique "
            "[MP0630 study-design-inconsistent]",
        ],
    ]


def test_build_se_per_subject():
    dm = pd.DataFrame(
        {
            "STUDYID": ["CART-PSCA-001"] * 4,
            "USUBJID": ["SEED", "SF", "LDO", "NODATE"],
            "ARMCD": ["DL2", None, "DL1", "DL1"],
            "ACTARMCD": ["DL2", None, None, None],
            "RFPENDTC": ["2024-08-27", "2024-02-01", "2024-03-20", None],
        }
    )
    anchors = pd.DataFrame(
        {
            "USUBJID": ["SEED", "SF", "LDO", "NODATE"],
            "RFICDTC": ["2024-02-20", "2024-01-20", "2024-02-25", None],
            "LDSTDTC": ["2024-03-07T09:00", None, "2024-03-01T09:00", None],
            "RFSTDTC": ["2024-03-12T10:05", None, None, None],
        }
    )
    result = build_se(anchors, dm, DESIGN)
    se = result.frame
    assert se[["USUBJID", "SESEQ", "ETCD", "EPOCH", "SESTDTC", "SEENDTC"]].values.tolist() == [
        ["LDO", 1, "SCRN", "SCREENING", "2024-02-25", "2024-03-01T09:00"],
        ["LDO", 2, "LD", "TREATMENT", "2024-03-01T09:00", "2024-03-20"],
        ["SEED", 1, "SCRN", "SCREENING", "2024-02-20", "2024-03-07T09:00"],
        ["SEED", 2, "LD", "TREATMENT", "2024-03-07T09:00", "2024-03-12T10:05"],
        ["SEED", 3, "CART", "TREATMENT", "2024-03-12T10:05", "2024-04-09"],
        ["SEED", 4, "FU", "FOLLOW-UP", "2024-04-09", "2024-08-27"],
        ["SF", 1, "SCRN", "SCREENING", "2024-01-20", "2024-02-01"],
    ]
    assert se["TAETORD"].tolist() == [1, 2, 1, 2, 3, 4, 1]
    assert result.findings.rows(["rule_id", "usubjid"]) == [["MP0632", "NODATE"]]


def test_build_se_reports_element_starting_before_previous():
    dm = pd.DataFrame(
        {
            "STUDYID": ["CART-PSCA-001"],
            "USUBJID": ["SWAP"],
            "ARMCD": ["DL1"],
            "ACTARMCD": ["DL1"],
            "RFPENDTC": ["2024-08-27"],
        }
    )
    anchors = pd.DataFrame(
        {
            "USUBJID": ["SWAP"],
            "RFICDTC": ["2024-02-20"],
            "LDSTDTC": ["2024-03-14T09:00"],  # keyed after the infusion: a data error
            "RFSTDTC": ["2024-03-12T10:05"],
        }
    )
    result = build_se(anchors, dm, DESIGN)
    assert result.frame["ETCD"].tolist() == ["SCRN", "LD", "CART", "FU"]  # dates kept
    assert result.findings.rows(["rule_id", "usubjid", "value"]) == [
        ["MP0631", "SWAP", "2024-03-12T10:05"]
    ]


def test_build_se_leaves_out_an_offset_element_whose_day_falls_after_participation_ended():
    dm = pd.DataFrame(
        {
            "STUDYID": ["S"] * 2,
            "USUBJID": ["DIED-D20", "ENDS-D28"],
            "ARMCD": ["DL1", "DL1"],
            "ACTARMCD": ["DL1", "DL1"],
            # infusion 2024-03-12; follow-up day is 2024-04-09 (+28 days)
            "RFPENDTC": ["2024-03-31", "2024-04-09"],
        }
    )
    anchors = pd.DataFrame(
        {
            "USUBJID": ["DIED-D20", "ENDS-D28"],
            "RFICDTC": ["2024-02-20"] * 2,
            "LDSTDTC": ["2024-03-07"] * 2,
            "RFSTDTC": ["2024-03-12T10:05"] * 2,
        }
    )
    se = build_se(anchors, dm, DESIGN).frame
    # died on day 20: never reached follow-up; ended on the follow-up day itself: reached it
    assert se.loc[se["ETCD"] == "FU", "USUBJID"].tolist() == ["ENDS-D28"]


def test_compute_element_anchors_reads_dm_and_first_dose_of_product_or_other_treatment():
    design = StudyDesign(
        studyid="S",
        arms=(),
        elements=(),
        arm_rules=ArmRules(anchor_treatments=("PRODUCT",)),
        anchors=(
            ElementAnchor("CONSENT", "DM", "RFICDTC"),
            ElementAnchor("FIRST_OTHER", "EX", "EXSTDTC", treatments="other"),
            ElementAnchor("FIRST_PRODUCT", "EX", "EXSTDTC", treatments="anchor"),
            ElementAnchor("LAST_DOSE", "EX", "EXSTDTC", pick="last"),
        ),
    )
    dm = pd.DataFrame({"USUBJID": ["A", "B"], "RFICDTC": ["2024-01-01", "2024-01-02"]})
    ex = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "A", "B"],
            "EXTRT": ["COND", "COND", "PRODUCT", "PRODUCT", "COND"],
            "EXSTDTC": ["2024-02-03", "2024-02-01", "2024-02-10T09:00", "2024-03-10", "2024-02-05"],
        }
    )
    anchors = compute_element_anchors(dm, {"EX": ex}, design)
    assert anchors.astype(object).where(anchors.notna(), None).values.tolist() == [
        # earliest COND is 02-01 though keyed second; B never got the product
        ["A", "2024-01-01", "2024-02-01", "2024-02-10T09:00", "2024-03-10"],
        ["B", "2024-01-02", "2024-02-05", None, "2024-02-05"],
    ]
