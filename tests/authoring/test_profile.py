"""``sdtm profile``: column kinds, dates (ambiguity flagged), numbers, units, CT, encodings."""

import json

import pytest
from openpyxl import Workbook, load_workbook

from sdtm.authoring.profile import detect_date, profile_study
from sdtm.cli import main

DATES = """\
SUBJID,VISDAT,EUDAT,USDAT,AESTDAT,AESTTIM,RESULT,SEX,UNIT
001,03/04/2024,25/04/2024,04/25/2024,12 MAR 2024,08:30,1.5,Male,mg/dL
002,05/06/2024,03/04/2024,03/04/2024,UN JAN 2024,14:05,<0.5,Female,g/L
003,12/11/2023,13/11/2023,11/13/2023,01 FEB 2023,,3,Male,mg/dL
"""


def _column(profile, file, name):
    item = next(f for f in profile.files if f.path == file)
    return item.column(name)


@pytest.fixture
def profiled(study, index, names):
    folder = study({"edc/dates.csv": DATES})
    return profile_study(folder, index, names, ct_version="2025-03-28")


def test_day_month_ambiguous_column_is_flagged_not_guessed(profiled):
    # No day above 12 in 03/04/2024, 05/06/2024, 12/11/2023: 3 April or 4 March.
    column = _column(profiled, "edc/dates.csv", "VISDAT")
    assert column.kind == "date"
    assert column.date.ambiguous is True
    assert column.date.chosen is None
    assert set(column.date.formats) == {"DD/MM/YYYY", "MM/DD/YYYY"}
    assert column.flags[0].startswith(
        "ambiguous date: every value fits both DD/MM/YYYY and MM/DD/YYYY"
    )


@pytest.mark.parametrize(
    ("name", "chosen"),
    [("EUDAT", "DD/MM/YYYY"), ("USDAT", "MM/DD/YYYY"), ("AESTDAT", "DD MON YYYY")],
    ids=["day-above-12-first", "day-above-12-second", "month-name"],
)
def test_a_day_above_12_or_a_month_name_decides_the_format(profiled, name, chosen):
    column = _column(profiled, "edc/dates.csv", name)
    assert (column.date.ambiguous, column.date.chosen) == (False, chosen)
    assert column.flags == ()


def test_partial_dates_are_counted(profiled):
    assert _column(profiled, "edc/dates.csv", "AESTDAT").date.partial == 1  # UN JAN 2024


def test_kinds_fill_numbers_units_and_codelists(profiled):
    time = _column(profiled, "edc/dates.csv", "AESTTIM")
    assert (time.kind, time.filled, time.rows) == ("time", 2, 3)
    result = _column(profiled, "edc/dates.csv", "RESULT")
    assert result.kind == "text"
    assert (result.numeric.minimum, result.numeric.maximum) == (1.5, 3.0)
    assert result.numeric.non_numeric == ("<0.5",)
    assert round(result.numeric.share, 3) == 0.667
    unit = _column(profiled, "edc/dates.csv", "UNIT")
    assert unit.units == ("g/L", "mg/dL")
    sex = _column(profiled, "edc/dates.csv", "SEX")
    assert [(m.short_name, m.share, dict(m.shares)) for m in sex.codelists][:1] == [
        ("SEX", 1.0, {"synonym": 1.0})
    ]
    assert sex.top == (("Male", 2), ("Female", 1))


def test_latin1_file_is_flagged(study, index, names):
    # "Fièvre" written in ISO-8859-1: byte E8 is not UTF-8.
    folder = study({"edc/ae.csv": "SUBJID,AETERM\n001,Fi\xe8vre\n002,Toux\n".encode("latin-1")})
    item = profile_study(folder, index, names).files[0]
    assert item.encoding == "not UTF-8: 1 line(s) read as Windows-1252 / ISO-8859-1 (Latin-1)"
    assert item.problems == {"RD0003": 1}
    assert item.flags[0].startswith("not UTF-8: 1 line(s)")
    term = item.column("AETERM")
    assert term.top[0] == ("Fièvre", 1)  # decoded, and its non-ASCII character flagged
    assert term.non_ascii == 1


def test_xlsx_files_are_profiled_too(study, index, names, tmp_path):
    folder = study({"edc/dm.csv": "SUBJID,SEX\n001,M\n"})
    book = Workbook()
    sheet = book.active
    sheet.append(["SUBJID", "ROUTE"])
    sheet.append(["001", "INTRAVENOUS"])
    book.save(folder / "edc" / "ex.xlsx")
    profile = profile_study(folder, index, names)
    assert [f.path for f in profile.files] == ["edc/dm.csv", "edc/ex.xlsx"]
    route = profile.files[1].column("ROUTE")
    assert route.codelists[0].short_name == "ROUTE"
    assert route.codelists[0].shares == {"exact": 1.0}


def test_plain_years_are_not_a_date_column():
    assert detect_date({"2019": 3, "2020": 1}) is None


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_cli_writes_json_with_the_flags(study, tmp_path, capsys):
    folder = study(
        {"edc/dates.csv": DATES, "lab/l1.csv": "SUBJECT,RES\n001,Fi\xe8vre\n".encode("latin-1")}
    )
    target = tmp_path / "profile.json"
    code, out, _ = _run(["profile", str(folder), "--out", str(target)], capsys)
    assert code == 0
    assert "AMBIGUOUS DD/MM or MM/DD" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    files = {f["file"]: f for f in data["files"]}
    visdat = next(c for c in files["edc/dates.csv"]["columns"] if c["name"] == "VISDAT")
    assert visdat["date"]["ambiguous"] is True
    assert files["lab/l1.csv"]["reading_findings"] == {"RD0003": 1}
    assert files["lab/l1.csv"]["subject_column"] == "SUBJECT"


def test_cli_writes_a_workbook(study, tmp_path, capsys):
    folder = study({"edc/dates.csv": DATES})
    target = tmp_path / "profile.xlsx"
    code, _, _ = _run(["profile", str(folder), "--out", str(target)], capsys)
    assert code == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Files", "Columns"]
    rows = list(book["Columns"].iter_rows(values_only=True))
    header = rows[0]
    visdat = next(r for r in rows if r[1] == "VISDAT")
    assert visdat[header.index("Ambiguous Date")] == "yes"


def test_cli_refuses_another_output_format(study, tmp_path, capsys):
    folder = study({"edc/dates.csv": DATES})
    code, _, err = _run(["profile", str(folder), "--out", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "--out must end in .json or .xlsx" in err
