from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from sdtm.findings import FindingsTable
from sdtm.standards import Codelist, DomainSpec, Standards, Term, VariableSpec, load_standards
from sdtm.validate.schema import (
    DATETIME_PATTERN,
    DURATION_PATTERN,
    RULE_IDS,
    build_schema,
    failure_cases_to_findings,
    validate_dataset,
)

DTC = "ISO 8601 datetime or interval"
DUR = "ISO 8601 duration"


def _var(name, order, data_type="Char", core="Perm", codelists=(), domain=None, values=()):
    return VariableSpec(
        name=name,
        label=name.title(),
        order=order,
        data_type=data_type,
        role="Identifier",
        core=core,
        codelists=codelists,
        described_value_domain=domain,
        value_list=values,
    )


SEV = Codelist(
    code="C66769",
    short_name="AESEV",
    name="Severity/Intensity Scale for Adverse Events",
    extensible=False,
    terms=(
        Term("C41338", "MILD", synonyms=("Grade 1",)),
        Term("C41339", "MODERATE"),
        Term("C41340", "SEVERE"),
    ),
)
EPOCH = Codelist(
    code="C99079",
    short_name="EPOCH",
    name="Epoch",
    extensible=True,
    terms=(Term("C48262", "SCREENING"), Term("C101526", "TREATMENT")),
)
STRESC = Codelist(
    code="C102580",
    short_name="LBSTRESC",
    name="Laboratory Test Standard Character Result",
    extensible=True,
    terms=(Term("C38757", "NEGATIVE"), Term("C38758", "POSITIVE")),
)

AE = DomainSpec(
    name="AE",
    label="Adverse Events",
    observation_class="Events",
    structure="One record per adverse event per subject",
    keys=("STUDYID", "USUBJID", "AETERM", "AESTDTC"),
    variables=(
        _var("STUDYID", 1, core="Req"),
        _var("DOMAIN", 2, core="Req", values=("AE",)),
        _var("USUBJID", 3, core="Req"),
        _var("AESEQ", 4, data_type="Num", core="Req"),
        _var("AETERM", 5, core="Req"),
        _var("AESEV", 6, codelists=("C66769",)),
        _var("EPOCH", 7, codelists=("C99079",)),
        _var("AESTDTC", 8, core="Exp", domain=DTC),
        _var("AEDUR", 9, domain=DUR),
    ),
    model_additions=(
        VariableSpec(
            "AETOX", "Toxicity", 10, "Char", "Variable Qualifier", "Perm", model_variable="--TOX"
        ),
    ),
    model_permissible=("AEDTC",),
)
LB = DomainSpec(
    name="LB",
    label="Laboratory Test Results",
    observation_class="Findings",
    structure="One record per lab test per time point per visit per subject",
    keys=("STUDYID", "USUBJID", "LBTESTCD"),
    variables=(
        _var("STUDYID", 1, core="Req"),
        _var("DOMAIN", 2, core="Req", values=("LB",)),
        _var("USUBJID", 3, core="Req"),
        _var("LBSEQ", 4, data_type="Num", core="Req"),
        _var("LBTESTCD", 5, core="Req"),
        _var("LBSTRESC", 6, codelists=("C102580",)),
    ),
)
STANDARDS = Standards(
    sdtmig_version="3.4",
    ct_version="2099-01-01",
    domains={"AE": AE, "LB": LB},
    codelists={c.code: c for c in (SEV, EPOCH, STRESC)},
)
COLUMNS = ["rule_id", "severity", "variable", "row", "value"]


def good_ae() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["S1", "S1", "S1"],
            "DOMAIN": ["AE", "AE", "AE"],
            "USUBJID": ["S1-001", "S1-001", "S1-002"],
            "AESEQ": [1.0, 2.0, 1.0],
            "AETERM": ["Fever", "Headache", "Fever"],
            "AESEV": ["MILD", "", "SEVERE"],  # "" is null in SAS transport files
            "EPOCH": ["SCREENING", "TREATMENT", "TREATMENT"],
            "AESTDTC": ["2024-03-12", "2024-03-12T14:05", "2024---15"],
            "AEDUR": ["P3D", "", "PT4H"],
        }
    )


def good_lb() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["S1"] * 6,
            "DOMAIN": ["LB"] * 6,
            "USUBJID": ["S1-001"] * 6,
            "LBSEQ": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "LBTESTCD": ["INTLK6", "INTLK2", "IFNG", "CRP", "UPROT", "A_1"],
            "LBSTRESC": [">5000", "<2.5", "2600", "-3.5", "NEGATIVE", ""],
        }
    )


def check_ae(frame: pd.DataFrame, columns=COLUMNS) -> list[list]:
    return validate_dataset(frame, AE, STANDARDS).rows(columns)


def with_values(frame: pd.DataFrame, variable: str, values: list) -> pd.DataFrame:
    out = frame.copy()
    out[variable] = values
    return out


def test_good_frames_have_no_findings() -> None:
    assert len(validate_dataset(good_ae(), AE, STANDARDS)) == 0
    assert len(validate_dataset(good_lb(), LB, STANDARDS)) == 0


def test_findings_name_dataset_subject_seq_and_rule() -> None:
    frame = with_values(good_ae(), "AESEV", ["MILD", "", "FATAL"])
    findings = validate_dataset(frame, AE, STANDARDS, dataset="AE", source_file="ae.xpt")
    assert findings.rows(["dataset", "usubjid", "seq", "row", "source_file", "rule_name"]) == [
        ["AE", "S1-002", 1.0, 3, "ae.xpt", "term-not-in-codelist"]
    ]
    assert findings.rows(["message"]) == [
        [
            "AE row 3: AESEV value 'FATAL' is not in non-extensible codelist AESEV (C66769), "
            "CT 2099-01-01 [CT0001 term-not-in-codelist]"
        ]
    ]


def test_st0001_required_variable_missing() -> None:
    assert check_ae(good_ae().drop(columns="AETERM")) == [["ST0001", "error", "AETERM", None, None]]


def test_st0002_required_variable_null() -> None:
    frame = with_values(good_ae(), "AETERM", ["Fever", "  ", None])
    assert check_ae(frame) == [
        ["ST0002", "error", "AETERM", 2, "  "],
        ["ST0002", "error", "AETERM", 3, None],
    ]


def test_st0003_expected_variable_missing_is_a_warning() -> None:
    assert check_ae(good_ae().drop(columns="AESTDTC")) == [
        ["ST0003", "warning", "AESTDTC", None, None]
    ]


def test_st0004_unknown_variable() -> None:
    frame = good_ae().assign(AEFOO="x")
    assert check_ae(frame) == [["ST0004", "error", "AEFOO", None, None]]


def test_st0005_declared_model_addition_is_a_notice() -> None:
    frame = good_ae().assign(AETOX="CRS")
    assert check_ae(frame, ["rule_id", "severity", "variable", "message"]) == [
        [
            "ST0005",
            "notice",
            "AETOX",
            "AE: variable AETOX is a declared SDTM model addition (--TOX, Toxicity) "
            "[ST0005 model-variable-added]",
        ]
    ]


def test_st0020_undeclared_model_variable_is_a_warning() -> None:
    frame = good_ae().assign(AEDTC=["2024-03-12", "2024-03-12", "12MAR2024"])
    assert check_ae(frame) == [
        ["ST0020", "warning", "AEDTC", None, None],
        ["ST0007", "error", "AEDTC", 3, "12MAR2024"],
    ]


def st0006(variable: str, row: int, value: str) -> list:
    return ["ST0006", "error", variable, row, value]


# (variable, values, exact findings): one row per value that is not of the IG type; the other
# checks of the column skip values that are not text (no length, ASCII, codelist or ISO 8601
# finding on a number) and never fail with an internal error (ST0019).
TYPE_CASES = [
    ("AETERM", [12345, "Headache", "Fever"], [st0006("AETERM", 1, "12345")]),
    ("AETERM", ["Fever", 2.5, "Fever"], [st0006("AETERM", 2, "2.5")]),
    ("AETERM", ["Fever", "Headache", True], [st0006("AETERM", 3, "True")]),
    (
        "AETERM",
        [1.0, 2.0, 3.0],
        [st0006("AETERM", 1, "1.0"), st0006("AETERM", 2, "2.0"), st0006("AETERM", 3, "3.0")],
    ),
    ("AESEQ", [1.0, "x", 1.0], [st0006("AESEQ", 2, "x")]),
    ("AESEQ", [1, 2, None], [["ST0002", "error", "AESEQ", 3, None]]),
    (
        "AESEQ",
        ["1", "2", "1"],
        [st0006("AESEQ", 1, "1"), st0006("AESEQ", 2, "2"), st0006("AESEQ", 3, "1")],
    ),
    (
        "AESEQ",
        [True, False, True],
        [st0006("AESEQ", 1, "True"), st0006("AESEQ", 2, "False"), st0006("AESEQ", 3, "True")],
    ),
    ("AESEQ", [1.0, False, 1.0], [st0006("AESEQ", 2, "False")]),
    ("AESEV", ["MILD", 2, "SEVERE"], [st0006("AESEV", 2, "2")]),
    ("EPOCH", [None, "TREATMENT", 7.0], [st0006("EPOCH", 3, "7.0")]),
    ("AESTDTC", [20240312, "2024-03-12T14:05", "2024---15"], [st0006("AESTDTC", 1, "20240312")]),
    ("AEDUR", [3, "", "PT4H"], [st0006("AEDUR", 1, "3")]),
    ("DOMAIN", ["AE", 1, "AE"], [st0006("DOMAIN", 2, "1")]),
    (
        "AETERM",
        ["Fi\u00e8vre", 7, "x" * 201],
        [
            ["ST0011", "error", "AETERM", 1, "Fi\u00e8vre"],
            st0006("AETERM", 2, "7"),
            ["ST0010", "error", "AETERM", 3, "x" * 201],
        ],
    ),
    ("AEDUR", [None, None, None], []),
    ("AEDUR", [float("nan")] * 3, []),
    ("AEDUR", pd.array([pd.NA] * 3, dtype="string"), []),
    ("AESEV", [None, 1.5, float("nan")], [st0006("AESEV", 2, "1.5")]),
    ("AESEQ", [None, None, None], [["ST0002", "error", "AESEQ", r, None] for r in (1, 2, 3)]),
    (
        "AEDTC",
        ["2024-03-12", 5, None],
        [["ST0020", "warning", "AEDTC", None, None], st0006("AEDTC", 2, "5")],
    ),
]
TYPE_IDS = [
    "char-int",
    "char-float",
    "char-bool",
    "char-all-numbers",
    "num-one-text",
    "num-int-and-null",
    "num-all-text",
    "num-all-bool",
    "num-one-bool",
    "codelist-int",
    "extensible-codelist-float",
    "datetime-int",
    "duration-int",
    "domain-int",
    "mixed-non-ascii-int-too-long",
    "char-all-none",
    "char-all-nan",
    "char-all-na-string-dtype",
    "char-null-and-float",
    "num-all-null-required",
    "undeclared-model-variable-int",
]


@pytest.mark.parametrize(("variable", "values", "expected"), TYPE_CASES, ids=TYPE_IDS)
def test_st0006_value_type_mismatch(variable: str, values, expected: list) -> None:
    frame = with_values(good_ae(), variable, values)
    assert check_ae(frame) == expected


@pytest.mark.parametrize(
    ("variable", "values", "message"),
    [
        (
            "AETERM",
            [12345, "Headache", "Fever"],
            "AE row 1: AETERM value '12345' is not stored as Char, the SDTMIG 3.4 type "
            "[ST0006 variable-type-mismatch]",
        ),
        (
            "AESEQ",
            [1.0, "x", 1.0],
            "AE row 2: AESEQ value 'x' is not stored as Num, the SDTMIG 3.4 type "
            "[ST0006 variable-type-mismatch]",
        ),
    ],
    ids=["char-holds-number", "num-holds-text"],
)
def test_st0006_message_names_dataset_row_variable_and_value(
    variable: str, values: list, message: str
) -> None:
    findings = validate_dataset(with_values(good_ae(), variable, values), AE, STANDARDS)
    assert findings.rows(["dataset", "usubjid", "message"]) == [["AE", "S1-001", message]]


def test_st0006_all_null_column_passes() -> None:
    frame = with_values(good_ae(), "AESEQ", [1.0, 2.0, 1.0])
    frame["AEDUR"] = float("nan")
    assert check_ae(frame) == []


VALID_DATETIMES = [
    "2024", "2024-03", "2024-03-12", "2024-03-12T14", "2024-03-12T14:05",
    "2024-03-12T14:05:09", "2024-03-12T14:05:09.5", "2024---15", "--03-12",
    "-----T07:15", "2024-03-12T-:05", "2024-03-12T10:00Z", "2024-03-12T10:00+01:00",
    "2024-03-12/2024-03-15", "2024-03-12T10:00/P3D", "P3D/2024-03-15",
]  # fmt: skip
INVALID_DATETIMES = [
    "2024-3-12", "12/03/2024", "2024-02-30", "2024-03-", "2024-13-01", "2024-03-12T25:00",
    "2024-03-12 14:05", " 2024", "2024-03-12T14:5", "UNK", "-",
]  # fmt: skip


@pytest.mark.parametrize("value", VALID_DATETIMES, ids=VALID_DATETIMES)
def test_iso8601_datetime_accepts(value: str) -> None:
    assert DATETIME_PATTERN.fullmatch(value)
    assert check_ae(with_values(good_ae(), "AESTDTC", [value, "2024", "2024"])) == []


@pytest.mark.parametrize("value", INVALID_DATETIMES, ids=INVALID_DATETIMES)
def test_st0007_invalid_datetime(value: str) -> None:
    frame = with_values(good_ae(), "AESTDTC", ["2024", value, "2024"])
    assert check_ae(frame) == [["ST0007", "error", "AESTDTC", 2, value]]


VALID_DURATIONS = ["P7D", "PT1H30M", "-PT1H", "P1Y2M", "P2W", "PT0.5H", "P1DT12H"]
INVALID_DURATIONS = ["P", "PT", "7D", "P1H", "P1DT", "1 day", "P-1D"]


@pytest.mark.parametrize("value", VALID_DURATIONS, ids=VALID_DURATIONS)
def test_iso8601_duration_accepts(value: str) -> None:
    assert DURATION_PATTERN.fullmatch(value)
    assert check_ae(with_values(good_ae(), "AEDUR", [value, "", ""])) == []


@pytest.mark.parametrize("value", INVALID_DURATIONS, ids=INVALID_DURATIONS)
def test_st0008_invalid_duration(value: str) -> None:
    frame = with_values(good_ae(), "AEDUR", ["", "", value])
    assert check_ae(frame) == [["ST0008", "error", "AEDUR", 3, value]]


@pytest.mark.parametrize(
    "value",
    ["6IL", "TOOLONGCD", "il6", "IL-6", "_IL6"],
    ids=["digit", "long", "lower", "dash", "underscore"],
)
def test_st0009_invalid_test_code(value: str) -> None:
    frame = with_values(good_lb(), "LBTESTCD", ["INTLK6", value, "IFNG", "CRP", "UPROT", "A_1"])
    assert validate_dataset(frame, LB, STANDARDS).rows(["rule_id", "variable", "row", "value"]) == [
        ["ST0009", "LBTESTCD", 2, value]
    ]


def test_st0010_value_longer_than_200_bytes() -> None:
    frame = with_values(good_ae(), "AETERM", ["x" * 200, "y" * 201, "Fever"])
    findings = validate_dataset(frame, AE, STANDARDS)
    assert findings.rows(["rule_id", "row"]) == [["ST0010", 2]]
    assert "value is 201 bytes long (limit 200)" in findings.rows(["message"])[0][0]


def test_st0010_counts_utf8_bytes_and_st0011_flags_non_ascii() -> None:
    # 101 characters of two bytes each: 202 bytes, although only 101 characters.
    frame = with_values(good_ae(), "AETERM", ["é" * 101, "Fever", "Alzheimer’s"])
    assert check_ae(frame, ["rule_id", "row"]) == [
        ["ST0010", 1],
        ["ST0011", 1],
        ["ST0011", 3],
    ]


def test_st0012_duplicate_seq_within_subject() -> None:
    frame = with_values(good_ae(), "AESEQ", [1.0, 1.0, 1.0])  # row 3 is another subject
    assert check_ae(frame, ["rule_id", "row", "usubjid", "value"]) == [
        ["ST0012", 1, "S1-001", "1"],
        ["ST0012", 2, "S1-001", "1"],
    ]


def test_st0013_duplicate_natural_key_is_a_warning() -> None:
    frame = with_values(good_ae(), "AETERM", ["Fever", "Fever", "Fever"])
    frame["AESTDTC"] = ["2024-03-12", "2024-03-12", "2024-03-12"]
    # Issue 17: only the later record of a shared key is reported (the first is the kept one).
    assert check_ae(frame, ["rule_id", "severity", "row", "value"]) == [
        ["ST0013", "warning", 2, "STUDYID=S1, USUBJID=S1-001, AETERM=Fever, AESTDTC=2024-03-12"],
    ]


def test_st0014_domain_value() -> None:
    frame = with_values(good_ae(), "DOMAIN", ["AE", "ae", "AE"])
    assert check_ae(frame) == [["ST0014", "error", "DOMAIN", 2, "ae"]]


def test_ct0001_non_extensible_codelist_and_synonym_hint() -> None:
    frame = with_values(good_ae(), "AESEV", ["Grade 1", "MILD", "mild"])
    findings = validate_dataset(frame, AE, STANDARDS)
    assert findings.rows(["rule_id", "severity", "row", "value"]) == [
        ["CT0001", "error", 1, "Grade 1"],
        ["CT0001", "error", 3, "mild"],
    ]
    assert findings.rows(["message"])[0][0].endswith("; it is a synonym of 'MILD'")


def test_ct0002_extensible_codelist_is_a_warning() -> None:
    frame = with_values(good_ae(), "EPOCH", ["SCREENING", "LYMPHODEPLETION", "TREATMENT"])
    assert check_ae(frame) == [["CT0002", "warning", "EPOCH", 2, "LYMPHODEPLETION"]]


def test_stresc_codelist_applies_to_text_results_only() -> None:
    frame = with_values(good_lb(), "LBSTRESC", [">5000", "<2.5", "POS", "1.2E+04", "N", ">=3"])
    findings = validate_dataset(frame, LB, STANDARDS)
    assert findings.rows(["rule_id", "row", "value"]) == [
        ["CT0002", 3, "POS"],
        ["CT0002", 5, "N"],
    ]


def test_schema_is_pandera_with_tagged_checks() -> None:
    schema = build_schema(AE, STANDARDS)
    assert isinstance(schema, pa.DataFrameSchema)
    assert schema.strict is True
    tags = {check.error for column in schema.columns.values() for check in column.checks}
    tags |= {check.error for check in schema.checks}
    assert {tag.split("|")[0] for tag in tags} <= set(RULE_IDS)
    assert "CT0001|AESEV|AESEV (C66769), CT 2099-01-01" in tags


def test_input_frame_is_not_modified() -> None:
    frame = with_values(good_ae(), "AESEV", ["x", "y", "z"])
    frame.index = [10, 20, 30]
    before = frame.copy()
    findings = validate_dataset(frame, AE, STANDARDS)
    pd.testing.assert_frame_equal(frame, before)
    assert [row for (row,) in findings.rows(["row"])] == [1, 2, 3]


@pytest.fixture(scope="module")
def real_standards(repo_dir: Path) -> Standards:
    return load_standards(repo_dir / "specs")


def test_dsdecod_codelist_follows_dscat(real_standards: Standards) -> None:
    frame = pd.DataFrame(
        {
            "STUDYID": ["S1"] * 4,
            "DOMAIN": ["DS"] * 4,
            "USUBJID": ["S1-001"] * 4,
            "DSSEQ": [1.0, 2.0, 3.0, 4.0],
            "DSTERM": ["a", "b", "c", "d"],
            "DSDECOD": ["COMPLETED", "RANDOMIZED", "COMPLETED", "MADE UP EVENT"],
            "DSCAT": ["DISPOSITION EVENT", "PROTOCOL MILESTONE", "PROTOCOL MILESTONE",
                      "OTHER EVENT"],
            "DSSTDTC": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
        }
    )  # fmt: skip
    findings = validate_dataset(frame, real_standards.domain("DS"), real_standards)
    ct = FindingsTable.from_frame(findings.frame[findings.frame["rule_id"].str.startswith("CT")])
    # COMPLETED is an NCOMPLT term, not a protocol milestone (row 3).
    assert ct.rows(["rule_id", "variable", "row", "value"]) == [
        ["CT0002", "DSDECOD", 3, "COMPLETED"],
        ["CT0002", "DSDECOD", 4, "MADE UP EVENT"],
    ]


def test_dsdecod_conditional_codelist_skips_non_text_values(real_standards: Standards) -> None:
    frame = pd.DataFrame(
        {
            "STUDYID": ["S1"] * 3,
            "DOMAIN": ["DS"] * 3,
            "USUBJID": ["S1-001"] * 3,
            "DSSEQ": [1.0, 2.0, 3.0],
            "DSTERM": ["a", "b", "c"],
            "DSDECOD": [1, True, "MADE UP EVENT"],
            "DSCAT": ["DISPOSITION EVENT", "PROTOCOL MILESTONE", "OTHER EVENT"],
            "DSSTDTC": ["2024-01-01", "2024-01-02", "2024-01-03"],
        }
    )
    findings = validate_dataset(frame, real_standards.domain("DS"), real_standards)
    assert findings.rows(["rule_id", "variable", "row", "value"]) == [
        ["ST0003", "DSSTDY", None, None],
        ["ST0006", "DSDECOD", 1, "1"],
        ["ST0006", "DSDECOD", 2, "True"],
        ["CT0002", "DSDECOD", 3, "MADE UP EVENT"],
    ]


def test_every_real_domain_builds_a_schema(real_standards: Standards) -> None:
    for name, domain in real_standards.domains.items():
        schema = build_schema(domain, real_standards)
        assert set(domain.variable_names) <= set(schema.columns), name


def test_st0019_check_that_raised_is_not_reported_as_its_rule() -> None:
    # What pandera returns when the function of check "ST0007|AESTDTC|" raises TypeError.
    cases = pd.DataFrame(
        {
            "schema_context": ["Column"],
            "column": ["AESTDTC"],
            "check": ["ST0007|AESTDTC|"],
            "check_number": [0],
            "failure_case": ['TypeError("boom")'],
            "index": [None],
        }
    )
    findings = failure_cases_to_findings(cases, good_ae(), AE, STANDARDS, dataset="AE")
    assert findings.rows(["rule_id", "severity", "variable", "row", "value"]) == [
        ["ST0019", "error", "AESTDTC", None, 'TypeError("boom")']
    ]
    assert findings.rows(["message"]) == [
        [
            "AE: the check ST0007|AESTDTC| could not be evaluated on variable AESTDTC "
            '(TypeError("boom")) [ST0019 schema-check-failed]'
        ]
    ]


def test_multi_codelist_variable_accepts_any_of_its_codelists(real_standards: Standards) -> None:
    pp = real_standards.domain("PP")
    frame = pd.DataFrame(
        {
            "STUDYID": ["S1"] * 3,
            "DOMAIN": ["PP"] * 3,
            "USUBJID": ["S1-001"] * 3,
            "PPSEQ": [1.0, 2.0, 3.0],
            "PPTESTCD": ["CMAX", "AUCINT", "CLST"],
            "PPTEST": ["Max Conc", "AUC from T1 to T2", "Last Nonzero Conc"],
            # PKUNIT, PKUDMG (dose-normalised), and a unit in neither list
            "PPSTRESU": ["DNA copies/ug", "(mL/h)/mg", "cells/uL"],
        }
    )
    findings = validate_dataset(frame, pp, real_standards)
    ct = findings.frame[findings.frame["rule_id"].str.startswith("CT")]
    assert FindingsTable.from_frame(ct).rows(["rule_id", "variable", "row", "value"]) == [
        ["CT0002", "PPSTRESU", 3, "cells/uL"]
    ]
