import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdtm.errors import InputError
from sdtm.read.sdtm_package import (
    _read_plain_xpt,
    read_define_keys,
    read_sdtm_dataset,
    read_sdtm_package,
)
from sdtm.read.xpt_v5 import read_xpt_v5

TS_RIGHT_QUOTE_ROWS = [8, 28]  # TSVAL records of the pilot ts.xpt holding byte 0x92


def test_pilot_ts_cp1252_byte_is_a_finding_not_a_crash(pilot_dir: Path) -> None:
    frame, findings = read_sdtm_dataset(pilot_dir / "ts.xpt")
    assert findings.rows(["rule_id", "severity", "source_file", "row", "variable"]) == [
        ["ST0016", "warning", "ts.xpt", row, "TSVAL"] for row in TS_RIGHT_QUOTE_ROWS
    ]
    assert frame.loc[7, "TSVAL"] == "Patients with Probable Mild to Moderate Alzheimer’s Disease"
    assert "read as cp1252 (requested utf-8)" in findings.rows(["message"])[0][0]
    assert (len(frame), frame.attrs["source_file"]) == (48, "ts.xpt")
    assert frame.attrs["labels"]["TSVAL"] == "Parameter Value"


def test_stated_encoding_reads_without_fallback(pilot_dir: Path) -> None:
    frame, findings = read_sdtm_dataset(pilot_dir / "ts.xpt", encoding="cp1252")
    assert len(findings) == 0
    assert frame.loc[27, "TSVAL"].endswith("Alzheimer’s Disease.")


def test_utf8_text_is_decoded_as_utf8(tmp_path: Path) -> None:
    frame = pd.DataFrame({"STUDYID": ["S1"], "AETERM": ["Fièvre"]})
    path = tmp_path / "ae.xpt"
    pyreadstat.write_xport(frame, str(path), file_format_version=5, table_name="AE")
    read, findings = read_sdtm_dataset(path)
    assert (read.loc[0, "AETERM"], len(findings)) == ("Fièvre", 0)


def test_corrupt_file_is_a_finding_and_others_are_still_read(
    pilot_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(pilot_dir / "ta.xpt", tmp_path / "ta.xpt")
    (tmp_path / "xx.xpt").write_bytes(b"not a transport file" * 50)
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    frames, findings = read_sdtm_package(tmp_path)
    assert sorted(frames) == ["TA"]
    # A file that is not read is reported, not ignored silently (issue 12).
    assert findings.rows(["rule_id", "severity", "dataset", "source_file"]) == [
        ["ST0017", "error", "XX", "xx.xpt"],
        ["ST0021", "notice", "NOTES", "notes.txt"],
    ]
    assert (
        "cannot read the file (xx.xpt: not a SAS transport v5 file"
        in (findings.rows(["message"])[0][0])
    )


@pytest.mark.parametrize(
    ("keep", "records", "detail"),
    [
        (lambda size: size // 3 + 7, None, "is not a whole number of 80-byte records"),
        (lambda size: 500, None, "file size 500 is not a whole number of 80-byte records"),
        # A cut at a record boundary inside an observation: pyreadstat reads it as a shorter
        # dataset without complaint; the partial observation is not SAS's blank padding
        # (issue 12).
        (lambda size: size // 160 * 80, None, "the data end inside observation"),
    ],
    ids=["cut-inside-data", "cut-inside-header", "cut-at-record-boundary"],
)
def test_truncated_file_is_a_finding(
    pilot_dir: Path, tmp_path: Path, keep, records: int | None, detail: str
) -> None:
    data = (pilot_dir / "dm.xpt").read_bytes()
    (tmp_path / "dm.xpt").write_bytes(data[: keep(len(data))])
    frames, findings = read_sdtm_package(tmp_path)
    assert findings.rows(["rule_id", "severity", "dataset"]) == [["ST0017", "error", "DM"]]
    assert detail in findings.rows(["message"])[0][0]
    assert (len(frames["DM"]) if "DM" in frames else None) == records


def test_single_file_path(pilot_dir: Path) -> None:
    frames, findings = read_sdtm_package(pilot_dir / "ta.xpt")
    assert (sorted(frames), len(findings)) == (["TA"], 0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "no such file or folder"),
        (lambda tmp: tmp, "no .xpt files in this folder"),
    ],
    ids=["missing", "empty-folder"],
)
def test_unusable_path_is_an_input_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_sdtm_package(make(tmp_path))


def test_unknown_encoding_is_an_input_error(pilot_dir: Path) -> None:
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_sdtm_package(pilot_dir, encoding="klingon")


def test_variable_metadata_agrees_with_the_independent_reader(pilot_dir: Path) -> None:
    # sdtm compare compares these attributes; xpt_v5 reads the NAMESTR records itself (TS-140).
    frame, _ = read_sdtm_dataset(pilot_dir / "lbch.xpt")
    variables = read_xpt_v5(pilot_dir / "lbch.xpt").metadata.variables
    assert frame.attrs["types"] == {v.name: v.data_type for v in variables}
    assert frame.attrs["lengths"] == {v.name: v.length for v in variables}
    assert frame.attrs["formats"]["STUDYID"] == "$12."  # NAMESTR: nform "$", nfl 12
    assert frame.attrs["formats"]["LBSTRESN"] == ""
    assert {name for name, text in frame.attrs["formats"].items() if text} == {
        v.name for v in variables if v.format_name
    }


def test_empty_dataset_is_a_finding(tmp_path: Path) -> None:
    # Issue 12: a dataset without records was read silently.
    frame = pd.DataFrame({"STUDYID": pd.Series(dtype=str), "AESEQ": pd.Series(dtype=float)})
    pyreadstat.write_xport(frame, str(tmp_path / "ae.xpt"), file_format_version=5, table_name="AE")
    frames, findings = read_sdtm_package(tmp_path)
    assert len(frames["AE"]) == 0
    assert findings.rows(["rule_id", "severity", "dataset", "source_file"]) == [
        ["ST0022", "warning", "AE", "ae.xpt"]
    ]


def test_define_xml_keys_of_the_pilot_are_read(pilot_dir):
    # Issue 17: the sponsor's keys (ItemRef KeySequence) for the duplicate-key check ST0013.
    frames, _ = read_sdtm_package(pilot_dir)
    assert frames["AE"].attrs["natural_keys"] == (
        "STUDYID", "USUBJID", "AETERM", "AESTDTC", "AESEQ",
    )  # fmt: skip
    assert frames["CM"].attrs["natural_keys"] == ("STUDYID", "USUBJID", "CMTRT", "CMSTDTC")


def test_a_folder_without_define_xml_has_no_declared_keys(tmp_path):
    assert read_define_keys(tmp_path / "define.xml") == {}


def _pyreadstat_read(path: Path, encoding: str) -> tuple[pd.DataFrame, dict]:
    """What pyreadstat reads from a file, in the attrs read_sdtm_dataset sets (the oracle)."""
    frame, meta = pyreadstat.read_xport(str(path), encoding=encoding)
    kinds = meta.readstat_variable_types
    attrs = {
        "dataset_label": meta.file_label or "",
        "labels": dict(meta.column_names_to_labels),
        "types": {name: "Char" if kind == "string" else "Num" for name, kind in kinds.items()},
        "lengths": dict(meta.variable_storage_width),
        "formats": {name: text or "" for name, text in meta.original_variable_types.items()},
    }
    return frame, attrs


def _assert_read_as_pyreadstat_reads(path: Path, encoding: str) -> None:
    frame, findings = read_sdtm_dataset(path, encoding=encoding)
    expected, attrs = _pyreadstat_read(path, encoding)
    pd.testing.assert_frame_equal(frame, expected)
    assert {key: frame.attrs[key] for key in attrs} == attrs
    assert len(findings) == 0


@pytest.mark.parametrize(
    "name", ["ae", "dm", "lbch", "suppae", "ta", "ts", "vs"], ids=lambda name: name
)
def test_pilot_datasets_are_read_as_pyreadstat_reads_them(pilot_dir: Path, name: str) -> None:
    _assert_read_as_pyreadstat_reads(pilot_dir / f"{name}.xpt", "cp1252")


_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F, exclude_characters="\x7f"),
    max_size=12,
).map(str.rstrip)
_NUMBER = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30),
    st.integers(min_value=-(10**9), max_value=10**9).map(float),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_TEXT, _NUMBER, _TEXT), min_size=1, max_size=30))
def test_generated_files_are_read_as_pyreadstat_reads_them(tmp_path: Path, rows) -> None:
    frame = pd.DataFrame(rows, columns=["USUBJID", "AESEQ", "AETERM"])
    frame["AESEQ"] = frame["AESEQ"].astype("float64")
    path = tmp_path / "ae.xpt"
    pyreadstat.write_xport(
        frame,
        str(path),
        file_format_version=5,
        table_name="AE",
        file_label="Adverse Events",
        column_labels=["Unique Subject Identifier", "Sequence Number", "Reported Term"],
        variable_format={"USUBJID": "$12.", "AESEQ": "8.2"},
    )
    assert _read_plain_xpt(path, "utf-8") is not None  # the project's own reader read it
    _assert_read_as_pyreadstat_reads(path, "utf-8")


def test_a_number_with_a_date_format_is_read_as_pyreadstat_reads_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"USUBJID": ["1", "2"], "BRTHDT": [0.0, 20000.0]})
    path = tmp_path / "dm.xpt"
    pyreadstat.write_xport(
        frame, str(path), file_format_version=5, variable_format={"BRTHDT": "DATE9."}
    )
    assert _read_plain_xpt(path, "utf-8") is None  # left to pyreadstat
    read, _ = read_sdtm_dataset(path)
    # pyreadstat turns SAS day numbers with a date format into dates: 0 is 1960-01-01.
    assert str(read.loc[0, "BRTHDT"]) == "1960-01-01"
    assert read.attrs["formats"] == {"USUBJID": "", "BRTHDT": "DATE9."}
