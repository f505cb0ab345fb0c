import shutil
from pathlib import Path

import pytest

from sdtm.cli import main

CT_TXT = ("ct", "sdtm-ct-2025-03-28", "SDTM Terminology.txt")


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_ct_import_writes_the_committed_package(
    reference_dir: Path, repo_dir: Path, tmp_path: Path, capsys
) -> None:
    shutil.copytree(repo_dir / "specs" / "sdtmig-3.4", tmp_path / "sdtmig-3.4")
    export = reference_dir.joinpath(*CT_TXT)
    args = ["ct", "import", str(export), "--date", "2025-03-28", "--specs", str(tmp_path)]
    assert run_cli(args) == 0
    assert "wrote 78 codelists" in capsys.readouterr().err
    committed = repo_dir / "specs" / "ct" / "2025-03-28"
    for path in sorted(committed.rglob("*.*")):
        relative = path.relative_to(committed)
        new = tmp_path / "ct" / "2025-03-28" / relative
        assert new.read_bytes() == path.read_bytes(), relative


def test_ct_import_bad_date_exits_2(reference_dir: Path, tmp_path: Path, capsys) -> None:
    export = reference_dir.joinpath(*CT_TXT)
    args = ["ct", "import", str(export), "--date", "28.03.2025", "--specs", str(tmp_path)]
    assert run_cli(args) == 2
    assert "is not YYYY-MM-DD" in " ".join(capsys.readouterr().err.split())


def test_ct_import_without_ig_specs_exits_2(reference_dir: Path, tmp_path: Path, capsys) -> None:
    export = reference_dir.joinpath(*CT_TXT)
    args = ["ct", "import", str(export), "--date", "2025-03-28", "--specs", str(tmp_path)]
    assert run_cli(args) == 2
    assert "no sdtmig-3.4/domains/*.yaml" in " ".join(capsys.readouterr().err.split())
