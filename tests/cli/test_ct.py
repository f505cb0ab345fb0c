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
    assert "wrote 76 codelists" in capsys.readouterr().err
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


def test_ct_search_prints_term_codelist_and_extensibility(capsys) -> None:
    # NCI EVS: Y (C49488) of NY (C66742, not extensible), synonym Yes.
    assert run_cli(["ct", "search", "yes", "--codelist", "NY"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "NY (C66742) │ no │ C49488 │ Y │ Yes │ synonym" in out


def test_ct_search_without_a_match_exits_0_and_says_so(capsys) -> None:
    assert run_cli(["ct", "search", "zzqqxx"]) == 0
    assert "no term of CT 2025-03-28 matches 'zzqqxx'" in capsys.readouterr().err


def test_ct_search_unknown_codelist_exits_2(capsys) -> None:
    assert run_cli(["ct", "search", "x", "--codelist", "NOPE"]) == 2
    assert "codelist 'NOPE' is not in CT package" in " ".join(capsys.readouterr().err.split())
