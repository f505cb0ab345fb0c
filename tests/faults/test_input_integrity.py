"""Input integrity (issue 12): cut, corrupt, empty or unexpected files are never read silently.

From the fault corpus: an ``.xpt`` cut at an 80-byte boundary read as a shorter dataset and
``export`` wrote a manifest with 474 of 961 AE records (exit 0); a malformed Dataset-JSON gave
an AttributeError; an empty dataset, a header-only raw file, a ``.txt`` transfer and ``.json``
datasets beside ``.xpt`` files were ignored; a UTF-16 file became empty records plus a phantom
row.
"""

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from sdtm.errors import InputError
from sdtm.read.dataset_json import read_dataset_json
from sdtm.read.raw import list_raw_files, read_raw_file
from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.read.xpt_v5 import check_xpt_file, read_xpt_v5

# 40 AE records; pyreadstat stores each text variable as wide as its longest value:
# STUDYID "S1" 2 + USUBJID "S1-000" 6 + AETERM "Event number 10" 15 + AESEQ 8 = 31 bytes per
# record, 1,240 bytes of data padded to 16 records of 80 bytes.
AE = pd.DataFrame(
    {
        "STUDYID": ["S1"] * 40,
        "USUBJID": [f"S1-{i:03d}" for i in range(40)],
        "AETERM": [f"Event number {i + 10}" for i in range(40)],
        "AESEQ": [float(i + 1) for i in range(40)],
    }
)


def _xpt(folder: Path, name: str = "ae") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.xpt"
    pyreadstat.write_xport(
        AE, str(path), file_format_version=5, table_name=name.upper(),
        column_labels=["Study", "Subject", "Term", "Sequence"],
    )  # fmt: skip
    return path


def _data_start(data: bytes) -> int:
    return data.index(b"HEADER RECORD*******OBS     HEADER RECORD") + 80


def test_xpt_cut_at_a_record_boundary_is_an_error_with_the_offset(tmp_path):
    """Acceptance: a truncated XPT is an error (cut at an 80-byte boundary, issue 12)."""
    path = _xpt(tmp_path / "pkg")
    data = path.read_bytes()
    start = _data_start(data)
    assert len(data) == start + 16 * 80
    # Keep 10 data records = 800 bytes = 25 whole observations (775) + 25 bytes of the 26th.
    path.write_bytes(data[: start + 800])
    expected = (
        f"ae.xpt: the data end inside observation 26: bytes {start + 775}-{start + 799} hold "
        "part of a record, not the blank padding SAS writes after the last observation"
    )
    with pytest.raises(InputError, match=expected):
        check_xpt_file(path)
    with pytest.raises(InputError, match="the data end inside observation 26"):
        read_xpt_v5(path)
    # pyreadstat alone gives 25 records; the package reader refuses the file instead.
    assert len(pyreadstat.read_xport(str(path))[0]) == 25
    frames, findings = read_sdtm_package(tmp_path / "pkg")
    assert frames == {}
    assert findings.rows(["rule_id", "severity", "dataset"]) == [["ST0017", "error", "AE"]]
    assert expected in findings.rows(["message"])[0][0]


def test_xpt_cut_inside_a_record_is_an_error(tmp_path):
    path = _xpt(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    with pytest.raises(InputError, match=rf"file size {len(data) - 7} is not a whole number"):
        check_xpt_file(path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: b"X" + d[1:], "no library header record at byte 0"),
        (lambda d: d[:240] + b"\x00" * 80 + d[320:], "no member header record at byte 240"),
        (lambda d: d[:560] + b"\x00" * 80 + d[640:], "no NAMESTR header record at byte 560"),
    ],
    ids=["library-header", "member-header", "namestr-header"],
)
def test_xpt_with_damaged_headers_is_an_error(tmp_path, damage, message):
    path = _xpt(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(InputError, match=message):
        check_xpt_file(path)


def test_export_refuses_a_package_with_an_unreadable_dataset(tmp_path, kit, capsys):
    path = _xpt(tmp_path / "pkg")
    _xpt(tmp_path / "pkg", "dm")
    data = path.read_bytes()
    path.write_bytes(data[: _data_start(data) + 800])
    out = tmp_path / "out"
    code, _, err = kit.run_cli(
        ["export", "xpt", str(tmp_path / "pkg"), "--out", str(out),
         "--creation-datetime", "2024-01-01T00:00:00"],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "nothing exported: 1 file(s)" in err and "Traceback" not in err
    assert not (out / "manifest.json").exists()


def test_validate_reports_the_truncated_dataset_and_checks_the_rest(tmp_path, kit, capsys):
    path = _xpt(tmp_path / "pkg")
    data = path.read_bytes()
    path.write_bytes(data[: _data_start(data) + 800])
    code, out, _ = kit.run_cli(["validate", str(tmp_path / "pkg"), "--format", "json"], capsys)
    assert code == 1
    rows = [(f["rule_id"], f["dataset"]) for f in json.loads(out)["findings"]]
    assert ("ST0017", "AE") in rows


META = {
    "datasetJSONCreationDateTime": "2024-01-01T00:00:00",
    "datasetJSONVersion": "1.1.0",
    "itemGroupOID": "IG.AE",
    "records": 1,
    "name": "AE",
    "label": "Adverse Events",
}
COLUMN = {"itemOID": "IT.A", "name": "A", "label": "A", "dataType": "string"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({**META, "columns": ["STUDYID"], "rows": [["S1"]]}, "not Dataset-JSON 1.1: .* /columns/0"),
        ({**META, "rows": [["S1"]]}, "no 'columns' in the Dataset-JSON metadata"),
        ({**META, "columns": [COLUMN], "rows": {"0": "x"}}, "'rows' must be a list of records"),
        (
            {**META, "columns": [COLUMN], "rows": [[{"nested": 1}]]},
            "record 1 column A: a JSON dict, not a single value",
        ),
    ],
    ids=["columns-not-objects", "no-columns", "rows-not-a-list", "nested-value"],
)  # fmt: skip
def test_malformed_dataset_json_is_a_clear_error(tmp_path, document, message):
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError, match=message):
        read_dataset_json(path)
    frames, findings = read_sdtm_package(tmp_path)
    assert (frames, findings.rows(["rule_id", "dataset"])) == ({}, [["ST0017", "AE"]])


def test_json_datasets_next_to_xpt_are_reported_as_not_read(tmp_path):
    _xpt(tmp_path)
    dm = {**META, "name": "DM", "columns": [], "rows": []}
    (tmp_path / "dm.json").write_text(json.dumps(dm))
    (tmp_path / "ae.csv").write_text("STUDYID\nS1\n")
    frames, findings = read_sdtm_package(tmp_path)
    assert sorted(frames) == ["AE"]
    assert findings.rows(["rule_id", "severity", "source_file"]) == [
        ["ST0021", "notice", "ae.csv"],
        ["ST0021", "notice", "dm.json"],
    ]


def test_header_only_raw_file_is_a_finding(tmp_path):
    (tmp_path / "edc").mkdir()
    (tmp_path / "edc" / "ae.csv").write_text("STUDYID,SUBJID,AETERM\n")
    raw = read_raw_file(tmp_path, "edc/ae.csv")
    assert (raw.rows_in, list(raw.columns)) == (0, ["STUDYID", "SUBJID", "AETERM"])
    assert raw.findings.rows(["rule_id", "severity", "source_file", "source_row"]) == [
        ["RD0011", "warning", "edc/ae.csv", 1]
    ]


def test_every_file_of_the_study_folder_is_read_or_reported(tmp_path):
    for name in ("edc/ae.csv", "lab/transfer.txt", "lab/pk.sas7bdat", "README.md", "crf.pdf",
                 ".git/config", "edc/.~lock.ae.csv#"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("STUDYID\nS1\n")
    assert list_raw_files(tmp_path) == ("edc/ae.csv", "lab/pk.sas7bdat", "lab/transfer.txt")
    raw = read_raw_file(tmp_path, "lab/transfer.txt")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id", "severity", "value"]) == [
        ["RD0010", "warning", "lab/transfer.txt"]
    ]
    message = raw.findings.rows(["message"])[0][0]
    assert "file of type '.txt' in the study folder is not read" in message


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-be", "utf-32"], ids=["utf16-le-bom", "utf16-be-bom", "utf32-bom"]
)
def test_utf16_raw_file_with_a_byte_order_mark_is_read_correctly(tmp_path, encoding):
    text = "STUDYID,SUBJID,AETERM\nS1,001,Fièvre\nS1,002,Céphalée\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # Python's utf-16-be writes no mark
    (tmp_path / "ae.csv").write_bytes(data)
    raw = read_raw_file(tmp_path, "ae.csv")
    assert raw.findings.rows(["rule_id"]) == []
    assert raw.frame[["STUDYID", "SUBJID", "AETERM"]].values.tolist() == [
        ["S1", "001", "Fièvre"],
        ["S1", "002", "Céphalée"],
    ]  # two rows, no phantom row, no NUL characters


def test_utf16_raw_file_without_a_byte_order_mark_is_refused(tmp_path):
    (tmp_path / "ae.csv").write_bytes("STUDYID,SUBJID\nS1,001\n".encode("utf-16-le"))
    raw = read_raw_file(tmp_path, "ae.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]
    message = raw.findings.rows(["message"])[0][0]
    assert "NUL bytes (first at byte 1): UTF-16 or UTF-32 text" in message
