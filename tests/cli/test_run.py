import hashlib
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


@pytest.mark.parametrize("option", ["--ct-version", "--ct"], ids=["ct-version", "hidden-ct-alias"])
def test_run_ct_version_option_selects_the_ct_package(tmp_path, capsys, option):
    code, _, err = _run([*_tiny_args(tmp_path / "out"), option, "1999-01-01"], capsys)
    assert code == 2
    assert "1999-01-01" in err
    assert "Traceback" not in err


def test_run_help_shows_ct_version_not_the_alias(capsys):
    code, out, _ = _run(["run", "--help"], capsys)
    assert code == 0
    assert "--ct-version" in out
    assert "--ct " not in out


REPO = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_runs_of_a_study_are_byte_identical_without_any_setting(tmp_path, capsys, monkeypatch):
    # No option, no SOURCE_DATE_EPOCH: the stamp is the data_cutoff of the study's study.yaml.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    from sdtm.sample import write_sample

    study = tmp_path / "cart-psca-001"
    write_sample(study, n_subjects=2)
    mapping = str(REPO / "mappings" / "cart-psca-001")
    outs = []
    for name in ("first", "second"):
        code, _, err = _run(
            ["run", str(study), "--mapping", mapping, "--out", str(tmp_path / name)], capsys
        )
        assert code == 0, err
        assert "clock" not in err
        outs.append(tmp_path / name)
    first, second = (_files(out) for out in outs)
    assert "manifest.json" in first and "run.json" in first and "define.xml" in first
    manifest = json.loads(first["manifest.json"])
    assert manifest["creation_datetime"].startswith("2024-10-31")
    assert [f["sha256"] for f in manifest["files"]] == [
        f["sha256"] for f in json.loads(second["manifest.json"])["files"]
    ]
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    run = json.loads(first["run.json"])
    assert (run["creation_datetime"], run["creation_source"]) == (
        "2024-10-31T00:00:00",
        "study.yaml data_cutoff",
    )


@pytest.mark.parametrize(
    ("option", "epoch", "stamp", "source"),
    [
        (["--creation-datetime", "2025-02-03T04:05:06"], "0", "2025-02-03T04:05:06", "given"),
        ([], "86400", "1970-01-02T00:00:00", "given"),
        ([], None, None, "clock"),
    ],
    ids=["option-wins", "source-date-epoch", "clock-with-note"],
)
def test_run_creation_datetime_policy(tmp_path, capsys, monkeypatch, option, epoch, stamp, source):
    # The tiny study's study.yaml sets neither creation_datetime nor data_cutoff.
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    code, _, err = _run([*_tiny_args(tmp_path / "out"), *option], capsys)
    assert code == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["creation_source"] == source
    if stamp is not None:
        assert run["creation_datetime"] == stamp
        assert "clock" not in err
    else:
        assert "the clock is stamped into the files" in err


def test_run_with_a_bad_creation_datetime_exits_2(tmp_path, capsys):
    code, _, err = _run([*_tiny_args(tmp_path / "out"), "--creation-datetime", "yesterday"], capsys)
    assert code == 2
    assert "--creation-datetime 'yesterday' is not an ISO 8601 datetime" in err


def test_rerun_deletes_earlier_outputs_and_warns_about_files_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(_tiny_args(out), capsys)[0] == 0
    (out / "mh.xpt").write_bytes(b"old dataset")
    (out / "old.csv").write_text("a,b\n", encoding="utf-8")
    code, stdout, _ = _run(_tiny_args(out), capsys)
    assert code == 0
    assert "MP0018" in stdout
    assert "2 file(s) this tool did not write" in " ".join(stdout.split())
    assert (out / "mh.xpt").is_file() and (out / "old.csv").is_file()  # never deleted
    listed = {e["file"] for e in json.loads((out / "manifest.json").read_text())["files"]}
    assert "mh.xpt" not in listed
    # A file the previous run's manifest lists, unchanged since (same SHA-256), was written
    # by the tool: the rerun removes it.
    manifest = json.loads((out / "manifest.json").read_text())
    digest = hashlib.sha256(b"old dataset").hexdigest()
    manifest["files"].append({"file": "mh.xpt", "size": 11, "sha256": digest, "records": 0})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, stdout, _ = _run(_tiny_args(out), capsys)
    assert code == 0
    assert not (out / "mh.xpt").exists()
    assert (out / "old.csv").is_file()
    assert "1 file(s) this tool did not write" in " ".join(stdout.split())
    found = json.loads((out / "findings.json").read_text())
    text = json.dumps(found)
    assert "old.csv" in text and "mh.xpt" not in text
