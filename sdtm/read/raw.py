"""Stage 1: raw CSV/XLSX files -> text DataFrames with provenance columns, plus findings.

Every cell is read as text exactly as written (``NA`` stays ``NA``; nothing is guessed), and
three provenance columns are added:

- ``_src_file``: the file's path relative to the study folder (``edc/ae.csv``);
- ``_src_row``: the row number a person sees when opening the file: the header is row 1, so
  the first data row is 2;
- ``_src_id``: ``<_src_file>:<_src_row>``, unique in the study.

Problems (missing or unreadable files, bytes that are not UTF-8, rows with too many fields,
exact duplicate rows) are findings naming file, row, column and value; only a study folder that
does not exist stops the run.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FindingsTable, Stage

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
    }
)
"""Rule id -> (name, severity) of the findings raised while reading."""

RULE_IDS: tuple[str, ...] = tuple(READ_RULES)

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


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


_BAD_LINE = re.compile(r"[Ll]ine (\d+)")


def _read_csv(path: Path, relative: str) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    text, findings = _decode(path.read_bytes(), relative)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(
            StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            on_bad_lines="warn",
            skip_blank_lines=True,
        )
    lines = text.splitlines()
    bad_lines: list[int] = []
    for warning in caught:
        bad_lines.extend(int(n) for n in _BAD_LINE.findall(str(warning.message)))
    for line in bad_lines:
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        findings.append(
            _finding(
                "RD0004",
                relative,
                f"more fields than the header's {len(frame.columns)}; the row is not read, "
                "fix the quoting in the source",
                row=line,
                value=shown,
            )
        )
    # pandas counts the header as line 1 too, so its line numbers are the rows a person sees,
    # except that skipped bad lines shift later rows: recompute from the kept order.
    kept_lines = _kept_line_numbers(len(frame), bad_lines)
    frame[SRC_ROW] = kept_lines
    return frame, len(frame) + len(bad_lines), findings


def _kept_line_numbers(count: int, bad_lines: Iterable[int]) -> list[int]:
    """Line numbers of the rows pandas kept: 2, 3, ... skipping the lines it rejected."""
    candidates = np.arange(2, count + len(set(bad_lines)) + 2)
    kept = candidates[~np.isin(candidates, list(set(bad_lines)))]
    return kept[:count].tolist()


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


def read_raw_file(study_dir: Path, relative: str) -> RawFile:
    """Read one raw file of a study into text columns plus provenance.

    Args:
        study_dir: The study folder.
        relative: Path of the file relative to ``study_dir`` (``/`` separators).

    Returns:
        The file; ``frame`` is ``None`` (and a finding says why) when it cannot be read.
    """
    path = study_dir / relative
    if not path.is_file():
        finding = _finding("RD0001", relative, f"file not found in {study_dir.name}/")
        return RawFile(relative, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    findings: list[dict[str, object]] = []
    ignored = 0
    try:
        if path.suffix.lower() == ".xlsx":
            frame, rows_in, findings, ignored = _read_xlsx(path, relative)
        elif path.suffix.lower() == ".csv":
            frame, rows_in, findings = _read_csv(path, relative)
        else:
            raise ValueError(f"unsupported file type {path.suffix!r} (use .csv or .xlsx)")
    except Exception as error:  # any parser failure is reported, never a traceback
        finding = _finding("RD0002", relative, f"cannot read the file: {error}")
        return RawFile(relative, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated_names = [c for c in frame.columns if str(c).endswith(".1")]
    for name in duplicated_names:
        findings.append(
            _finding(
                "RD0006",
                relative,
                f"column name appears twice in the header; the second is read as {name!r}",
                row=1,
                column=name,
            )
        )
    data_columns = [c for c in frame.columns if c != SRC_ROW]
    for column in data_columns:
        frame[column] = frame[column].astype("string")
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
                f"column the mapping spec reads ({where}) is missing from the file; its values "
                f"are treated as missing (columns: {', '.join(raw_file.columns)})",
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
