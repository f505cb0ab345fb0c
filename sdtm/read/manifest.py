"""A package's ``manifest.json``: reading it, and checking that it matches the files.

The exporter writes ``manifest.json`` last, listing every file of the package with its size,
SHA-256 and record count, so a package with a manifest is a complete one. Before a package is
validated or exported again, :func:`verify_package` checks that every file it lists is there,
inside the folder, unchanged, and that no dataset file lies beside it unlisted: a package cut
short (disk full, killed run, a truncated copy) or changed by hand is refused instead of being
read as if complete.

Paths in a manifest are only trusted when they stay inside the package folder:
:func:`safe_relative_path` refuses absolute paths, drive letters, backslashes and ``..``, and
:func:`resolve_inside` refuses a path that passes through a symbolic link.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sdtm.errors import InputError

MANIFEST_FILE = "manifest.json"
"""File name of the manifest in a package folder."""
DATASET_SUBFOLDERS = ("json", "ndjson")
"""Subfolders of a package that hold Dataset-JSON (``json/*.json``, ``ndjson/*.ndjson``)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One file a manifest lists."""

    file: str
    """Path relative to the package folder, ``/`` separators, as written in the manifest."""
    size: int | None
    """Size in bytes; ``None`` when the manifest gives none (then it cannot be checked)."""
    sha256: str | None
    """SHA-256 of the content in hex; ``None`` when the manifest gives none."""
    records: int | None
    """Number of records of a dataset file; ``None`` for other files."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed ``manifest.json``."""

    creation_datetime: str
    """The time stamped into the files, as written."""
    entries: tuple[ManifestEntry, ...]
    """Every file listed, in the order written."""


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's content (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileDigests:
    """SHA-256 of files, each computed once while the file stays as it was.

    A run hashes its outputs for the export's manifest, again for the package's manifest and
    again for the switch journal, and its inputs twice: over a gigabyte of reading for a
    10,000-subject study. A digest is reused only while the file's size and modification time
    (nanoseconds) are those it was computed at; otherwise the file is read again.
    """

    def __init__(self) -> None:
        self.known: dict[Path, tuple[int, int, str]] = {}
        """Path -> (size, modification time in ns, SHA-256) of each file hashed."""

    def sha256(self, path: Path) -> str:
        """The SHA-256 of ``path``'s content (hex)."""
        status = path.stat()
        stamp = (status.st_size, status.st_mtime_ns)
        entry = self.known.get(path)
        if entry is not None and entry[:2] == stamp:
            return entry[2]
        digest = sha256_file(path)
        self.known[path] = (*stamp, digest)
        return digest

    def add(self, other: FileDigests) -> None:
        """Take the digests ``other`` computed (in a worker process, say)."""
        self.known.update(other.known)


def safe_relative_path(text: str) -> str | None:
    """Return why a manifest path is not a plain relative path inside the folder, or ``None``.

    Refused: empty paths, absolute paths (``/x``, ``C:x``), backslashes (Windows separators),
    ``..`` and ``.`` components and empty components (``a//b``).
    """
    if not text:
        return "empty path"
    if "\\" in text or "\x00" in text:
        return "backslash or NUL character in the path"
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return "absolute path"
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "'..', '.' or an empty component in the path"
    return None


def resolve_inside(folder: Path, relative: str) -> Path | None:
    """Return ``folder/relative`` if no component of it is a symbolic link, else ``None``.

    ``relative`` must already pass :func:`safe_relative_path`. The check compares the real path
    (all links resolved) with the path built from the folder's real path, so a link anywhere
    below the folder (file or subfolder, even one pointing inside) makes it ``None``.
    """
    base = Path(os.path.realpath(folder))
    candidate = base.joinpath(*PurePosixPath(relative).parts)
    if Path(os.path.realpath(candidate)) != candidate:
        return None
    return candidate


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_manifest(folder: Path, name: str = MANIFEST_FILE) -> Manifest | None:
    """Read ``folder/manifest.json`` (or another file of the same format named ``name``).

    Returns:
        The manifest, or ``None`` when the folder has none.

    Raises:
        InputError: When the file exists but is not a manifest this tool writes (not JSON,
            not an object with a ``files`` list of entries naming a ``file``).
    """
    path = Path(folder) / name
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise InputError(f"{path}: not a regular file (a link or a folder); refused")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a JSON manifest ({error})") from error
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        raise InputError(f"{path}: not a manifest of this tool (no 'files' list)")
    entries = []
    for number, item in enumerate(files, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("file"), str):
            raise InputError(f"{path}: entry {number} of 'files' names no 'file'")
        sha = item.get("sha256")
        entries.append(
            ManifestEntry(
                file=item["file"],
                size=_int_or_none(item.get("size")),
                sha256=sha if isinstance(sha, str) else None,
                records=_int_or_none(item.get("records")),
            )
        )
    return Manifest(str(document.get("creation_datetime", "")), tuple(entries))


def entry_problem(folder: Path, entry: ManifestEntry) -> str | None:
    """Return why a listed file does not match its entry, or ``None`` when it matches.

    A file matches when its path is a plain relative path inside ``folder`` (no link on the
    way), it is a regular file, and its size and SHA-256 are the ones listed. An entry without
    a SHA-256 never matches: the file cannot be shown to be the one written.
    """
    unsafe = safe_relative_path(entry.file)
    if unsafe is not None:
        return f"{entry.file!r}: {unsafe}, outside the package folder; not trusted"
    target = resolve_inside(folder, entry.file)
    if target is None:
        return f"{entry.file}: passes through a symbolic link; not trusted"
    if not target.is_file():
        return f"{entry.file}: listed in {MANIFEST_FILE} but missing"
    if entry.sha256 is None:
        return f"{entry.file}: {MANIFEST_FILE} gives no SHA-256 for it"
    size = target.stat().st_size
    if entry.size is not None and size != entry.size:
        return (
            f"{entry.file}: {size} bytes, {MANIFEST_FILE} lists {entry.size} (cut short or changed)"
        )
    if sha256_file(target) != entry.sha256:
        return f"{entry.file}: content differs from its SHA-256 in {MANIFEST_FILE} (changed)"
    return None


def dataset_files(folder: Path) -> tuple[str, ...]:
    """Return the dataset files of a package folder (relative, sorted), links included.

    They are the ``.xpt`` files at the top of the folder, ``json/*.json`` and
    ``ndjson/*.ndjson``: the files ``sdtm validate`` and ``sdtm export`` read as datasets.
    """
    found = []
    for sub, suffix in (("", ".xpt"), *((name, f".{name}") for name in DATASET_SUBFOLDERS)):
        where = folder / sub if sub else folder
        if not where.is_dir() or where.is_symlink():
            continue
        found.extend(
            path.relative_to(folder).as_posix()
            for path in where.iterdir()
            if path.suffix.lower() == suffix and (path.is_file() or path.is_symlink())
        )
    return tuple(sorted(found))


def verify_package(folder: Path) -> tuple[bool, tuple[str, ...]]:
    """Check a package folder against its ``manifest.json``.

    Args:
        folder: The package folder.

    Returns:
        Whether the folder has a manifest, and every mismatch found: a listed file missing,
        cut short, changed, outside the folder or behind a link, and a dataset file of the
        folder (see :func:`dataset_files`) that the manifest does not list. A folder without a
        manifest gives ``(False, ())``: it is a plain folder of datasets, not a package this
        tool wrote.

    Raises:
        InputError: When ``manifest.json`` exists but cannot be read as a manifest.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        return False, ()
    problems = [p for entry in manifest.entries if (p := entry_problem(folder, entry))]
    listed = {entry.file for entry in manifest.entries}
    problems.extend(
        f"{path}: dataset file not listed in {MANIFEST_FILE} (added after the package was written)"
        for path in dataset_files(folder)
        if path not in listed
    )
    return True, tuple(problems)


def listed_records(folder: Path) -> dict[str, int]:
    """Return the record count the manifest lists per file (relative path), if any."""
    manifest = read_manifest(folder)
    if manifest is None:
        return {}
    return {e.file: e.records for e in manifest.entries if e.records is not None}
