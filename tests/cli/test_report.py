import json
from pathlib import Path

import pytest

from sdtm.cli import main

TINY = Path(__file__).resolve().parents[1] / "mapping" / "fixtures" / "tiny"


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def _run_args(out: Path) -> list[str]:
    return ["run", str(TINY / "raw"), "--mapping", str(TINY / "mappings" / "tiny"),
            "--out", str(out), "--report"]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory):
    """`sdtm run --report` of the tiny study (the report tests below reuse its output)."""
    out = tmp_path_factory.mktemp("tiny") / "tiny"
    with pytest.raises(SystemExit) as exit_info:
        main(_run_args(out))
    assert exit_info.value.code == 0
    return out


def test_report_writes_one_html_file(tiny_out, tmp_path, capsys):
    target = tmp_path / "review.html"
    code, _, err = _run(["report", str(tiny_out), "--out", str(target)], capsys)
    assert code == 0
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "SDTM review: TINY" in html
    assert "report: wrote" in err and "finding(s)" in err


def test_report_default_file_is_beside_the_package(tiny_out, capsys):
    code, _, err = _run(["report", str(tiny_out)], capsys)
    assert "tiny-report.html" in err
    assert code == 0
    assert (tiny_out.parent / "tiny-report.html").is_file()
    assert not (tiny_out / "report.html").exists()


def test_report_unknown_subject_exits_2_and_names_it(tiny_out, tmp_path, capsys):
    args = ["report", str(tiny_out), "--out", str(tmp_path / "r.html"), "--subject", "NOPE-1"]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert "not in DM: NOPE-1" in err
    assert not (tmp_path / "r.html").exists()


def test_report_missing_folder_exits_2(tmp_path, capsys):
    code, _, err = _run(["report", str(tmp_path / "nothing")], capsys)
    assert code == 2
    assert "package folder not found" in err


def test_report_broken_review_settings_exit_2(tiny_out, tmp_path, capsys):
    settings = tmp_path / "review.yaml"
    settings.write_text("review: {panels: [{title: x}]}\n", encoding="utf-8")
    args = ["report", str(tiny_out), "--out", str(tmp_path / "r.html"), "--config", str(settings)]
    code, _, err = _run(args, capsys)
    assert code == 2
    assert "'domain' is required" in err


def test_run_with_report_writes_the_page_beside_the_outputs(tiny_out, capsys):
    # beside the output folder: a file inside it would be MP0018 in the next run
    page = tiny_out.parent / "tiny-report.html"
    assert page.is_file()
    assert not (tiny_out / "report.html").exists()
    code, _, err = _run(_run_args(tiny_out), capsys)
    assert code == 0
    assert f"report: wrote {page} (" in err
    # the second run finds no foreign file in its output folder (MP0018)
    findings = json.loads((tiny_out / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert [f for f in findings if f["rule_id"] == "MP0018"] == []
