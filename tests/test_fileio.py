import os
import stat

import pytest

from sdtm.errors import ExportError
from sdtm.fileio import atomic_path, atomic_write_text


def test_atomic_write_replaces_the_file_with_normal_permissions(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_failure_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(ValueError, match="boom"), atomic_path(target) as temp:
        temp.write_text("half")
        raise ValueError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_missing_folder_is_an_export_error_naming_the_path(tmp_path):
    with pytest.raises(ExportError, match=r"cannot write .*missing/report\.json: No such file"):
        atomic_write_text(tmp_path / "missing" / "report.json", "x")
