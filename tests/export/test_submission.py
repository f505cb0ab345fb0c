import hashlib
import json

import pandas as pd
import pytest

from sdtm.errors import ExportError
from sdtm.export.submission import ExportSettings, export_submission


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def frames(ae_frame):
    dm = pd.DataFrame(
        {"STUDYID": ["CART1"], "DOMAIN": ["DM"], "USUBJID": ["CART1-001"], "AGE": [61]}
    )
    dm.attrs = {
        "dataset_label": "Demographics",
        "labels": {
            "STUDYID": "Study Identifier",
            "DOMAIN": "Domain Abbreviation",
            "USUBJID": "Unique Subject Identifier",
            "AGE": "Age",
        },
    }
    return {"AE": ae_frame, "DM": dm}


def test_export_submission_twice_gives_identical_bytes(
    tmp_path, frames, tiny_standards, creation, dataset_json_schema_dir, define_schema_dir
):
    settings = ExportSettings(dataset_json_schema_dir, define_schema_dir)
    runs = []
    for name in ("first", "second"):
        findings = export_submission(
            frames, tiny_standards, tmp_path / name, creation_datetime=creation, settings=settings
        )
        assert findings.rows(["rule_id"]) == []
        runs.append(_files(tmp_path / name))
    assert runs[0] == runs[1]
    assert sorted(runs[0]) == [
        "ae.xpt",
        "define.xml",
        "dm.xpt",
        "json/ae.json",
        "json/dm.json",
        "manifest.json",
        "ndjson/ae.ndjson",
        "ndjson/dm.ndjson",
    ]
    manifest = json.loads((tmp_path / "first" / "manifest.json").read_text())
    entries = {e["file"]: e for e in manifest["files"]}
    assert [e["file"] for e in manifest["files"]] == sorted(entries)
    assert entries["ae.xpt"]["sha256"] == runs[0]["ae.xpt"]
    assert entries["ae.xpt"]["size"] == (tmp_path / "first" / "ae.xpt").stat().st_size
    assert entries["ae.xpt"]["records"] == 3
    assert entries["define.xml"]["records"] is None
    assert manifest["creation_datetime"] == "2025-03-28T12:30:45"


def test_dataset_failing_xpt_preflight_is_still_written_as_json(
    tmp_path, tiny_standards, creation, dataset_json_schema_dir
):
    frame = pd.DataFrame({"STUDYID": ["CART1"], "AETERM": ["Fi\u00e8vre"]})
    findings = export_submission(
        {"AE": frame},
        tiny_standards,
        tmp_path,
        creation_datetime=creation,
        settings=ExportSettings(dataset_json_schema_dir),
    )
    assert findings.rows(["rule_id", "dataset", "variable", "row"]) == [
        ["XP0007", "AE", "AETERM", 1],
        ["XP0024", "AE", None, None],
    ]
    assert not (tmp_path / "ae.xpt").exists()
    assert (tmp_path / "json" / "ae.json").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["file"] for e in manifest["files"]] == [
        "define.xml",
        "json/ae.json",
        "ndjson/ae.ndjson",
    ]


def test_dataset_with_own_errors_is_written_nowhere(tmp_path, tiny_standards, creation):
    frame = pd.DataFrame({"AESEQ": ["one"]})
    findings = export_submission(
        {"AE": frame},
        tiny_standards,
        tmp_path,
        creation_datetime=creation,
        formats=("xpt", "dataset-json"),
    )
    assert findings.rows(["rule_id", "value"]) == [
        ["XP0011", "one"],
        ["XP0024", "XPT"],
        ["XP0024", "json"],
        ["XP0024", "ndjson"],
    ]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["manifest.json"]


def test_unknown_format_is_an_export_error(tmp_path, tiny_standards, creation):
    with pytest.raises(ExportError, match=r"unknown export format\(s\) \['pdf'\]"):
        export_submission(
            {}, tiny_standards, tmp_path, creation_datetime=creation, formats=("pdf",)
        )


def test_export_with_real_standards(tmp_path, frames, creation, define_schema_dir):
    from sdtm.standards import load_standards

    standards = load_standards()
    findings = export_submission(
        frames,
        standards,
        tmp_path,
        creation_datetime=creation,
        settings=ExportSettings(define_schema_dir=define_schema_dir),
    )
    assert findings.rows(["rule_id"]) == []
    assert (tmp_path / "ae.xpt").exists()


def test_default_settings_validate_dataset_json_with_bundled_schemas(dataset_json_schema_dir):
    from sdtm.export.submission import default_export_settings

    settings = default_export_settings()
    assert settings.dataset_json_schema_dir == dataset_json_schema_dir
    # the Define-XML 2.1 XSD is bundled too (specs/define-xml-2.1/schema)
    bundled = dataset_json_schema_dir.parent / "define-xml-2.1" / "schema"
    assert settings.define_schema_dir == bundled
    assert (settings.define_schema_dir / "cdisc-define-2.1" / "define2-1-0.xsd").is_file()


def test_rerun_removes_outdated_file_of_a_dataset_no_longer_written(
    tmp_path, tiny_standards, creation
):
    good = pd.DataFrame({"STUDYID": ["CART1"], "AETERM": ["Fever"]})
    export_submission({"AE": good}, tiny_standards, tmp_path, creation_datetime=creation)
    assert (tmp_path / "ae.xpt").exists()
    bad = pd.DataFrame({"STUDYID": ["CART1"], "AETERM": ["Fi\u00e8vre"]})
    findings = export_submission({"AE": bad}, tiny_standards, tmp_path, creation_datetime=creation)
    assert not (tmp_path / "ae.xpt").exists()
    message = findings.frame.set_index("rule_id").loc["XP0024", "message"]
    assert "the older ae.xpt of an earlier run was removed" in message


def test_manifest_fingerprints_the_inputs_when_given(tmp_path, frames, tiny_standards, creation):
    from sdtm.export.submission import input_files

    study = tmp_path / "study"
    (study / "edc").mkdir(parents=True)
    (study / "edc" / "ae.csv").write_bytes(b"SUBJID,AETERM\n001,RASH\n")
    spec = tmp_path / "mappings" / "study"
    spec.mkdir(parents=True)
    (spec / "study.yaml").write_bytes(b"study:\n  studyid: S1\n")
    ct = tmp_path / "specs" / "ct" / "2025-03-28"
    (ct / "codelists").mkdir(parents=True)
    (ct / "package.yaml").write_bytes(b"codelists: []\n")
    (ct / "codelists" / "C66742.json").write_bytes(b"{}")
    inputs = input_files(study, ["edc/ae.csv", "edc/gone.csv"], spec, ct)
    out = tmp_path / "out"
    export_submission(
        frames, tiny_standards, out, creation_datetime=creation, formats=("xpt",), inputs=inputs
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    assert manifest["inputs"] == {
        "ct": [
            {"file": "2025-03-28/codelists/C66742.json", "size": 2, "sha256": sha(b"{}")},
            {"file": "2025-03-28/package.yaml", "size": 14, "sha256": sha(b"codelists: []\n")},
        ],
        "raw": [
            {"file": "edc/ae.csv", "size": 23, "sha256": sha(b"SUBJID,AETERM\n001,RASH\n")},
            # A raw file the run could not find is listed, with no size and no hash.
            {"file": "edc/gone.csv", "size": None, "sha256": None},
        ],
        "spec": [
            {"file": "study.yaml", "size": 21, "sha256": sha(b"study:\n  studyid: S1\n")},
        ],
    }
    # Inputs are kept apart from the outputs a rerun may delete.
    assert [e["file"] for e in manifest["files"]] == ["ae.xpt", "dm.xpt"]


def test_manifest_without_inputs_has_no_inputs_key(tmp_path, frames, tiny_standards, creation):
    export_submission(
        frames, tiny_standards, tmp_path, creation_datetime=creation, formats=("xpt",)
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == ["creation_datetime", "files"]


def test_export_reports_records_written_for_a_progress_display(tmp_path, tiny_standards, ae_frame):
    from datetime import datetime

    from sdtm.export.submission import export_submission

    calls = []
    export_submission(
        {"AE": ae_frame, "DM": ae_frame.iloc[:2]},
        tiny_standards,
        tmp_path,
        creation_datetime=datetime(2025, 1, 1),
        formats=("xpt",),
        on_records=lambda done, total: calls.append((done, total)),
    )
    # Datasets in name order (AE 3 records, then DM 2), then the end: worked out by hand.
    assert calls == [(0, 5), (3, 5), (5, 5)]
