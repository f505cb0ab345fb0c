"""A small SDTM package written by hand: one treated subject with CRS, one screen failure and
one death, with the records a CAR-T timeline draws. Values are chosen so that positions can be
worked out on paper (reference 2024-03-12T10:05; axis position t = days since 2024-03-12 00:00).
"""

import math

import pandas as pd
import pytest

NAN = math.nan
S1, S2, S3 = "ST-001", "ST-002", "ST-003"
CRS = "Cytokine release syndrome"


def _frame(columns, rows):
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows], columns=columns)


def mini_package() -> dict[str, pd.DataFrame]:
    dm = _frame(
        ["STUDYID", "DOMAIN", "USUBJID", "RFSTDTC", "DTHDTC", "ARM", "ACTARM", "SEX", "AGE"],
        [
            ("ST", "DM", S1, "2024-03-12T10:05", "", "Dose 3", "Dose 3", "M", 58.0),
            ("ST", "DM", S2, "", "", "Screen Failure", "", "M", 61.0),
            ("ST", "DM", S3, "2024-04-09T09:40", "2024-04-29", "Dose 3", "Dose 3", "M", 70.0),
        ],
    )
    ex = _frame(
        ["DOMAIN", "USUBJID", "EXTRT", "EXCAT", "EXDOSE", "EXDOSU", "EXSTDTC", "EXENDTC"],
        [
            ("EX", S1, "FLUDARABINE", "LD", 30.0, "mg/m2", "2024-03-07T09:00", "2024-03-07T09:30"),
            ("EX", S1, "CAR-T", "CAR-T", 6.0, "10^6/kg", "2024-03-12T10:05", "2024-03-12T10:32"),
            ("EX", S3, "CAR-T", "CAR-T", 6.0, "10^6/kg", "2024-04-09T09:40", "2024-04-09T10:00"),
        ],
    )
    ae = _frame(
        ["DOMAIN", "USUBJID", "AETERM", "AEDECOD", "AETOXGR", "AESTDTC", "AEENDTC"],
        [
            ("AE", S1, "CYTOKINE RELEASE SYNDROME", CRS, "4", "2024-03-13T22:00", "2024-03-20"),
            # partial start date: counted as not drawn
            ("AE", S1, "LOW NEUTROPHILS", "Neutropenia", "3", "2024-03", ""),
            # no end date: ongoing, drawn to the last thing known of the subject
            ("AE", S1, "HEADACHE", "Headache", "1", "2024-03-14", ""),
        ],
    )
    fa = _frame(
        ["DOMAIN", "USUBJID", "FATESTCD", "FAOBJ", "FASTRESC", "FASTRESN", "FADTC"],
        [
            ("FA", S1, "TOXGR", "CYTOKINE RELEASE SYNDROME", "1", 1.0, "2024-03-13T22:00"),
            ("FA", S1, "TOXGR", "CYTOKINE RELEASE SYNDROME", "4", 4.0, "2024-03-16T08:00"),
            ("FA", S1, "TOXGR", "CYTOKINE RELEASE SYNDROME", "1", 1.0, "2024-03-19T10:00"),
            # graded in FA but no AE with this term: its own row
            ("FA", S1, "TOXGR", "NEUROTOXICITY", "2", 2.0, "2024-03-15T10:00"),
        ],
    )
    cm = _frame(
        ["DOMAIN", "USUBJID", "CMTRT", "CMCAT", "CMINDC", "CMSTDTC", "CMENDTC"],
        [
            ("CM", S1, "TOCILIZUMAB", "CRS", "CYTOKINE RELEASE SYNDROME",
             "2024-03-14T15:00", "2024-03-14T16:00"),
            ("CM", S1, "EMAPALUMAB", "CRS", "CYTOKINE RELEASE SYNDROME",
             "2024-03-16T18:00", "2024-03-16T19:00"),
            ("CM", S1, "ACYCLOVIR", "CONCOMITANT", "PROPHYLAXIS", "2024-03-07", ""),
        ],
    )  # fmt: skip
    ds = _frame(
        ["DOMAIN", "USUBJID", "DSDECOD", "DSCAT", "DSSTDTC"],
        [
            ("DS", S1, "COMPLETED", "DISPOSITION EVENT", "2024-08-23"),
            ("DS", S2, "SCREEN FAILURE", "DISPOSITION EVENT", "2024-01-10"),
            ("DS", S3, "DEATH", "DISPOSITION EVENT", "2024-04-29"),
        ],
    )
    lb_columns = [
        "DOMAIN", "USUBJID", "LBTESTCD", "LBTEST", "LBCAT", "LBORRES", "LBORRESU", "LBSTRESC",
        "LBSTRESN", "LBSTRESU", "LBLLOQ", "VISIT", "LBDTC",
    ]  # fmt: skip
    lb = _frame(
        lb_columns,
        [
            ("LB", S1, "INTLK6", "Interleukin 6", "CYTOKINES", "<1.5", "ng/L", "<1.5", NAN,
             "ng/L", 1.5, "DAY -5", "2024-03-07T07:40"),
            ("LB", S1, "INTLK6", "Interleukin 6", "CYTOKINES", "2400", "ng/L", "2400", 2400.0,
             "ng/L", 1.5, "DAY 3", "2024-03-15T07:00"),
            ("LB", S1, "CRP", "C Reactive Protein", "CHEMISTRY", "6", "mg/L", "6", 6.0, "mg/L",
             NAN, "DAY -5", "2024-03-07T07:40"),
            ("LB", S1, "CRP", "C Reactive Protein", "CHEMISTRY", "250", "mg/L", "250", 250.0,
             "mg/L", NAN, "DAY 3", "2024-03-15T07:00"),
            ("LB", S1, "PSA", "Prostate Specific Antigen", "CHEMISTRY", "48.5", "ug/L", "48.5",
             48.5, "ug/L", 0.01, "DAY -5", "2024-03-07T07:40"),
        ],
    )  # fmt: skip
    pc_columns = [
        "DOMAIN", "USUBJID", "PCTESTCD", "PCTEST", "PCCAT", "PCORRES", "PCORRESU", "PCSTRESC",
        "PCSTRESN", "PCSTRESU", "PCLLOQ", "PCSTAT", "VISIT", "PCDTC",
    ]  # fmt: skip
    pc = _frame(
        pc_columns,
        [
            ("PC", S1, "TRANSGEN", "CAR Transgene", "CK", "BLQ", "copies/ug", "<50", NAN,
             "copies/ug", 50.0, "", "DAY 1", "2024-03-12T09:21"),
            ("PC", S1, "TRANSGEN", "CAR Transgene", "CK", "62000", "copies/ug", "62000", 62000.0,
             "copies/ug", 50.0, "", "DAY 8", "2024-03-19T09:45"),
            # not done: nothing to draw
            ("PC", S1, "TRANSGEN", "CAR Transgene", "CK", "", "", "", NAN, "", 50.0, "NOT DONE",
             "DAY 15", "2024-03-26T09:00"),
        ],
    )  # fmt: skip
    pp = _frame(
        ["DOMAIN", "USUBJID", "PPTESTCD", "PPCAT", "PPSTRESN", "PPSTRESU", "PPRFTDTC"],
        [
            ("PP", S1, "CMAX", "CAR Transgene", 62000.0, "copies/ug", "2024-03-12T10:05"),
            ("PP", S1, "TMAX", "CAR Transgene", 167.58, "h", "2024-03-12T10:05"),
        ],
    )
    se = _frame(
        ["DOMAIN", "USUBJID", "ETCD", "ELEMENT", "EPOCH", "SESTDTC", "SEENDTC"],
        [
            ("SE", S1, "LD", "Lymphodepletion", "TREATMENT", "2024-03-07T09:00",
             "2024-03-12T10:05"),
            ("SE", S1, "CART", "CAR-T", "TREATMENT", "2024-03-12T10:05", "2024-04-09"),
            ("SE", S1, "FU", "Follow-up", "FOLLOW-UP", "2024-04-09", "2024-08-23"),
        ],
    )  # fmt: skip
    return {"DM": dm, "EX": ex, "AE": ae, "FA": fa, "CM": cm, "DS": ds, "LB": lb, "PC": pc,
            "PP": pp, "SE": se}  # fmt: skip


@pytest.fixture
def package() -> dict[str, pd.DataFrame]:
    return mini_package()
