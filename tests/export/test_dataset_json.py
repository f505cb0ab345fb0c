import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.export.dataset_json import (
    load_schema,
    validate_dataset_json,
    validate_ndjson_metadata,
    write_dataset_json,
)
from sdtm.export.define_metadata import StudyInfo
from sdtm.export.metadata import prepare_dataset
from sdtm.read.dataset_json import read_dataset_json
from sdtm.read.xpt_v5 import read_xpt_v5
from sdtm.standards import Standards

STUDY = StudyInfo(study_oid="CART1", name="CART1", originator="test")


def _write(prepared, out_dir, creation, schema_dir, ndjson=False):
    return write_dataset_json(
        prepared,
        out_dir,
        creation_datetime=creation,
        study=STUDY,
        metadata_version_oid="MDV.CART1",
        schema_dir=schema_dir,
        ndjson=ndjson,
    )


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
def test_dataset_json_round_trip(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir, ndjson
):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    path, findings = _write(prepared, tmp_path, creation, dataset_json_schema_dir, ndjson)
    assert len(findings) == 0
    assert path.name == ("ae.ndjson" if ndjson else "ae.json")
    frame, metadata = read_dataset_json(path)
    pd.testing.assert_frame_equal(frame, prepared.frame)
    assert metadata["records"] == 3
    assert metadata["datasetJSONCreationDateTime"] == "2025-03-28T12:30:45"
    assert metadata["itemGroupOID"] == "IG.AE"
    assert [
        (c["name"], c["dataType"], c.get("length"), c.get("keySequence"))
        for c in metadata["columns"]
    ] == [
        ("STUDYID", "string", 5, 1),
        ("DOMAIN", "string", 2, None),
        ("USUBJID", "string", 9, 2),
        ("AESEQ", "integer", None, None),
        ("AETERM", "string", 25, 3),
        ("AESEV", "string", 6, None),
        ("AESER", "string", 1, None),
        ("AESTDY", "integer", None, None),
    ]


def test_dataset_json_rows_are_typed_json_values(
    tmp_path, empty_standards, creation, dataset_json_schema_dir
):
    frame = pd.DataFrame({"A": ["x", None], "I": [1.0, None], "F": [0.1, 2.0]})
    frame.attrs = {"dataset_label": "Test", "labels": {"A": "A", "I": "I", "F": "F"}}
    prepared = prepare_dataset("DS", frame, empty_standards)
    path, _ = _write(prepared, tmp_path, creation, dataset_json_schema_dir)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["rows"] == [["x", 1, 0.1], [None, None, 2.0]]
    assert [c["dataType"] for c in document["columns"]] == ["string", "integer", "double"]


def test_dataset_json_is_deterministic(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir
):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    digests = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        path, _ = _write(prepared, tmp_path / folder, creation, dataset_json_schema_dir)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_dataset_json_refuses_infinite_numbers(
    tmp_path, empty_standards, creation, dataset_json_schema_dir
):
    frame = pd.DataFrame({"N": [1.0, np.inf]})
    frame.attrs = {"dataset_label": "Test", "labels": {"N": "N"}}
    prepared = prepare_dataset("DS", frame, empty_standards)
    path, findings = _write(prepared, tmp_path, creation, dataset_json_schema_dir)
    assert path is None
    assert findings.rows(["rule_id", "variable", "row"]) == [["XP0020", "N", 2]]
    assert list(tmp_path.iterdir()) == []


def test_schema_validation_reports_violations(dataset_json_schema_dir):
    document = {"datasetJSONVersion": "2.0", "columns": [], "rows": ["not a list"]}
    findings = validate_dataset_json(document, dataset_json_schema_dir)
    messages = " | ".join(findings.frame["message"])
    assert set(findings.frame["rule_id"]) == {"XP0020"}
    assert "'label' is a required property" in messages
    assert "'2.0' does not match" in messages
    assert "at /rows/0" in messages


def test_ndjson_metadata_schema_reports_violations(dataset_json_schema_dir):
    findings = validate_ndjson_metadata({"name": "AE"}, dataset_json_schema_dir)
    assert "'records' is a required property" in " ".join(findings.frame["message"])


def test_schema_copies_are_the_published_ones(dataset_json_schema_dir, reference_dir):
    published = reference_dir / "dataset-json-1.1"
    for name in ("dataset.schema.json", "dataset-ndjson-schema.json"):
        assert (dataset_json_schema_dir / name).read_bytes() == (published / name).read_bytes()
    assert load_schema(dataset_json_schema_dir, "dataset-ndjson-schema.json")["title"] == (
        "dataset-json"
    )


@pytest.mark.parametrize("name", ["ae", "cm", "dm", "ex", "lb", "relrec", "suppdm", "ts"])
def test_cdisc_examples_validate_and_read(reference_dir, dataset_json_schema_dir, name):
    path = reference_dir / "dataset-json-1.1" / "examples-sdtm" / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert len(validate_dataset_json(document, dataset_json_schema_dir)) == 0
    frame, metadata = read_dataset_json(path)
    assert len(frame) == metadata["records"] == len(document["rows"])


# The pilot package's datasets, listed (not globbed at import time: with ../shared absent a
# glob would make these tests vanish instead of fail; test_pilot_file_list_is_complete pins it).
PILOT_STEMS = (
    "ae", "cm", "dm", "ds", "ex", "lbch", "lbhe", "lbur", "mh", "relrec", "sc", "se", "suppae",
    "suppdm", "suppds", "supplbur", "sv", "ta", "te", "ti", "ts", "tv", "vs",
)  # fmt: skip
PILOT_FILES = PILOT_STEMS


def test_pilot_file_list_is_complete(pilot_dir):
    assert sorted(p.stem for p in pilot_dir.glob("*.xpt")) == sorted(PILOT_STEMS)


NDJSON_SAMPLE = ("ae", "relrec", "suppae", "ts")


@pytest.mark.parametrize("name", PILOT_FILES)
def test_pilot_dataset_json_validates_and_reads_back_equal(
    tmp_path, pilot_dir, empty_standards, creation, dataset_json_schema_dir, name
):
    source = read_xpt_v5(pilot_dir / f"{name}.xpt")
    prepared = prepare_dataset(name, source.frame, empty_standards)
    # NDJSON for a sample only: validation of every row costs time and the code is shared.
    for ndjson in (False, True) if name in NDJSON_SAMPLE else (False,):
        path, findings = _write(prepared, tmp_path, creation, dataset_json_schema_dir, ndjson)
        assert len(findings) == 0
        frame, metadata = read_dataset_json(path)
        pd.testing.assert_frame_equal(frame, prepared.frame)
        assert metadata["records"] == len(source.frame)
        assert frame.attrs["labels"] == source.frame.attrs["labels"]


def _tampered(prepared, column, values, **meta_changes):
    """The prepared dataset with one column's values replaced (as a caller could pass it)."""
    from dataclasses import replace

    frame = prepared.frame.copy()
    frame[column] = pd.Series(values, dtype=object if frame[column].dtype == object else None)
    return replace(prepared, frame=frame, meta=replace(prepared.meta, **meta_changes))


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
@pytest.mark.parametrize(
    ("column", "values", "where", "problem"),
    [
        # AETERM is column 4 (0-based) of the AE fixture; row 1 is the second record.
        ("AETERM", ["HEADACHE", 5, "RASH"], "/rows/1/4", "not a string"),
        ("AETERM", ["HEADACHE", "X" * 26, "RASH"], "/rows/1/4", "longer than"),
        ("AESEQ", [1.0, 2.5, 3.0], "/rows/1/3", "not an integer"),
        ("AESTDY", [1.0, 2.0, "3"], "/rows/2/7", "not a number"),
    ],
    ids=["char-holds-number", "char-too-long", "integer-holds-fraction", "num-holds-text"],
)
def test_a_bad_row_is_caught_and_nothing_is_written(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir, ndjson,
    column, values, where, problem,
):  # fmt: skip
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    bad = _tampered(prepared, column, values)
    path, findings = _write(bad, tmp_path, creation, dataset_json_schema_dir, ndjson)
    assert path is None
    assert list(tmp_path.iterdir()) == []
    assert set(findings.frame["rule_id"]) == {"XP0020"}
    messages = " | ".join(findings.frame["message"])
    assert where in messages
    assert problem in messages
    assert findings.frame["variable"].tolist() == [column]


def test_metadata_is_still_validated_with_the_schema(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir
):
    from dataclasses import replace

    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    bad = replace(prepared, meta=replace(prepared.meta, label=None))
    path, findings = _write(bad, tmp_path, creation, dataset_json_schema_dir)
    assert path is None
    assert "None is not of type 'string' at /label" in " ".join(findings.frame["message"])


def test_rows_passing_the_column_checks_pass_the_full_schema(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir
):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    path, findings = _write(prepared, tmp_path, creation, dataset_json_schema_dir)
    assert len(findings) == 0
    document = json.loads(path.read_text(encoding="utf-8"))
    assert len(validate_dataset_json(document, dataset_json_schema_dir)) == 0
    assert len(document["rows"]) == document["records"] == 3


def test_rows_are_written_the_same_across_chunk_boundaries(
    tmp_path, empty_standards, creation, dataset_json_schema_dir, monkeypatch
):
    import sdtm.export.dataset_json as module

    frame = pd.DataFrame({"A": ["a", None, "c", "d", "\u00e9"], "N": [1.0, 2.0, None, 4.0, 5.0]})
    frame.attrs = {"dataset_label": "Test", "labels": {"A": "A", "N": "N"}}
    prepared = prepare_dataset("DS", frame, empty_standards)
    texts = {}
    for size in (2, 100):
        monkeypatch.setattr(module, "ROW_CHUNK", size)
        for ndjson in (False, True):
            folder = tmp_path / f"{size}-{ndjson}"
            folder.mkdir()
            path, _ = _write(prepared, folder, creation, dataset_json_schema_dir, ndjson)
            texts[(size, ndjson)] = path.read_text(encoding="utf-8")
    assert texts[(2, False)] == texts[(100, False)]
    assert texts[(2, True)] == texts[(100, True)]
    # Worked out by hand: the rows of the JSON file, and one NDJSON line per record.
    assert texts[(2, False)].endswith(
        ',"rows":[["a",1],[null,2],["c",null],["d",4],["\u00e9",5]]}\n'
    )
    assert texts[(2, True)].splitlines()[1:] == [
        '["a",1]', "[null,2]", '["c",null]', '["d",4]', '["\u00e9",5]'
    ]


def _write_pair(prepared, folder, creation, schema_dir):
    from sdtm.export.dataset_json import write_dataset_json_pair

    (folder / "json").mkdir(parents=True)
    (folder / "ndjson").mkdir()
    return write_dataset_json_pair(
        prepared,
        folder / "json",
        folder / "ndjson",
        creation_datetime=creation,
        study=STUDY,
        metadata_version_oid="MDV.CART1",
        schema_dir=schema_dir,
    )


@pytest.mark.parametrize("chunk", [2, 20_000])
def test_the_pair_writer_gives_the_files_the_single_writer_gives(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir, monkeypatch, chunk
):
    import sdtm.export.dataset_json as module

    monkeypatch.setattr(module, "ROW_CHUNK", chunk)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    (json_out, json_found), (ndjson_out, ndjson_found) = _write_pair(
        prepared, tmp_path / "pair", creation, dataset_json_schema_dir
    )
    assert len(json_found) == len(ndjson_found) == 0
    for ndjson, written in ((False, json_out), (True, ndjson_out)):
        folder = tmp_path / f"single-{ndjson}"
        folder.mkdir()
        single, _ = _write(prepared, folder, creation, dataset_json_schema_dir, ndjson)
        assert written.name == single.name
        assert written.read_bytes() == single.read_bytes()
    # Both files hold the records as the schema and the reader see them.
    frame, _ = read_dataset_json(ndjson_out)
    pd.testing.assert_frame_equal(frame, prepared.frame)
    document = json.loads(json_out.read_text(encoding="utf-8"))
    assert len(validate_dataset_json(document, dataset_json_schema_dir)) == 0


def test_the_pair_writer_reports_a_bad_row_for_each_file_and_writes_neither(
    tmp_path, tiny_standards, ae_frame, creation, dataset_json_schema_dir
):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    bad = _tampered(prepared, "AETERM", ["HEADACHE", "X" * 26, "RASH"])
    (json_out, json_found), (ndjson_out, ndjson_found) = _write_pair(
        bad, tmp_path, creation, dataset_json_schema_dir
    )
    assert json_out is None and ndjson_out is None
    assert list((tmp_path / "json").iterdir()) == list((tmp_path / "ndjson").iterdir()) == []
    assert "ae.json: value is longer than" in " ".join(json_found.frame["message"])
    assert "ae.ndjson: value is longer than" in " ".join(ndjson_found.frame["message"])
    assert json_found.frame["variable"].tolist() == ndjson_found.frame["variable"].tolist()


_TEXT = st.one_of(st.none(), st.text(max_size=12))  # quotes, back slashes, controls, any plane
_WHOLE = st.one_of(st.none(), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
_REAL = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=7).flatmap(
        lambda rows: st.tuples(
            st.lists(_TEXT, min_size=rows, max_size=rows),
            st.lists(_WHOLE, min_size=rows, max_size=rows),
            st.lists(_REAL, min_size=rows, max_size=rows),
        )
    ),
    st.integers(min_value=1, max_value=4),
)
def test_rows_as_text_column_by_column_equal_json_encoding_each_row(columns, size):
    from sdtm.export.dataset_json import _row_chunks, _row_texts

    text, whole, real = columns
    frame = pd.DataFrame(
        {
            "XXTEXT": pd.Series(text, dtype=object),
            "XXWHOLE": pd.Series(whole, dtype="float64"),
            "XXREAL": pd.Series(real, dtype="float64"),
        }
    )
    frame.attrs = {"dataset_label": "X", "labels": {c: c for c in frame.columns}}
    prepared = prepare_dataset("XX", frame, Standards("3.4", "2025-03-28", {}, {}))
    # The oracle: json's own encoder over each record's values, as the files were written.
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    expected = [[encode(row) for row in chunk] for chunk in _row_chunks(prepared, size)]
    assert list(_row_texts(prepared, encode, size)) == expected


def test_rows_as_text_keep_json_errors_and_other_types():
    from dataclasses import replace

    from sdtm.export.dataset_json import _row_texts

    frame = pd.DataFrame({"XXN": [1.5, 2.5], "XXC": ["a", "b"]})
    frame.attrs = {"dataset_label": "X", "labels": {"XXN": "N", "XXC": "C"}}
    prepared = prepare_dataset("XX", frame, Standards("3.4", "2025-03-28", {}, {}))
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    # A number that is not finite: json's error, as one record at a time gave.
    infinite = replace(prepared, frame=prepared.frame.assign(XXN=[1.5, np.inf]))
    with pytest.raises(ValueError, match="not JSON compliant"):
        list(_row_texts(infinite, encode))
    # A value that is not text in a Char column is written as json writes it.
    mixed = replace(prepared, frame=prepared.frame.assign(XXC=pd.Series(["a", 7], dtype=object)))
    assert list(_row_texts(mixed, encode)) == [['[1.5,"a"]', "[2.5,7]"]]
