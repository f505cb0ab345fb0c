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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FindingsTable, Stage
from sdtm.read.options import DEFAULT_OPTIONS, RAW_SUFFIXES, ReadOptions, file_format

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
        "RD0021": ("delimiter-detected", "notice"),
        "RD0022": ("item-group-not-read", "error"),
    }
)
"""Rule id -> (name, severity) of the findings raised while reading."""

RULE_IDS: tuple[str, ...] = tuple(READ_RULES)

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".sas7bdat", ".xpt", ".parquet", ".xml")
"""Suffixes of the files a study folder is listed for; other readable text files (``.txt``,
``.tsv``) are read when the mapping spec names them."""


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


def _decode(data: bytes, path: str) -> tuple[str, list[dict[str, object]]]:
    """Decode UTF-8; bytes that are not UTF-8 are reported per line and read as cp1252."""
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


def read_raw_file(
    study_dir: Path,
    relative: str,
    options: ReadOptions = DEFAULT_OPTIONS,
    *,
    key: str | None = None,
) -> RawFile:
    """Read one raw table of a study into text columns plus provenance.

    Args:
        study_dir: The study folder.
        relative: Path of the file relative to ``study_dir`` (``/`` separators).
        options: Reader options the mapping spec declares for the table.
        key: The table's key and ``_src_file`` (``file[sheet]`` for one worksheet); default
            ``relative``.

    Returns:
        The table; ``frame`` is ``None`` (and a finding says why) when it cannot be read.
    """
    key = key or relative
    path = study_dir / relative
    if not path.is_file():
        finding = _finding("RD0001", key, f"file not found in {study_dir.name}/")
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    try:
        frame, rows_in, findings, ignored = _read_table(path, relative, options)
    except Exception as error:  # any parser failure is reported, never a traceback
        finding = _finding("RD0002", key, f"cannot read the file: {error}")
        return RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
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
                        + "; both are kept and mapped, check with the data provider "
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
    """Return every CSV/XLSX file under a study folder, relative, sorted."""
    return tuple(
        sorted(
            path.relative_to(study_dir).as_posix()
            for path in study_dir.rglob("*")
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES
        )
    )


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
