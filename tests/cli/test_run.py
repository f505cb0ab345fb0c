from pathlib import Path

import pytest

from sdtm.cli import main

TINY = Path(__file__).resolve().parents[1] / "mapping" / "fixtures" / "tiny"


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def _tiny_args(out: Path) -> list[str]:
    return [
        "run",
        str(TINY / "raw"),
        "--mapping",
        str(TINY / "mappings" / "tiny"),
        "--out",
        str(out),
    ]


def test_run_completes_with_exit_0_and_prints_the_summary(tmp_path, capsys):
    code, out, _ = _run(_tiny_args(tmp_path / "out"), capsys)
    assert code == 0
    assert "Raw rows: in = mapped + reported" in out
    # per-file count line: rows in, mapped, reported, check
    assert "edc/notes.csv │       1 │      0 │        1 │    ok" in out
    assert "edc/ae.csv    │       4 │      4 │        0 │    ok" in out
    assert "Findings:" in out and "error" in out
    assert (tmp_path / "out" / "findings.json").is_file()
    assert (tmp_path / "out" / "lineage.csv").is_file()


def test_run_fail_on_error_exits_1_when_errors_exist(tmp_path, capsys):
    code, _, _ = _run([*_tiny_args(tmp_path / "out"), "--fail-on", "error"], capsys)
    assert code == 1


def test_run_with_a_broken_spec_exits_2_and_names_file_and_line(tmp_path, capsys):
    mapping = tmp_path / "tiny"
    mapping.mkdir()
    for path in (TINY / "mappings" / "tiny").iterdir():
        (mapping / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    ae = mapping / "ae.yaml"
    ae.write_text(
        ae.read_text(encoding="utf-8").replace(
            "assign_no_ct, source: AETERM", "assign_text, source: AETERM"
        ),
        encoding="utf-8",
    )
    args = ["run", str(TINY / "raw"), "--mapping", str(mapping), "--out", str(tmp_path / "o")]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert "tiny/ae.yaml:7: AE.AETERM: unknown algorithm 'assign_text'" in err
    assert "Traceback" not in err


def test_run_on_a_missing_study_folder_exits_2(tmp_path, capsys):
    code, _, err = _run(
        ["run", str(tmp_path / "nope"), "--mapping", str(TINY / "mappings" / "tiny")], capsys
    )
    assert code == 2
    assert "study folder not found" in err
