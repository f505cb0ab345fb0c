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
from sdtm.read.manifest import (
    MANIFEST_FILE,
    Manifest,
    listed_records,
    read_manifest,
    verify_package,
)
from sdtm.read.xpt_v5 import check_xpt_file, iter_xpt_columns
from sdtm.standards.rules import findings_frame

RULE_IDS: tuple[str, ...] = ("ST0016", "ST0017", "ST0021", "ST0022")
"""Rule ids this module emits."""

FALLBACK_ENCODING = "cp1252"
"""Encoding tried for values that are not valid in the requested one."""

# Formats of numbers that pyreadstat reads as numbers (it turns date, time and datetime formats
# into dates); SAS documents each (the "F" format is also written without a name, as "8.2").
_NUMBER_FORMATS = frozenset(
    {
        "",
        "BEST",
        "BESTD",
        "COMMA",
        "COMMAX",
        "D",
        "DOLLAR",
        "DOLLARX",
        "E",
        "F",
        "FRACT",
        "NUMX",
        "PERCENT",
        "PVALUE",
        "Z",
    }
)

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


def _read_xpt(path: Path, encoding: str) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Read one file: the frame, its metadata attrs, and the rows that needed the fallback."""
    plain = _read_plain_xpt(path, encoding)
    if plain is not None:
        return plain[0], plain[1], pd.DataFrame()
    try:
        frame, meta = pyreadstat.read_xport(str(path), encoding=encoding)
        return frame, _pyreadstat_attrs(meta), pd.DataFrame()
    except (UnicodeDecodeError, pyreadstat.ReadstatError) as error:
        if not _is_encoding_error(error):
            raise
    frame, meta = pyreadstat.read_xport(str(path), encoding=_BYTE_PRESERVING)
    frame, fallback_rows = _redecode(frame, encoding)
    return frame, _pyreadstat_attrs(meta), fallback_rows


def _read_plain_xpt(path: Path, encoding: str) -> tuple[pd.DataFrame, dict] | None:
    """Read a file with the project's own XPT v5 reader, when it gives what pyreadstat gives.

    It does (the values are compared on the CDISC pilot and on hypothesis-generated files in
    the tests) unless a text value is not valid in ``encoding`` (pyreadstat's path reports each
    such value, ST0016) or a number has a format pyreadstat turns into dates or times; for
    those, and for an encoding Python does not know, ``None`` leaves the file to pyreadstat.
    The own reader is more than twice as fast.
    """
    try:
        meta, _, columns = iter_xpt_columns(path, encoding=encoding)
        names = [variable.name for variable in meta.variables]
        if len(set(names)) < len(names) or any(
            variable.data_type == "Num" and variable.format_name.upper() not in _NUMBER_FORMATS
            for variable in meta.variables
        ):
            return None
        frame = pd.DataFrame({v.name: values for v, values in columns}, columns=names)
    except (InputError, LookupError):
        return None
    attrs = {
        "dataset_label": meta.label,
        "labels": {v.name: v.label for v in meta.variables},
        "types": {v.name: v.data_type for v in meta.variables},
        "lengths": {v.name: v.length for v in meta.variables},
        "formats": {v.name: v.format_text for v in meta.variables},
    }
    return frame, attrs


def _pyreadstat_attrs(meta: object) -> dict:
    kinds = dict(getattr(meta, "readstat_variable_types", {}) or {})
    # pyreadstat reports the NAMESTR format (name, width and decimals) as the "original type".
    formats = dict(getattr(meta, "original_variable_types", {}) or {})
    return {
        "dataset_label": getattr(meta, "file_label", None) or "",
        "labels": dict(getattr(meta, "column_names_to_labels", {}) or {}),
        "types": {name: "Char" if kind == "string" else "Num" for name, kind in kinds.items()},
        "lengths": dict(getattr(meta, "variable_storage_width", {}) or {}),
        "formats": {name: text or "" for name, text in formats.items()},
    }


def _is_encoding_error(error: Exception) -> bool:
    return isinstance(error, UnicodeDecodeError) or "encoding" in str(error).lower()


def _unreadable(dataset: str, source_file: str, detail: str) -> FindingsTable:
    rows = pd.DataFrame({"rule_id": ["ST0017"], "detail": [detail]})
    return FindingsTable.from_frame(findings_frame(rows, dataset=dataset, source_file=source_file))


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
        # pyreadstat returns the whole observations before a cut without complaint: the
        # record structure is checked first, so a truncated file is refused with its offset.
        check_xpt_file(path)
        frame, attrs, fallback_rows = _read_xpt(path, encoding)
    except (pyreadstat.ReadstatError, OSError, UnicodeDecodeError, ValueError) as error:
        detail = f"{type(error).__name__}: {error}"
        return None, _unreadable(dataset, path.name, detail)
    except InputError as error:
        return None, _unreadable(dataset, path.name, str(error))
    frame.attrs["source_file"] = path.name
    frame.attrs.update(attrs)
    if fallback_rows.empty:
        return frame, FindingsTable()
    fallback_rows["rule_id"] = "ST0016"
    fallback_rows["detail"] = f"{FALLBACK_ENCODING} (requested {encoding})"
    if "USUBJID" in frame.columns:
        fallback_rows["usubjid"] = frame["USUBJID"].to_numpy()[fallback_rows["row"] - 1]
    fallbacks = FindingsTable.from_frame(
        findings_frame(fallback_rows, dataset=dataset, source_file=path.name)
    )
    return frame, fallbacks


def read_sdtm_package(
    path: Path, *, encoding: str = "utf-8", verify_manifest: bool = True
) -> tuple[dict[str, pd.DataFrame], FindingsTable]:
    """Read every ``.xpt`` file of a folder (or one file) into frames keyed by dataset name.

    A folder without ``.xpt`` files is read as Dataset-JSON (``.json``, else ``.ndjson``).
    A folder holding a ``manifest.json`` (a package this tool wrote) is first checked against
    it (:func:`sdtm.read.manifest.verify_package`), and the records read are compared with the
    counts it lists: a package cut short or changed since it was written is refused.

    Other files of the folder that look like datasets but are not read (``.json`` next to
    ``.xpt`` files, ``.csv``, ``.sas7bdat``, an ``.ndjson`` beside the ``.json`` of the same
    name) are reported (ST0021), unless the manifest lists them as part of the package. A
    dataset without records is reported (ST0022).

    Args:
        path: A folder of ``.xpt`` files or a single ``.xpt`` file.
        encoding: Encoding of text values (e.g. ``utf-8``, ``cp1252``).
        verify_manifest: Check the folder against its ``manifest.json`` when it has one.

    Returns:
        Frames by upper-case dataset name (file stem) and the read findings.

    Raises:
        InputError: The path does not exist, holds no dataset file, the encoding is unknown, or
            the folder does not match its ``manifest.json`` (every mismatch is listed).
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (try utf-8 or cp1252)") from None
    folder = path if path.is_dir() else path.parent
    if verify_manifest:
        _require_matching_manifest(path)
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
            if frame.empty:
                tables.append(_finding("ST0022", file.stem.upper(), file.name))
    if verify_manifest:
        _require_listed_records(folder, files, frames)
    if path.is_dir():
        tables.append(_not_read(path, files))
        keys = read_define_keys(path / DEFINE_FILE)
        for name, frame in frames.items():
            if name in keys:
                frame.attrs[NATURAL_KEYS] = keys[name]
    return frames, FindingsTable.concat(tables)


def _finding(rule_id: str, dataset: str, source_file: str, **columns: object) -> FindingsTable:
    rows = pd.DataFrame({"rule_id": [rule_id], **{k: [v] for k, v in columns.items()}})
    return FindingsTable.from_frame(findings_frame(rows, dataset=dataset, source_file=source_file))


def _require_matching_manifest(path: Path) -> None:
    """Refuse a package folder (or a file of one) that does not match its manifest."""
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return
    present, problems = verify_package(folder)
    if path.is_file():
        problems = tuple(p for p in problems if p.startswith((path.name + ":", f"'{path.name}'")))
    if present and problems:
        listing = "\n  ".join(problems[:20]) + ("\n  ..." if len(problems) > 20 else "")
        raise InputError(
            f"{folder}: the package does not match its {MANIFEST_FILE} ({len(problems)} "
            f"problem(s)); it was cut short or changed after it was written, so it is not "
            f"read:\n  {listing}"
        )


def _require_listed_records(folder: Path, files: list[Path], frames: dict[str, pd.DataFrame]):
    """Refuse a package whose datasets hold fewer or more records than its manifest lists."""
    listed = listed_records(folder)
    problems = []
    for file in files:
        relative = file.relative_to(folder).as_posix()
        frame = frames.get(file.stem.upper())
        if relative in listed and frame is not None and len(frame) != listed[relative]:
            problems.append(
                f"{relative}: {len(frame)} records read, {MANIFEST_FILE} lists {listed[relative]}"
            )
    if problems:
        raise InputError(
            f"{folder}: the package does not match its {MANIFEST_FILE}: " + "; ".join(problems)
        )


_NOT_READ_SUFFIXES = (".xpt", ".json", ".ndjson", ".csv", ".sas7bdat", ".xlsx", ".xls", ".txt")
"""Files at the top of a package folder that look like data: reported when not read."""


def _not_read(folder: Path, read: list[Path]) -> FindingsTable:
    """ST0021: data-like files at the top of the folder that were not read."""
    try:
        listed = {entry.file for entry in (read_manifest(folder) or Manifest("", ())).entries}
    except InputError:
        listed = set()
    names = {file.name for file in read}
    tables = []
    for file in sorted(folder.iterdir()):
        if (
            file.name in names
            or file.name.startswith(".")
            or file.name in listed
            or file.name == MANIFEST_FILE
            or file.suffix.lower() not in _NOT_READ_SUFFIXES
            or not file.is_file()
        ):
            continue
        reason = (
            "the folder's .xpt files are read, other formats are not"
            if any(f.suffix.lower() == ".xpt" for f in read)
            else "only .xpt, or else Dataset-JSON (.json over .ndjson), files are read"
        )
        tables.append(
            _finding("ST0021", file.stem.upper(), file.name, value=file.name, detail=reason)
        )
    return FindingsTable.concat(tables)


DEFINE_FILE = "define.xml"
"""The package's Define-XML, next to its datasets."""
NATURAL_KEYS = "natural_keys"
"""``frame.attrs`` key: the dataset's key variables as its define.xml declares them."""
_ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def read_define_keys(path: Path) -> dict[str, tuple[str, ...]]:
    """The key variables of each dataset, as a package's define.xml declares them.

    Define-XML 2.0/2.1 gives each ``ItemGroupDef`` its keys as ``ItemRef/@KeySequence``; the
    sponsor's key wins over the IG's example key for the duplicate-key check (ST0013): the
    CDISC pilot keys AE on STUDYID, USUBJID, AETERM, AESTDTC and AESEQ.

    Args:
        path: The define.xml file (absent or unreadable: no keys).

    Returns:
        Dataset name (upper case) -> key variables in key sequence order.
    """
    if not path.is_file():
        return {}
    from lxml import etree

    try:
        tree = etree.parse(str(path))
    except (etree.XMLSyntaxError, OSError):
        return {}
    names = {item.get("OID"): item.get("Name") for item in tree.iter(f"{_ODM}ItemDef")}
    keys: dict[str, tuple[str, ...]] = {}
    for group in tree.iter(f"{_ODM}ItemGroupDef"):
        refs = [
            (int(ref.get("KeySequence")), names.get(ref.get("ItemOID")))
            for ref in group.iter(f"{_ODM}ItemRef")
            if (ref.get("KeySequence") or "").isdigit()
        ]
        ordered = tuple(str(name) for _, name in sorted(refs) if name)
        if ordered and group.get("Name"):
            keys[str(group.get("Name")).upper()] = ordered
    return keys


# Dataset-JSON input (export helper's branch): a folder without .xpt files may hold CDISC
# Dataset-JSON 1.1 files, read by sdtm.read.dataset_json; .json wins over .ndjson of one name.
_DATASET_JSON_SUFFIXES = (".json", ".ndjson")


def _dataset_json_files(folder: Path) -> list[Path]:
    """Return the Dataset-JSON files of a folder, one per dataset name."""
    chosen: dict[str, Path] = {}
    for suffix in _DATASET_JSON_SUFFIXES:
        for file in sorted(folder.glob(f"*{suffix}")):
            if file.name != MANIFEST_FILE and file.is_file():
                chosen.setdefault(file.stem.upper(), file)
    return [chosen[name] for name in sorted(chosen)]


def _read_dataset_json_file(path: Path) -> tuple[pd.DataFrame | None, FindingsTable]:
    """Read one Dataset-JSON file; an unreadable file is ST0017 like an unreadable .xpt."""
    try:
        frame, _ = read_dataset_json(path)
    except InputError as error:
        return None, _unreadable(path.stem.upper(), path.name, str(error))
    return frame, FindingsTable()
