"""SAS transport (XPT) version 5 writer: preflight, numpy records, fixed header dates, read-back.

pyreadstat writes the headers (``file_format_version=5``, stated explicitly: its default is 8);
the observation records are built column by column with numpy (``_write_xport``), byte for byte
what pyreadstat writes (tests hold the two equal on generated data and on the CDISC pilot),
at a fraction of its cost. This module owns everything around that:

* the **preflight** (``preflight_xpt``): XPT v5 limits that pyreadstat does not enforce (it
  truncates labels longer than 40 characters and writes long or non-ASCII values without a
  word) become findings naming dataset, variable and row. A dataset with an error-level preflight
  finding is not written.
* **deterministic bytes**: pyreadstat stamps the wall-clock time into the header and has no option
  to set it. The transport format keeps the creation and modification datetimes as 16-byte text
  fields (``ddMMMyy:hh:mm:ss``) at fixed places in 80-byte records: record 2 bytes 64-79 and
  record 3 bytes 0-15 (library header), record 6 bytes 64-79 and record 7 bytes 0-15 (member
  header of the one dataset in the file; records counted from 1). ``patch_header_datetimes``
  overwrites these four fields with the datetime the caller gives, after checking that each
  holds a datetime, so a rerun gives identical bytes.
* the **atomic write**: the file is written to a temporary name in the target folder, patched,
  read back (with the project's own XPT v5 reader, one variable at a time) and compared value
  by value, and only then renamed over the target. A crash leaves no partial ``.xpt``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from sdtm.errors import ExportError, InputError
from sdtm.export.metadata import (
    ColumnMeta,
    PreparedDataset,
    printable_ascii,
    text_values,
    utf8_byte_lengths,
)
from sdtm.export.rules import findings_frame, make_finding
from sdtm.findings import FindingsTable, Severity
from sdtm.read.xpt_v5 import iter_xpt_chunks

RULE_IDS: tuple[str, ...] = (
    "XP0001",
    "XP0002",
    "XP0003",
    "XP0004",
    "XP0005",
    "XP0006",
    "XP0007",
    "XP0008",
    "XP0009",
    "XP0016",
)

XPT_FORMAT_VERSION = 5
"""SAS transport version the FDA Technical Conformance Guide requires; pyreadstat defaults to 8."""
MAX_NAME = 8
MAX_LABEL = 40
MAX_VALUE_BYTES = 200
MAX_FILE_BYTES = 5 * 1024**3
"""FDA TCG: datasets over 5 GB are split."""
IBM_MAX = (1.0 - 16.0**-14) * 16.0**63
"""Largest magnitude an IBM System/360 double (the XPT v5 number format) can hold."""
WRITABLE_MAX = 2.0**249
"""Magnitudes from here on overflow in ReadStat's IEEE-to-IBM conversion (pyreadstat 1.3.7 writes
the largest IBM number, which reads back as infinity), although the format goes up to
``IBM_MAX``; found by a test that writes and reads back values around the limit."""
IBM_MIN = 16.0**-65
"""Smallest non-zero magnitude an IBM double can hold (normalised)."""

RECORD = 80
NAMESTR = 140
_DATETIME_FIELDS: tuple[tuple[int, int], ...] = ((1, 64), (2, 0), (5, 64), (6, 0))
"""(0-based record index, byte offset) of the 16-byte datetime fields of a one-member file."""
_DATETIME_TEXT = re.compile(rb"^\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d$")
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True, slots=True)
class XptResult:
    """Outcome of writing one dataset."""

    path: Path | None
    """The written file, or ``None`` when it was not written."""
    findings: FindingsTable
    """Preflight and read-back findings."""


def sas_datetime_text(moment: datetime) -> bytes:
    """Return ``moment`` as the 16-byte XPT header datetime, e.g. ``b'01JAN25:00:00:00'``."""
    return (
        f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    ).encode("ascii")


def xpt_file_name(dataset: str) -> str:
    """Return the submission file name of a dataset: lower case, ``.xpt``."""
    return f"{dataset.lower()}.xpt"


def estimate_xpt_bytes(prepared: PreparedDataset) -> int:
    """Return the size of the XPT v5 file for ``prepared``, computed from the record layout."""
    columns = prepared.meta.columns
    row_bytes = sum(c.length for c in columns)
    # 3 library records, 4 member records, 1 NAMESTR header, the NAMESTR block, 1 OBS header.
    header = (9 + -(-len(columns) * NAMESTR // RECORD)) * RECORD
    return header + -(-prepared.meta.records * row_bytes // RECORD) * RECORD


def _per_row(
    prepared: PreparedDataset, column: str, mask: pd.Series, message: pd.Series | str
) -> pd.DataFrame:
    frame = prepared.frame
    rows = np.flatnonzero(mask.to_numpy())
    out = pd.DataFrame({"row": rows + 1})
    out["dataset"] = prepared.meta.name
    out["variable"] = column
    out["value"] = frame[column].iloc[rows].astype("string").to_numpy()
    if "USUBJID" in frame.columns:
        out["usubjid"] = frame["USUBJID"].iloc[rows].to_numpy()
    seq = f"{prepared.meta.domain[:2]}SEQ"
    if seq in frame.columns:
        out["seq"] = frame[seq].iloc[rows].to_numpy()
    prefix = f"{prepared.meta.name}.{column} row " + out["row"].astype(str)
    out["message"] = prefix + (message if isinstance(message, str) else message.to_numpy())
    return out


def _mask(size: int, positions: np.ndarray) -> pd.Series:
    """A boolean Series of ``size`` rows, true at ``positions``."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return pd.Series(mask)


def _name_findings(kind: str, name: str, dataset: str, variable: str | None) -> list:
    found = []
    if len(name) > MAX_NAME:
        rule = "XP0001" if kind == "dataset" else "XP0002"
        found.append(
            make_finding(
                rule,
                f"{kind} name {name!r} has {len(name)} characters; XPT v5 allows {MAX_NAME}",
                dataset=dataset,
                variable=variable,
                value=name,
            )
        )
    if not _NAME.match(name) or (kind == "dataset" and "_" in name):
        found.append(
            make_finding(
                "XP0003",
                f"{kind} name {name!r} must start with a letter and hold only letters, digits"
                + (" " if kind == "dataset" else " and underscores ")
                + "(XPT v5, SDTM naming)",
                dataset=dataset,
                variable=variable,
                value=name,
            )
        )
    return found


def _label_findings(label: str, dataset: str, variable: str | None) -> list:
    what = f"{dataset}.{variable} label" if variable else f"{dataset} dataset label"
    found = []
    if len(label) > MAX_LABEL:
        found.append(
            make_finding(
                "XP0005" if variable else "XP0004",
                f"{what} {label!r} has {len(label)} characters; XPT v5 allows {MAX_LABEL}",
                dataset=dataset,
                variable=variable,
                value=label,
            )
        )
    if not (label.isascii() and label.isprintable()):
        found.append(
            make_finding(
                "XP0007",
                f"{what} {label!r} holds non-ASCII or non-printable characters; XPT v5 text "
                "must be printable ASCII (FDA TCG)",
                dataset=dataset,
                variable=variable,
                value=label,
            )
        )
    return found


def preflight_xpt(
    prepared: PreparedDataset, *, max_file_bytes: int = MAX_FILE_BYTES
) -> FindingsTable:
    """Check a prepared dataset against the XPT v5 and FDA limits, without writing anything.

    Args:
        prepared: The dataset from ``prepare_dataset``.
        max_file_bytes: Largest file allowed before the dataset must be split (FDA TCG: 5 GB).

    Returns:
        Findings: XP0001/XP0002 names over 8 characters, XP0003 invalid names, XP0004/XP0005
        labels over 40 characters, XP0006 character values over 200 bytes (per row), XP0007
        non-ASCII or non-printable labels or values (per row), XP0008 numbers an IBM double
        cannot hold (infinite, or beyond its range; per row), XP0009 a file over
        ``max_file_bytes``.
    """
    meta = prepared.meta
    loose = _name_findings("dataset", meta.name, meta.name, None)
    loose += _label_findings(meta.label, meta.name, None)
    tables: list[FindingsTable] = []
    for column in meta.columns:
        loose += _name_findings("variable", column.name, meta.name, column.name)
        loose += _label_findings(column.label, meta.name, column.name)
        values = prepared.frame[column.name]
        if column.data_type == "Char":
            summary = prepared.text_summary(column.name)
            if summary is not None and summary.max_bytes <= MAX_VALUE_BYTES and summary.printable:
                continue  # no value too long, none outside printable ASCII
            positions, text = text_values(values)
            byte_lengths = utf8_byte_lengths(text)
            long_values = _mask(len(values), positions[byte_lengths > MAX_VALUE_BYTES])
            if long_values.any():
                message = (
                    ": value is "
                    + pd.Series(byte_lengths[byte_lengths > MAX_VALUE_BYTES]).astype(str)
                    + f" bytes; XPT v5 allows {MAX_VALUE_BYTES} (FDA TCG). Split the text "
                    "into the variable and SUPPQUAL records as the SDTMIG describes for long text"
                )
                tables.append(
                    findings_frame("XP0006", _per_row(prepared, column.name, long_values, message))
                )
            # Printable ASCII is bytes 32-126 (P21 SD1029); tabs and line breaks count as bad.
            non_ascii = _mask(len(values), positions[~printable_ascii(text)])
            if non_ascii.any():
                tables.append(
                    findings_frame(
                        "XP0007",
                        _per_row(
                            prepared,
                            column.name,
                            non_ascii,
                            ": value holds non-ASCII or non-printable characters; XPT v5 text "
                            "must be printable ASCII (FDA TCG). Replace them in the source or "
                            "mapping; they are never transliterated silently",
                        ),
                    )
                )
        else:
            numbers = values.astype("float64")
            size = numbers.abs()
            bad = (
                np.isinf(numbers) | (size >= WRITABLE_MAX) | ((size > 0) & (size < IBM_MIN))
            ).fillna(False)
            if bad.any():
                tables.append(
                    findings_frame(
                        "XP0008",
                        _per_row(
                            prepared,
                            column.name,
                            bad,
                            f": number cannot be stored as an IBM double (magnitude from "
                            f"{IBM_MIN:.4g} to below {WRITABLE_MAX:.4g}, no infinity)",
                        ),
                    )
                )
    size = estimate_xpt_bytes(prepared)
    if size > max_file_bytes:
        loose.append(
            make_finding(
                "XP0009",
                f"{meta.name}: the XPT file would be {size} bytes, over the limit of "
                f"{max_file_bytes}; split the dataset as the FDA Technical Conformance Guide "
                "describes (SDTMIG split datasets, e.g. LB by LBCAT)",
                dataset=meta.name,
                value=str(size),
            )
        )
    return FindingsTable.concat([FindingsTable.from_findings(loose), *tables])


def patch_header_datetimes(path: Path, moment: datetime) -> None:
    """Overwrite the four header datetime fields of a one-member XPT v5 file with ``moment``.

    Raises:
        ExportError: When a field does not hold a datetime (the layout is not the expected one,
            so patching would corrupt the file).
    """
    stamp = sas_datetime_text(moment)
    with path.open("r+b") as handle:
        for record, offset in _DATETIME_FIELDS:
            position = record * RECORD + offset
            handle.seek(position)
            current = handle.read(16)
            if not _DATETIME_TEXT.match(current):
                raise ExportError(
                    f"{path.name}: expected a header datetime at byte {position}, found "
                    f"{current!r}; cannot make the file deterministic"
                )
            handle.seek(position)
            handle.write(stamp)


def _differing_rows(column: ColumnMeta, meant: pd.Series, got: np.ndarray) -> np.ndarray:
    """Positions where the values of one variable read back differ from the prepared ones."""
    if column.data_type == "Num":
        same = np.isclose(
            got, meant.to_numpy(dtype="float64", na_value=np.nan), rtol=0, atol=0, equal_nan=True
        )
    else:
        # A missing text value is written as blanks and read back as "".
        wanted = meant.to_numpy(dtype=object, na_value=None, copy=True)
        wanted[pd.isna(wanted)] = ""
        same = np.asarray(got == wanted, dtype=bool)
    return np.flatnonzero(~same)


def _read_back_findings(prepared: PreparedDataset, written: Path) -> list:
    """Compare the written file with what was meant to be written; return XP0016 findings.

    The file is read with this project's XPT v5 reader (``sdtm.read.xpt_v5``, tested on
    SAS-written CDISC pilot files), a chunk of records at a time from the mapped file:
    pyreadstat's reader built every value of the file as a Python object at once, several
    gigabytes for the LB of a 10,000-subject study, and reading the whole file took as many
    bytes as the file has.
    """
    meta = prepared.meta
    try:
        found, records, chunks = iter_xpt_chunks(written, encoding="ascii")
    except InputError as error:
        found, records, chunks = None, 0, iter(())
        problems = [str(error)]
    else:
        problems = []
    if found is not None:
        if found.dataset != meta.name:
            problems.append(f"dataset name {found.dataset!r}")
        if found.label != meta.label:
            problems.append(f"dataset label {found.label!r}")
        if [v.name for v in found.variables] != [c.name for c in meta.columns]:
            problems.append("variable names or order")
        if records != meta.records:
            problems.append(f"{records} records")
        for column, variable in zip(meta.columns, found.variables, strict=False):
            if variable.label != column.label:
                problems.append(f"{column.name} label {variable.label!r}")
            if variable.length != column.length:
                problems.append(f"{column.name} length {variable.length}")
    if not problems:
        differing = {column.name: 0 for column in meta.columns}
        first: dict[str, int] = {}
        try:
            for start, values in chunks:
                for column, got in zip(meta.columns, values, strict=True):
                    meant = prepared.frame[column.name].iloc[start : start + len(got)]
                    rows = _differing_rows(column, meant, got)
                    if len(rows):
                        differing[column.name] += len(rows)
                        first.setdefault(column.name, start + int(rows[0]) + 1)
        except InputError as error:
            problems.append(str(error))
        problems[:0] = [
            f"{name} values in {count} record(s), first record {first[name]}"
            for name, count in differing.items()
            if count
        ]
    return [
        make_finding(
            "XP0016",
            f"{meta.name}: the file read back differs from the data ({problem}); not written",
            dataset=meta.name,
        )
        for problem in problems
    ]


_OBSERVATION_CHUNK = 20_000
"""Records turned into bytes at a time (bounds the memory of the byte matrix)."""
_BLANK = 0x20
_NUMERIC_MISSING = np.uint64(0x2E << 56)
"""A missing number: ``.`` followed by seven zero bytes."""


def ibm_doubles(values: np.ndarray) -> np.ndarray | None:
    """Return IEEE doubles as 8-byte big-endian IBM System/360 doubles, one row per value.

    The conversion is exact: an IEEE mantissa of 53 bits shifted left by 0-3 bits (to bring
    the exponent to a power of 16) fits the IBM mantissa of 56 bits, so nothing is rounded.
    Zero (of either sign) is eight zero bytes and NaN is the SAS missing value ``.``, as
    ReadStat writes them.

    Returns:
        A ``(len(values), 8)`` uint8 array, or ``None`` when a value is infinite or outside
        the IBM range (the preflight reports those, XP0008; nothing is written then).
    """
    numbers = np.ascontiguousarray(values, dtype="float64")
    bits = numbers.view(np.uint64)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    fraction = bits & np.uint64((1 << 52) - 1)
    missing = np.isnan(numbers)
    zero = numbers == 0
    regular = ~missing & ~zero
    size = np.abs(numbers[regular])
    if not (np.isfinite(size).all() and (size >= IBM_MIN).all() and (size < WRITABLE_MAX).all()):
        return None
    shift = exponent % 4
    ibm_exponent = (exponent + 4 - shift) // 4 + 64
    mantissa = (fraction | np.uint64(1 << 52)) << shift.astype(np.uint64)
    sign = bits & np.uint64(1 << 63)
    ibm = sign | (ibm_exponent.astype(np.uint64) << np.uint64(56)) | mantissa
    ibm = np.where(regular, ibm, np.uint64(0))
    ibm = np.where(missing, _NUMERIC_MISSING, ibm)
    return ibm.astype(">u8").view(np.uint8).reshape(len(numbers), 8)


def _text_bytes(values: pd.Series, length: int) -> np.ndarray | None:
    """Return text values as ``(rows, length)`` uint8, blank-padded; ``None`` if not ASCII."""
    array = values.to_numpy(dtype=object, na_value="")
    if not all(map(isinstance, array, repeat(str))):
        return None
    try:
        fixed = np.array(array, dtype=f"S{length}")
    except UnicodeEncodeError:
        return None
    cells = fixed.view(np.uint8).reshape(len(array), length).copy()
    # numpy pads with NUL bytes, XPT with blanks; a NUL inside a value is refused by the
    # preflight (XP0007), so every NUL here is padding.
    cells[cells == 0] = _BLANK
    return cells


class _NotEncodableError(Exception):
    """A value this writer does not encode itself (pyreadstat writes the whole file then)."""


def _observation_chunks(prepared: PreparedDataset) -> Iterator[bytes]:
    """Yield the observation records of ``prepared`` as bytes, a chunk of records at a time.

    Records are the variables' values side by side (text blank-padded to the variable's
    length, numbers as IBM doubles); the last 80-byte record is padded with blanks.

    Raises:
        _NotEncodableError: For non-ASCII text or a number outside the IBM range.
    """
    columns = prepared.meta.columns
    width = sum(column.length for column in columns)
    frame = prepared.frame
    total = 0
    for start in range(0, len(frame), _OBSERVATION_CHUNK):
        part = frame.iloc[start : start + _OBSERVATION_CHUNK]
        rows = np.empty((len(part), width), dtype=np.uint8)
        offset = 0
        for column in columns:
            if column.data_type == "Char":
                cells = _text_bytes(part[column.name], column.length)
            else:
                numbers = part[column.name].to_numpy(dtype="float64", na_value=np.nan)
                cells = ibm_doubles(numbers) if column.length == 8 else None
            if cells is None:
                raise _NotEncodableError(column.name)
            rows[:, offset : offset + column.length] = cells
            offset += column.length
        total += rows.size
        yield rows.tobytes()
    yield b" " * (-total % RECORD)


def _header_frame(prepared: PreparedDataset) -> pd.DataFrame:
    """One record whose values give pyreadstat the dataset's variable lengths and types."""
    return pd.DataFrame(
        {
            column.name: pd.Series(["x" * column.length], dtype=object)
            if column.data_type == "Char"
            else pd.Series([0.0], dtype="float64")
            for column in prepared.meta.columns
        }
    )


def _write_xport(prepared: PreparedDataset, path: Path) -> None:
    """Write ``prepared`` as an XPT v5 file: pyreadstat's headers, the records from numpy.

    pyreadstat (ReadStat) writes the library, member and variable headers, which depend on the
    names, labels, types and lengths only; it is given one stand-in record with those lengths
    and that record is cut off after the ``OBS`` header. The records themselves are built
    column by column (``_observation_chunks``): ReadStat's writer takes every value through
    Python and cost most of the export's time. The caller reads the file back with pyreadstat
    and compares every value, as before. Where this writer cannot encode a value, pyreadstat
    writes the whole file.
    """
    meta = prepared.meta

    def write(frame: pd.DataFrame) -> None:
        pyreadstat.write_xport(
            frame,
            str(path),
            file_label=meta.label,
            column_labels=[c.label for c in meta.columns],
            table_name=meta.name,
            file_format_version=XPT_FORMAT_VERSION,
        )

    if not meta.columns:
        write(prepared.frame)
        return
    write(_header_frame(prepared))
    header = (9 + -(-len(meta.columns) * NAMESTR // RECORD)) * RECORD
    try:
        with path.open("r+b") as handle:
            handle.truncate(header)
            handle.seek(header)
            for chunk in _observation_chunks(prepared):
                handle.write(chunk)
    except _NotEncodableError:
        write(prepared.frame)


def write_xpt(
    prepared: PreparedDataset,
    out_dir: Path,
    *,
    creation_datetime: datetime,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> XptResult:
    """Write one dataset as ``<out_dir>/<dataset>.xpt`` (SAS transport v5), atomically.

    Args:
        prepared: The dataset from ``prepare_dataset``.
        out_dir: Existing target folder.
        creation_datetime: Written as the header's created and modified datetimes (never the
            clock, so reruns give identical bytes).
        max_file_bytes: Size limit passed to the preflight.

    Returns:
        The path written (``None`` when the dataset has error findings: then nothing is written
        and an existing file of that name is left untouched) and all findings.

    Raises:
        ExportError: When the folder cannot be written.
    """
    meta = prepared.meta
    findings = FindingsTable.concat(
        [prepared.findings, preflight_xpt(prepared, max_file_bytes=max_file_bytes)]
    )
    if len(findings.at_or_above(Severity.ERROR)):
        return XptResult(path=None, findings=findings)
    target = out_dir / xpt_file_name(meta.name)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{meta.name.lower()}.", dir=out_dir)
    except OSError as error:
        raise ExportError(f"cannot write to {out_dir}: {error}") from error
    os.close(handle)
    temp = Path(temp_name)
    try:
        _write_xport(prepared, temp)
        patch_header_datetimes(temp, creation_datetime)
        os.chmod(temp, 0o644)
        mismatches = _read_back_findings(prepared, temp)
        if mismatches:
            return XptResult(
                path=None,
                findings=findings + FindingsTable.from_findings(mismatches),
            )
        os.replace(temp, target)
    except OSError as error:
        raise ExportError(f"cannot write {target}: {error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return XptResult(path=target, findings=findings)
