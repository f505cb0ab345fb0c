import hashlib
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.errors import ExportError
from sdtm.export import xpt as xpt_module
from sdtm.export.metadata import prepare_dataset
from sdtm.export.xpt import (
    estimate_xpt_bytes,
    patch_header_datetimes,
    preflight_xpt,
    sas_datetime_text,
    write_xpt,
)
from sdtm.read.xpt_v5 import read_xpt_v5


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame(**columns):
    frame = pd.DataFrame(columns)
    frame.attrs["dataset_label"] = "Test Dataset"
    frame.attrs["labels"] = {name: f"Label of {name}" for name in columns}
    return frame


LONG = "x" * 201
BAD_CASES = [
    # (dataset name, frame, column labels override, expected [rule, dataset, variable, row])
    ("TOOLONGNAME", _frame(A=["1"]), None, [["XP0001", "TOOLONGNAME", None, None]]),
    ("DS", _frame(VARIABLE9=["1"]), None, [["XP0002", "DS", "VARIABLE9", None]]),
    ("DS", _frame(**{"A-B": ["1"]}), None, [["XP0003", "DS", "A-B", None]]),
    ("DS", _frame(A=["1"]), {"A": "L" * 41}, [["XP0005", "DS", "A", None]]),
    ("DS", _frame(A=["ok", LONG]), None, [["XP0006", "DS", "A", 2]]),
    ("DS", _frame(A=["ok", "caf\u00e9", "ok"]), None, [["XP0007", "DS", "A", 2]]),
    ("DS", _frame(A=["line\nbreak", "ok"]), None, [["XP0007", "DS", "A", 1]]),
    ("DS", _frame(A=["ok"]), {"A": "Temp\u00e9rature"}, [["XP0007", "DS", "A", None]]),
    ("DS", _frame(N=[1.0, np.inf]), None, [["XP0008", "DS", "N", 2]]),
    ("DS", _frame(N=[-1e80, 2.0]), None, [["XP0008", "DS", "N", 1]]),
    ("DS", _frame(N=[1.0, 2.0**249]), None, [["XP0008", "DS", "N", 2]]),
    ("DS", _frame(N=[0.0, 1e-80]), None, [["XP0008", "DS", "N", 2]]),
]
BAD_IDS = [
    "dataset-name-9-chars",
    "variable-name-9-chars",
    "variable-name-hyphen",
    "label-41-chars",
    "value-201-bytes",
    "non-ascii-value",
    "line-break-in-value",
    "non-ascii-label",
    "infinite-number",
    "number-above-ibm-range",
    "number-where-readstat-overflows",
    "number-below-ibm-range",
]


@pytest.mark.parametrize(("name", "frame", "labels", "expected"), BAD_CASES, ids=BAD_IDS)
def test_write_xpt_refuses_dataset_with_preflight_error(
    tmp_path, empty_standards, creation, name, frame, labels, expected
):
    if labels:
        frame.attrs["labels"] = labels
    prepared = prepare_dataset(name, frame, empty_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    assert result.findings.rows(["rule_id", "dataset", "variable", "row"]) == expected
    assert list(tmp_path.iterdir()) == []


def test_dataset_label_over_40_characters_is_an_error(tmp_path, empty_standards, creation):
    frame = _frame(A=["1"])
    frame.attrs["dataset_label"] = "D" * 41
    result = write_xpt(
        prepare_dataset("DS", frame, empty_standards), tmp_path, creation_datetime=creation
    )
    assert result.findings.rows(["rule_id", "dataset", "variable"]) == [["XP0004", "DS", None]]
    assert list(tmp_path.iterdir()) == []


def test_file_over_size_limit_is_an_error_naming_the_size(tmp_path, empty_standards, creation):
    prepared = prepare_dataset("DS", _frame(A=["abcd"] * 100), empty_standards)
    # 9 header records, one 140-byte NAMESTR padded to 2 records, 100 rows of 4 bytes
    assert estimate_xpt_bytes(prepared) == (9 + 2) * 80 + 400
    result = write_xpt(prepared, tmp_path, creation_datetime=creation, max_file_bytes=1000)
    assert result.findings.rows(["rule_id", "dataset", "value"]) == [["XP0009", "DS", "1280"]]
    assert list(tmp_path.iterdir()) == []


def test_estimated_size_equals_written_size(tmp_path, empty_standards, creation):
    frame = _frame(A=["abc", "de", None], N=[1.0, 2.5, None], B=["x" * 30, "", "y"])
    prepared = prepare_dataset("DS", frame, empty_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path.stat().st_size == estimate_xpt_bytes(prepared)


def test_pyreadstat_alone_truncates_long_label_and_accepts_long_non_ascii_values(tmp_path):
    # Why the preflight exists: pyreadstat's v5 writer gives no error for any of these.
    frame = pd.DataFrame({"A": ["\u00e9" + "x" * 250]})
    target = tmp_path / "raw.xpt"
    pyreadstat.write_xport(
        frame, str(target), column_labels=["L" * 41], table_name="DS", file_format_version=5
    )
    _, meta = pyreadstat.read_xport(str(target))
    assert meta.column_labels == ["L" * 40]
    assert meta.variable_storage_width["A"] == 252


def test_limits_themselves_are_allowed(tmp_path, empty_standards, creation):
    largest = -(2.0**249) * (1 - 2.0**-53)  # the largest magnitude ReadStat writes
    frame = _frame(A=["x" * 200, "y"], N=[largest, 5.4e-79])
    frame.attrs["labels"] = {"A": "L" * 40, "N": "Number"}
    prepared = prepare_dataset("ABCDEFGH", frame, empty_standards)
    assert len(preflight_xpt(prepared)) == 0
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path == tmp_path / "abcdefgh.xpt"
    data, meta = pyreadstat.read_xport(str(result.path))
    assert data["A"].tolist() == ["x" * 200, "y"]
    assert data["N"].tolist() == [largest, 5.4e-79]
    assert read_xpt_v5(result.path).frame["N"].tolist() == [largest, 5.4e-79]
    assert meta.column_labels == ["L" * 40, "Number"]


def test_write_xpt_is_deterministic_and_stamps_the_given_datetime(
    tmp_path, tiny_standards, ae_frame, creation
):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    first = write_xpt(prepared, tmp_path, creation_datetime=creation)
    digest = _sha(first.path)
    other = tmp_path / "again"
    other.mkdir()
    second = write_xpt(prepared, other, creation_datetime=creation)
    assert _sha(second.path) == digest
    data = first.path.read_bytes()
    assert data[80 + 64 : 160] == b"28MAR25:12:30:45"
    assert data[160:176] == b"28MAR25:12:30:45"
    assert data[400 + 64 : 480] == b"28MAR25:12:30:45"
    assert data[480:496] == b"28MAR25:12:30:45"
    later = tmp_path / "later"
    later.mkdir()
    third = write_xpt(prepared, later, creation_datetime=datetime(2026, 1, 2, 3, 4, 5))
    differing = [
        i for i, (a, b) in enumerate(zip(data, third.path.read_bytes(), strict=True)) if a != b
    ]
    assert differing and all(80 + 64 <= i < 176 or 400 + 64 <= i < 496 for i in differing)


def test_sas_datetime_text():
    assert sas_datetime_text(datetime(2009, 12, 1, 7, 5, 9)) == b"01DEC09:07:05:09"


def test_patch_header_refuses_a_file_without_header_datetimes(tmp_path, creation):
    target = tmp_path / "x.xpt"
    target.write_bytes(b" " * 800)
    with pytest.raises(ExportError, match="expected a header datetime at byte 144"):
        patch_header_datetimes(target, creation)


def test_crash_during_write_leaves_no_partial_file_and_keeps_old_one(
    tmp_path, tiny_standards, ae_frame, creation, monkeypatch
):
    (tmp_path / "ae.xpt").write_bytes(b"old file")

    def crash(frame, path, **kwargs):
        Path(path).write_bytes(b"HEADER RECORD partial")
        raise OSError("disk full")

    monkeypatch.setattr(xpt_module.pyreadstat, "write_xport", crash)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    with pytest.raises(ExportError, match="disk full"):
        write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.xpt"]
    assert (tmp_path / "ae.xpt").read_bytes() == b"old file"


def test_round_trip_through_both_readers(tmp_path, tiny_standards, ae_frame, creation):
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.findings.rows(["rule_id"]) == []
    expected_labels = [
        "Study Identifier",
        "Domain Abbreviation",
        "Unique Subject Identifier",
        "Sequence Number",
        "Reported Term for the Adverse Event",
        "Severity/Intensity",
        "Serious Event",
        "Study Day of Start of Adverse Event",
    ]
    expected_lengths = {
        "STUDYID": 5,
        "DOMAIN": 2,
        "USUBJID": 9,
        "AESEQ": 8,
        "AETERM": 25,
        "AESEV": 6,
        "AESER": 1,
        "AESTDY": 8,
    }
    data, meta = pyreadstat.read_xport(str(result.path))
    assert meta.table_name == "AE"
    assert meta.file_label == "Adverse Events"
    assert meta.column_labels == expected_labels
    assert meta.variable_storage_width == expected_lengths
    assert meta.readstat_variable_types["AESEQ"] == "double"
    assert data["AESEV"].tolist() == ["SEVERE", "MILD", ""]
    assert data["AESTDY"].tolist() == [3.0, 10.0, -1.0]

    content = read_xpt_v5(result.path)
    assert content.metadata.dataset == "AE"
    assert content.metadata.label == "Adverse Events"
    assert [v.label for v in content.metadata.variables] == expected_labels
    assert {v.name: v.length for v in content.metadata.variables} == expected_lengths
    assert [v.data_type for v in content.metadata.variables] == [
        "Char",
        "Char",
        "Char",
        "Num",
        "Char",
        "Char",
        "Char",
        "Num",
    ]
    assert content.metadata.created == "28MAR25:12:30:45"
    pd.testing.assert_frame_equal(content.frame, data, check_dtype=False, check_column_type=False)


# The pilot package's datasets, listed (not globbed at import time: with ../shared absent a
# glob would make these tests vanish instead of fail; test_pilot_file_list_is_complete pins it).
PILOT_STEMS = (
    "ae", "cm", "dm", "ds", "ex", "lbch", "lbhe", "lbur", "mh", "relrec", "sc", "se", "suppae",
    "suppdm", "suppds", "supplbur", "sv", "ta", "te", "ti", "ts", "tv", "vs",
)  # fmt: skip
PILOT_FILES = tuple(f"{stem}.xpt" for stem in PILOT_STEMS)


def test_pilot_file_list_is_complete(pilot_dir):
    assert sorted(p.stem for p in pilot_dir.glob("*.xpt")) == sorted(PILOT_STEMS)


@pytest.mark.parametrize("file_name", [f for f in PILOT_FILES if f != "ts.xpt"], ids=str)
def test_pilot_dataset_survives_read_export_read(
    tmp_path, pilot_dir, empty_standards, creation, file_name
):
    source = read_xpt_v5(pilot_dir / file_name)
    prepared = prepare_dataset(file_name[:-4], source.frame, empty_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    # The pilot files carry no dataset label, and these standards know none (SUPPxx labels
    # follow the SDTMIG pattern "Supplemental Qualifiers for xx").
    dataset = file_name[:-4].upper()
    expected = [] if dataset.startswith("SUPP") else [["XP0014", dataset]]
    assert result.findings.rows(["rule_id", "dataset"]) == expected
    assert result.path.name == file_name
    original, original_meta = pyreadstat.read_xport(str(pilot_dir / file_name))
    again, again_meta = pyreadstat.read_xport(str(result.path))
    ours = read_xpt_v5(result.path)
    # Both readers give missing text as "" (a blank XPT value), so frames compare directly.
    pd.testing.assert_frame_equal(again, original)
    pd.testing.assert_frame_equal(ours.frame, original, check_dtype=False)
    assert again_meta.column_labels == original_meta.column_labels
    assert again_meta.readstat_variable_types == original_meta.readstat_variable_types
    assert again_meta.table_name == original_meta.table_name
    # Character lengths become the longest value (FDA TCG), never longer than the source's.
    for name, width in again_meta.variable_storage_width.items():
        original_width = original_meta.variable_storage_width[name]
        if again_meta.readstat_variable_types[name] == "string":
            longest = original[name].str.len().max()
            assert width == max(1, int(longest)), name
            assert width <= original_width, name
        else:
            assert width == 8


def test_pilot_ts_with_cp1252_byte_gives_findings_and_no_file(
    tmp_path, pilot_dir, empty_standards, creation
):
    source = read_xpt_v5(pilot_dir / "ts.xpt")
    assert source.findings.rows(["rule_id", "variable", "row"]) == [
        ["XP0017", "TSVAL", 8],
        ["XP0017", "TSVAL", 28],
    ]
    prepared = prepare_dataset("TS", source.frame, empty_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    assert result.findings.rows(["rule_id", "dataset", "variable", "row"]) == [
        ["XP0014", "TS", None, None],
        ["XP0007", "TS", "TSVAL", 8],
        ["XP0007", "TS", "TSVAL", 28],
    ]
    assert list(tmp_path.iterdir()) == []


def test_read_back_mismatch_keeps_file_away(
    tmp_path, tiny_standards, ae_frame, creation, monkeypatch
):
    original = xpt_module.pyreadstat.write_xport

    def wrong_name(frame, path, **kwargs):
        original(frame, path, **{**kwargs, "table_name": "OTHER"})

    monkeypatch.setattr(xpt_module.pyreadstat, "write_xport", wrong_name)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    assert result.findings.rows(["rule_id", "dataset"]) == [["XP0016", "AE"]]
    assert "dataset name 'OTHER'" in result.findings.frame["message"].iloc[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("file_name", ["dm.xpt", "ae.xpt", "suppae.xpt"], ids=str)
def test_pilot_with_real_standards_takes_ig_order_and_labels(
    tmp_path, pilot_dir, creation, file_name
):
    from sdtm.standards import load_standards

    standards = load_standards()
    source = read_xpt_v5(pilot_dir / file_name)
    prepared = prepare_dataset(file_name[:-4], source.frame, standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    data, meta = pyreadstat.read_xport(str(result.path))
    spec = standards.domain(file_name[:-4])
    in_ig = [name for name in spec.variable_names if name in source.frame.columns]
    assert list(data.columns[: len(in_ig)]) == in_ig
    assert sorted(data.columns) == sorted(source.frame.columns)
    labels = dict(zip(data.columns, meta.column_labels, strict=True))
    assert all(labels[name] == spec.variable(name).label for name in in_ig)
    assert meta.file_label == prepared.meta.label
    original, _ = pyreadstat.read_xport(str(pilot_dir / file_name))
    pd.testing.assert_frame_equal(data[original.columns], original)


def test_read_back_detects_changed_values(
    tmp_path, tiny_standards, ae_frame, creation, monkeypatch
):
    from dataclasses import replace

    original = xpt_module._observation_chunks

    def altered(prepared):
        # The records written hold another AESTDY than the data: the read-back must see it.
        changed = prepared.frame.copy()
        changed.loc[1, "AESTDY"] = 11.0
        return original(replace(prepared, frame=changed))

    monkeypatch.setattr(xpt_module, "_observation_chunks", altered)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    assert result.findings.rows(["rule_id"]) == [["XP0016"]]
    assert "AESTDY values in 1 record(s), first record 2" in result.findings.frame["message"][0]
    assert list(tmp_path.iterdir()) == []


def test_read_back_counts_differences_across_chunks(
    tmp_path, tiny_standards, ae_frame, creation, monkeypatch
):
    from dataclasses import replace

    import sdtm.read.xpt_v5 as reader

    original_write = xpt_module._observation_chunks
    original_read = reader.iter_xpt_chunks

    def altered(prepared):
        changed = prepared.frame.copy()
        changed.loc[1, "AESTDY"] = 11.0
        changed.loc[len(changed) - 1, "AESTDY"] = 99.0
        return original_write(replace(prepared, frame=changed))

    def one_record_at_a_time(path, **options):
        return original_read(path, **{**options, "records": 1})

    monkeypatch.setattr(xpt_module, "_observation_chunks", altered)
    monkeypatch.setattr(xpt_module, "iter_xpt_chunks", one_record_at_a_time)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    assert len(prepared.frame) >= 3
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    messages = result.findings.frame["message"].tolist()
    assert any("AESTDY values in 2 record(s), first record 2" in m for m in messages), messages


def _pyreadstat_bytes(prepared, path, creation):
    """The file pyreadstat writes for every record itself (the writer used before)."""
    pyreadstat.write_xport(
        prepared.frame,
        str(path),
        file_label=prepared.meta.label,
        column_labels=[c.label for c in prepared.meta.columns],
        table_name=prepared.meta.name,
        file_format_version=5,
    )
    patch_header_datetimes(path, creation)
    return path.read_bytes()


# Trailing blanks are the padding of a fixed-width XPT value, so no reader gives them back
# (pyreadstat neither); such values are refused by the read-back, see the test below.
_PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(
    str.rstrip
)
_NUMBERS = st.one_of(
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False),
    st.floats(min_value=16.0**-60, max_value=2.0**240),
    st.integers(min_value=-(2**53), max_value=2**53).map(float),
    st.sampled_from([0.0, -0.0, math.nan, 0.1, 1 / 3, 2.0**-255, 2.0**248, 5e-324 * 2**60]),
)


@settings(max_examples=120, deadline=None)
@given(
    st.integers(min_value=0, max_value=9).flatmap(
        lambda rows: st.tuples(
            st.lists(st.one_of(st.none(), _PRINTABLE), min_size=rows, max_size=rows),
            st.lists(_NUMBERS, min_size=rows, max_size=rows),
            st.lists(st.one_of(st.none(), _PRINTABLE), min_size=rows, max_size=rows),
        )
    )
)
def test_records_written_with_numpy_equal_pyreadstat_byte_for_byte(
    tmp_path_factory, empty_standards, columns
):
    creation = datetime(2025, 3, 28, 12, 30, 45)
    text, numbers, more_text = columns
    frame = _frame(
        A=pd.Series(text, dtype=object),
        N=pd.Series(numbers, dtype="float64"),
        B=pd.Series(more_text, dtype=object),
    )
    prepared = prepare_dataset("DS", frame, empty_standards)
    folder = tmp_path_factory.mktemp("xpt")
    result = write_xpt(prepared, folder, creation_datetime=creation)
    if result.path is None:
        # Only numbers the preflight refuses (XP0008) keep a dataset from being written.
        assert set(result.findings.frame["rule_id"]) == {"XP0008"}
        return
    assert result.path.read_bytes() == _pyreadstat_bytes(prepared, folder / "ref.xpt", creation)


@pytest.mark.parametrize("file_name", ["lbch.xpt", "dm.xpt", "suppae.xpt", "ae.xpt", "vs.xpt"])
def test_pilot_datasets_written_with_numpy_equal_pyreadstat_byte_for_byte(
    tmp_path, pilot_dir, empty_standards, creation, file_name
):
    source = read_xpt_v5(pilot_dir / file_name)
    prepared = prepare_dataset(file_name[:-4], source.frame, empty_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is not None
    assert result.path.read_bytes() == _pyreadstat_bytes(prepared, tmp_path / "ref.xpt", creation)


def test_ibm_doubles_match_values_worked_out_by_hand():
    # 1.5 = 0x18/16 * 16**1: exponent 64+1 = 0x41, mantissa 0x18000000000000.
    # -0.5 = 0x8/16 * 16**0: sign bit, exponent 0x40, mantissa 0x80000000000000.
    # 100 = 0x64/256 * 16**2: exponent 0x42, mantissa 0x64000000000000.
    got = xpt_module.ibm_doubles(np.array([1.5, -0.5, 100.0, 0.0, math.nan]))
    assert [bytes(row).hex() for row in got] == [
        "4118000000000000",
        "c080000000000000",
        "4264000000000000",
        "0000000000000000",
        "2e00000000000000",
    ]
    assert xpt_module.ibm_doubles(np.array([math.inf])) is None


def test_a_value_ending_in_blanks_is_refused_because_no_reader_gives_them_back(
    tmp_path, empty_standards, creation
):
    frame = _frame(B=pd.Series(["0 ", "ab"], dtype=object))
    prepared = prepare_dataset("DS", frame, empty_standards)
    # pyreadstat, an independent reader, reads the value back without its blank as well.
    reference = tmp_path / "reference"
    reference.mkdir()
    _pyreadstat_bytes(prepared, reference / "ds.xpt", creation)
    assert pyreadstat.read_xport(str(reference / "ds.xpt"))[0]["B"].tolist() == ["0", "ab"]
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert result.path is None
    assert result.findings.rows(["rule_id"]) == [["XP0016"]]
    assert "B values in 1 record(s), first record 1" in result.findings.frame["message"][0]


def test_a_value_the_numpy_writer_cannot_encode_leaves_the_whole_file_to_pyreadstat(
    tmp_path, tiny_standards, ae_frame, creation, monkeypatch
):
    # The preflight refuses every such value today (XP0007, XP0008), so the fallback is forced
    # here: the file must then be exactly pyreadstat's, and pass the read-back.
    calls = []

    def cannot(values, length):
        calls.append(length)
        return None

    monkeypatch.setattr(xpt_module, "_text_bytes", cannot)
    prepared = prepare_dataset("AE", ae_frame, tiny_standards)
    result = write_xpt(prepared, tmp_path, creation_datetime=creation)
    assert calls, "the numpy writer was not tried"
    assert result.path is not None
    assert result.findings.rows(["rule_id"]) == []
    reference = tmp_path / "reference"
    reference.mkdir()
    assert result.path.read_bytes() == _pyreadstat_bytes(prepared, reference / "ae.xpt", creation)
