"""Stage 1: raw CSV/XLSX files -> text DataFrames with provenance columns, plus findings.

Every cell is read as text exactly as written (``NA`` stays ``NA``; nothing is guessed), and
three provenance columns are added:

- ``_src_file``: the file's path relative to the study folder (``edc/ae.csv``);
- ``_src_row``: for CSV, the physical line where the record starts, as a text editor shows
  it (the header is line 1; blank lines and line breaks inside quoted values count as lines;
  CRLF, CR and LF all end a line); for XLSX, the worksheet row (header row 1, first data row
  2);
- ``_src_id``: ``<_src_file>:<_src_row>``, unique in the study.

Problems (missing, empty or unreadable files, bytes that are not UTF-8, rows with too many
or too few fields, exact duplicate rows) are findings naming file, row, column and value;
only a study folder that does not exist stops the run.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FindingsTable, Stage
from sdtm.read.options import DEFAULT_OPTIONS, RAW_SUFFIXES, ReadOptions, file_format
from sdtm.read.text import text_values
from sdtm.safe_parse import MAX_COLUMNS, MAX_VALUE_CHARS

SRC_FILE = "_src_file"
SRC_ROW = "_src_row"
SRC_ID = "_src_id"
PROVENANCE = (SRC_FILE, SRC_ROW, SRC_ID)

READ_RULES = MappingProxyType(
    {
        "RD0001": ("raw-file-missing", "error"),
        "RD0002": ("raw-file-unreadable", "error"),
        "RD0003": ("invalid-encoding", "error"),
        "RD0004": ("malformed-row", "error"),
        "RD0005": ("duplicate-raw-record", "warning"),
        "RD0006": ("duplicate-column-name", "error"),
        "RD0007": ("transfer-column-missing", "error"),
        "RD0008": ("worksheet-not-read", "error"),
        "RD0009": ("row-fields-missing", "error"),
        "RD0010": ("raw-file-not-read", "warning"),
        "RD0011": ("raw-file-without-rows", "warning"),
        "RD0021": ("delimiter-detected", "notice"),
        "RD0022": ("item-group-not-read", "error"),
    }
)
"""Rule id -> (name, severity) of the findings raised while reading."""

RULE_IDS: tuple[str, ...] = tuple(READ_RULES)

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".sas7bdat", ".xpt", ".parquet", ".xml")
"""Raw files read without the mapping spec naming them; other readable files (``.txt``,
``.tsv``) are read when the spec names them, and reported as not read (RD0010) otherwise."""
DOCUMENT_SUFFIXES = (".md", ".pdf")
"""Documentation in a study folder (``README.md``, an annotated CRF): neither read nor reported.
Every other file is read, or reported as not read (RD0010)."""


@dataclass(frozen=True, slots=True)
class RawFile:
    """One raw file as read."""

    path: str
    """Path relative to the study folder, with ``/`` separators."""
    frame: pd.DataFrame | None
    """Text columns plus provenance; ``None`` when the file could not be read."""
    rows_in: int
    """Data rows in the file (including rows that could not be parsed)."""
    findings: FindingsTable
    """Problems found while reading."""
    rows_ignored: int = 0
    """Data rows not read, each reported (rows of extra worksheets of a workbook, RD0008)."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Raw column names (without provenance)."""
        if self.frame is None:
            return ()
        return tuple(c for c in self.frame.columns if c not in PROVENANCE)


def _finding(
    rule_id: str,
    path: str,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> dict[str, object]:
    name, severity = READ_RULES[rule_id]
    where = f"{path}:{row}" if row is not None else path
    col = f" {column}" if column else ""
    return {
        "rule_id": rule_id,
        "rule_name": name,
        "severity": severity,
        "stage": Stage.READ.value,
        "dataset": path,
        "variable": column,
        "value": value,
        "source_file": path,
        "source_row": row,
        "message": f"{where}{col}: {message} [{rule_id} {name}]",
    }


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
"""Byte-order marks of UTF-32 and UTF-16 text (UTF-32 LE first: it starts like UTF-16 LE)."""


def _decode(data: bytes, path: str) -> tuple[str, list[dict[str, object]]]:
    """Decode UTF-8; bytes that are not UTF-8 are reported per line and read as cp1252.

    Text with a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text" export) is decoded as
    such. NUL bytes without a byte-order mark mean UTF-16/32 without a mark, or a binary file:
    the file is refused (decoding it as UTF-8 gave rows of empty values and a phantom row).

    Raises:
        ValueError: For NUL bytes without a byte-order mark, or broken UTF-16/32 text.
    """
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), []
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"the file starts with a {encoding.upper()} byte-order mark but byte "
                    f"{error.start} is not {encoding.upper()} text ({error.reason}); re-export "
                    "it as UTF-8"
                ) from error
    if b"\x00" in data:
        raise ValueError(
            f"the file holds NUL bytes (first at byte {data.index(0)}): UTF-16 or UTF-32 text "
            "without a byte-order mark, or not a text file; re-export it as UTF-8 CSV"
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
    fallback = data.decode("cp1252", errors="replace")
    lines = pd.Series(text.splitlines(), dtype="object")
    decoded = pd.Series(fallback.splitlines(), dtype="object").reindex(lines.index)
    bad = lines.str.contains("\ufffd", regex=False)
    name, severity = READ_RULES["RD0003"]
    rows = (lines.index[bad] + 1).astype("int64")
    findings = pd.DataFrame(
        {
            "rule_id": "RD0003",
            "rule_name": name,
            "severity": severity,
            "stage": Stage.READ.value,
            "dataset": path,
            "value": decoded[bad].to_numpy(),
            "source_file": path,
            "source_row": rows,
            "message": (
                f"{path}:"
                + pd.Series(rows).astype(str)
                + ": bytes that are not UTF-8; read as Windows-1252, check the value and "
                "re-export the file as UTF-8 [RD0003 invalid-encoding]"
            ).to_numpy(),
        }
    ).to_dict(orient="records")
    return fallback, findings


def _read_csv(
    path: Path, relative: str, options: ReadOptions = DEFAULT_OPTIONS
) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    """Read a delimited file (``sdtm.read.delimited``); rows that do not fit are reported."""
    from sdtm.read.delimited import read_delimited

    return read_delimited(path, relative, options)


def _read_xlsx(path: Path, relative: str) -> tuple[pd.DataFrame, int, list[dict[str, object]], int]:
    """Read the first worksheet; every other worksheet holding data is reported (RD0008).

    Returns:
        The first sheet's frame, the data rows of all sheets, the findings, and the data rows
        of the other sheets (not read, so counted as reported).
    """
    sheets = pd.read_excel(
        path, sheet_name=None, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl"
    )
    names = list(sheets)
    frame = sheets[names[0]]
    frame[SRC_ROW] = range(2, len(frame) + 2)
    findings = []
    ignored = 0
    for name in names[1:]:
        other = sheets[name]
        if other.empty and not any(not str(c).startswith("Unnamed:") for c in other.columns):
            continue  # an empty worksheet holds nothing to lose
        ignored += len(other)
        findings.append(
            _finding(
                "RD0008",
                relative,
                f"worksheet {name!r} ({len(other)} data row(s), columns: "
                f"{', '.join(str(c) for c in other.columns)}) is not read: only the first "
                f"worksheet {names[0]!r} is; deliver one table per file, or move the rows into "
                "the first sheet",
                value=name,
            )
        )
    return frame, len(frame) + ignored, findings, ignored


def raw_path_problem(path: str) -> str | None:
    """Return why a raw file path could leave the study folder, or ``None``.

    Raw files are named relative to the study folder with ``/`` separators (``edc/ae.csv``).
    Refused: empty paths, absolute paths (``/x``, ``C:/x``, ``~/x``), backslashes, NUL
    characters and ``..`` components. A path that passes can still leave the folder through a
    symbolic link; :func:`read_raw_file` refuses that when it opens the file.
    """
    if not path.strip():
        return "empty"
    if "\\" in path or "\x00" in path:
        return "written with a backslash or NUL character (use '/')"
    if path.startswith(("/", "~")) or (len(path) > 1 and path[1] == ":"):
        return "absolute"
    if ".." in path.split("/"):
        return "going up with '..'"
    return None


def _check_limits(frame: pd.DataFrame) -> None:
    """Refuse a raw table wider or with longer values than :mod:`sdtm.safe_parse` allows.

    Raises:
        ValueError: Naming the column count, or the column and row of the first long value.
    """
    columns = [c for c in frame.columns if c != SRC_ROW]
    if len(columns) > MAX_COLUMNS:
        raise ValueError(
            f"{len(columns):,} columns, more than the limit of {MAX_COLUMNS:,}; refused"
        )
    for column in columns:
        positions, text = text_values(frame[column])
        lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
        over = np.flatnonzero(lengths > MAX_VALUE_CHARS)
        if len(over):
            first = int(positions[over[0]])
            row = frame[SRC_ROW].iloc[first] if SRC_ROW in frame.columns else first + 2
            raise ValueError(
                f"row {row} column {column}: a value of {int(lengths[over[0]]):,} characters, "
                f"more than the limit of {MAX_VALUE_CHARS:,}; refused"
            )


def _read_sheet(
    path: Path, relative: str, options: ReadOptions
) -> tuple[pd.DataFrame, int, list[dict[str, object]], int]:
    """Read the worksheet ``options.sheet`` with its header on ``options.header_line``.

    The other worksheets are the study reader's business (``sdtm.read.tables``): each is read
    as its own table when the spec names it, or reported.

    Raises:
        ValueError: when the workbook has no worksheet of that name.
    """
    header = options.header_line
    try:
        frame = pd.read_excel(
            path,
            sheet_name=options.sheet,
            header=header - 1,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="openpyxl",
        )
    except ValueError as error:
        names = workbook_sheet_names(path)
        raise ValueError(
            f"no worksheet {options.sheet!r} (worksheets: {', '.join(names)})"
        ) from error
    frame[SRC_ROW] = range(header + 1, len(frame) + header + 1)
    return frame, len(frame), [], 0


def workbook_sheet_names(path: Path) -> list[str]:
    """Names of the worksheets of a workbook, in order."""
    return list(pd.ExcelFile(path, engine="openpyxl").sheet_names)


def _read_table(
    path: Path, relative: str, options: ReadOptions
) -> tuple[pd.DataFrame, int, list[dict[str, object]], int]:
    """Dispatch on the file's format; returns frame, rows in, findings, rows not read."""
    kind = file_format(relative)
    if kind == "workbook":
        if options.sheet is None and options.header_line == 1:
            return _read_xlsx(path, relative)
        if options.sheet is None:
            options = replace(options, sheet=workbook_sheet_names(path)[0])
        return _read_sheet(path, relative, options)
    if kind == "delimited":
        frame, rows_in, findings = _read_csv(path, relative, options)
        return frame, rows_in, findings, 0
    if kind == "sas":
        from sdtm.read.binary import read_sas

        frame, rows_in, findings = read_sas(path, relative, options)
        return frame, rows_in, findings, 0
    if kind == "parquet":
        from sdtm.read.binary import read_parquet

        frame, rows_in, findings = read_parquet(path, relative, options)
        return frame, rows_in, findings, 0
    if kind == "odm":
        from sdtm.read.odm import read_odm_table

        frame, rows_in, findings = read_odm_table(path, relative, options.item_group)
        return frame, rows_in, findings, 0
    raise ValueError(
        f"unsupported file type {path.suffix!r} (use {', '.join(RAW_SUFFIXES)})"
    )


def refuse_path(study_dir: Path, relative: str, key: str) -> RawFile | None:
    """The table, unread, with the finding that says why, when its path cannot be read.

    A path leaving the study folder (by its text or through a symbolic link) is RD0002; a
    file that is not there is RD0001. ``None`` when the file may be read.
    """
    refused = raw_path_problem(relative)
    if refused is not None:
        finding = _finding(
            "RD0002", key, f"not read: the path is {refused}, outside the study folder"
        )
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    path = study_dir / relative
    if not path.is_file():
        finding = _finding("RD0001", key, f"file not found in {study_dir.name}/")
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(study_dir)):
        finding = _finding(
            "RD0002",
            key,
            "not read: a symbolic link on the path leads outside the study folder "
            f"(to {os.path.realpath(path)}); copy the file into the study folder",
        )
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    return None


def read_raw_file(
    study_dir: Path,
    relative: str,
    options: ReadOptions = DEFAULT_OPTIONS,
    *,
    key: str | None = None,
    named: bool = False,
) -> RawFile:
    """Read one raw table of a study into text columns plus provenance.

    Args:
        study_dir: The study folder.
        relative: Path of the file relative to ``study_dir`` (``/`` separators).
        options: Reader options the mapping spec declares for the table.
        key: The table's key and ``_src_file`` (``file[sheet]`` for one worksheet); default
            ``relative``.
        named: The mapping spec names the file (then ``.txt``/``.tsv`` files are read too).

    Returns:
        The table; ``frame`` is ``None`` (and a finding says why) when it cannot be read.
    """
    key = key or relative
    refused = refuse_path(study_dir, relative, key)
    if refused is not None:
        return refused
    path = study_dir / relative
    readable = path.suffix.lower() in SUPPORTED_SUFFIXES or (
        named and file_format(relative) is not None
    )
    if not readable:
        finding = _finding(
            "RD0010",
            key,
            f"file of type {path.suffix or '(none)'!r} in the study folder is not read (read "
            f"are {', '.join(SUPPORTED_SUFFIXES)} files, and {', '.join(RAW_SUFFIXES)} files a "
            "block of the mapping spec names): convert it, name it in the spec, or move it out "
            "of the study folder",
            value=relative,
        )
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    try:
        frame, rows_in, findings, ignored = _read_table(path, relative, options)
        _check_limits(frame)
    except Exception as error:  # any parser failure is reported, never a traceback
        finding = _finding("RD0002", key, f"cannot read the file: {error}")
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    if rows_in == 0:
        findings.append(
            _finding(
                "RD0011",
                relative,
                "the file has a header but no data rows: check the transfer (an empty export "
                "is usually a failed one)",
                row=options.header_line,
            )
        )
    if key != relative:
        for finding in findings:
            finding["source_file"] = finding["dataset"] = key
    return finish_raw_frame(key, frame, rows_in, findings, options, ignored)


def finish_raw_frame(
    key: str,
    frame: pd.DataFrame,
    rows_in: int,
    findings: list[dict[str, object]],
    options: ReadOptions = DEFAULT_OPTIONS,
    ignored: int = 0,
) -> RawFile:
    """Turn a format reader's frame into a ``RawFile``: text columns, options, provenance.

    Header names are stripped (a name read twice is reported, RD0006); ``na_values`` become
    missing and ``decimal`` marks are normalised (``sdtm.read.values``); ``_src_file``,
    ``_src_id`` are added; exact duplicate rows are reported (RD0005).

    Args:
        key: The table's key (``_src_file``).
        frame: Columns as read plus ``_src_row``.
        rows_in: Data rows of the table, including rows that could not be parsed.
        findings: Findings of the format reader (added to).
        options: The declared reader options.
        ignored: Rows not read and reported per part (other worksheets).

    Returns:
        The table.
    """
    relative = key
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated_names = [c for c in frame.columns if str(c).endswith(".1")]
    for name in duplicated_names:
        findings.append(
            _finding(
                "RD0006",
                relative,
                f"column name appears twice in the header; the second is read as {name!r}",
                row=options.header_line,
                column=name,
            )
        )
    data_columns = [c for c in frame.columns if c != SRC_ROW]
    for column in data_columns:
        frame[column] = frame[column].astype("string")
    if options.na_values or options.decimal:
        from sdtm.read.values import apply_value_options

        frame = apply_value_options(frame, data_columns, options)
    frame[SRC_FILE] = relative
    frame[SRC_ID] = relative + ":" + frame[SRC_ROW].astype(str)
    frame[SRC_ROW] = frame[SRC_ROW].astype("int64")
    duplicate = frame.duplicated(subset=data_columns, keep="first")
    frames = [pd.DataFrame(findings)] if findings else []
    if duplicate.any():
        first_row = frame.groupby(data_columns, dropna=False, sort=False)[SRC_ROW].transform("min")
        name, severity = READ_RULES["RD0005"]
        rows = frame.loc[duplicate, SRC_ROW]
        firsts = first_row[duplicate].astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "rule_id": "RD0005",
                    "rule_name": name,
                    "severity": severity,
                    "stage": Stage.READ.value,
                    "dataset": relative,
                    "value": ("duplicate of row " + firsts).astype(object),
                    "source_file": relative,
                    "source_row": rows.astype("Int64"),
                    "message": (
                        f"{relative}:"
                        + rows.astype(str)
                        + ": exact duplicate of row "
                        + firsts
                        + "; check with the data provider (a record mapped from it is "
                        "withheld, MP0040) "
                        "[RD0005 duplicate-raw-record]"
                    ).astype(object),
                }
            )
        )
    table = (
        FindingsTable.from_frame(pd.concat(frames, ignore_index=True))
        if frames
        else FindingsTable()
    )
    return RawFile(relative, frame.reset_index(drop=True), rows_in, table, ignored)


def add_missing_columns(
    raw_file: RawFile, columns: Mapping[str, str]
) -> tuple[pd.DataFrame, FindingsTable]:
    """Add columns the mapping needs but the file lacks, as empty text, and report each one.

    A vendor transfer without an agreed column is a data problem, not a spec problem: the run
    goes on with the values missing, and an ``RD0007`` finding names file, header row and
    column (and where the spec reads it).

    Args:
        raw_file: A file that was read (``frame`` is not ``None``).
        columns: Missing column -> where the spec reads it (``file:line``).

    Returns:
        The frame with the columns added, and the findings.
    """
    frame = raw_file.frame.copy() if raw_file.frame is not None else pd.DataFrame()
    rows = []
    for column, where in columns.items():
        frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
        rows.append(
            _finding(
                "RD0007",
                raw_file.path,
                f"column the mapping spec reads ({where}) is missing from the file; a block "
                f"reading it is not mapped, each of its rows is reported (RD0020) "
                f"(columns: {', '.join(raw_file.columns)})",
                row=1,
                column=column,
            )
        )
    table = FindingsTable.from_frame(pd.DataFrame(rows)) if rows else FindingsTable()
    return frame, table


def read_raw_files(study_dir: Path, files: Iterable[str]) -> dict[str, RawFile]:
    """Read several raw files of a study.

    Args:
        study_dir: The study folder.
        files: Paths relative to ``study_dir``.

    Returns:
        The files by relative path, in the order given.

    Raises:
        InputError: when ``study_dir`` is not a folder.
    """
    if not study_dir.is_dir():
        raise InputError(f"study folder not found: {study_dir}")
    return {relative: read_raw_file(study_dir, relative) for relative in files}


def list_raw_files(study_dir: Path) -> tuple[str, ...]:
    """Return every file under a study folder that is to be read or reported, relative, sorted.

    That is every file but documentation (``README*``, ``.md``, ``.pdf``) and hidden files or
    folders (a name starting with ``.``): CSV and XLSX files are read, any other file
    (``.txt``, ``.sas7bdat``, ``.json`` transfers) is reported by :func:`read_raw_file` as not
    read (RD0010), so that no delivered file is ignored silently.
    """
    listed = []
    for path in study_dir.rglob("*"):
        relative = path.relative_to(study_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in DOCUMENT_SUFFIXES or path.name.upper().startswith("README"):
            continue
        listed.append(relative.as_posix())
    return tuple(sorted(listed))


def read_study_files(study_dir: Path, *, also: Iterable[str] = ()) -> dict[str, RawFile]:
    """Read every raw file of a study folder, then the named files not among them.

    Args:
        study_dir: The study folder.
        also: Further paths relative to ``study_dir`` to read (e.g. every file a mapping spec
            names, so that a missing one is reported as such).

    Returns:
        The files by relative path: the folder's files sorted, then the others in the order
        given.

    Raises:
        InputError: when ``study_dir`` is not a folder.
    """
    listed = list_raw_files(study_dir)
    extra = [path for path in dict.fromkeys(also) if path not in listed]
    return read_raw_files(study_dir, [*listed, *extra])
