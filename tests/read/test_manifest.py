import hashlib
import json

import pytest

from sdtm.errors import InputError
from sdtm.read.manifest import read_manifest, resolve_inside, safe_relative_path, verify_package


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("ae.xpt", None),
        ("json/ae.json", None),
        ("", "empty path"),
        ("/etc/passwd", "absolute path"),
        ("C:/data/ae.xpt", "absolute path"),
        ("json\\ae.json", "backslash or NUL character in the path"),
        ("../ae.xpt", "'..', '.' or an empty component in the path"),
        ("json//ae.json", "'..', '.' or an empty component in the path"),
        ("./ae.xpt", "'..', '.' or an empty component in the path"),
    ],
    ids=["plain", "subfolder", "empty", "absolute", "drive", "backslash", "dot-dot", "empty-part",
         "dot"],
)  # fmt: skip
def test_safe_relative_path(path, problem):
    assert safe_relative_path(path) == problem


def test_resolve_inside_refuses_links(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.xpt").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert resolve_inside(tmp_path, "real/a.xpt") == (tmp_path / "real" / "a.xpt").resolve()
    assert resolve_inside(tmp_path, "link/a.xpt") is None  # even a link pointing inside


def test_verify_package(tmp_path):
    assert verify_package(tmp_path) == (False, ())
    data = b"xpt bytes"
    (tmp_path / "ae.xpt").write_bytes(data)
    (tmp_path / "dm.xpt").write_bytes(b"not listed")
    entry = {"file": "ae.xpt", "size": 9, "sha256": hashlib.sha256(data).hexdigest()}
    missing = {"file": "lb.xpt", "size": 1, "sha256": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({"files": [entry, missing]}))
    assert verify_package(tmp_path) == (
        True,
        (
            "lb.xpt: listed in manifest.json but missing",
            "dm.xpt: dataset file not listed in manifest.json (added after the package was "
            "written)",
        ),
    )


@pytest.mark.parametrize(
    "text", ["{", "[]", '{"files": {}}', '{"files": [{"size": 1}]}'],
    ids=["not-json", "not-object", "files-not-list", "entry-without-file"],
)  # fmt: skip
def test_manifest_that_is_not_ours_is_an_input_error(tmp_path, text):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError, match="manifest"):
        read_manifest(tmp_path)


def test_file_digests_are_reused_while_the_file_is_unchanged_and_redone_after(tmp_path):
    import hashlib
    import os

    from sdtm.read.manifest import FileDigests

    target = tmp_path / "lb.xpt"
    target.write_bytes(b"first content")
    digests = FileDigests()
    first = digests.sha256(target)
    assert first == hashlib.sha256(b"first content").hexdigest()
    # Same size and time stamp: the recorded digest is reused without reading the file.
    status = target.stat()
    target.write_bytes(b"other content")
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert digests.sha256(target) == first
    # A newer time stamp (or another size): the file is read again.
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    assert digests.sha256(target) == hashlib.sha256(b"other content").hexdigest()
    target.write_bytes(b"longer content than before")
    assert digests.sha256(target) == hashlib.sha256(b"longer content than before").hexdigest()
    merged = FileDigests()
    merged.add(digests)
    assert merged.known == digests.known
