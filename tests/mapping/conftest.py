from pathlib import Path

import pandas as pd
import pytest

from sdtm.standards.model import Codelist, DomainSpec, Standards, Term, VariableSpec


def _var(name, core="Perm", order=1, data_type="Char", codelists=()):
    return VariableSpec(name, name, order, data_type, "Identifier", core, tuple(codelists))


@pytest.fixture(scope="session")
def small_standards() -> Standards:
    ae = DomainSpec(
        "AE",
        "Adverse Events",
        "Events",
        "One record per event",
        ("STUDYID", "USUBJID", "AETERM", "AESTDTC"),
        (
            _var("STUDYID", "Req"),
            _var("DOMAIN", "Req"),
            _var("USUBJID", "Req"),
            _var("AESEQ", "Req", data_type="Num"),
            _var("AESPID"),
            _var("AETERM", "Req"),
            _var("AEDECOD", "Req"),
            _var("AESER", "Exp", codelists=("C66742",)),
            _var("AEOUT", "Perm", codelists=("C66768",)),
            _var("AESTDTC", "Exp"),
        ),
    )
    cm = DomainSpec(
        "CM",
        "Concomitant Medications",
        "Interventions",
        "One record per medication",
        ("STUDYID", "USUBJID", "CMTRT", "CMSTDTC"),
        (
            _var("STUDYID", "Req"),
            _var("DOMAIN", "Req"),
            _var("USUBJID", "Req"),
            _var("CMSEQ", "Req", data_type="Num"),
            _var("CMSPID"),
            _var("CMTRT", "Req"),
            _var("CMROUTE", "Perm", codelists=("C66729",)),
            _var("CMSTDTC", "Perm"),
        ),
    )
    ny = Codelist(
        "C66742",
        "NY",
        "No Yes Response",
        False,
        (Term("C49488", "Y", ("Yes",)), Term("C49487", "N", ("No",))),
    )
    out = Codelist(
        "C66768",
        "OUT",
        "Outcome of Event",
        False,
        (
            Term("C49498", "RECOVERED/RESOLVED", ("RESOLVED",)),
            Term("C48275", "FATAL"),
        ),
    )
    route = Codelist(
        "C66729",
        "ROUTE",
        "Route of Administration",
        True,
        (Term("C38276", "INTRAVENOUS"), Term("C38288", "ORAL", ("PO",))),
    )
    return Standards(
        "3.4",
        "2025-03-28",
        {"AE": ae, "CM": cm},
        {c.code: c for c in (ny, out, route)},
    )


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write spec files into tmp_path/<study>/ and return the folder."""

    def write(files: dict[str, str], study: str = "demo") -> Path:
        folder = tmp_path / study
        folder.mkdir(exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return write


def raw_frame(file: str, columns: dict[str, list]) -> pd.DataFrame:
    frame = pd.DataFrame(columns).astype("string")
    frame["_src_file"] = file
    frame["_src_row"] = range(2, len(frame) + 2)
    frame["_src_id"] = file + ":" + frame["_src_row"].astype(str)
    return frame


@pytest.fixture
def make_raw():
    return raw_frame
