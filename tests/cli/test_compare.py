"""``sdtm compare`` on the command line: exit codes 0/1/2, options, report files."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from sdtm.cli import main
from sdtm.cli.compare import parse_keys
from sdtm.errors import InputError


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


@pytest.fixture
def packages(pilot_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Pilot DM and TA as base; compare has one AGE changed and TA unchanged."""
    base, other = tmp_path / "base", tmp_path / "other"
    base.mkdir()
    other.mkdir()
    for name in ("dm.xpt", "ta.xpt"):
        shutil.copy(pilot_dir / name, base / name)
    shutil.copy(pilot_dir / "ta.xpt", other / "ta.xpt")
    frame, meta = pyreadstat.read_xport(str(pilot_dir / "dm.xpt"))
    frame.loc[0, "AGE"] = frame.loc[0, "AGE"] + 1
    pyreadstat.write_xport(
        frame,
        str(other / "dm.xpt"),
        table_name="DM",
        column_labels=meta.column_names_to_labels,
        file_format_version=5,
    )
    return base, other


def test_identical_exits_0(packages) -> None:
    base, _ = packages
    assert run_cli(["compare", str(base), str(base)]) == 0


def test_datasets_filter_decides_what_is_compared(packages, capsys) -> None:
    base, other = packages
    assert run_cli(["compare", str(base), str(other), "--datasets", "TA"]) == 0
    assert run_cli(["compare", str(base), str(other), "--datasets", "dm,ta"]) == 1
    assert "DIFFERENT: 1 of 2 dataset(s) differ: DM" in capsys.readouterr().out


def test_ignore_makes_the_difference_disappear(packages) -> None:
    base, other = packages
    # pyreadstat wrote no formats and minimal lengths: ignore every variable that differs.
    output = base.parent / "c.json"
    run_cli(["compare", str(base), str(other), "--format", "json", "--output", str(output)])
    document = json.loads(output.read_text(encoding="utf-8"))
    variables = {r["variable"] for r in document["attributes"]} | {
        r["variable"] for r in document["values"] if r["differences"]
    }
    assert "AGE" in variables
    assert run_cli(["compare", str(base), str(other), "--ignore", ",".join(variables)]) == 0


def test_tolerance_option(packages) -> None:
    base, other = packages
    dm = ["--datasets", "DM", "--ignore", "AGE"]
    assert run_cli(["compare", str(base), str(base), *dm, "--tolerance", "0"]) == 0
    # AGE changed by exactly 1: equal with tolerance 1 only.
    output = base.parent / "c.json"
    run_cli(["compare", str(base), str(other), "--datasets", "DM", "--tolerance", "1",
             "--format", "json", "--output", str(output)])  # fmt: skip
    values = json.loads(output.read_text(encoding="utf-8"))["values"]
    assert [r["differences"] for r in values if r["variable"] == "AGE"] == [0]


@pytest.mark.parametrize("output_format", ["xlsx", "html", "json", "text"])
def test_report_file_is_written(packages, tmp_path, output_format) -> None:
    base, other = packages
    output = tmp_path / f"report.{output_format}"
    code = run_cli(
        ["compare", str(base), str(other), "--format", output_format, "--output", str(output)]
    )
    assert code == 1
    assert output.stat().st_size > 0


def test_json_to_stdout(packages, capsys) -> None:
    base, _ = packages
    assert run_cli(["compare", str(base), str(base), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["identical"] is True


def test_no_fail_on_diff(packages) -> None:
    base, other = packages
    assert run_cli(["compare", str(base), str(other), "--no-fail-on-diff"]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{base}", "{missing}"], "no such file or folder"),
        (["{base}", "{base}", "--datasets", "LB"], "--datasets: LB in neither package"),
        (["{base}", "{base}", "--keys", "DM=USUBJID,NOPE"], "--keys for DM: NOPE not a variable"),
        (["{base}", "{base}", "--format", "xlsx"], "--format xlsx needs --output FILE"),
        (["{base}", "{base}", "--tolerance", "-1"], "tolerance must be a number >= 0"),
        (["{base}", "{broken}"], "cannot read dm.xpt"),
    ],
    ids=["missing-path", "unknown-dataset", "unknown-key", "xlsx-no-output", "negative-tol",
         "unreadable-file"],
)  # fmt: skip
def test_errors_exit_2_with_a_message_and_no_traceback(
    packages, tmp_path, capsys, arguments, message
) -> None:
    base, _ = packages
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "dm.xpt").write_bytes(b"not a transport file" * 10)
    paths = {"base": base, "missing": tmp_path / "nope", "broken": broken}
    code = run_cli(["compare", *(a.format(**paths) for a in arguments)])
    stderr = capsys.readouterr().err
    assert code == 2
    assert message in " ".join(stderr.split())
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("auto",), "auto"),
        (("USUBJID,lbtestcd",), {"*": ["USUBJID", "LBTESTCD"]}),
        (("LB=USUBJID,LBTESTCD", "ae=USUBJID,AETERM"),
         {"LB": ["USUBJID", "LBTESTCD"], "AE": ["USUBJID", "AETERM"]}),
    ],
    ids=["auto", "all", "per-dataset"],
)  # fmt: skip
def test_parse_keys(values, expected) -> None:
    assert parse_keys(values) == expected


def test_parse_keys_twice_for_one_dataset() -> None:
    with pytest.raises(InputError, match="--keys given twice for LB"):
        parse_keys(("LB=USUBJID", "LB=LBTESTCD"))


def test_help_lists_compare() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sdtm", "--help"], capture_output=True, text=True, check=False
    )
    assert "compare" in result.stdout


def test_python_api_is_the_same_code_path(packages) -> None:
    import sdtm

    base, other = packages
    result = sdtm.compare(base, other)
    assert result.values.loc[result.values["variable"] == "AGE", "differences"].tolist() == [1]
    assert isinstance(result.datasets, pd.DataFrame)


def test_docs_synopsis_options_exist(repo_dir: Path, capsys) -> None:
    text = (repo_dir / "docs" / "compare.md").read_text(encoding="utf-8")
    synopsis = text.split("```")[1]
    documented = set(re.findall(r"--[a-z][a-z-]+", synopsis))
    assert run_cli(["compare", "--help"]) == 0
    shown = set(re.findall(r"--[a-z][a-z-]+", capsys.readouterr().out))
    assert documented <= shown, documented - shown
    assert len(documented) >= 13
