import numpy as np
import pandas as pd
import pyreadstat
import pytest

from sdtm.errors import InputError
from sdtm.read.xpt_v5 import ibm_to_float, iter_xpt_chunks, iter_xpt_columns, read_xpt_v5


def _ibm(*hex_words: str) -> np.ndarray:
    return np.frombuffer(b"".join(bytes.fromhex(w) for w in hex_words), dtype=np.uint8).reshape(
        len(hex_words), -1
    )


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("4110000000000000", 1.0),
        ("C276A00000000000", -118.625),  # the worked example of the IBM format
        ("0000000000000000", 0.0),
        ("4080000000000000", 0.5),
        ("4264000000000000", 100.0),
        ("7FFFFFFFFFFFFFFF", (1 - 16.0**-14) * 16.0**63),
    ],
    ids=["one", "negative-fraction", "zero", "half", "hundred", "largest"],
)
def test_ibm_to_float_known_values(word, expected):
    assert ibm_to_float(_ibm(word)).tolist() == [expected]


@pytest.mark.parametrize(
    "word",
    ["2E00000000000000", "5F00000000000000", "4100000000000000", "5A00000000000000"],
    ids=["dot", "underscore", "A", "Z"],
)
def test_ibm_to_float_sas_missing_values_are_nan(word):
    assert np.isnan(ibm_to_float(_ibm(word))[0])


def test_ibm_to_float_accepts_shortened_numbers():
    # SAS may store a number in fewer than 8 bytes by dropping the low-order bytes.
    assert ibm_to_float(_ibm("41100000", "42640000")).tolist() == [1.0, 100.0]


def test_reader_agrees_with_pyreadstat_on_pilot_dm(pilot_dir):
    content = read_xpt_v5(pilot_dir / "dm.xpt")
    expected, meta = pyreadstat.read_xport(str(pilot_dir / "dm.xpt"))
    pd.testing.assert_frame_equal(content.frame, expected, check_dtype=False)
    assert list(content.frame.attrs["labels"].values()) == meta.column_labels
    assert {v.name: v.length for v in content.metadata.variables} == dict(
        meta.variable_storage_width
    )
    assert content.metadata.dataset == "DM"
    assert content.metadata.created == "16JUN17:15:53:15"
    assert len(content.findings) == 0


def test_reader_reads_cp1252_byte_with_a_finding(pilot_dir):
    content = read_xpt_v5(pilot_dir / "ts.xpt")
    expected, _ = pyreadstat.read_xport(str(pilot_dir / "ts.xpt"), encoding="cp1252")
    pd.testing.assert_frame_equal(content.frame, expected, check_dtype=False)
    assert content.findings.rows(["rule_id", "stage", "dataset", "variable", "row"]) == [
        ["XP0017", "read", "TS", "TSVAL", 8],
        ["XP0017", "read", "TS", "TSVAL", 28],
    ]
    assert content.frame.loc[7, "TSVAL"].endswith("Alzheimer\u2019s Disease")


def test_reader_without_fallback_names_file_and_variable(pilot_dir):
    with pytest.raises(InputError, match=r"ts\.xpt: variable TSVAL: .* not utf-8"):
        read_xpt_v5(pilot_dir / "ts.xpt", fallback_encoding=None)


def test_reader_rejects_a_file_that_is_not_xpt(tmp_path):
    target = tmp_path / "x.xpt"
    target.write_bytes(b"not a transport file" * 10)
    with pytest.raises(InputError, match=r"x\.xpt: not a SAS transport v5 file"):
        read_xpt_v5(target)


@pytest.mark.parametrize("rows", [1, 3, 40, 41], ids=["1", "3", "40", "41"])
def test_reader_drops_only_padding_rows(tmp_path, rows):
    # A 2-byte row leaves room for many padding "rows" in the last 80-byte record.
    frame = pd.DataFrame({"A": ["ab"] * rows})
    target = tmp_path / "t.xpt"
    pyreadstat.write_xport(frame, str(target), table_name="T", file_format_version=5)
    assert read_xpt_v5(target).frame["A"].tolist() == ["ab"] * rows


@pytest.mark.parametrize("file_name", ["dm.xpt", "ae.xpt", "lbch.xpt"], ids=str)
def test_chunked_reader_gives_the_values_pyreadstat_reads(pilot_dir, file_name):
    expected, _ = pyreadstat.read_xport(str(pilot_dir / file_name))
    meta, records, chunks = iter_xpt_chunks(pilot_dir / file_name, encoding="cp1252", records=97)
    assert records == len(expected)
    starts = []
    parts: list[list[np.ndarray]] = [[] for _ in meta.variables]
    for start, values in chunks:
        starts.append(start)
        for part, column in zip(parts, values, strict=True):
            part.append(column)
    assert starts == list(range(0, records, 97))
    for variable, part in zip(meta.variables, parts, strict=True):
        got = np.concatenate(part)
        wanted = expected[variable.name].to_numpy()
        if variable.data_type == "Num":
            np.testing.assert_array_equal(got, wanted.astype("float64"))
        else:
            assert got.tolist() == wanted.tolist(), variable.name


def test_chunked_reader_agrees_with_the_column_reader_and_refuses_what_it_refuses(
    pilot_dir, tmp_path
):
    _, _, columns = iter_xpt_columns(pilot_dir / "dm.xpt", encoding="cp1252")
    _, _, chunks = iter_xpt_chunks(pilot_dir / "dm.xpt", encoding="cp1252", records=1_000_000)
    [(start, values)] = list(chunks)
    assert start == 0
    for (_, column), chunk in zip(columns, values, strict=True):
        np.testing.assert_array_equal(column, chunk)
    data = (pilot_dir / "dm.xpt").read_bytes()
    (tmp_path / "cut.xpt").write_bytes(data[:-7])
    (tmp_path / "empty.xpt").write_bytes(b"")
    for name in ("cut.xpt", "empty.xpt"):
        with pytest.raises(InputError) as chunked:
            iter_xpt_chunks(tmp_path / name)
        with pytest.raises(InputError) as whole:
            iter_xpt_columns(tmp_path / name)
        assert str(chunked.value) == str(whole.value)


def test_chunked_reader_reads_a_file_that_cannot_be_mapped(pilot_dir, monkeypatch):
    import mmap

    def refuse(*args, **kwargs):
        raise OSError("mapping not supported here")

    monkeypatch.setattr(mmap, "mmap", refuse)
    expected, _ = pyreadstat.read_xport(str(pilot_dir / "dm.xpt"))
    meta, records, chunks = iter_xpt_chunks(pilot_dir / "dm.xpt", encoding="cp1252", records=50)
    assert records == len(expected)
    values = [np.concatenate(parts) for parts in zip(*(v for _, v in chunks), strict=True)]
    for variable, got in zip(meta.variables, values, strict=True):
        wanted = expected[variable.name].to_numpy()
        if variable.data_type == "Num":
            np.testing.assert_array_equal(got, wanted.astype("float64"))
        else:
            assert got.tolist() == wanted.tolist(), variable.name
