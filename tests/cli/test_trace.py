from pathlib import Path

import pytest

from sdtm.cli import main

TINY = Path(__file__).resolve().parents[1] / "mapping" / "fixtures" / "tiny"


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("trace") / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "run",
                str(TINY / "raw"),
                "--mapping",
                str(TINY / "mappings" / "tiny"),
                "--out",
                str(out),
            ]
        )
    assert exit_info.value.code == 0
    return out


def test_trace_prints_the_raw_row_of_a_record(tiny_out, capsys):
    # AE records of TINY-01-001 by start date: 2024-01 (line 2) then 2024-03-12 (line 1)
    code, out, _ = _run(
        ["trace", "TINY-01-001", "AE", "2", "--study", str(TINY / "raw"), "--out", str(tiny_out)],
        capsys,
    )
    assert code == 0
    assert "TINY-01-001 AE 2 <- 1 raw row(s)" in out
    assert "edc/ae.csv:2" in out
    assert "AETERM = Headache" in out


def test_trace_dm_without_seq(tiny_out, capsys):
    code, out, _ = _run(
        ["trace", "TINY-01-002", "DM", "--study", str(TINY / "raw"), "--out", str(tiny_out)], capsys
    )
    assert code == 0
    assert "edc/dm.csv:3" in out


def test_trace_unknown_record_exits_2(tiny_out, capsys):
    code, _, err = _run(
        ["trace", "TINY-09-999", "AE", "1", "--study", str(TINY / "raw"), "--out", str(tiny_out)],
        capsys,
    )
    assert code == 2
    assert "no TINY-09-999 AE 1 record" in err
    assert "Traceback" not in err


def test_trace_without_a_run_exits_2(tmp_path, capsys):
    code, _, err = _run(["trace", "X", "AE", "1", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert "run `sdtm run` first" in err
