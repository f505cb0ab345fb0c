import json
import shutil
from pathlib import Path

import pytest

from sdtm.cli import main


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


@pytest.fixture
def small_package(pilot_dir: Path, tmp_path: Path) -> Path:
    """DM, TA, TE and TV of the pilot: warnings (DM lacks ARMNRS, ACTARMUD), no errors."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name in ("dm.xpt", "ta.xpt", "te.xpt", "tv.xpt"):
        shutil.copy(pilot_dir / name, folder / name)
    return folder


@pytest.fixture
def scrnfail_waivers(tmp_path: Path) -> Path:
    """Waive the pilot's SDTMIG 3.2-style screen-failure arm code (DM.ARMCD/ACTARMCD 'Scrnfail'
    is not an arm of TA: XR0002/XR0003 errors since the cross-dataset rules run in validate)."""
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        "  - rule: XR000[23]\n"
        "    scope: {dataset: DM, value: Scrnfail}\n"
        "    reason: Pilot data follows SDTMIG 3.2 for screen failures.\n"
        "    approved_by: test\n",
        encoding="utf-8",
    )
    return path


def test_json_report_on_pilot_files(pilot_dir: Path, tmp_path: Path, capsys) -> None:
    # The whole pilot is validated in tests/validate/test_package.py; here three of its files
    # (one per kind of error) keep the CLI test fast.
    folder = tmp_path / "pilot"
    folder.mkdir()
    for name in ("dm.xpt", "sv.xpt", "ts.xpt"):
        shutil.copy(pilot_dir / name, folder / name)
    output = tmp_path / "pilot.json"
    code = run_cli(["validate", str(folder), "--format", "json", "--output", str(output)])
    document = json.loads(output.read_text(encoding="utf-8"))
    assert code == 1  # SV.EPOCH and two non-ASCII TSVAL values, see test_package.py
    assert document["tool"]["name"] == "sdtm"
    assert {k: document["standards"][k] for k in ("sdtmig", "ct")} == {
        "sdtmig": "3.4",
        "ct": "2025-03-28",
    }
    assert document["summary"]["by_severity"]["error"] == 3
    ts_rows = [
        (f["rule_id"], f["source_file"], f["row"], f["variable"])
        for f in document["findings"]
        if f["dataset"] == "TS" and f["rule_id"] == "ST0016"
    ]
    assert ts_rows == [("ST0016", "ts.xpt", 8, "TSVAL"), ("ST0016", "ts.xpt", 28, "TSVAL")]
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", 0), ("warning", 1), ("notice", 1)],
    ids=["error", "warning", "notice"],
)
def test_fail_on_sets_exit_code(
    small_package: Path, scrnfail_waivers: Path, fail_on: str, expected: int, capsys
) -> None:
    args = ["validate", str(small_package), "--fail-on", fail_on]
    assert run_cli([*args, "--waivers", str(scrnfail_waivers)]) == expected
    out = capsys.readouterr().out
    assert "SDTMIG 3.4, CT 2025-03-28; datasets: DM (306), TA (11), TE (7), TV (21)" in out


def test_json_to_stdout_is_parseable(small_package: Path, scrnfail_waivers: Path, capsys) -> None:
    args = ["validate", str(small_package), "--format", "json"]
    assert run_cli([*args, "--waivers", str(scrnfail_waivers)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["by_severity"]["error"] == 0
    assert document["summary"]["waived"] == 104  # 52 screen failures x ARMCD, ACTARMCD


def test_text_report_groups_findings(pilot_dir: Path, capsys) -> None:
    assert run_cli(["validate", str(pilot_dir / "ts.xpt")]) == 1
    out = capsys.readouterr().out
    assert "ST0011" in out and "ST0016" in out
    assert "Findings: 2 error" in out


def test_encoding_option(pilot_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "ts.json"
    args = ["validate", str(pilot_dir / "ts.xpt"), "--encoding", "cp1252", "--format", "json"]
    assert run_cli([*args, "--output", str(output)]) == 1
    rule_ids = {f["rule_id"] for f in json.loads(output.read_text())["findings"]}
    assert "ST0016" not in rule_ids and "ST0011" in rule_ids


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no/such/folder"], "no such file or folder"),
        (["validate", ".", "--ct-version", "1999-01-01"], "CT package 1999-01-01 not found"),
        (["validate", ".", "--encoding", "klingon"], "unknown encoding"),
    ],
    ids=["missing-path", "unknown-ct", "unknown-encoding"],
)
def test_usage_errors_exit_2_without_traceback(
    pilot_dir: Path, args: list[str], message: str, capsys
) -> None:
    args = [str(pilot_dir) if a == "." else a for a in args]
    assert run_cli(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err


def test_corrupt_file_is_reported_not_crashed(small_package: Path, capsys) -> None:
    (small_package / "zz.xpt").write_bytes(b"\x00" * 999)
    assert run_cli(["validate", str(small_package)]) == 1
    out = capsys.readouterr().out
    assert "ST0017" in out


def _record_run(folder: Path, waivers: Path) -> None:
    """Make ``folder`` look like an `sdtm run` output that applied ``waivers``."""
    shutil.copy(waivers, folder / "waivers.yaml")
    (folder / "run.json").write_text(json.dumps({"waivers": "waivers.yaml"}), encoding="utf-8")


def _waived(captured) -> list[tuple[str, bool]]:
    document = json.loads(captured.out)
    return sorted(
        {(f["rule_id"], bool(f.get("waived"))) for f in document["findings"]
         if f["rule_id"] in ("XR0002", "XR0003")}
    )


def test_validate_a_run_folder_applies_the_waivers_the_run_recorded(
    small_package, scrnfail_waivers, capsys
):
    # Issue 10: `sdtm validate OUT` on a run's output folder applies the run's waivers.
    _record_run(small_package, scrnfail_waivers)
    run_cli(["validate", str(small_package), "--format", "json"])
    captured = capsys.readouterr()
    assert _waived(captured) == [("XR0002", True), ("XR0003", True)]
    assert "applying the waivers the run recorded" in captured.err


def test_validate_a_folder_without_a_run_record_applies_no_waivers(small_package, capsys):
    run_cli(["validate", str(small_package), "--format", "json"])
    assert _waived(capsys.readouterr()) == [("XR0002", False), ("XR0003", False)]


def test_a_run_record_pointing_outside_the_folder_is_ignored(
    small_package, scrnfail_waivers, capsys
):
    (small_package / "run.json").write_text(
        json.dumps({"waivers": str(scrnfail_waivers)}), encoding="utf-8"
    )
    run_cli(["validate", str(small_package), "--format", "json"])
    assert _waived(capsys.readouterr()) == [("XR0002", False), ("XR0003", False)]
