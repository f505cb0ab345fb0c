"""`sdtm run` end to end: the output folder never takes the inputs with it (issue 12).

The fault that started issue 12: `--out` pointed at the folder holding the raw EDC files deleted
ae.csv, cm.csv, dm.csv and ds.csv. These cases run the whole CLI on copies of the tiny study.
"""

import shutil

import pytest


@pytest.fixture
def tiny_study(tmp_path, kit):
    raw = tmp_path / "raw"
    mapping = tmp_path / "mapping"
    shutil.copytree(kit.tiny / "raw", raw)
    shutil.copytree(kit.tiny / "mappings" / "tiny", mapping)
    return raw, mapping


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("raw", "is the study folder"),
        ("raw/edc", "inside the study folder"),
        ("mapping", "is the mapping folder"),
    ],
    ids=["out-is-raw-folder", "out-inside-raw-folder", "out-is-mapping-folder"],
)
def test_out_at_an_input_folder_is_refused_and_deletes_nothing(
    tiny_study, tmp_path, kit, capsys, where, message
):
    raw, mapping = tiny_study
    before = kit.snapshot(tmp_path)
    code, _, err = kit.run_cli(
        ["run", str(raw), "--mapping", str(mapping), "--out", str(tmp_path / where)], capsys
    )
    assert code == 2
    assert message in " ".join(err.split())
    assert kit.snapshot(tmp_path) == before


def test_files_named_like_datasets_in_out_are_never_deleted_or_overwritten(
    tiny_study, tmp_path, kit, capsys
):
    raw, mapping = tiny_study
    out = tmp_path / "out"
    user_files = {
        "ae.csv": b"user's own AE listing\n",
        "dm.csv": b"user's own DM listing\n",
        "ae.xpt": b"not a dataset the tool wrote",
        "notes.txt": b"keep me",
    }
    kit.write_files(out, user_files)
    code, stdout, err = kit.run_cli(
        ["run", str(raw), "--mapping", str(mapping), "--out", str(out)], capsys
    )
    after = kit.snapshot(out)
    # Either the run refuses (exit 2, nothing changed) or it writes around the files; in both
    # cases every user file is still there, byte for byte.
    assert {name: after.get(name) for name in user_files} == user_files
    if code == 2:
        assert "not written" in " ".join(err.split())
        assert after == user_files
    else:
        assert "MP0018" in stdout
