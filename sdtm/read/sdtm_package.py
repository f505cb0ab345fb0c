"""Read an SDTM package (a folder of SAS transport ``.xpt`` files) into DataFrames.

A transport file does not record its text encoding. Values are decoded with the requested
encoding (UTF-8 by default); a value that is not valid in it is decoded as Windows-1252 (the
usual culprit: curly quotes typed on Windows) and reported as ST0016 with file, record and
variable. A file that cannot be read at all is ST0017; the other files are still read.

Each frame carries in ``frame.attrs``: ``source_file`` (file name), ``dataset_label`` and
``labels`` (variable name -> label), for checks that compare metadata, and per variable
``types`` (``Char`` or ``Num``), ``lengths`` (bytes) and ``formats`` (e.g. ``$12.``, empty when
none), for ``sdtm compare``. The Dataset-JSON reader fills the same keys.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pyreadstat

from sdtm.errors import InputError
from sdtm.findings import FindingsTable
from sdtm.read.dataset_json import read_dataset_json
from sdtm.standards.rules import findings_frame

RULE_IDS: tuple[str, ...] = ("ST0016", "ST0017")
"""Rule ids this module emits."""

FALLBACK_ENCODING = "cp1252"
"""Encoding tried for values that are not valid in the requested one."""

# SAS transport files are written in 80-byte card images (SAS TS-140).
_RECORD_BYTES = 80

# Latin-1 maps every byte to one character, so reading with it never fails and keeps the
# original bytes recoverable (``str.encode("latin-1")``).
_BYTE_PRESERVING = "latin1"


def _decode(raw: str, encoding: str) -> tuple[str, bool]:
    """Decode one latin-1-read value; return (text, needed the fallback)."""
    data = raw.encode(_BYTE_PRESERVING)
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(FALLBACK_ENCODING, errors="replace"), True


def _redecode(frame: pd.DataFrame, encoding: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-decode the non-ASCII values of a latin-1 read; return the frame and fallback rows."""
    out = frame.copy()
    fallbacks = []
    for column in out.columns:
        series = out[column]
        if series.dtype.kind not in "OSU" and not isinstance(series.dtype, pd.StringDtype):
            continue
        text = series.astype("string")
        non_ascii = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False)
        if not non_ascii.any():
            continue
        decoded = text[non_ascii].map(lambda raw: _decode(raw, encoding))
        values = decoded.map(lambda pair: pair[0])
        updated = series.astype("object")
        updated[non_ascii] = values
        out[column] = updated
        needed = decoded.map(lambda pair: pair[1]).astype(bool)
        if needed.any():
            fallbacks.append(
                pd.DataFrame(
                    {
                        "variable": column,
                        "row": needed.index[needed] + 1,
                        "value": values[needed].to_numpy(),
                    }
                )
            )
    rows = pd.concat(fallbacks, ignore_index=True) if fallbacks else pd.DataFrame()
    return out, rows


def _read_xpt(path: Path, encoding: str) -> tuple[pd.DataFrame, object, pd.DataFrame]:
    """Read one file; decoding failures fall back per value (see module docstring)."""
    try:
        frame, meta = pyreadstat.read_xport(str(path), encoding=encoding)
        return frame, meta, pd.DataFrame()
    except (UnicodeDecodeError, pyreadstat.ReadstatError) as error:
        if not _is_encoding_error(error):
            raise
    frame, meta = pyreadstat.read_xport(str(path), encoding=_BYTE_PRESERVING)
    frame, fallback_rows = _redecode(frame, encoding)
    return frame, meta, fallback_rows


def _is_encoding_error(error: Exception) -> bool:
    return isinstance(error, UnicodeDecodeError) or "encoding" in str(error).lower()


def read_sdtm_dataset(
    path: Path, *, encoding: str = "utf-8"
) -> tuple[pd.DataFrame | None, FindingsTable]:
    """Read one ``.xpt`` file.

    Args:
        path: The transport file.
        encoding: Encoding of the text values; values invalid in it fall back to cp1252.

    Returns:
        The frame (``None`` when unreadable) and the read findings (ST0016, ST0017).
    """
    dataset = path.stem.upper()
    try:
        frame, meta, fallback_rows = _read_xpt(path, encoding)
    except (pyreadstat.ReadstatError, OSError, UnicodeDecodeError, ValueError) as error:
        rows = pd.DataFrame({"rule_id": ["ST0017"], "detail": [f"{type(error).__name__}: {error}"]})
        return None, FindingsTable.from_frame(
            findings_frame(rows, dataset=dataset, source_file=path.name)
        )
    frame.attrs["source_file"] = path.name
    frame.attrs["dataset_label"] = getattr(meta, "file_label", None) or ""
    frame.attrs["labels"] = dict(getattr(meta, "column_names_to_labels", {}) or {})
    kinds = dict(getattr(meta, "readstat_variable_types", {}) or {})
    frame.attrs["types"] = {
        name: "Char" if kind == "string" else "Num" for name, kind in kinds.items()
    }
    frame.attrs["lengths"] = dict(getattr(meta, "variable_storage_width", {}) or {})
    # pyreadstat reports the NAMESTR format (name, width and decimals) as the "original type".
    formats = dict(getattr(meta, "original_variable_types", {}) or {})
    frame.attrs["formats"] = {name: text or "" for name, text in formats.items()}
    size = path.stat().st_size
    truncated = FindingsTable()
    if size % _RECORD_BYTES:
        # pyreadstat returns the complete records before a cut without complaint.
        detail = (
            f"file size {size} is not a multiple of {_RECORD_BYTES} bytes: the file looks "
            f"truncated; only {len(frame)} records could be read"
        )
        rows = pd.DataFrame({"rule_id": ["ST0017"], "detail": [detail]})
        truncated = FindingsTable.from_frame(
            findings_frame(rows, dataset=dataset, source_file=path.name)
        )
    if fallback_rows.empty:
        return frame, truncated
    fallback_rows["rule_id"] = "ST0016"
    fallback_rows["detail"] = f"{FALLBACK_ENCODING} (requested {encoding})"
    if "USUBJID" in frame.columns:
        fallback_rows["usubjid"] = frame["USUBJID"].to_numpy()[fallback_rows["row"] - 1]
    fallbacks = FindingsTable.from_frame(
        findings_frame(fallback_rows, dataset=dataset, source_file=path.name)
    )
    return frame, truncated + fallbacks


def read_sdtm_package(
    path: Path, *, encoding: str = "utf-8"
) -> tuple[dict[str, pd.DataFrame], FindingsTable]:
    """Read every ``.xpt`` file of a folder (or one file) into frames keyed by dataset name.

    Args:
        path: A folder of ``.xpt`` files or a single ``.xpt`` file.
        encoding: Encoding of text values (e.g. ``utf-8``, ``cp1252``).

    Returns:
        Frames by upper-case dataset name (file stem) and the read findings.

    Raises:
        InputError: The path does not exist, holds no ``.xpt`` file, or the encoding is unknown.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (try utf-8 or cp1252)") from None
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xpt" and p.is_file())
        if not files:
            files = _dataset_json_files(path)
        if not files:
            raise InputError(
                f"{path}: no .xpt files in this folder (nor Dataset-JSON .json/.ndjson files)"
            )
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"{path}: no such file or folder")
    frames: dict[str, pd.DataFrame] = {}
    tables = []
    for file in files:
        if file.suffix.lower() in _DATASET_JSON_SUFFIXES:
            frame, findings = _read_dataset_json_file(file)
        else:
            frame, findings = read_sdtm_dataset(file, encoding=encoding)
        tables.append(findings)
        if frame is not None:
            frames[file.stem.upper()] = frame
    return frames, FindingsTable.concat(tables)


# Dataset-JSON input (export helper's branch): a folder without .xpt files may hold CDISC
# Dataset-JSON 1.1 files, read by sdtm.read.dataset_json; .json wins over .ndjson of one name.
_DATASET_JSON_SUFFIXES = (".json", ".ndjson")


def _dataset_json_files(folder: Path) -> list[Path]:
    """Return the Dataset-JSON files of a folder, one per dataset name."""
    chosen: dict[str, Path] = {}
    for suffix in _DATASET_JSON_SUFFIXES:
        for file in sorted(folder.glob(f"*{suffix}")):
            chosen.setdefault(file.stem.upper(), file)
    return [chosen[name] for name in sorted(chosen)]


def _read_dataset_json_file(path: Path) -> tuple[pd.DataFrame | None, FindingsTable]:
    """Read one Dataset-JSON file; an unreadable file is ST0017 like an unreadable .xpt."""
    try:
        frame, _ = read_dataset_json(path)
    except InputError as error:
        rows = pd.DataFrame({"rule_id": ["ST0017"], "detail": [str(error)]})
        return None, FindingsTable.from_frame(
            findings_frame(rows, dataset=path.stem.upper(), source_file=path.name)
        )
    return frame, FindingsTable()
