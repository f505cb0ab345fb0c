"""The study configuration parsed from design.yaml / study.yaml into typed objects."""

from pathlib import Path

import pytest

from sdtm.errors import SpecError
from sdtm.mapping.design import ElementAnchor
from sdtm.mapping.spec import MappingSpec
from sdtm.mapping.study import load_study_config, study_design
from sdtm.pipeline import load_mapping
from sdtm.standards import load_standards

REPO = Path(__file__).resolve().parents[2]


def _spec(design: dict) -> MappingSpec:
    return MappingSpec(study="s", studyid="S", domains={}, design=design)


def test_the_bundled_design_declares_its_element_anchors_and_follow_up_offset():
    spec = load_mapping(REPO / "mappings" / "cart-psca-001", load_standards())
    design = load_study_config(spec).design
    assert design.anchors == (
        ElementAnchor("RFICDTC", "DM", "RFICDTC"),
        ElementAnchor("LDSTDTC", "EX", "EXSTDTC", "first", "other"),
        ElementAnchor("CARTSTDTC", "EX", "EXSTDTC", "first", "anchor"),
    )
    follow_up = design.element("FU")
    # design.yaml: follow-up starts on Day 29 after the CAR-T infusion, so the Day 28 visit
    # closes the DLT window in the treatment epoch (issue 11; brief 2.1)
    assert (follow_up.start_anchor, follow_up.start_offset_days) == ("CARTSTDTC", 29)
    assert design.arm_rules.unplanned_description == "LYMPHODEPLETION ONLY; CAR-T NOT INFUSED"


def test_an_element_starting_on_an_undeclared_anchor_is_a_spec_error():
    design = {"elements": ({"etcd": "FU", "element": "Follow-up", "start_anchor": "NOPE"},)}
    with pytest.raises(SpecError, match="start_anchor NOPE is not declared in the anchors"):
        study_design(_spec(design))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"name": "A", "dataset": "EX", "variable": "EXSTDTC", "pick": "middle"},
         "pick 'middle' is not one of first, last"),
        ({"name": "A", "dataset": "EX", "variable": "EXSTDTC", "treatments": "some"},
         "treatments 'some' is not one of any, anchor, other"),
        ({"name": "A", "dataset": "EX"}, "a row has no 'variable'"),
    ],
    ids=["bad-pick", "bad-treatments", "no-variable"],
)
def test_a_bad_anchor_row_is_a_spec_error_naming_the_value(row, message):
    with pytest.raises(SpecError, match=message):
        study_design(_spec({"anchors": (row,)}))


def test_an_unknown_design_table_is_a_spec_error():
    with pytest.raises(SpecError, match="unknown table"):
        study_design(_spec({"elementz": ()}))


def test_tvstrl_comes_from_visits_yaml_with_a_default_naming_no_treatment():
    # Issue 10: "before lymphodepletion" was a constant in code; it is the first study's
    # wording in its visits.yaml now, and a study that writes none gets a neutral rule.
    from sdtm.mapping.spec import Visit as SpecVisit

    spec = MappingSpec(
        study="s",
        studyid="S",
        domains={},
        visits=(
            SpecVisit(1, "SCREENING", None, (), tvstrl="Screening, within 28 days of Day 1"),
            SpecVisit(2, "BASELINE", None, ()),
            SpecVisit(3, "DAY 8", 8, ()),
        ),
    )
    rules = [v.tvstrl for v in study_design(spec).visits]
    assert rules == [
        "Screening, within 28 days of Day 1",
        "Baseline visit",
        "Planned on study day 8",
    ]


def test_the_bundled_visits_keep_their_start_rules():
    spec = load_mapping(REPO / "mappings" / "cart-psca-001", load_standards())
    rules = {v.visit: v.tvstrl for v in study_design(spec).visits}
    assert rules["SCREENING"] == "Screening visit, before lymphodepletion"
    assert rules["DAY 7"] == "Planned on study day 8"
