"""check_spec: Required variables the derive stage fills from a linked parent (issue 11)."""

import pytest

from sdtm.mapping.check import check_spec
from sdtm.mapping.spec import Block, DomainMapping, MappingSpec, Step
from sdtm.standards import load_standards

FA_STEPS = (
    Step("STUDYID", "assign_no_ct", source="STUDYID"),
    Step("USUBJID", "assign_concat", sources=("STUDYID", "SUBJID")),
    Step("FATESTCD", "hardcode_ct", value="TOXGR", codelist="FATESTCD"),
    Step("FATEST", "hardcode_ct", value="Toxicity Grade", codelist="FATEST"),
)
LINK = Step("FA-AE", "relrec", source="CRSAENO", rdomain="AE", rvariable="AESPID")


@pytest.mark.parametrize(
    ("steps", "missing"),
    [
        # FAOBJ comes from the parent AE the relrec step links to (sdtm.derive.fa)
        ((*FA_STEPS, LINK), []),
        # without a link nothing can give FAOBJ: the spec must
        (FA_STEPS, ["FA.FAOBJ is required (Req) but no step assigns it"]),
    ],
    ids=["linked", "not-linked"],
)
def test_faobj_is_assigned_by_a_link_to_the_parent(steps, missing):
    spec = MappingSpec(
        "demo", "S", {"FA": DomainMapping("FA", (Block("edc/crs.csv", tuple(steps)),))}
    )
    problems = check_spec(spec, load_standards())
    assert [p.message for p in problems if p.rule_id == "MP0104"] == missing
