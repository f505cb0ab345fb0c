import subprocess
import sys


def test_python_m_sdtm_help_lists_commands():
    result = subprocess.run(
        [sys.executable, "-m", "sdtm", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_unknown_command_exits_2_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "sdtm", "no-such-command"], capture_output=True, text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
