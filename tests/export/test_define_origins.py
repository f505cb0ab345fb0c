"""Which derivation-plan row writes a variable, and the origin a mapping step gives (issue 11)."""

import pandas as pd
import pytest

from sdtm.derive.plan import DERIVATION_PLAN
from sdtm.export.define_origins import define_metadata_for_package, plan_rows_for
from sdtm.mapping.spec import Block, Condition, DomainMapping, MappingSpec, Operator, Step, When

SUBJECT = pd.DataFrame({"USUBJID": ["S1"]})
DESIGN = pd.DataFrame({"STUDYID": ["S"]})


@pytest.mark.parametrize(
    ("dataset", "variable", "frame", "functions"),
    [
        ("DM", "RFSTDTC", SUBJECT, ["derive_reference_dates"]),
        ("AE", "AESTDY", SUBJECT, ["derive_study_day"]),
        ("AE", "EPOCH", SUBJECT, ["derive_epoch"]),
        # PP is built by derive_pp, but numbered by derive_seq and given EPOCH by its own row
        ("PP", "PPSTRESN", SUBJECT, ["derive_pp"]),
        ("PP", "PPSEQ", SUBJECT, ["derive_seq"]),
        ("PP", "EPOCH", SUBJECT, ["derive_epoch"]),
        # SE numbers its elements itself; its EPOCH is not derived from SE again
        ("SE", "SESEQ", SUBJECT, ["build_se"]),
        ("SE", "EPOCH", SUBJECT, ["build_se"]),
        # TS has no subjects: TSSEQ is the builder's
        ("TS", "TSSEQ", DESIGN, ["build_ts"]),
        # two rows fill EXDOSE, one per kind of dose
        ("EX", "EXDOSE", SUBJECT, ["derive_dose_per_bsa", "derive_weight_based_dose"]),
        # DM is not in the pass over subject datasets: its VISITNUM would not be derived
        ("DM", "VISITNUM", SUBJECT, []),
        # a row whose working-column input (_TPT) the dataset's mapping lacks does not apply
        ("LB", "LBTPT", SUBJECT, []),
        ("AE", "AETERM", SUBJECT, []),
        # study days of DM and SE have their own rows (issue 11)
        ("DM", "DMDY", SUBJECT, ["derive_study_day"]),
        ("SE", "SESTDY", SUBJECT, ["derive_study_day"]),
        # written only for one TSPARMCD: value-level metadata, not TSVAL's origin
        ("TS", "TSVAL", DESIGN, ["build_ts"]),
    ],
    ids=[
        "rfstdtc",
        "aestdy",
        "epoch",
        "pp-result",
        "pp-seq",
        "pp-epoch",
        "se-seq",
        "se-epoch",
        "ts-seq",
        "exdose",
        "dm-visitnum",
        "lb-tpt-not-mapped",
        "collected",
        "dmdy",
        "sestdy",
        "ts-tsval",
    ],
)
def test_plan_rows_for(dataset, variable, frame, functions):
    rows = plan_rows_for(dataset, variable, frame, None, DERIVATION_PLAN)
    assert [row.function for row in rows] == functions


def _spec(*steps: Step) -> MappingSpec:
    block = Block("edc/ae.csv", steps)
    return MappingSpec(
        "s",
        "S",
        {"AE": DomainMapping("AE", (block,))},
        settings={"origin_sources": "edc/: Investigator; lab/: Vendor"},
    )


def _origin(spec, variable, frame):
    metadata = define_metadata_for_package({"AE": frame}, spec, standards=None)
    return metadata.given_origin("AE", variable)


@pytest.mark.parametrize(
    ("steps", "variable", "expected"),
    [
        # a raw column read: collected by the site (folder edc/)
        (
            (Step("AETERM", "assign_no_ct", source="AETERM"),),
            "AETERM",
            ("Collected", "Investigator"),
        ),
        # a fixed value: assigned by the sponsor
        ((Step("AECAT", "hardcode_no_ct", value="GENERAL"),), "AECAT", ("Assigned", "Sponsor")),
        # a fixed value for a ticked box: the box was collected
        (
            (
                Step(
                    "AEENRTPT",
                    "hardcode_no_ct",
                    value="ONGOING",
                    when=When("all", (Condition("AEONGO", Operator.EQ, "1"),)),
                ),
            ),
            "AEENRTPT",
            ("Collected", "Investigator"),
        ),
        # a decode of an earlier target, not of a raw column: assigned
        (
            (
                Step("AEDECOD", "assign_no_ct", source="AEPT"),
                Step("AEBODSYS", "assign_no_ct", source="AEDECOD"),
            ),
            "AEBODSYS",
            ("Assigned", "Sponsor"),
        ),
    ],
    ids=["raw-column", "fixed", "ticked-box", "earlier-target"],
)
def test_mapping_step_origin(steps, variable, expected):
    frame = pd.DataFrame({variable: ["x"]})
    origin = _origin(_spec(*steps), variable, frame)
    assert (origin.origin_type, origin.source) == expected
    assert origin.comment.startswith(("edc/ae.csv", "Assigned: edc/ae.csv"))
