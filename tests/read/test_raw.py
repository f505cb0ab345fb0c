from pathlib import Path

import pandas as pd
import pytest

from sdtm.errors import InputError
from sdtm.read.raw import list_raw_files, read_raw_file, read_raw_files


def _write(folder: Path, relative: str, data: bytes) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_read_csv_as_text_with_provenance(tmp_path):
    _write(tmp_path, "edc/ae.csv", b"SUBJID,AETERM,NUM\n101-001,NA,007\n101-002,,1.50\n")
    raw = read_raw_file(tmp_path, "edc/ae.csv")
    assert raw.rows_in == 2
    assert len(raw.findings) == 0
    assert raw.columns == ("SUBJID", "AETERM", "NUM")
    frame = raw.frame
    assert frame["AETERM"].tolist() == ["NA", ""]  # text kept as written, nothing guessed
    assert frame["NUM"].tolist() == ["007", "1.50"]
    assert frame["_src_file"].tolist() == ["edc/ae.csv", "edc/ae.csv"]
    assert frame["_src_row"].tolist() == [2, 3]  # header is row 1
    assert frame["_src_id"].tolist() == ["edc/ae.csv:2", "edc/ae.csv:3"]


def test_read_xlsx_as_text_with_provenance(tmp_path):
    path = tmp_path / "edc" / "ld.xlsx"
    path.parent.mkdir()
    pd.DataFrame({"SUBJID": ["101-001", "101-002"], "DOSE": ["30", "500"]}).to_excel(
        path, index=False, sheet_name="LD"
    )
    raw = read_raw_file(tmp_path, "edc/ld.xlsx")
    assert raw.frame["DOSE"].tolist() == ["30", "500"]
    assert raw.frame["_src_row"].tolist() == [2, 3]


def test_missing_file_is_a_finding(tmp_path):
    raw = read_raw_file(tmp_path, "edc/nope.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id", "source_file", "severity"]) == [
        ["RD0001", "edc/nope.csv", "error"]
    ]


def test_unreadable_file_is_a_finding(tmp_path):
    _write(tmp_path, "edc/bad.xlsx", b"this is not a zip file")
    raw = read_raw_file(tmp_path, "edc/bad.xlsx")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id", "source_file"]) == [["RD0002", "edc/bad.xlsx"]]


def test_bad_encoding_is_reported_per_row_and_value_kept(tmp_path):
    _write(
        tmp_path, "edc/ae.csv", "SUBJID,AETERM\n101-001,Fever\n101-002,Fièvre\n".encode("cp1252")
    )
    raw = read_raw_file(tmp_path, "edc/ae.csv")
    assert raw.frame["AETERM"].tolist() == ["Fever", "Fièvre"]
    assert raw.findings.rows(["rule_id", "source_row", "value"]) == [
        ["RD0003", 3, "101-002,Fièvre"]
    ]


def test_utf8_non_ascii_is_not_an_encoding_problem(tmp_path):
    _write(tmp_path, "edc/ae.csv", "SUBJID,AETERM\n101-002,Fièvre\n".encode())
    raw = read_raw_file(tmp_path, "edc/ae.csv")
    assert raw.frame["AETERM"].tolist() == ["Fièvre"]
    assert len(raw.findings) == 0


def test_malformed_row_is_reported_and_later_rows_keep_their_numbers(tmp_path):
    _write(tmp_path, "a.csv", b"A,B\n1,2\n3,4,5\n6,7\n")
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.rows_in == 3
    assert raw.frame["A"].tolist() == ["1", "6"]
    assert raw.frame["_src_row"].tolist() == [2, 4]
    assert raw.findings.rows(["rule_id", "source_row", "value"]) == [["RD0004", 3, "3,4,5"]]


def test_exact_duplicate_rows_are_reported(tmp_path):
    _write(tmp_path, "a.csv", b"A,B\n1,2\n3,4\n1,2\n")
    raw = read_raw_file(tmp_path, "a.csv")
    assert len(raw.frame) == 3  # both kept
    assert raw.findings.rows(["rule_id", "source_row", "value", "severity"]) == [
        ["RD0005", 4, "duplicate of row 2", "warning"]
    ]


def test_list_and_read_files(tmp_path):
    _write(tmp_path, "edc/b.csv", b"A\n1\n")
    _write(tmp_path, "lab/a.csv", b"A\n1\n")
    _write(tmp_path, "README.md", b"x")
    assert list_raw_files(tmp_path) == ("edc/b.csv", "lab/a.csv")
    assert list(read_raw_files(tmp_path, ["lab/a.csv"])) == ["lab/a.csv"]


def test_missing_study_folder_stops_the_run(tmp_path):
    with pytest.raises(InputError, match="study folder not found"):
        read_raw_files(tmp_path / "nope", [])


def test_duplicate_column_names_are_reported(tmp_path):
    _write(tmp_path, "a.csv", b"A,B,A\n1,2,3\n")
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.columns == ("A", "B", "A.1")
    assert raw.findings.rows(["rule_id", "source_row", "variable"]) == [["RD0006", 1, "A.1"]]


def test_extra_worksheets_with_data_are_findings_and_their_rows_are_counted(tmp_path):
    path = tmp_path / "edc" / "ld.xlsx"
    path.parent.mkdir()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"SUBJID": ["101-001"], "DOSE": ["30"]}).to_excel(
            writer, index=False, sheet_name="LD"
        )
        pd.DataFrame({"SUBJID": ["101-002", "101-003"], "DOSE": ["25", "30"]}).to_excel(
            writer, index=False, sheet_name="LD late entries"
        )
        writer.book.create_sheet("Blank")
    raw = read_raw_file(tmp_path, "edc/ld.xlsx")
    assert raw.frame["SUBJID"].tolist() == ["101-001"]
    assert (raw.rows_in, raw.rows_ignored) == (3, 2)
    assert raw.findings.rows(["rule_id", "source_file", "value", "severity"]) == [
        ["RD0008", "edc/ld.xlsx", "LD late entries", "error"]
    ]
    message = raw.findings.frame["message"].iloc[0]
    assert "worksheet 'LD late entries' (2 data row(s)" in message


def test_a_workbook_with_one_sheet_has_no_rd0008(tmp_path):
    path = tmp_path / "edc" / "ld.xlsx"
    path.parent.mkdir()
    pd.DataFrame({"SUBJID": ["101-001"]}).to_excel(path, index=False, sheet_name="LD")
    raw = read_raw_file(tmp_path, "edc/ld.xlsx")
    assert (raw.rows_in, raw.rows_ignored, len(raw.findings)) == (1, 0, 0)


@pytest.mark.parametrize(
    ("data", "values", "rows"),
    [
        (b"A,B\n1,x\n2,y\n", ["x", "y"], [2, 3]),
        (b'A,B\n1,"NEUTRO\nPENIA"\n2,y\n', ["NEUTRO\nPENIA", "y"], [2, 4]),
        (b"A,B\n1,x\n\n\n2,y\n", ["x", "y"], [2, 5]),
        (b'A,B\n1,"a\nb"\n\n2,"c,d"\n', ["a\nb", "c,d"], [2, 5]),
        (b"A,B\r\n1,x\r\n\r\n2,y\r\n", ["x", "y"], [2, 4]),
        (b'A,B\r\n1,"p\r\nq"\r\n2,y\r\n', ["p\r\nq", "y"], [2, 4]),
        (b"\xef\xbb\xbfA,B\n1,x\n   \n2,y\n", ["x", "y"], [2, 4]),
        (b'\n\nA,B\n1,"x"\n2,y\n', ["x", "y"], [4, 5]),
    ],
    ids=[
        "plain",
        "quoted-line-break",
        "blank-lines",
        "quoted-break-and-blank",
        "crlf-blank",
        "crlf-quoted-break",
        "bom-and-spaces-line",
        "blank-lines-before-header",
    ],
)
def test_src_row_is_the_physical_line_where_the_record_starts(tmp_path, data, values, rows):
    _write(tmp_path, "a.csv", data)
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.columns == ("A", "B")
    assert raw.frame["B"].tolist() == values
    assert raw.frame["_src_row"].tolist() == rows
    assert raw.frame["_src_id"].tolist() == [f"a.csv:{r}" for r in rows]
    assert raw.rows_in == 2
    assert len(raw.findings) == 0


def test_malformed_row_after_a_quoted_line_break_is_numbered_by_physical_line(tmp_path):
    _write(tmp_path, "a.csv", b'A,B\n1,"x\ny"\n\n3,4,5\n6,7\n')
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.frame["_src_row"].tolist() == [2, 6]
    assert raw.findings.rows(["rule_id", "source_row", "value"]) == [["RD0004", 5, "3,4,5"]]


@pytest.mark.parametrize(
    "data",
    [b"A,B,C\n1,2,3\n4,5\n6,7,8\n", b'A,B,C\n1,"2",3\n4,5\n6,7,8\n'],
    ids=["no-quotes", "with-quotes"],
)
def test_row_with_fewer_fields_is_reported_and_not_read(tmp_path, data):
    _write(tmp_path, "a.csv", data)
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.rows_in == 3
    assert raw.frame["A"].tolist() == ["1", "6"]
    assert raw.frame["_src_row"].tolist() == [2, 4]
    assert raw.findings.rows(["rule_id", "severity", "source_row", "value"]) == [
        ["RD0009", "error", 3, "4,5"]
    ]
    message = raw.findings.frame["message"].iloc[0]
    assert message.startswith("a.csv:3: 2 field(s), fewer than the header's 3")


def test_unquoted_line_break_gives_two_short_rows(tmp_path):
    _write(tmp_path, "a.csv", b"A,B,C\n1,NEUTRO\nPENIA,3\n")
    raw = read_raw_file(tmp_path, "a.csv")
    assert raw.rows_in == 2
    assert raw.frame.empty
    assert raw.findings.rows(["rule_id", "source_row"]) == [["RD0009", 2], ["RD0009", 3]]


@pytest.mark.parametrize(
    ("data", "detail"),
    [(b"", "0 bytes"), (b"\n\n  \n", "only blank lines")],
    ids=["zero-bytes", "blank-lines"],
)
def test_empty_file_says_it_is_empty(tmp_path, data, detail):
    _write(tmp_path, "edc/ae.csv", data)
    raw = read_raw_file(tmp_path, "edc/ae.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id", "source_file"]) == [["RD0002", "edc/ae.csv"]]
    message = raw.findings.frame["message"].iloc[0]
    assert f"the file is empty ({detail})" in message
    assert "No columns to parse" not in message
