import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sdtm.errors import InputError
from sdtm.standards.ct_import import EVS_COLUMNS, read_evs_export, write_ct_package

CT_TXT = ("ct", "sdtm-ct-2025-03-28", "SDTM Terminology.txt")


@pytest.fixture
def specs_copy(repo_dir: Path, tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(repo_dir / "specs" / "sdtmig-3.4", specs / "sdtmig-3.4")
    return specs


def test_import_reproduces_committed_package(
    reference_dir: Path, repo_dir: Path, specs_copy: Path
) -> None:
    result = write_ct_package(reference_dir.joinpath(*CT_TXT), "2025-03-28", specs_copy)
    assert result.missing == ()
    committed = repo_dir / "specs" / "ct" / "2025-03-28"
    new = sorted(p.relative_to(result.package_dir) for p in result.package_dir.rglob("*.*"))
    assert new == sorted(p.relative_to(committed) for p in committed.rglob("*.*"))
    for relative in new:
        assert (result.package_dir / relative).read_bytes() == (committed / relative).read_bytes()


def _tiny_export() -> pd.DataFrame:
    rows = [
        [
            "C66742",
            "",
            "No",
            "No Yes Response",
            "NY",
            "No Yes Response",
            "A yes/no term.",
            "Yes No",
        ],
        ["C49487", "C66742", "", "No Yes Response", "N", "No", "Negative.", "No"],
        ["C49488", "C66742", "", "No Yes Response", "Y", "Yes", "Affirmative.", "Yes"],
        ["C66731", "", "No", "Sex", "SEX", "Sex", "Sex of a person.", "Sex"],
        ["C20197", "C66731", "", "Sex", "M", "Male", "Male.", "Male"],
    ]
    return pd.DataFrame(rows, columns=list(EVS_COLUMNS))


def test_import_reads_excel_exports(tmp_path: Path, specs_copy: Path) -> None:
    workbook = tmp_path / "SDTM Terminology.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.DataFrame({"About": ["readme"]}).to_excel(writer, sheet_name="README", index=False)
        _tiny_export().to_excel(writer, sheet_name="SDTM Terminology 2099-01-01", index=False)
    result = write_ct_package(workbook, "2099-01-01", specs_copy)
    assert (result.codelist_count, result.term_count) == (2, 3)
    assert "UNIT" in result.missing  # the tiny export lacks most wanted codelists
    document = json.loads((result.package_dir / "codelists" / "C66742.json").read_text())
    assert document["terms"] == [
        {"code": "C49487", "submission_value": "N", "synonyms": ["No"],
         "preferred_term": "No", "definition": "Negative."},
        {"code": "C49488", "submission_value": "Y", "synonyms": ["Yes"],
         "preferred_term": "Yes", "definition": "Affirmative."},
    ]  # fmt: skip


def test_read_evs_export_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.txt"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not an NCI EVS CT export; missing columns"):
        read_evs_export(path)


def test_import_rejects_bad_date(tmp_path: Path, specs_copy: Path) -> None:
    with pytest.raises(InputError, match=r"--date '2025/03/28' is not YYYY-MM-DD"):
        write_ct_package(tmp_path / "x.txt", "2025/03/28", specs_copy)


@pytest.mark.parametrize(
    ("date", "problem"),
    [
        ("2025-13-40", "is not a calendar date"),
        ("2025-02-30", "is not a calendar date"),
        ("2025-00-10", "is not a calendar date"),
        ("2025-3-28", "is not YYYY-MM-DD"),
    ],
    ids=["month-13-day-40", "feb-30", "month-0", "unpadded"],
)
def test_import_rejects_impossible_dates_before_writing(
    tmp_path: Path, specs_copy: Path, date: str, problem: str
) -> None:
    with pytest.raises(InputError, match=rf"--date '{date}' {problem}"):
        write_ct_package(tmp_path / "x.txt", date, specs_copy)
    assert not (specs_copy / "ct" / date).exists()


def test_cli_import_impossible_date_exits_2(reference_dir: Path, tmp_path: Path, capsys) -> None:
    from sdtm.cli import main

    export = reference_dir.joinpath(*CT_TXT)
    with pytest.raises(SystemExit) as exit_info:
        main(["ct", "import", str(export), "--date", "2025-13-40", "--specs", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "'2025-13-40' is not a calendar date" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "ct").exists()
