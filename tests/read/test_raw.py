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
