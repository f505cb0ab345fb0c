"""The output folder: what an earlier run owns there, where it may be, and an atomic package write.

Three rules keep a run from destroying or faking anything (issue 12):

1. **Delete only what the tool provably wrote.** :func:`inventory_output_folder` takes as the
   earlier run's only the files its ``manifest.json`` lists that are still inside the folder (no
   ``..``, no absolute path, no symbolic link on the way) and whose SHA-256 still matches the
   manifest. Everything else in the folder is left in place and reported
   (:func:`left_findings`, MP0018), whatever its name.
2. **Never write over the inputs.** :func:`check_output_location` refuses an output folder that
   is, or lies inside, or contains, the study or mapping folder.
3. **Never leave a package that looks complete but is not.** :class:`PackageWriter` has the
   run write into a staging folder inside the output folder; :meth:`PackageWriter.commit`
   then removes the old ``manifest.json`` first, replaces the earlier run's files with the new
   ones, and renames the new ``manifest.json`` (listing every file, written and flushed to disk
   after all of them) into place last. A run killed at any moment leaves either the previous
   complete package (killed before the commit; the staging folder is removed by the next run)
   or a folder without ``manifest.json``, which :func:`sdtm.read.manifest.verify_package` and
   readers treat as not a package of this tool.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType, TracebackType

import pandas as pd

from sdtm.errors import ExportError, InputError
from sdtm.export.submission import InputFile, write_manifest
from sdtm.fileio import describe_os_error, fsync_file, fsync_folder
from sdtm.findings import FindingsTable, Stage
from sdtm.read.manifest import (
    DATASET_SUBFOLDERS,
    MANIFEST_FILE,
    FileDigests,
    Manifest,
    ManifestEntry,
    read_manifest,
    resolve_inside,
    safe_relative_path,
    sha256_file,
)

LEFT_RULE = ("MP0018", "output-folder-has-foreign-files", "warning")
"""Rule of a file left in the output folder (id, name, severity; mirrors the YAML). The id is
listed in ``RULE_IDS`` by the module that reports it in a run (the pipeline)."""
STAGING_PREFIX = ".sdtm-staging-"
"""Name prefix of the staging folder a run writes its package into, inside the output folder."""
SWITCH_JOURNAL = ".sdtm-switch.json"
"""Written into the output folder before the switch begins, removed after it ends: it lists
the earlier run's files and the new ones (with their SHA-256), so that the run after a run
killed during the switch can still tell the tool's files from anyone else's."""
STAGING_MARKER = ".sdtm-staging"
"""File written first into every staging folder: only folders holding it are ever removed."""


@dataclass(frozen=True, slots=True)
class LeftFile:
    """A file of the output folder that is not the earlier run's, and so is left in place."""

    path: str
    """Path relative to the output folder (``/`` separators), as found or as listed."""
    reason: str
    """Why it is not taken for the tool's (not listed, changed since, a link, unsafe path)."""


@dataclass(frozen=True, slots=True)
class OutputInventory:
    """What an output folder holds before a run writes into it."""

    out_dir: Path
    """The output folder."""
    owned: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Files the earlier run wrote and nobody changed since: relative path -> SHA-256. The
    earlier ``manifest.json`` itself is included when it could be read."""
    left: tuple[LeftFile, ...] = ()
    """Every other file found (top level, ``json/``, ``ndjson/``) and every manifest entry that
    was not trusted, each with the reason."""


def check_output_location(out_dir: Path, inputs: Mapping[str, Path | None]) -> None:
    """Refuse an output folder that would overlap the inputs of the run.

    Args:
        out_dir: The output folder (``--out``); it need not exist yet.
        inputs: Input folders by what they are, e.g. ``{"study folder": study_dir,
            "mapping folder": mapping_dir}``; ``None`` values are skipped.

    Raises:
        InputError: When ``out_dir`` is an existing file, or is the same folder as an input,
            inside one, or contains one (all compared with symbolic links resolved).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output folder {out_dir} is a file, not a folder; choose a folder")
    out = Path(os.path.realpath(out_dir))
    for label, given in inputs.items():
        if given is None:
            continue
        real = Path(os.path.realpath(given))
        if out == real:
            relation = "is"
        elif out.is_relative_to(real):
            relation = "is inside"
        elif real.is_relative_to(out):
            relation = "contains"
        else:
            continue
        raise InputError(
            f"output folder {out_dir} {relation} the {label} {given}: the run would write "
            "(and clean up) among its input files; choose a separate output folder"
        )


def _found_files(out_dir: Path) -> tuple[list[str], list[LeftFile]]:
    """Files (and links) at the top of the folder and in its Dataset-JSON subfolders."""
    files: list[str] = []
    odd: list[LeftFile] = []
    for sub in ("", *DATASET_SUBFOLDERS):
        where = out_dir / sub if sub else out_dir
        if sub and where.is_symlink():
            odd.append(LeftFile(sub, "a symbolic link where the package's subfolder goes"))
            continue
        if not where.is_dir():
            continue
        for path in sorted(where.iterdir()):
            if path.is_symlink() or path.is_file():
                files.append(path.relative_to(out_dir).as_posix())
    return files, odd


def inventory_output_folder(out_dir: Path) -> OutputInventory:
    """List what an earlier run of the tool owns in ``out_dir`` and what it must leave.

    A file is the earlier run's only when the folder's ``manifest.json`` lists it, its path is
    a plain relative path inside the folder with no symbolic link on the way, it is a regular
    file, and its size and SHA-256 are still those listed. A listed file that no longer exists
    is neither owned nor reported.

    Args:
        out_dir: The output folder (missing: nothing owned, nothing left).

    Returns:
        The owned files with their SHA-256, and every other file with the reason it is left.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return OutputInventory(out_dir)
    owned: dict[str, str] = {}
    left: dict[str, LeftFile] = {}
    records: list[tuple[str, Manifest]] = []
    for name in (MANIFEST_FILE, SWITCH_JOURNAL):
        try:
            listing = read_manifest(out_dir, name)
        except InputError as error:
            left[name] = LeftFile(name, f"not a manifest this tool writes ({error})")
            continue
        if listing is not None:
            owned[name] = sha256_file(out_dir / name)
            records.append((name, listing))
    for name, listing in records:
        for entry in listing.entries:
            if entry.file in owned:
                continue
            reason = _entry_reason(out_dir, entry, name)
            if reason is None:
                owned[entry.file] = str(entry.sha256)
                left.pop(entry.file, None)
            elif reason:
                left.setdefault(entry.file, LeftFile(entry.file, reason))
    manifest = records[0][1] if records and records[0][0] == MANIFEST_FILE else None
    found, odd = _found_files(out_dir)
    for item in odd:
        left.setdefault(item.path, item)
    for path in found:
        if path in owned or path in left:
            continue
        if (out_dir / path).is_symlink():
            reason = "a symbolic link"
        elif manifest is None:
            reason = f"the folder has no {MANIFEST_FILE} of an earlier run listing it"
        else:
            reason = f"not listed by the earlier run's {MANIFEST_FILE}"
        left[path] = LeftFile(path, reason)
    return OutputInventory(out_dir, MappingProxyType(owned), tuple(left.values()))


def _entry_reason(out_dir: Path, entry: ManifestEntry, listed_in: str) -> str | None:
    """Why a listed file is not the tool's (``""``: it no longer exists), ``None`` if it is."""
    unsafe = safe_relative_path(entry.file)
    target = None if unsafe else resolve_inside(out_dir, entry.file)
    if unsafe:
        return (
            f"{listed_in} lists it but it is not inside the output folder ({unsafe}); "
            "nothing is done to it"
        )
    if target is None:
        return "a symbolic link (or below one)"
    if not target.exists():
        return ""
    if not target.is_file():
        return "not a regular file"
    if entry.sha256 is None or sha256_file(target) != entry.sha256:
        return f"changed since the earlier run wrote it (SHA-256 differs from {listed_in})"
    return None


def left_findings(inventory: OutputInventory) -> FindingsTable:
    """Report every file left in the output folder (MP0018), naming path and reason.

    Args:
        inventory: From :func:`inventory_output_folder`.

    Returns:
        One warning per left file; ``value`` is its path relative to the output folder.
    """
    if not inventory.left:
        return FindingsTable()
    rule_id, name, severity = LEFT_RULE
    where = inventory.out_dir.as_posix()
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": rule_id,
                "rule_name": name,
                "severity": severity,
                "stage": Stage.EXPORT.value,
                "value": [item.path for item in inventory.left],
                "message": [
                    f"{where}/{item.path}: left in place, not deleted or overwritten: "
                    f"{item.reason}. It is not part of this run's outputs; move it out of the "
                    f"output folder [{rule_id} {name}]"
                    for item in inventory.left
                ],
            }
        )
    )


def _staged_files(staging: Path) -> list[str]:
    files = []
    for root, _dirs, names in os.walk(staging):
        for name in names:
            path = Path(root) / name
            relative = path.relative_to(staging).as_posix()
            if relative not in (STAGING_MARKER, MANIFEST_FILE):
                files.append(relative)
    return sorted(files)


def _still_owned(out_dir: Path, owned: Mapping[str, str]) -> set[str]:
    """The owned files that are, at this moment, still unchanged and inside the folder."""
    same = set()
    for relative, digest in owned.items():
        target = resolve_inside(out_dir, relative)
        if target is not None and target.is_file() and sha256_file(target) == digest:
            same.add(relative)
    return same


class PackageWriter:
    """Write a package into a staging folder, then switch it into the output folder at once.

    Usage (the pipeline and ``sdtm export``)::

        inventory = inventory_output_folder(out_dir)     # before writing anything
        with PackageWriter(out_dir) as package:
            export_submission(frames, standards, package.staging, ...)
            ...                                          # findings.json, run.json, ... too
            package.commit(inventory, creation_datetime=moment)

    Leaving the ``with`` block without :meth:`commit` (an exception) removes the staging
    folder and leaves the output folder exactly as it was.
    """

    def __init__(self, out_dir: Path) -> None:
        """Prepare to write into ``out_dir`` (created on entry when missing)."""
        self.out_dir = Path(out_dir)
        self._staging: Path | None = None

    @property
    def staging(self) -> Path:
        """The folder to write the package into (inside the output folder, hidden)."""
        if self._staging is None:
            raise ExportError("PackageWriter.staging used outside its 'with' block")
        return self._staging

    def __enter__(self) -> PackageWriter:
        """Create the output folder and a fresh staging folder; remove stale staging folders."""
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExportError(
                describe_os_error(error, "create the output folder", self.out_dir)
            ) from error
        if not self.out_dir.is_dir():
            raise ExportError(f"output folder {self.out_dir} is a file, not a folder")
        for stale in self.out_dir.glob(f"{STAGING_PREFIX}*"):
            # A killed run's staging folder: only one that the tool marked as its own, or an
            # empty one (killed before the marker was written), is removed.
            if stale.is_symlink() or not stale.is_dir():
                continue
            if (stale / STAGING_MARKER).is_file():
                shutil.rmtree(stale, ignore_errors=True)
            elif not any(stale.iterdir()):
                stale.rmdir()
        try:
            self._staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out_dir))
            (self._staging / STAGING_MARKER).write_text("sdtm staging folder\n", encoding="utf-8")
        except OSError as error:
            raise ExportError(describe_os_error(error, "write into", self.out_dir)) from error
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Remove the staging folder (empty after a commit; a failed run's files otherwise)."""
        if self._staging is not None and self._staging.is_dir():
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging = None

    def commit(
        self,
        inventory: OutputInventory,
        *,
        creation_datetime: datetime | None = None,
        records: Mapping[str, int | None] | None = None,
        inputs: Iterable[InputFile] | None = None,
        digests: FileDigests | None = None,
    ) -> tuple[str, ...]:
        """Replace the earlier run's package with the staged one; write ``manifest.json`` last.

        Steps: flush every staged file to disk; write the staged ``manifest.json`` listing
        every staged file (size, SHA-256, records); refuse, changing nothing, when a staged
        file would replace a file of the output folder that is not the earlier run's (or was
        changed since the inventory); remove the earlier ``manifest.json``; remove the earlier
        run's other files; move the staged files in; move ``manifest.json`` in last.

        Args:
            inventory: Taken by :func:`inventory_output_folder` before the run wrote anything.
            creation_datetime: Stamp recorded in the manifest; default the one of a manifest
                ``export_submission`` wrote into the staging folder.
            records: Record count per staged file (relative path), added to those of the
                staged export manifest.
            inputs: The run's input files, whose size and SHA-256 the manifest records.
            digests: SHA-256 already computed (by the export), reused for files unchanged
                since.

        Returns:
            Every file now in the package (relative paths), ``manifest.json`` last.

        Raises:
            ExportError: When a staged file would overwrite a file that is not the earlier
                run's (the output folder is left unchanged), or a file cannot be moved (the
                message names path and operation; the folder then has no ``manifest.json``).
        """
        staging, out_dir = self.staging, self.out_dir
        digests = digests if digests is not None else FileDigests()
        staged = _staged_files(staging)
        exported = read_manifest(staging)
        counts: dict[str, int | None] = {}
        if exported is not None:
            counts.update({entry.file: entry.records for entry in exported.entries})
        counts.update(records or {})
        if creation_datetime is None:
            if exported is None or not exported.creation_datetime:
                raise ExportError("PackageWriter.commit needs creation_datetime")
            creation_datetime = datetime.fromisoformat(exported.creation_datetime)
        try:
            for relative in staged:
                fsync_file(staging / relative)
            write_manifest(
                staging,
                {staging / relative: counts.get(relative) for relative in staged},
                creation_datetime=creation_datetime,
                inputs=inputs,
                digests=digests,
            )
            fsync_file(staging / MANIFEST_FILE)
        except OSError as error:
            raise ExportError(
                describe_os_error(error, "write the package into", staging)
            ) from error
        owned = _still_owned(out_dir, inventory.owned)
        blocked = self._blocked([*staged, MANIFEST_FILE, SWITCH_JOURNAL], owned)
        if blocked:
            shown = "; ".join(blocked[:10]) + ("; ..." if len(blocked) > 10 else "")
            raise ExportError(
                f"not written: {len(blocked)} file(s) of the package would replace files in "
                f"{out_dir} that an earlier run of the tool did not write or that were changed "
                f"since ({shown}). Nothing in the folder was changed; move those files out or "
                "choose an empty output folder"
            )
        self._switch(staged, {name: inventory.owned[name] for name in owned}, digests)
        return (*staged, MANIFEST_FILE)

    def _blocked(self, relatives: Iterable[str], owned: set[str]) -> list[str]:
        blocked = []
        for sub in {Path(r).parts[0] for r in relatives if len(Path(r).parts) > 1}:
            folder = self.out_dir / sub
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                blocked.append(f"{sub}/ is not a plain folder")
        for relative in relatives:
            target = self.out_dir / relative
            if (target.exists() or target.is_symlink()) and relative not in owned:
                blocked.append(relative)
        return blocked

    def _switch(
        self, staged: list[str], owned_digests: Mapping[str, str], digests: FileDigests
    ) -> None:
        staging, out_dir = self.staging, self.out_dir
        owned = set(owned_digests)
        step, path = "write", out_dir / SWITCH_JOURNAL
        try:
            listed = [{"file": name, "sha256": digest} for name, digest in owned_digests.items()]
            listed += [{"file": name, "sha256": digests.sha256(staging / name)} for name in staged]
            journal = staging / SWITCH_JOURNAL
            journal.write_text(json.dumps({"files": listed}, indent=2) + "\n", encoding="utf-8")
            fsync_file(journal)
            os.replace(journal, path)
            fsync_folder(out_dir)
            # From here until the last rename the folder has no manifest.json: a run killed
            # in between leaves a folder that does not look like a complete package.
            step, path = "remove the earlier", out_dir / MANIFEST_FILE
            if MANIFEST_FILE in owned:
                path.unlink(missing_ok=True)
                fsync_folder(out_dir)
            for relative in sorted(owned - {MANIFEST_FILE, SWITCH_JOURNAL}):
                path = out_dir / relative
                path.unlink(missing_ok=True)
            step = "move into place"
            folders = {out_dir}
            for relative in staged:
                path = out_dir / relative
                path.parent.mkdir(exist_ok=True)
                folders.add(path.parent)
                os.replace(staging / relative, path)
            for folder in folders:
                fsync_folder(folder)
            path = out_dir / MANIFEST_FILE
            os.replace(staging / MANIFEST_FILE, path)
            fsync_folder(out_dir)
            step, path = "remove", out_dir / SWITCH_JOURNAL
            path.unlink()
            fsync_folder(out_dir)
        except OSError as error:
            raise ExportError(
                describe_os_error(error, step, path)
                + f"; {out_dir} holds an incomplete package without {MANIFEST_FILE}"
            ) from error
