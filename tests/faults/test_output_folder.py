"""Output-folder hazards (issue 12): nothing outside the tool's own files is ever deleted.

Regression cases of the fault corpus: ``--out`` pointed at the raw EDC folder deleted ``ae.csv``,
``cm.csv``, ``dm.csv`` and ``ds.csv``; user files named like datasets were deleted; a stale
manifest naming a path through a symlink deleted a file outside ``--out``. The pipeline wiring
comes with issue 9; these tests hold the functions it calls (``sdtm.export.output_folder``).
"""

import os
from datetime import datetime
from pathlib import Path

import pytest

from sdtm.errors import ExportError, InputError
from sdtm.export.output_folder import (
    PackageWriter,
    check_output_location,
    inventory_output_folder,
    left_findings,
)

RAW_EDC = {
    "ae.csv": b"STUDYID,SUBJID,AETERM\nS1,001,Headache\n",
    "cm.csv": b"STUDYID,SUBJID,CMTRT\nS1,001,Aspirin\n",
    "dm.csv": b"STUDYID,SUBJID,SEX\nS1,001,F\n",
    "ds.csv": b"STUDYID,SUBJID,DSTERM\nS1,001,COMPLETED\n",
}
NEW_PACKAGE = {
    "ae.xpt": b"new ae transport file",
    "json/ae.json": b'{"new": "ae"}',
    "findings.json": b'{"findings": []}',
}


def _write_package(out: Path, files: dict[str, bytes]) -> tuple[str, ...]:
    inventory = inventory_output_folder(out)
    with PackageWriter(out) as package:
        for relative, data in files.items():
            target = package.staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return package.commit(inventory, creation_datetime=datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("raw", "is the study folder"),
        ("raw/edc", "is inside the study folder"),
        ("mappings/tiny", "is the mapping folder"),
        (".", "contains the study folder"),
    ],
    ids=["out-is-raw", "out-inside-raw", "out-is-mapping", "out-contains-raw"],
)
def test_out_overlapping_an_input_is_refused(tmp_path, monkeypatch, out, message):
    (tmp_path / "raw" / "edc").mkdir(parents=True)
    (tmp_path / "mappings" / "tiny").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    inputs = {"study folder": Path("raw"), "mapping folder": Path("mappings/tiny")}
    with pytest.raises(InputError, match=message):
        check_output_location(Path(out), inputs)


def test_out_through_a_symlink_to_the_raw_folder_is_refused(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "raw")
    with pytest.raises(InputError, match="is the study folder"):
        check_output_location(tmp_path / "alias", {"study folder": tmp_path / "raw"})


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output_location(tmp_path / "out", {"study folder": tmp_path / "raw"})


def test_separate_out_is_accepted(tmp_path):
    check_output_location(tmp_path / "out", {"study folder": tmp_path / "raw", "other": None})


def test_out_at_the_raw_folder_deletes_nothing(tmp_path, kit):
    """Acceptance: --out pointed at the raw folder deletes nothing (function level).

    Even past the location check, a folder of raw files owns nothing: every file is reported
    and the package that would overwrite ``ae.csv`` (a dataset written as CSV) is refused.
    """
    raw = tmp_path / "raw"
    kit.write_files(raw, RAW_EDC)
    inventory = inventory_output_folder(raw)
    assert dict(inventory.owned) == {}
    assert [(f.path, f.reason) for f in inventory.left] == [
        (name, "the folder has no manifest.json of an earlier run listing it")
        for name in sorted(RAW_EDC)
    ]
    found = left_findings(inventory)
    assert found.rows(["rule_id", "severity", "value"]) == [
        ["MP0018", "warning", name] for name in sorted(RAW_EDC)
    ]
    assert "raw/ae.csv: left in place, not deleted or overwritten" in found.rows(["message"])[0][0]
    with pytest.raises(ExportError, match=r"would replace files .* \(ae\.csv\)"):
        _write_package(raw, {**NEW_PACKAGE, "ae.csv": b"SDTM AE as CSV"})
    assert kit.snapshot(raw) == RAW_EDC  # nothing deleted, nothing written, no staging left
    assert sorted(p.name for p in raw.iterdir()) == sorted(RAW_EDC)


def test_files_beside_a_package_are_kept(tmp_path, kit):
    raw = tmp_path / "raw"
    kit.write_files(raw, RAW_EDC)
    written = _write_package(raw, NEW_PACKAGE)
    assert written == ("ae.xpt", "findings.json", "json/ae.json", "manifest.json")
    files = kit.snapshot(raw)
    assert files.pop("manifest.json").startswith(b'{\n  "creation_datetime": "2024-01-01T00:00:00"')
    assert files == {**RAW_EDC, **NEW_PACKAGE}


def test_earlier_run_files_are_replaced_and_dropped_ones_deleted(tmp_path, kit):
    out = tmp_path / "out"
    earlier = {"ae.xpt": b"old ae", "mh.xpt": b"old mh", "findings.json": b"old findings"}
    kit.write_files(out, earlier)
    kit.write_manifest(out, earlier)
    inventory = inventory_output_folder(out)
    assert sorted(inventory.owned) == ["ae.xpt", "findings.json", "manifest.json", "mh.xpt"]
    assert inventory.left == ()
    _write_package(out, NEW_PACKAGE)
    files = kit.snapshot(out)
    # mh.xpt was the earlier run's and is not produced now: it goes.
    assert sorted(files) == ["ae.xpt", "findings.json", "json/ae.json", "manifest.json"]
    assert files["ae.xpt"] == b"new ae transport file"


def test_user_file_named_like_a_dataset_is_kept_and_blocks_the_write(tmp_path, kit):
    out = tmp_path / "out"
    earlier = {"findings.json": b"old findings"}
    kit.write_files(out, {**earlier, "ae.xpt": b"the user's own ae.xpt"})
    kit.write_manifest(out, earlier)
    inventory = inventory_output_folder(out)
    assert [(f.path, f.reason) for f in inventory.left] == [
        ("ae.xpt", "not listed by the earlier run's manifest.json")
    ]
    with pytest.raises(ExportError, match="would replace files"):
        _write_package(out, NEW_PACKAGE)
    assert (out / "ae.xpt").read_bytes() == b"the user's own ae.xpt"
    assert (out / "findings.json").read_bytes() == b"old findings"  # folder left unchanged


def test_file_changed_since_the_earlier_run_is_not_deleted(tmp_path, kit):
    out = tmp_path / "out"
    earlier = {"mh.xpt": b"old mh"}
    kit.write_files(out, earlier)
    kit.write_manifest(out, earlier)
    (out / "mh.xpt").write_bytes(b"edited by hand")
    inventory = inventory_output_folder(out)
    assert [(f.path, f.reason) for f in inventory.left] == [
        ("mh.xpt", "changed since the earlier run wrote it (SHA-256 differs from manifest.json)")
    ]
    _write_package(out, NEW_PACKAGE)
    assert (out / "mh.xpt").read_bytes() == b"edited by hand"


@pytest.mark.parametrize(
    "listed",
    ["link/secret.csv", "../outside/secret.csv", "ABSOLUTE"],
    ids=["through-symlinked-folder", "dot-dot", "absolute"],
)
def test_stale_manifest_cannot_delete_outside_out(tmp_path, kit, listed):
    outside = tmp_path / "outside"
    secret = b"subject-level data outside --out"
    kit.write_files(outside, {"secret.csv": secret})
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    path = str(outside / "secret.csv") if listed == "ABSOLUTE" else listed
    # The entry even carries the right size and SHA-256: a tampered or stale manifest.
    kit.write_manifest(out, {}, **{path: {"size": len(secret), "sha256": kit.sha256(secret)}})
    inventory = inventory_output_folder(out)
    assert path not in inventory.owned
    assert path in [f.path for f in inventory.left]
    _write_package(out, NEW_PACKAGE)
    assert (outside / "secret.csv").read_bytes() == secret


def test_symlinked_file_in_out_is_neither_owned_nor_followed(tmp_path, kit):
    outside = tmp_path / "outside.xpt"
    outside.write_bytes(b"keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ae.xpt").symlink_to(outside)
    kit.write_manifest(out, {"ae.xpt": b"keep me"})
    inventory = inventory_output_folder(out)
    assert "ae.xpt" not in inventory.owned
    with pytest.raises(ExportError, match="would replace files"):
        _write_package(out, NEW_PACKAGE)
    assert outside.read_bytes() == b"keep me"
    assert os.path.islink(out / "ae.xpt")


def test_rule_docs_writer_deletes_only_stale_rule_pages(tmp_path):
    from sdtm.validate.registry import load_rules, write_rule_docs

    rules = load_rules(Path(__file__).resolve().parents[2] / "specs" / "rules")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "architecture.md").write_text("the user's page")  # `--write-docs docs` by mistake
    (docs / "XR9999.md").write_text("a page of a rule that no longer exists")
    write_rule_docs(rules, docs)
    assert (docs / "architecture.md").read_text() == "the user's page"
    assert not (docs / "XR9999.md").exists()
