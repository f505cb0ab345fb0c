import io
from pathlib import Path

import pytest
from rich.console import Console

from sdtm.cli.progress import StageProgress

TINY = Path(__file__).resolve().parents[1] / "mapping" / "fixtures" / "tiny"


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=terminal, width=120, color_system=None), stream


def test_plain_output_has_one_line_per_finished_stage_and_the_throughput():
    console, stream = _console(terminal=False)
    with StageProgress(console, "sdtm run") as progress:
        progress("reading raw files")
        progress("mapping")
    progress.print_throughput(1000, 1500)
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:2]] == [
        "sdtm run: reading raw files",
        "sdtm run: mapping",
    ]
    assert lines[2].startswith("sdtm run: 1,000 raw rows -> 1,500 SDTM records in ")
    assert lines[2].endswith(" records/s)")


@pytest.mark.parametrize("terminal", [False, True], ids=["plain", "terminal"])
def test_quiet_shows_nothing(terminal):
    console, stream = _console(terminal)
    with StageProgress(console, "sdtm run", enabled=False) as progress:
        progress("mapping")
        progress("mapping", done=10, total=20)
    progress.print_throughput(1, 1)
    assert stream.getvalue() == ""


def test_terminal_bar_counts_records_when_the_stage_reports_them():
    console, stream = _console(terminal=True)
    with StageProgress(console, "sdtm run") as progress:
        progress("validating", done=0, total=2000)
        progress("validating", done=2000, total=2000)
        progress("exporting")
    text = stream.getvalue()
    assert "sdtm run: validating" in text
    assert "2,000/2,000 records" in text
    assert "records/s" in text
    assert "sdtm run: exporting" in text


def test_run_command_quiet_keeps_stderr_empty(tmp_path, capsys):
    from sdtm.cli import main

    with pytest.raises(SystemExit) as stop:
        main(
            [
                "run",
                str(TINY / "raw"),
                "--mapping",
                str(TINY / "mappings" / "tiny"),
                "--out",
                str(tmp_path / "out"),
                "--creation-datetime",
                "2025-01-01T00:00:00",
                "--quiet",
            ]
        )
    captured = capsys.readouterr()
    assert stop.value.code == 0, captured.err
    assert captured.err == ""
    assert "Findings:" in captured.out
