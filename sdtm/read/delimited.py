"""Delimited text files (CSV and its vendor variants) -> text frame, keeping physical lines.

The reader takes the declared :class:`~sdtm.read.options.ReadOptions`: encoding, delimiter
(or ``auto``), quote character and the header's line (banner lines above it are skipped).
``_src_row`` is always the physical line where a record starts in the delivered file, as a
text editor shows it: banner lines, blank lines and line breaks inside quoted values count;
CRLF, CR and LF all end a line.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from sdtm.read.options import SNIFF, SNIFFED_DELIMITERS, ReadOptions
from sdtm.read.raw import SRC_ROW, _decode, _finding

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""A physical line break as a text editor counts it (CRLF, CR or LF)."""


@dataclass(frozen=True, slots=True)
class _Records:
    """Where each data record of a delimited file starts and ends, and how many fields it has."""

    start: np.ndarray
    """Physical line (1-based) where the record starts."""
    end: np.ndarray
    """Physical line where the record ends (later than ``start`` for a quoted line break)."""
    fields: np.ndarray
    """Number of fields of the record."""


def physical_lines(text: str) -> list[str]:
    """The file's lines as a text editor shows them (no final empty line after the last break)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _records(text: str, lines: list[str], delimiter: str, quotechar: str) -> _Records:
    """Start line, end line and field count of every data record (blank lines skipped).

    A file without any quote character has one record per non-blank line and its field
    count is its delimiter count plus one, computed vectorized (lab transfers have 100k+
    rows). Only a file with quotes, where a quoted field may hold a delimiter or a line
    break, is tokenized with the ``csv`` module, whose ``line_num`` gives the line a record
    ends on. Line numbers are relative to ``text``.
    """
    if quotechar not in text:
        series = pd.Series(lines, dtype=object)
        keep = (series.str.strip() != "").to_numpy(dtype=bool)
        numbers = np.arange(1, len(lines) + 1)[keep]
        counts = series.str.count(re.escape(delimiter)).to_numpy(dtype="int64") + 1
        return _Records(numbers[1:], numbers[1:], counts[keep][1:])
    starts, ends, counts = [], [], []
    reader = csv.reader(StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    previous = 0
    for record in reader:
        # pandas skips blank lines, and lines holding only spaces, as blank too.
        if record and not (len(record) == 1 and not record[0].strip()):
            starts.append(previous + 1)
            ends.append(reader.line_num)
            counts.append(len(record))
        previous = reader.line_num
    return _Records(
        np.asarray(starts[1:], dtype="int64"),
        np.asarray(ends[1:], dtype="int64"),
        np.asarray(counts[1:], dtype="int64"),
    )


def _decode_declared(
    data: bytes, path: str, encoding: str
) -> tuple[str, list[dict[str, object]]]:
    """Decode with the declared encoding; every line holding undecodable bytes is reported.

    The finding names file, line and the bytes (hex) that are not ``encoding``; those bytes
    are read as U+FFFD so that the value can be found, and the export preflight refuses it.
    """
    name = codecs.lookup(encoding).name
    codec = "utf-8-sig" if name == "utf-8" else name
    try:
        return data.decode(codec), []
    except UnicodeDecodeError:
        pass
    findings = []
    for number, raw_line in enumerate(re.split(rb"\r\n|\r|\n", data), start=1):
        try:
            raw_line.decode(codec)
        except UnicodeDecodeError as error:
            bad = raw_line[error.start : error.end]
            findings.append(
                _finding(
                    "RD0003",
                    path,
                    f"bytes {bad.hex(' ')} at byte {error.start + 1} of the line are not "
                    f"{encoding} (the encoding the mapping spec declares); they are read as "
                    "U+FFFD: correct the declared encoding or re-export the file",
                    row=number,
                    value=raw_line.decode(codec, errors="replace"),
                )
            )
    return data.decode(codec, errors="replace"), findings


def _skip_lines(text: str, count: int) -> str:
    """The text after its first ``count`` physical lines."""
    if count <= 0:
        return text
    for breaks, match in enumerate(_LINE_BREAK.finditer(text), start=1):
        if breaks == count:
            return text[match.end() :]
    return ""


def _sniff(header: str, path: str) -> tuple[str, dict[str, object]]:
    """Detect the delimiter from the header line; the finding reports what was chosen."""
    counts = {d: header.count(d) for d in SNIFFED_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ValueError(
            "delimiter: auto found none of "
            + ", ".join(repr(d) for d in SNIFFED_DELIMITERS)
            + " in the header line; declare the delimiter in the mapping spec"
        )
    tied = [d for d, n in counts.items() if n == counts[best] and d != best]
    if tied:
        raise ValueError(
            f"delimiter: auto cannot choose between {best!r} and {tied[0]!r} (each appears "
            f"{counts[best]} time(s) in the header); declare the delimiter in the mapping spec"
        )
    finding = _finding(
        "RD0021",
        path,
        f"delimiter detected from the header: {best!r} ({counts[best] + 1} columns); declare "
        "it in the mapping spec to make the read independent of the header's content",
        value=best,
    )
    return best, finding


def read_delimited(
    path: Path, relative: str, options: ReadOptions
) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    """Read a delimited file; rows with more or fewer fields than the header are reported.

    Args:
        path: The file.
        relative: Its path relative to the study folder (for findings).
        options: Declared reader options (encoding, delimiter, quotechar, header_row or
            skip_rows); ``na_values`` and ``decimal`` are applied by the caller.

    Returns:
        The frame (text columns plus ``_src_row``, the physical line a record starts on), the
        number of data records, and the findings.

    Raises:
        ValueError: when the file is empty or its delimiter cannot be detected.
    """
    data = path.read_bytes()
    if options.encoding is None:
        text, findings = _decode(data, relative)
    else:
        text, findings = _decode_declared(data, relative, options.encoding)
    if not text.strip():
        size = "0 bytes" if not data else "only blank lines"
        raise ValueError(f"the file is empty ({size}): no header row and no data")
    skipped = options.header_line - 1
    body = _skip_lines(text, skipped)
    if not body.strip():
        raise ValueError(f"no header: the file has no line after the {skipped} skipped line(s)")
    quotechar = options.quotechar or '"'
    delimiter = options.delimiter or ","
    if delimiter == SNIFF:
        delimiter, sniffed = _sniff(physical_lines(body)[0], relative)
        findings.append(sniffed)
    with warnings.catch_warnings():
        # Rows with too many fields are reported below, from the tokenizer's own count.
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(
            StringIO(body),
            sep=delimiter,
            quotechar=quotechar,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            on_bad_lines="warn",
            skip_blank_lines=True,
            # Never take the first column as the index when every row has one field more
            # than the header (pandas' default): that would shift every value silently.
            index_col=False,
            engine="c",
        )
    width = len(frame.columns)
    lines = physical_lines(body)
    try:
        records = _records(body, lines, delimiter, quotechar)
    except csv.Error:  # pandas read what the csv module cannot: number rows as lines
        records = None
    if records is not None and len(frame) == len(records.start) and len(frame):
        # pandas kept every record, a long one cut to the header's width (it does so when the
        # first data row is long): drop the long ones here, each is reported below.
        long_rows = records.fields > width
        frame = frame.loc[~long_rows].reset_index(drop=True)
    if records is None or int((records.fields <= width).sum()) != len(frame):
        # The two tokenizers disagree on the records (unusual quoting): fall back to one
        # record per line after the header, so that every row still has a distinct number.
        frame[SRC_ROW] = np.arange(2, len(frame) + 2, dtype="int64") + skipped
        return frame, len(frame), findings
    kept = records.fields <= width
    frame[SRC_ROW] = records.start[kept] + skipped
    short = records.fields[kept] < width
    bad = ~kept
    bad[kept] = short
    for start, end, count in zip(
        records.start[bad].tolist(),
        records.end[bad].tolist(),
        records.fields[bad].tolist(),
        strict=True,
    ):
        shown = "\n".join(lines[start - 1 : end])
        if count > width:
            rule, what = "RD0004", "more"
            mark = "comma" if delimiter == "," else f"{delimiter!r}"
            advice = f"fix the quoting in the source (a {mark} inside an unquoted value)"
        else:
            rule, what = "RD0009", "fewer"
            advice = (
                "its values cannot be matched to their columns; fix the row in the source "
                "(a missing separator, or a line break inside an unquoted value)"
            )
        findings.append(
            _finding(
                rule,
                relative,
                f"{count} field(s), {what} than the header's {width}; the row is not read, "
                + advice,
                row=start + skipped,
                value=shown,
            )
        )
    frame = frame.loc[~short].reset_index(drop=True)
    return frame, len(records.start), findings
