from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sdtm.standards.model import Codelist, DomainSpec, Standards, Term, VariableSpec

REPO = Path(__file__).resolve().parents[2]


def _var(name, label, order, data_type="Char", role="Identifier", core="Req", codelists=()):
    return VariableSpec(name, label, order, data_type, role, core, tuple(codelists))


@pytest.fixture(scope="session")
def tiny_standards() -> Standards:
    """A hand-built slice of SDTMIG 3.4 / CT: AE, LB, SUPPQUAL and three codelists."""
    ny = Codelist(
        "C66742", "NY", "No Yes Response", False, (Term("C49488", "Y"), Term("C49487", "N"))
    )
    sev = Codelist(
        "C66769",
        "AESEV",
        "Severity/Intensity Scale for Adverse Events",
        False,
        (Term("C41338", "MILD"), Term("C41339", "MODERATE"), Term("C41340", "SEVERE")),
    )
    lbtestcd = Codelist(
        "C65047",
        "LBTESTCD",
        "Laboratory Test Code",
        True,
        (Term("C64431", "ALB"), Term("C74761", "INTLK6")),
    )
    ae = DomainSpec(
        "AE",
        "Adverse Events",
        "Events",
        "One record per adverse event per subject",
        ("STUDYID", "USUBJID", "AETERM"),
        (
            _var("STUDYID", "Study Identifier", 1),
            _var("DOMAIN", "Domain Abbreviation", 2),
            _var("USUBJID", "Unique Subject Identifier", 3),
            _var("AESEQ", "Sequence Number", 4, "Num"),
            _var("AETERM", "Reported Term for the Adverse Event", 5, role="Topic"),
            _var(
                "AESEV",
                "Severity/Intensity",
                6,
                role="Record Qualifier",
                core="Perm",
                codelists=("C66769",),
            ),
            _var(
                "AESER",
                "Serious Event",
                7,
                role="Record Qualifier",
                core="Exp",
                codelists=("C66742",),
            ),
            _var(
                "AESTDY",
                "Study Day of Start of Adverse Event",
                8,
                "Num",
                role="Timing",
                core="Perm",
            ),
        ),
    )
    lb = DomainSpec(
        "LB",
        "Laboratory Test Results",
        "Findings",
        "One record per lab test per time point per visit per subject",
        ("STUDYID", "USUBJID", "LBTESTCD"),
        (
            _var("STUDYID", "Study Identifier", 1),
            _var("DOMAIN", "Domain Abbreviation", 2),
            _var("USUBJID", "Unique Subject Identifier", 3),
            _var("LBSEQ", "Sequence Number", 4, "Num"),
            _var(
                "LBTESTCD",
                "Lab Test or Examination Short Name",
                5,
                role="Topic",
                codelists=("C65047",),
            ),
            _var("LBTEST", "Lab Test or Examination Name", 6, role="Synonym Qualifier"),
            _var(
                "LBORRES",
                "Result or Finding in Original Units",
                7,
                role="Result Qualifier",
                core="Exp",
            ),
            _var(
                "LBSTRESN",
                "Numeric Result/Finding in Standard Units",
                8,
                "Num",
                role="Result Qualifier",
                core="Exp",
            ),
        ),
    )
    suppqual = DomainSpec(
        "SUPPQUAL",
        "Supplemental Qualifiers for [domain name]",
        "Relationship",
        "One record per IDVAR, IDVARVAL, and QNAM value per subject",
        ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
        (
            _var("STUDYID", "Study Identifier", 1),
            _var("RDOMAIN", "Related Domain Abbreviation", 2),
            _var("USUBJID", "Unique Subject Identifier", 3),
            _var("IDVAR", "Identifying Variable", 4),
            _var("IDVARVAL", "Identifying Variable Value", 5),
            _var("QNAM", "Qualifier Variable Name", 6, role="Topic"),
            _var("QLABEL", "Qualifier Variable Label", 7, role="Synonym Qualifier"),
            _var("QVAL", "Data Value", 8, role="Result Qualifier"),
            _var("QORIG", "Origin", 9, role="Record Qualifier"),
        ),
    )
    return Standards(
        "3.4",
        "2025-03-28",
        {"AE": ae, "LB": lb, "SUPPQUAL": suppqual},
        {c.code: c for c in (ny, sev, lbtestcd)},
    )


@pytest.fixture(scope="session")
def empty_standards() -> Standards:
    """Standards that know no dataset: everything comes from the frames' own metadata."""
    return Standards("3.4", "2025-03-28", {}, {})


@pytest.fixture
def creation() -> datetime:
    return datetime(2025, 3, 28, 12, 30, 45)


@pytest.fixture
def ae_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["CART1", "CART1", "CART1"],
            "DOMAIN": ["AE", "AE", "AE"],
            "USUBJID": ["CART1-001", "CART1-001", "CART1-002"],
            "AESEQ": [1, 2, 1],
            "AETERM": ["Cytokine release syndrome", "Headache", "Pyrexia"],
            "AESEV": ["SEVERE", "MILD", None],
            "AESER": ["Y", "N", "N"],
            "AESTDY": [3, 10, -1],
            "_src_row": [2, 3, 4],
        }
    )


@pytest.fixture(scope="session")
def dataset_json_schema_dir() -> Path:
    return REPO / "specs" / "dataset-json-1.1"


@pytest.fixture(scope="session")
def define_schema_dir(reference_dir: Path) -> Path:
    return reference_dir / "define-xml-2.1" / "schema"
