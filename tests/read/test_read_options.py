"""Reader options of a block (issue 10): one passing and one failing case per option.

Expected values are written out by hand from the bytes each test writes.
"""

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from sdtm.read.options import ReadOptions, merge_options, option_problems, table_key
from sdtm.read.raw import read_raw_file
from sdtm.read.values import compute_decimal_point


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path.name


def _rows(raw, columns):
    frame = raw.frame
    return frame[[*columns, "_src_row"]].astype(object).where(frame.notna(), None).values.tolist()


def _findings(raw, columns=("rule_id", "source_row")):
    return raw.findings.rows(list(columns))


# --- encoding -------------------------------------------------------------------------------


def test_encoding_latin1_declared_reads_the_bytes_as_delivered(tmp_path):
    _write(tmp_path / "lab.csv", "TEST,UNIT\nGlucose,\xb5mol/L\n".encode("latin-1"))
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(encoding="latin-1"))
    assert _rows(raw, ["UNIT"]) == [["\u00b5mol/L", 2]]
    assert _findings(raw) == []


def test_encoding_declared_utf8_reports_file_line_and_bytes_that_do_not_decode(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST,UNIT\nGlucose,mmol/L\nCRP,\xb5g/L\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(encoding="utf-8"))
    assert _findings(raw, ("rule_id", "source_file", "source_row")) == [
        ["RD0003", "lab.csv", 3]
    ]
    message = raw.findings.frame["message"].iloc[0]
    assert "bytes b5 at byte 5 of the line are not utf-8" in message
    assert raw.frame["UNIT"].tolist() == ["mmol/L", "\ufffdg/L"]


# --- delimiter ------------------------------------------------------------------------------


def test_delimiter_semicolon_declared(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST;RESULT\nCRP;5,0\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter=";"))
    assert raw.columns == ("TEST", "RESULT")
    assert _rows(raw, ["TEST", "RESULT"]) == [["CRP", "5,0", 2]]


def test_delimiter_auto_reports_what_it_detected(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST|RESULT|UNIT\nCRP|5|mg/L\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter="auto"))
    assert raw.columns == ("TEST", "RESULT", "UNIT")
    assert raw.findings.rows(["rule_id", "severity", "value"]) == [["RD0021", "notice", "|"]]


def test_delimiter_auto_refuses_a_header_it_cannot_decide(tmp_path):
    # one comma and one semicolon: either could be the delimiter, so nothing is guessed
    _write(tmp_path / "lab.csv", b"TEST,NAME;UNIT\nCRP,x;y\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter="auto"))
    assert raw.frame is None
    assert _findings(raw, ("rule_id",)) == [["RD0002"]]
    assert "cannot choose between" in raw.findings.frame["message"].iloc[0]


def test_a_semicolon_file_read_with_the_default_delimiter_is_one_column(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST;RESULT\nCRP;5\n")
    raw = read_raw_file(tmp_path, "lab.csv")
    assert raw.columns == ("TEST;RESULT",)


# --- quotechar ------------------------------------------------------------------------------


def test_quotechar_single_quote_keeps_a_delimiter_inside_a_value(tmp_path):
    _write(tmp_path / "cm.csv", b"CMTRT,CMDOSE\n'Tocilizumab, IV',8\n")
    raw = read_raw_file(tmp_path, "cm.csv", ReadOptions(quotechar="'"))
    assert _rows(raw, ["CMTRT", "CMDOSE"]) == [["Tocilizumab, IV", "8", 2]]


def test_without_the_quotechar_the_row_has_too_many_fields_and_is_reported(tmp_path):
    _write(tmp_path / "cm.csv", b"CMTRT,CMDOSE\n'Tocilizumab, IV',8\n")
    raw = read_raw_file(tmp_path, "cm.csv")
    assert _findings(raw, ("rule_id", "source_row")) == [["RD0004", 2]]
    assert len(raw.frame) == 0


# --- header_row / skip_rows -----------------------------------------------------------------

BANNER = (
    b"CENTRAL LAB TRANSFER\r\n"
    b"Study CD19-002; cut 2024-10-31\r\n"
    b"\r\n"
    b"SUBJECT;TEST;RESULT\r\n"
    b"001;CRP;5\r\n"
    b"\r\n"
    b"002;CRP;7\r\n"
)


@pytest.mark.parametrize(
    "options",
    [ReadOptions(delimiter=";", skip_rows=3), ReadOptions(delimiter=";", header_row=4)],
    ids=["skip_rows", "header_row"],
)
def test_header_below_banner_lines_keeps_physical_line_numbers(tmp_path, options):
    _write(tmp_path / "lab.csv", BANNER)
    raw = read_raw_file(tmp_path, "lab.csv", options)
    assert raw.columns == ("SUBJECT", "TEST", "RESULT")
    # lines 5 and 7 of the delivered file (banner and blank lines count)
    assert _rows(raw, ["SUBJECT", "RESULT"]) == [["001", "5", 5], ["002", "7", 7]]
    assert raw.frame["_src_id"].tolist() == ["lab.csv:5", "lab.csv:7"]


def test_without_skip_rows_the_banner_is_read_as_the_header(tmp_path):
    _write(tmp_path / "lab.csv", BANNER)
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter=";"))
    assert raw.columns == ("CENTRAL LAB TRANSFER",)


def test_header_row_beyond_the_end_is_reported(tmp_path):
    _write(tmp_path / "lab.csv", b"A,B\n1,2\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(header_row=5))
    assert raw.frame is None
    assert "no header" in raw.findings.frame["message"].iloc[0]


# --- sheet ----------------------------------------------------------------------------------


def _workbook(path: Path) -> None:
    book = Workbook()
    first = book.active
    first.title = "AE"
    first.append(["SUBJID", "AETERM"])
    first.append(["001", "Fever"])
    second = book.create_sheet("CM")
    second.append(["Exported 2024-11-01"])
    second.append(["SUBJID", "CMTRT"])
    second.append(["001", "Tocilizumab"])
    second.append(["002", "Dexamethasone"])
    book.save(path)


def test_sheet_by_name_with_its_own_header_row(tmp_path):
    _workbook(tmp_path / "edc.xlsx")
    options = ReadOptions(sheet="CM", header_row=2)
    raw = read_raw_file(tmp_path, "edc.xlsx", options, key=table_key("edc.xlsx", options))
    assert raw.path == "edc.xlsx[CM]"
    assert _rows(raw, ["SUBJID", "CMTRT"]) == [
        ["001", "Tocilizumab", 3],
        ["002", "Dexamethasone", 4],
    ]
    assert raw.frame["_src_file"].unique().tolist() == ["edc.xlsx[CM]"]


def test_sheet_that_does_not_exist_is_reported_with_the_sheets_there_are(tmp_path):
    _workbook(tmp_path / "edc.xlsx")
    raw = read_raw_file(tmp_path, "edc.xlsx", ReadOptions(sheet="VS"), key="edc.xlsx[VS]")
    assert raw.frame is None
    assert _findings(raw, ("rule_id", "source_file")) == [["RD0002", "edc.xlsx[VS]"]]
    assert "no worksheet 'VS' (worksheets: AE, CM)" in raw.findings.frame["message"].iloc[0]


# --- na_values ------------------------------------------------------------------------------


def test_na_values_declared_are_read_as_missing(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST,RESULT\nCRP,ND\nIL6, . \nFERR,12\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(na_values=("ND", ".")))
    assert _rows(raw, ["RESULT"]) == [[None, 2], [None, 3], ["12", 4]]


def test_without_na_values_the_text_is_kept_as_delivered(tmp_path):
    _write(tmp_path / "lab.csv", b"TEST,RESULT\nCRP,ND\n")
    raw = read_raw_file(tmp_path, "lab.csv")
    assert _rows(raw, ["RESULT"]) == [["ND", 2]]


# --- decimal --------------------------------------------------------------------------------


def test_decimal_comma_declared_changes_numbers_comparisons_and_ranges_only(tmp_path):
    _write(
        tmp_path / "lab.csv",
        b"RESULT;RANGE;NOTE\n5,25;3,0-7,0;Smith, J\n<0,5;<5,0;1,2,3\n",
    )
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter=";", decimal=","))
    assert _rows(raw, ["RESULT", "RANGE", "NOTE"]) == [
        ["5.25", "3.0-7.0", "Smith, J", 2],
        ["<0.5", "<5.0", "1,2,3", 3],
    ]


def test_without_decimal_the_comma_stays(tmp_path):
    _write(tmp_path / "lab.csv", b"RESULT;UNIT\n5,25;mg/L\n")
    raw = read_raw_file(tmp_path, "lab.csv", ReadOptions(delimiter=";"))
    assert raw.frame["RESULT"].tolist() == ["5,25"]


def test_compute_decimal_point_leaves_missing_values_missing():
    values = pd.Series(["1,5", pd.NA, "x"], dtype="string")
    assert compute_decimal_point(values).tolist() == ["1.5", pd.NA, "x"]


# --- option checks at spec load ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "options", "expected"),
    [
        ("lab.csv", ReadOptions(encoding="latin-9x"), "unknown encoding 'latin-9x'"),
        ("lab.csv", ReadOptions(delimiter=";;"), "delimiter must be one character"),
        ("lab.csv", ReadOptions(header_row=2, skip_rows=1), "give header_row or skip_rows"),
        ("lab.csv", ReadOptions(sheet="AE"), "'sheet' does not apply to a delimited file"),
        ("edc.xlsx", ReadOptions(encoding="latin-1"), "'encoding' does not apply"),
        ("odm.xml", ReadOptions(), "name item_group"),
        ("lab.csv", ReadOptions(decimal=";"), "decimal must be ',' or '.'"),
        ("notes.docx", ReadOptions(), "not a raw format"),
    ],
    ids=["encoding", "delimiter", "header-twice", "sheet-on-csv", "encoding-on-xlsx",
         "odm-without-group", "decimal", "suffix"],
)
def test_option_problems_name_the_bad_option(file, options, expected):
    problems = option_problems(file, options)
    assert any(expected in p for p in problems), problems


def test_option_problems_accept_usable_options():
    options = ReadOptions(encoding="latin-1", delimiter=";", skip_rows=3, decimal=",")
    assert option_problems("lab/central.csv", options) == []


def test_merge_options_inherits_and_reports_conflicts():
    merged, conflicts = merge_options(ReadOptions(delimiter=";"), ReadOptions(encoding="latin-1"))
    assert merged == ReadOptions(delimiter=";", encoding="latin-1")
    assert conflicts == []
    _, conflicts = merge_options(ReadOptions(delimiter=";"), ReadOptions(delimiter=","))
    assert conflicts == ["delimiter"]
