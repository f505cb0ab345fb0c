"""A minimal, independent reader of SAS transport (XPT) version 5 files.

It shares no code with pyreadstat/ReadStat, so reading our own output with both is a real
cross-check of the writer. The layout follows the SAS technical note "Record Layout of a SAS
Version 5 or 6 Data Set in SAS Transport (XPORT) Format" (TS-140):

* the file is a sequence of 80-byte records; text is blank-padded;
* records 1-3: library header (record 2: SAS version at bytes 24-31, operating system at 32-39,
  created datetime at 64-79; record 3: modified datetime at 0-15);
* per member: a member header record (bytes 74-77: NAMESTR size, 140, or 136 on VAX/VMS), a
  descriptor header record, then two descriptor records (dataset name at bytes 8-15, created
  datetime at 64-79; then modified datetime at 0-15, dataset label at 32-71, dataset type at
  72-79), then a NAMESTR header record (bytes 54-57: number of variables) and one NAMESTR per
  variable, padded to a whole record;
* an OBS header record, then the observations, each the concatenation of its fixed-width
  values, padded with blanks to a whole record;
* numbers are IBM System/360 floating point: sign bit, 7-bit excess-64 base-16 exponent, 56-bit
  fraction; missing values are ``.``, ``._`` or ``.A``-``.Z`` (first byte ``.``/``_``/``A``-``Z``,
  the rest zero).

Only the first member of a file is read: a submission file holds exactly one dataset.
"""

from __future__ import annotations

import contextlib
import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import Finding, FindingsTable, Stage
from sdtm.safe_parse import MAX_COLUMNS

RULE_IDS: tuple[str, ...] = ("XP0017",)
# The read stage must not import the export stage, so this rule's name and severity are kept
# here; a test compares them with specs/rules/XP0017.yaml.
RULE_NAME = "xpt-text-not-utf8"
RULE_SEVERITY = "warning"

RECORD = 80
_LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"

# NAMESTR record (TS-140), big-endian:
#   ntype  short   variable type: 1 numeric, 2 character
#   nhfun  short   hash of name (always 0)
#   nlng   short   length of variable in observation
#   nvar0  short   varnum
#   nname  char8   name of variable
#   nlabel char40  label of variable
#   nform  char8   name of format
#   nfl    short   format field length
#   nfd    short   format number of decimals
#   nfj    short   justification (0 left, 1 right)
#   nfill  char2   unused
#   niform char8   name of input format
#   nifl   short   informat length attribute
#   nifd   short   informat number of decimals
#   npos   long    position of value in observation
#   rest   char52  remaining fields, unused
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")


@dataclass(frozen=True, slots=True)
class XptVariable:
    """One variable as described by its NAMESTR record."""

    name: str
    """Variable name."""
    label: str
    """Variable label."""
    data_type: str
    """``Char`` or ``Num``."""
    length: int
    """Bytes per value."""
    position: int
    """Offset of the value in an observation."""
    format_name: str
    """SAS format name, empty when none."""
    format_width: int = 0
    """Format field length (``nfl``), 0 when none."""
    format_decimals: int = 0
    """Format number of decimals (``nfd``)."""

    @property
    def format_text(self) -> str:
        """The format as SAS writes it (``$12.``, ``8.2``, ``DATE9.``), empty when none."""
        if self.format_decimals:
            return f"{self.format_name}{self.format_width}.{self.format_decimals}"
        if self.format_width:
            return f"{self.format_name}{self.format_width}."
        return self.format_name


@dataclass(frozen=True, slots=True)
class XptMetadata:
    """Header facts of an XPT v5 file."""

    dataset: str
    """Dataset (member) name."""
    label: str
    """Dataset label."""
    sas_version: str
    """SAS version written in the library header."""
    operating_system: str
    """Operating system written in the library header."""
    created: str
    """Library creation datetime text (``ddMMMyy:hh:mm:ss``)."""
    modified: str
    """Library modification datetime text."""
    member_created: str
    """Member creation datetime text."""
    member_modified: str
    """Member modification datetime text."""
    variables: tuple[XptVariable, ...]
    """Variables in file order."""


@dataclass(frozen=True, slots=True)
class XptContent:
    """What ``read_xpt_v5`` returns."""

    frame: pd.DataFrame
    """The data; text blank when missing (as SAS and pyreadstat give it), numbers NaN.

    ``attrs["dataset_label"]`` holds the dataset label and ``attrs["labels"]`` the variable
    labels."""
    metadata: XptMetadata
    """Header facts."""
    findings: FindingsTable
    """XP0017 for text that is not in the expected encoding."""


def _text(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace").rstrip(" \x00")


def ibm_to_float(raw: np.ndarray) -> np.ndarray:
    """Convert IBM System/360 doubles to IEEE floats.

    Args:
        raw: ``uint8`` array of shape ``(n, width)``, ``2 <= width <= 8``; SAS stores shortened
            numbers by dropping low-order bytes.

    Returns:
        ``float64`` array of length ``n``; SAS missing values become NaN.
    """
    count, width = raw.shape
    full = np.zeros((count, 8), dtype=np.uint8)
    full[:, :width] = raw
    words = full.view(">u8").ravel()
    first = full[:, 0]
    rest_zero = ~full[:, 1:].any(axis=1)
    missing = rest_zero & ((first == 0x2E) | (first == 0x5F) | ((first >= 0x41) & (first <= 0x5A)))
    sign = np.where(first & 0x80, -1.0, 1.0)
    exponent = (first & 0x7F).astype(np.int64) - 64
    fraction = (words & np.uint64(0x00FFFFFFFFFFFFFF)).astype(np.float64)
    # value = 0.fraction (56 bits) * 16**exponent = fraction * 2**(4*exponent - 56)
    values = sign * np.ldexp(fraction, (4 * exponent - 56).astype(np.int32))
    values[missing] = np.nan
    return values


def _decode_column(
    cells: np.ndarray,
    *,
    encoding: str,
    fallback_encoding: str | None,
    where: str,
    dataset: str,
    variable: str,
) -> tuple[np.ndarray, list]:
    """Decode one fixed-width text column; values that fail ``encoding`` use the fallback."""
    stripped = np.char.rstrip(cells, b" ")
    uniques, inverse = np.unique(stripped, return_inverse=True)
    decoded: list[str] = []
    failed: list[int] = []
    for index, raw in enumerate(uniques.tolist()):
        try:
            decoded.append(raw.decode(encoding))
        except UnicodeDecodeError as error:
            if fallback_encoding is None:
                raise InputError(
                    f"{where}: variable {variable}: bytes {raw!r} are not {encoding} "
                    f"({error.reason}); read again with another encoding (e.g. cp1252)"
                ) from error
            decoded.append(raw.decode(fallback_encoding, errors="replace"))
            failed.append(index)
    findings = []
    for index in failed:
        rows = np.flatnonzero(inverse.ravel() == index) + 1
        findings.append(
            Finding(
                rule_id="XP0017",
                severity=RULE_SEVERITY,
                message=(
                    f"{where}: {variable} in record(s) {', '.join(map(str, rows[:10].tolist()))}"
                    f"{' ...' if len(rows) > 10 else ''}: bytes {bytes(uniques[index])!r} are "
                    f"not {encoding}; read as {fallback_encoding}. Pass the file's encoding if "
                    f"known [XP0017 {RULE_NAME}]"
                ),
                rule_name=RULE_NAME,
                stage=Stage.READ.value,
                dataset=dataset,
                variable=variable,
                row=int(rows[0]),
                value=decoded[index],
                source_file=where,
            )
        )
    return np.asarray(decoded, dtype=object)[inverse.ravel()], findings


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the parts of the first member of a transport file are."""

    namestr_size: int
    variables: tuple[XptVariable, ...]
    data_start: int
    """Offset of the first observation (after the OBS header record)."""
    data_end: int
    """Offset after the member's last record (the next member header, or the file's end)."""
    row_length: int
    """Bytes per observation."""


def _layout(data: bytes | mmap.mmap, where: str) -> _Layout:
    """Parse the headers of the first member and check the file's record structure.

    SAS writes a transport file as whole 80-byte records and pads the last record of the
    observations with blanks (TS-140). A file whose size is not a whole number of records, or
    whose bytes after the last whole observation are not blank padding shorter than one
    record, was cut short or damaged; it is refused with the byte offset (a cut that falls
    exactly between two observations at a record boundary cannot be seen from the file alone:
    the package's ``manifest.json`` lists each file's size, SHA-256 and record count for that).

    Raises:
        InputError: Naming the file, the byte offset and what is wrong there.
    """
    if data[: len(_LIBRARY_HEADER)] != _LIBRARY_HEADER:  # ``data`` may be a mapped file
        raise InputError(
            f"{where}: not a SAS transport v5 file (no library header record at byte 0)"
        )
    if len(data) % RECORD:
        cut = len(data) - len(data) % RECORD
        raise InputError(
            f"{where}: file size {len(data)} is not a whole number of {RECORD}-byte records: "
            f"the file was cut short (the last record starts at byte {cut} and is incomplete)"
        )
    if len(data) < 8 * RECORD or data[3 * RECORD : 3 * RECORD + 48] != _MEMBER_HEADER:
        raise InputError(f"{where}: no member header record at byte {3 * RECORD}")
    try:
        namestr_size = int(data[3 * RECORD + 74 : 3 * RECORD + 78])
    except ValueError:
        namestr_size = 0
    if namestr_size not in (136, 140):
        raise InputError(
            f"{where}: member header at byte {3 * RECORD} gives NAMESTR size "
            f"{data[3 * RECORD + 74 : 3 * RECORD + 78]!r}, not 140 (or 136)"
        )
    namestr_header = data[7 * RECORD : 8 * RECORD]
    if not namestr_header.startswith(_NAMESTR_HEADER):
        raise InputError(f"{where}: no NAMESTR header record at byte {7 * RECORD}")
    try:
        count = int(namestr_header[54:58])
    except ValueError:
        count = -1
    if count < 1:
        raise InputError(
            f"{where}: NAMESTR header at byte {7 * RECORD} gives no variable count "
            f"({namestr_header[54:58]!r})"
        )
    if count > MAX_COLUMNS:
        raise InputError(
            f"{where}: {count} variables, more than the limit of {MAX_COLUMNS:,} variables per "
            "dataset; refused"
        )
    start = 8 * RECORD
    variables = []
    for index in range(count):
        offset = start + index * namestr_size
        chunk = data[offset : offset + namestr_size]
        if len(chunk) < namestr_size:
            raise InputError(f"{where}: NAMESTR record {index + 1} at byte {offset} is cut short")
        fields = _NAMESTR.unpack(chunk.ljust(_NAMESTR.size, b"\x00"))
        variables.append(
            XptVariable(
                name=_text(fields[4]),
                label=_text(fields[5]),
                data_type="Num" if fields[0] == 1 else "Char",
                length=fields[2],
                position=fields[14],
                format_name=_text(fields[6]),
                format_width=fields[7],
                format_decimals=fields[8],
            )
        )
    obs_header_at = start + -(-count * namestr_size // RECORD) * RECORD
    if data[obs_header_at : obs_header_at + 48] != _OBS_HEADER:
        raise InputError(f"{where}: no OBS header record at byte {obs_header_at}")
    row_length = sum(v.length for v in variables)
    for variable in variables:
        if variable.length < 1 or variable.position + variable.length > row_length:
            raise InputError(
                f"{where}: variable {variable.name} has length {variable.length} at position "
                f"{variable.position}, outside the observation of {row_length} bytes"
            )
    data_start = obs_header_at + RECORD
    # Searched in place: a slice of the data would copy the whole file once more.
    next_member = data.find(_MEMBER_HEADER, data_start)
    while next_member != -1 and (next_member - data_start) % RECORD:
        next_member = data.find(_MEMBER_HEADER, next_member + 1)
    data_end = next_member if next_member != -1 else len(data)
    rest = (data_end - data_start) % row_length
    if rest:
        tail_at = data_end - rest
        tail = data[tail_at:data_end]
        if rest >= RECORD or tail.strip(b" "):
            whole = (data_end - data_start) // row_length
            raise InputError(
                f"{where}: the data end inside observation {whole + 1}: bytes {tail_at}-"
                f"{data_end - 1} hold part of a record, not the blank padding SAS writes after "
                "the last observation (the file was cut short or damaged)"
            )
    return _Layout(namestr_size, tuple(variables), data_start, data_end, row_length)


def check_xpt_file(path: Path) -> None:
    """Check that a file is a whole SAS transport v5 file (headers, records, padding).

    Args:
        path: The ``.xpt`` file.

    Raises:
        InputError: When it is not one, or was cut short or damaged; the message names the
            file and the byte offset.
    """
    _layout(Path(path).read_bytes(), Path(path).name)


def _member(data: bytes | mmap.mmap, where: str) -> tuple[XptMetadata, np.ndarray]:
    """Header facts and the observation matrix (``records x row length`` bytes) of a file."""
    meta, matrix, _ = _member_at(data, where)
    return meta, matrix


def _member_at(data: bytes | mmap.mmap, where: str) -> tuple[XptMetadata, np.ndarray, int]:
    """``_member`` and the byte offset of the first observation."""
    layout = _layout(data, where)
    library = data[RECORD : 2 * RECORD]
    descriptor = data[5 * RECORD : 6 * RECORD]
    descriptor2 = data[6 * RECORD : 7 * RECORD]
    # A view, not a copy: the observations of a large dataset are most of the file.
    body = memoryview(data)[layout.data_start : layout.data_end]
    row_length = layout.row_length
    records = len(body) // row_length
    matrix = np.frombuffer(body[: records * row_length], dtype=np.uint8).reshape(
        records, row_length
    )
    # The last record is padded with blanks: an all-blank row lying wholly inside the last
    # record is padding, not an observation (the format cannot tell the two apart otherwise).
    while (
        records
        and (records - 1) * row_length >= len(body) - RECORD
        and not (matrix[records - 1] != 0x20).any()
    ):
        records -= 1
    meta = XptMetadata(
        dataset=_text(descriptor[8:16]),
        label=_text(descriptor2[32:72]),
        sas_version=_text(library[24:32]),
        operating_system=_text(library[32:40]),
        created=_text(library[64:80]),
        modified=_text(data[2 * RECORD : 2 * RECORD + 16]),
        member_created=_text(descriptor[64:80]),
        member_modified=_text(descriptor2[0:16]),
        variables=tuple(layout.variables),
    )
    return meta, matrix[:records], layout.data_start


def _column(
    matrix: np.ndarray,
    variable: XptVariable,
    *,
    encoding: str,
    fallback_encoding: str | None,
    where: str,
    dataset: str,
) -> tuple[np.ndarray, list]:
    """One variable's values (float64, or ``str`` objects) and XP0017 findings."""
    cells = matrix[:, variable.position : variable.position + variable.length]
    if variable.data_type == "Num":
        return ibm_to_float(cells), []
    fixed = np.ascontiguousarray(cells).view(f"S{variable.length}").ravel()
    return _decode_column(
        fixed,
        encoding=encoding,
        fallback_encoding=fallback_encoding,
        where=where,
        dataset=dataset,
        variable=variable.name,
    )


def iter_xpt_columns(
    path: Path, *, encoding: str = "utf-8"
) -> tuple[XptMetadata, int, Iterator[tuple[XptVariable, np.ndarray]]]:
    """Read the header of an XPT v5 file and decode its variables one at a time.

    For checking a large file value by value without holding all of its columns as Python
    objects at once (``read_xpt_v5`` builds the whole frame). Text that is not ``encoding``
    is an error here, not read with a fallback.

    Returns:
        The header facts, the number of records, and an iterator of (variable, values) in
        file order: ``float64`` for ``Num`` (missing is NaN), ``str`` objects for ``Char``
        (trailing blanks removed; missing is ``""``).

    Raises:
        InputError: When the file is not an XPT v5 file, is cut short, or holds text that is
            not ``encoding`` (raised while iterating).
    """
    where = Path(path).name
    meta, matrix = _member(Path(path).read_bytes(), where)

    def columns() -> Iterator[tuple[XptVariable, np.ndarray]]:
        for variable in meta.variables:
            values, _ = _column(
                matrix,
                variable,
                encoding=encoding,
                fallback_encoding=None,
                where=where,
                dataset=meta.dataset,
            )
            yield variable, values

    return meta, len(matrix), columns()


def iter_xpt_chunks(
    path: Path, *, encoding: str = "utf-8", records: int = 20_000
) -> tuple[XptMetadata, int, Iterator[tuple[int, list[np.ndarray]]]]:
    """Read the header of an XPT v5 file and decode its records a chunk at a time.

    The file is mapped, not read: the pages of each chunk are given back once it is decoded,
    so checking a file of several hundred megabytes holds one chunk of its bytes, not all of
    them (a whole-file read was the largest allocation of the export of a large LB).

    Returns:
        The header facts, the number of records, and an iterator of (index of the chunk's
        first record, values of each variable in file order), values as for
        :func:`iter_xpt_columns`.

    Raises:
        InputError: When the file is not an XPT v5 file, is cut short, or holds text that is
            not ``encoding`` (raised while iterating).
    """
    where = Path(path).name
    with Path(path).open("rb") as handle:
        try:
            data: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty (refused below as not XPT), or not mappable
            data = handle.read()
    meta, matrix, data_start = _member_at(data, where)
    # The layout check scanned the whole file: its pages leave this process again.
    _release_pages(data, 0, len(data))
    chunks = _chunks(data, matrix, data_start, meta, records, encoding, where)
    return meta, len(matrix), chunks


def _release_pages(data: bytes | mmap.mmap, start: int, stop: int) -> None:
    """Drop the mapped pages of ``data[start:stop]`` from this process (no-op for bytes)."""
    if isinstance(data, bytes) or not hasattr(mmap, "MADV_DONTNEED"):
        return
    first = start - start % mmap.PAGESIZE
    if stop > first:
        # Only memory is at stake: a refusal leaves the pages mapped, the values are right.
        with contextlib.suppress(OSError):
            data.madvise(mmap.MADV_DONTNEED, first, stop - first)


def _chunks(
    data: bytes | mmap.mmap,
    matrix: np.ndarray,
    data_start: int,
    meta: XptMetadata,
    records: int,
    encoding: str,
    where: str,
) -> Iterator[tuple[int, list[np.ndarray]]]:
    row_length = matrix.shape[1]
    for first in range(0, len(matrix), records):
        part = matrix[first : first + records]
        values = [
            _column(
                part,
                variable,
                encoding=encoding,
                fallback_encoding=None,
                where=where,
                dataset=meta.dataset,
            )[0]
            for variable in meta.variables
        ]
        yield first, values
        end = data_start + (first + len(part)) * row_length
        _release_pages(data, data_start + first * row_length, end)


def read_xpt_v5(
    path: Path,
    *,
    encoding: str = "utf-8",
    fallback_encoding: str | None = "cp1252",
) -> XptContent:
    """Read the first member of a SAS transport v5 file.

    Args:
        path: The ``.xpt`` file.
        encoding: Encoding of the text values.
        fallback_encoding: Encoding used for values that are not valid ``encoding``; each such
            value gives an XP0017 finding naming the variable and records. ``None`` makes such
            a value an ``InputError`` instead.

    Returns:
        Data, header metadata and findings.

    Raises:
        InputError: When the file is not an XPT v5 file or is cut short (see ``check_xpt_file``).
    """
    where = Path(path).name
    meta, matrix = _member(Path(path).read_bytes(), where)
    variables = meta.variables
    columns: dict[str, object] = {}
    findings = []
    for variable in variables:
        values, problems = _column(
            matrix,
            variable,
            encoding=encoding,
            fallback_encoding=fallback_encoding,
            where=where,
            dataset=meta.dataset,
        )
        columns[variable.name] = values
        findings += problems
    frame = pd.DataFrame(columns, columns=[v.name for v in variables])
    frame.attrs["source_file"] = where
    frame.attrs["dataset_label"] = meta.label
    frame.attrs["labels"] = {v.name: v.label for v in variables}
    return XptContent(frame=frame, metadata=meta, findings=FindingsTable.from_findings(findings))
