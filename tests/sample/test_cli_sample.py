"""`sdtm sample` command (sdtm/cli/sample.py)."""

import subprocess
import sys

from click.testing import CliRunner

from sdtm.cli import build_app


def test_sample_command_writes_files_and_lists_row_counts(tmp_path):
    result = CliRunner().invoke(build_app(), ["sample", "--subjects", "3", "--seed", "5",
                                              "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "edc/dm.csv\t3" in result.output
    assert (tmp_path / "edc" / "ld.xlsx").is_file()


def test_sample_command_rejects_zero_subjects_with_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sdtm", "sample", "--subjects", "0", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--subjects" in result.stderr


def test_progress_goes_to_stderr_and_stdout_stays_parseable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sdtm", "sample", "--subjects", "2", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 15
    assert all(len(line.split("\t")) == 2 for line in lines)
    assert "subjects" in result.stderr
