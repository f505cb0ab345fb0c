"""Clear I/O errors (issue 12): path and operation named, exit 2, no traceback, no partial file.

From the fault corpus: out being a file, a read-only folder and a full disk came out as
"internal error" without the path; a report written to a full disk printed a traceback.
"""

import errno
import os

import pandas as pd
import pyreadstat
import pytest

import sdtm.cli.validate
import sdtm.standards
from sdtm.errors import ExportError
from sdtm.export.output_folder import PackageWriter
from sdtm.fileio import atomic_write_text, describe_os_error


@pytest.fixture
def package(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    frame = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["TE"], "ETCD": ["A"]})
    pyreadstat.write_xport(frame, str(folder / "te.xpt"), file_format_version=5, table_name="TE")
    return folder


def _disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_report_to_a_full_disk_fails_cleanly_and_leaves_no_file(package, tmp_path, kit, capsys,
                                                                monkeypatch):  # fmt: skip
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setattr(os, "fsync", _disk_full)  # the flush before the rename fails
    code, _, err = kit.run_cli(
        ["validate", str(package), "--format", "csv", "--output", str(reports / "f.csv")], capsys
    )
    message = err
    assert code == 2
    assert f"cannot write report {reports / 'f.csv'}: No space left on device" in message
    assert "(the disk is full)" in message and "Traceback" not in err
    assert list(reports.iterdir()) == []  # neither the report nor a temporary file


def test_existing_report_is_kept_when_the_new_one_cannot_be_written(tmp_path, monkeypatch):
    target = tmp_path / "findings.json"
    target.write_text("previous report")
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(ExportError, match=r"cannot write .*findings\.json: No space left"):
        atomic_write_text(target, "new report")
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json"]


def test_report_path_that_is_a_folder_is_a_clear_error(package, tmp_path, kit, capsys):
    code, _, err = kit.run_cli(
        ["validate", str(package), "--format", "json", "--output", str(tmp_path)], capsys
    )
    assert code == 2  # the option parser refuses it before anything is read
    assert "is a directory" in err and "Traceback" not in err


def test_out_that_is_a_file_names_the_path(package, tmp_path, kit, capsys):
    out = tmp_path / "out"
    out.write_text("a file")
    code, _, err = kit.run_cli(
        ["export", "xpt", str(package), "--out", str(out),
         "--creation-datetime", "2024-01-01T00:00:00"],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert f"output folder {out} is a file, not a folder" in err.replace("\n", "")
    assert out.read_text() == "a file"


def test_run_with_out_that_is_a_file_exits_2_naming_the_path(tmp_path, kit, capsys):
    out = tmp_path / "out"
    out.write_text("a file")
    code, _, err = kit.run_cli(
        ["run", str(kit.tiny / "raw"), "--mapping", str(kit.tiny / "mappings" / "tiny"),
         "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert str(out) in err.replace("\n", "") and "Traceback" not in err
    assert out.read_text() == "a file"


def test_read_only_output_folder_names_path_and_operation(tmp_path, monkeypatch):
    # Simulated (the suite may run as root, which writes anywhere): creating the staging
    # folder in --out is refused by the operating system.
    def refused(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / "out"))

    (tmp_path / "out").mkdir()
    monkeypatch.setattr("tempfile.mkdtemp", refused)
    with pytest.raises(ExportError, match=rf"cannot write into {tmp_path / 'out'}: Permission"):
        PackageWriter(tmp_path / "out").__enter__()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_really_read_only_output_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(ExportError, match=rf"cannot write into {out}: Permission denied"):
            PackageWriter(out).__enter__()
    finally:
        out.chmod(0o755)


def test_unwrapped_os_error_is_one_line_with_the_path(package, kit, capsys, monkeypatch):
    def unreadable(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/specs/sdtmig-3.4")

    # sdtm validate imports load_standards when it runs (lazy CLI imports, issue 13).
    monkeypatch.setattr(sdtm.standards, "load_standards", unreadable)
    code, _, err = kit.run_cli(["validate", str(package)], capsys)
    assert code == 2
    assert "error: cannot read or write /srv/specs/sdtmig-3.4: Permission denied" in err
    assert "internal error" not in err and "Traceback" not in err
    code, _, err = kit.run_cli(["--debug", "validate", str(package)], capsys)
    assert code == 2 and "Traceback" in err


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"),
         "cannot write out/a.xpt: No space left on device (the disk is full)"),
        (OSError(errno.EROFS, "Read-only file system"),
         "cannot write out/a.xpt: Read-only file system"),
        (OSError(errno.ENOTDIR, "Not a directory"),
         "cannot write out/a.xpt: Not a directory (a part of the path is a file, not a folder)"),
    ],
    ids=["disk-full", "read-only", "not-a-folder"],
)  # fmt: skip
def test_describe_os_error(error, expected):
    assert describe_os_error(error, "write", "out/a.xpt") == expected
