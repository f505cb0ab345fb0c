from pathlib import Path

import pytest
from openpyxl import load_workbook

from sdtm.cli import main

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "mappings" / "cart-psca-001"


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_export_then_import_gives_the_same_spec(tmp_path, capsys):
    workbook = tmp_path / "spec.xlsx"
    code, out, _ = _run(["spec", "export-excel", str(MAPPING), "--out", str(workbook)], capsys)
    assert code == 0
    assert f"wrote {workbook}" in out
    code, out, _ = _run(["spec", "import-excel", str(workbook), "--compare", str(MAPPING)], capsys)
    assert code == 0
    assert f"identical to {MAPPING}" in out


def test_import_reports_a_reviewer_edit(tmp_path, capsys):
    workbook = tmp_path / "spec.xlsx"
    _run(["spec", "export-excel", str(MAPPING), "--out", str(workbook)], capsys)
    book = load_workbook(workbook)
    sheet = book["Codelists"]
    sheet["C2"] = "SOMETHING ELSE"
    book.save(workbook)
    code, _, err = _run(["spec", "import-excel", str(workbook), "--compare", str(MAPPING)], capsys)
    assert code == 1
    assert "differs from" in err


def test_import_can_write_yaml_that_reads_back_identical(tmp_path, capsys):
    workbook = tmp_path / "spec.xlsx"
    _run(["spec", "export-excel", str(MAPPING), "--out", str(workbook)], capsys)
    target = tmp_path / "cart-psca-001"
    code, out, _ = _run(["spec", "import-excel", str(workbook), "--write", str(target)], capsys)
    assert code == 0
    assert f"YAML files to {target}" in out
    code, out, _ = _run(["spec", "import-excel", str(workbook), "--compare", str(target)], capsys)
    assert code == 0
    assert "identical" in out


def test_import_of_a_spec_with_unknown_variable_exits_2(tmp_path, capsys):
    workbook = tmp_path / "spec.xlsx"
    _run(["spec", "export-excel", str(MAPPING), "--out", str(workbook)], capsys)
    book = load_workbook(workbook)
    sheet = book["Variables"]
    sheet["D2"] = "NOTAVAR"
    book.save(workbook)
    code, _, err = _run(["spec", "import-excel", str(workbook)], capsys)
    assert code == 2
    assert "spec.xlsx:Variables:2: AE.NOTAVAR is not a variable of AE" in err
