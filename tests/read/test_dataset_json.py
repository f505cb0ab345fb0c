import json

import pandas as pd
import pytest

from sdtm.errors import InputError
from sdtm.read.dataset_json import read_dataset_json

COLUMNS = [
    {"itemOID": "IT.DS.A", "name": "A", "label": "Text", "dataType": "string", "length": 3},
    {"itemOID": "IT.DS.N", "name": "N", "label": "Count", "dataType": "integer"},
    {"itemOID": "IT.DS.D", "name": "D", "label": "Amount", "dataType": "decimal"},
]
META = {
    "datasetJSONCreationDateTime": "2025-01-01T00:00:00",
    "datasetJSONVersion": "1.1.0",
    "itemGroupOID": "IG.DS",
    "records": 2,
    "name": "DS",
    "label": "Test Dataset",
    "columns": COLUMNS,
}
EXPECTED = pd.DataFrame(
    {"A": pd.Series(["abc", None], dtype=object), "N": [1.0, None], "D": [1.25, 3.0]}
)


def test_read_json(tmp_path):
    path = tmp_path / "ds.json"
    # Dataset-JSON 1.1 carries decimals as strings.
    path.write_text(json.dumps({**META, "rows": [["abc", 1, "1.25"], [None, None, "3"]]}))
    frame, metadata = read_dataset_json(path)
    pd.testing.assert_frame_equal(frame, EXPECTED)
    assert metadata["label"] == "Test Dataset"
    assert "rows" not in metadata
    assert frame.attrs == {
        "source_file": "ds.json",
        "dataset_label": "Test Dataset",
        "labels": {"A": "Text", "N": "Count", "D": "Amount"},
        # From COLUMNS: dataType (decimal is a number), length only where stated, no formats.
        "types": {"A": "Char", "N": "Num", "D": "Num"},
        "lengths": {"A": 3},
        "formats": {"A": "", "N": "", "D": ""},
    }


def test_read_ndjson(tmp_path):
    path = tmp_path / "ds.ndjson"
    lines = [META, ["abc", 1, "1.25"], [None, None, "3"]]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    frame, metadata = read_dataset_json(path)
    pd.testing.assert_frame_equal(frame, EXPECTED)
    assert metadata["records"] == 2


def test_read_empty_dataset_keeps_columns(tmp_path):
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({**META, "records": 0, "rows": []}))
    frame, _ = read_dataset_json(path)
    assert frame.columns.tolist() == ["A", "N", "D"]
    assert len(frame) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "DS", "columns": ', r"ds\.json: not valid JSON at line 1"),
        ("[1, 2]", r"ds\.json: the top level is not a JSON object"),
        ('{"name": "DS"}', r"ds\.json: no 'columns'"),
        (
            json.dumps({**META, "rows": [["abc", 1, "1"], ["x", 2]]}),
            r"ds\.json: record 2 has 2 values; expected 3",
        ),
    ],
    ids=["truncated", "not-object", "no-columns", "short-record"],
)
def test_read_bad_files_name_file_and_place(tmp_path, text, message):
    path = tmp_path / "ds.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_dataset_json(path)


def test_sdtm_package_reads_a_folder_of_dataset_json(tmp_path):
    from sdtm.read.sdtm_package import read_sdtm_package

    rows = [["abc", 1, "1.25"], [None, None, "3"]]
    (tmp_path / "ds.json").write_text(json.dumps({**META, "rows": rows}))
    # The same dataset as NDJSON is not read (.json wins) and is reported as not read (issue 12).
    (tmp_path / "ds.ndjson").write_text(json.dumps(META) + "\n" + json.dumps(["zzz", 9, "9"]))
    (tmp_path / "xx.ndjson").write_text(
        json.dumps({**META, "name": "XX", "records": 1}) + "\n" + json.dumps(["q", 2, "2"])
    )
    (tmp_path / "bad.json").write_text("{")
    frames, findings = read_sdtm_package(tmp_path)
    assert sorted(frames) == ["DS", "XX"]
    pd.testing.assert_frame_equal(frames["DS"], EXPECTED)
    assert frames["XX"]["A"].tolist() == ["q"]
    assert findings.rows(["rule_id", "dataset", "source_file"]) == [
        ["ST0017", "BAD", "bad.json"],
        ["ST0021", "DS", "ds.ndjson"],
    ]


def test_read_keeps_text_in_a_numeric_column_for_validation_to_report(tmp_path):
    path = tmp_path / "ds.json"
    # N is declared integer but row 2 sends text: the value is kept as sent (object column),
    # neither raising nor turned into a null that would hide it from the ST0006 type check.
    path.write_text(json.dumps({**META, "rows": [["abc", 1, "1.25"], [None, "x", "3"]]}))
    frame, _ = read_dataset_json(path)
    assert frame["N"].tolist() == [1, "x"]
    assert frame["D"].tolist() == [1.25, 3.0]


def test_validate_reports_text_in_a_numeric_column_as_type_mismatch(tmp_path):
    from sdtm.read.sdtm_package import read_sdtm_package
    from sdtm.standards import load_standards
    from sdtm.validate.package import validate_frames

    columns = [
        {"itemOID": f"IT.AE.{n}", "name": n, "label": n, "dataType": t}
        for n, t in [("STUDYID", "string"), ("DOMAIN", "string"), ("USUBJID", "string"),
                     ("AESEQ", "integer"), ("AETERM", "string"), ("AEDECOD", "string")]
    ]
    meta = {**META, "itemGroupOID": "IG.AE", "name": "AE", "label": "Adverse Events",
            "columns": columns, "records": 2}
    rows = [["S1", "AE", "S1-1", 1, "HEADACHE", "Headache"],
            ["S1", "AE", "S1-1", "x", "NAUSEA", "Nausea"]]
    (tmp_path / "ae.json").write_text(json.dumps({**meta, "rows": rows}))
    frames, read_findings = read_sdtm_package(tmp_path)
    findings = read_findings + validate_frames(frames, load_standards())
    type_rows = [r for r in findings.rows(["rule_id", "variable", "row", "value"])
                 if r[0] == "ST0006"]
    assert type_rows == [["ST0006", "AESEQ", 2, "x"]]
