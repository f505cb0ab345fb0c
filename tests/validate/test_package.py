import json
from pathlib import Path

import pandas as pd
import pytest

from sdtm.findings import FindingsTable
from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.standards import Standards, load_standards
from sdtm.validate.package import resolve_spec, validate_frames

# Every error-level finding on the CDISC pilot datasets, with the reason it is genuine
# (docs/validate.md, "The CDISC pilot package"):
PILOT_ERRORS = [
    # SV.EPOCH is in neither the SDTMIG 3.4 SV table nor the SDTM v2.0 SV model; Pinnacle 21
    # (SDTM 3.2 configuration) reported it as SD1076, a model variable added.
    ["ST0004", "SV", "EPOCH", None],
    # TSVAL holds a Windows-1252 right single quote (byte 0x92): not ASCII, so not safe in a
    # transport file. Pinnacle 21's SD1029 only looks at TEST/TESTCD/QNAM-like variables.
    ["ST0011", "TS", "TSVAL", 8],
    ["ST0011", "TS", "TSVAL", 28],
]


@pytest.fixture(scope="module")
def standards(repo_dir: Path) -> Standards:
    return load_standards(repo_dir / "specs")


@pytest.fixture(scope="module")
def pilot_findings(pilot_dir: Path, standards: Standards) -> FindingsTable:
    frames, read_findings = read_sdtm_package(pilot_dir)
    return read_findings + validate_frames(frames, standards)


def test_pilot_errors_are_the_documented_ones(pilot_findings: FindingsTable) -> None:
    errors = pilot_findings.at_or_above("error")
    assert errors.rows(["rule_id", "dataset", "variable", "row"]) == PILOT_ERRORS


def test_pilot_ct_findings_are_old_or_sponsor_terms(pilot_findings: FindingsTable) -> None:
    frame = pilot_findings.frame
    ct = frame[frame["rule_id"].str.startswith("CT")]
    distinct = ct.groupby(["rule_id", "dataset", "variable"])["value"].agg(lambda v: sorted(set(v)))
    assert distinct.reset_index().values.tolist() == [
        ["CT0002", "DS", "DSDECOD", ["FINAL LAB VISIT", "FINAL RETRIEVAL VISIT"]],
        ["CT0002", "LBUR", "LBSTRESC", ["N"]],
        ["CT0002", "TS", "TSPARM", ["Age Group", "Trial Indication", "Trial Indication Type"]],
        ["CT0002", "TS", "TSPARMCD", ["AGESPAN"]],
        ["CT0002", "TS", "TSVCDREF", ["CDISC", "ISO 8601", "NDF-RT"]],
    ]


def test_pilot_model_additions_match_pinnacle21_sd1076(pilot_findings: FindingsTable) -> None:
    frame = pilot_findings.frame
    added = frame[frame["rule_id"] == "ST0020"].groupby("dataset")["variable"].agg(sorted)
    # Pinnacle 21 counted SD1076 per dataset: AE 3, CM 6, DS 3, EX 3, MH 7 (with EPOCH, which
    # SDTMIG 3.4 now lists in these domains).
    assert added.to_dict() == {
        "AE": ["AEDTC", "AEDY"],
        "CM": ["CMDTC", "CMDY", "VISIT", "VISITDY", "VISITNUM"],
        "DS": ["VISIT", "VISITNUM"],
        "EX": ["VISIT", "VISITDY", "VISITNUM"],
        "MH": ["MHHLGT", "MHHLT", "MHLLT", "MHSEV", "VISIT", "VISITDY", "VISITNUM"],
    }


@pytest.mark.parametrize(
    ("name", "domain", "expected"),
    [
        ("LBCH", "LB", "LB"),
        ("SUPPAE", "AE", "SUPPQUAL"),
        ("AE", "AE", "AE"),
        ("XXCH", "LB", None),  # the name must begin with the DOMAIN value
        ("QS", "QS", None),
    ],
    ids=["split", "supp", "plain", "mismatch", "not-loaded"],
)
def test_resolve_spec(standards: Standards, name: str, domain: str, expected) -> None:
    frame = pd.DataFrame({"DOMAIN": [domain]})
    spec = resolve_spec(name, frame, standards)
    assert (spec.name if spec else None) == expected


def test_unknown_dataset_is_reported_not_skipped(standards: Standards) -> None:
    frames = {"QS": pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["QS"]})}
    findings = validate_frames(frames, standards)
    assert findings.rows(["rule_id", "severity", "dataset"]) == [["ST0015", "warning", "QS"]]


def test_label_mismatch_uses_file_labels(standards: Standards) -> None:
    frame = pd.DataFrame(
        {"STUDYID": ["S1"], "DOMAIN": ["TE"], "ETCD": ["SCRN"], "ELEMENT": ["Screening"],
         "TESTRL": ["Informed consent"], "TEENRL": ["1 week"], "TEDUR": ["P7D"]}
    )  # fmt: skip
    frame.attrs["labels"] = {"ETCD": "Element Code", "ELEMENT": "Element Name!"}
    frame.attrs["source_file"] = "te.xpt"
    findings = validate_frames({"TE": frame}, standards)
    assert findings.rows(["rule_id", "dataset", "variable", "value", "source_file"]) == [
        ["ST0018", "TE", "ELEMENT", "Element Name!", "te.xpt"]
    ]


def test_extra_checks_run_after_the_schemas(standards: Standards) -> None:
    seen = []

    def extra(frames, standards_in):
        seen.append(sorted(frames))
        return FindingsTable()

    validate_frames({"QS": pd.DataFrame({"A": [1]})}, standards, extra_checks=[extra])
    assert seen == [["QS"]]


def test_dataset_json_number_in_char_column_is_one_type_finding(
    tmp_path: Path, standards: Standards
) -> None:
    ae = standards.domain("AE")
    columns = [
        {
            "itemOID": f"IT.AE.{name}",
            "name": name,
            "label": ae.declared_variable(name).label,
            "dataType": kind,
        }
        for name, kind in [
            ("STUDYID", "string"),
            ("DOMAIN", "string"),
            ("USUBJID", "string"),
            ("AESEQ", "integer"),
            ("AETERM", "string"),
            ("AEDECOD", "string"),
        ]
    ]
    document = {
        # Required by the Dataset-JSON 1.1 schema, which the reader checks first (issue 12).
        "datasetJSONCreationDateTime": "2024-01-01T00:00:00",
        "datasetJSONVersion": "1.1.0",
        "itemGroupOID": "IG.AE",
        "name": "AE",
        "label": "Adverse Events",
        "records": 2,
        "columns": columns,
        "rows": [
            ["S1", "AE", "S1-001", 1, 12345, "PYREXIA"],
            ["S1", "AE", "S1-001", 2, "Headache", "HEADACHE"],
        ],
    }
    (tmp_path / "ae.json").write_text(json.dumps(document), encoding="utf-8")
    frames, read_findings = read_sdtm_package(tmp_path)
    findings = read_findings + validate_frames(frames, standards)
    aeterm = findings.frame[findings.frame["variable"] == "AETERM"]
    assert FindingsTable.from_frame(aeterm).rows(["rule_id", "dataset", "row", "value"]) == [
        ["ST0006", "AE", 1, "12345"]
    ]
    assert not findings.frame["rule_id"].isin(["ST0010", "ST0019"]).any()


def test_validate_frames_reports_records_done_for_a_progress_display(standards):
    frames = {
        "TE": pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["TE"], "ETCD": ["A"]}),
        "AE": pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["AE", "AE"]}),
    }
    calls = []
    validate_frames(frames, standards, on_records=lambda done, total: calls.append((done, total)))
    # Datasets in name order: AE (2 records) starts at 0, TE at 2, then all 3 are done.
    assert calls == [(0, 3), (2, 3), (3, 3)]
