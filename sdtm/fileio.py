"""Writing files so that a failure never leaves a partial one, and OS errors a user can act on.

Every file the tool writes goes to a temporary file in the target's folder first, is flushed to
disk (``fsync``) and then renamed over the target (``os.replace``, atomic on POSIX and Windows
within one file system). A full disk, a killed process or a read-only folder therefore leaves
either the old file or no file, never half a report. An ``OSError`` becomes an
:class:`~sdtm.errors.ExportError` (or :class:`~sdtm.errors.InputError` for reading) whose message
names the operation and the path, which the CLI prints as one line with exit code 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sdtm.errors import ExportError

_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder, not a file",
}


def describe_os_error(error: OSError, operation: str, path: Path | str | None = None) -> str:
    """Return one line naming the operation, the path and the reason of an ``OSError``.

    Args:
        error: The error raised by the operating system.
        operation: What was being done, as a verb phrase (``write``, ``create the folder``).
        path: The path concerned; default the error's own ``filename``.

    Returns:
        For example ``cannot write out/findings.json: No space left on device (the disk is
        full)``.
    """
    where = path if path is not None else (error.filename or "(unknown path)")
    reason = error.strerror or str(error) or type(error).__name__
    hint = _HINTS.get(error.errno or -1)
    extra = f" ({hint})" if hint and hint.lower() != reason.lower() else ""
    return f"cannot {operation} {where}: {reason}{extra}"


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames, new files) to disk where the platform allows it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def fsync_file(path: Path) -> None:
    """Flush one file's content to disk."""
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


@contextlib.contextmanager
def atomic_path(target: Path, *, operation: str = "write") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The caller writes the whole file to the yielded path (with any library: ``to_csv``,
    ``workbook.save``, ``write_text``). When the block ends without an exception the file is
    flushed to disk, given the permissions a new file would get (``0666`` less the umask) and
    renamed over ``target``. When the block raises, the temporary file is removed and
    ``target`` is left as it was.

    Args:
        target: The file to write.
        operation: What is being done, for the error message (``write report``).

    Yields:
        The temporary path to write to.

    Raises:
        ExportError: When the temporary file cannot be created, written or renamed; the message
            names the operation and the path.
    """
    target = Path(target)
    folder = target.parent
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise ExportError(describe_os_error(error, operation, target)) from error
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        fsync_file(temp)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except OSError as error:
        raise ExportError(describe_os_error(error, operation, target)) from error
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    fsync_folder(folder)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through :func:`atomic_path`."""
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def atomic_write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` through :func:`atomic_path` (line ends kept as given)."""
    atomic_write_bytes(target, text.encode(encoding))
