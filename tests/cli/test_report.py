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


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tiny"
    with pytest.raises(SystemExit):
        main(["run", str(TINY / "raw"), "--mapping", str(TINY / "mappings" / "tiny"),
              "--out", str(out)])  # fmt: skip
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


def test_run_with_report_writes_the_page_next_to_the_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["run", str(TINY / "raw"), "--mapping", str(TINY / "mappings" / "tiny"),
            "--out", str(out), "--report"]  # fmt: skip
    code, _, err = _run(args, capsys)
    assert code == 0
    # beside the output folder: a file inside it would be MP0018 in the next run
    page = tmp_path / "out-report.html"
    assert page.is_file()
    assert not (out / "report.html").exists()
    assert f"report: wrote {page} (" in err
    # a second run finds no foreign file in its output folder (MP0018)
    _run(args, capsys)
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert [f for f in findings if f["rule_id"] == "MP0018"] == []
