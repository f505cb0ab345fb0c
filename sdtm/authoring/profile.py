"""Profile a study's raw files: what each column holds, before anyone writes a mapping spec.

For every raw file the readers support (``sdtm.read.raw``) and every column: the kind of values
(integer, decimal, date, time, datetime, text), fill rate, the most frequent values, the date
formats the values fit (with a day/month ambiguity flagged, never guessed), numeric ranges,
units seen, and the CDISC codelists whose terms the values match (exact, another case, CDISC
synonym or NCI preferred term, with the share of rows matched). Reading problems of a file (bytes
that are not UTF-8, rows that cannot be read) are kept with it.

``sdtm propose`` drafts a spec from this profile; ``sdtm profile`` writes it as JSON or Excel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from sdtm.authoring.names import RawNames, normalize_name
from sdtm.mapping.dates import DATE_FORMATS, MONTHS
from sdtm.read.raw import PROVENANCE, RawFile, list_raw_files, read_raw_files
from sdtm.standards.search import CodelistMatch, MatchKind, TermIndex, match_codelists

DATE_SHARE = 0.9
"""Share of a column's filled rows that must fit a date (time) format for it to be a date."""
UNKNOWN_PARTS = ("UNK", "UN", "U", "XX", "--")
"""Spellings of an unknown date or time part in EDC exports (``UN JAN 2024``)."""
UNIT_CODELISTS = ("UNIT", "PKUNIT")
"""Codelists whose matches make a column a unit column."""

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TIME = re.compile(r"^(?:\d{1,2}|UNK|UN|U)(?::(?:\d{2}|UNK|UN|U)(?::\d{2})?)$")
_DATE_TIME = re.compile(r"\d[T ]\d{1,2}:\d{2}")


@dataclass(frozen=True, slots=True)
class DateProfile:
    """The date formats a column's values fit."""

    formats: tuple[str, ...]
    """Names of ``DATE_FORMATS`` that read at least ``DATE_SHARE`` of the filled rows."""
    chosen: str | None
    """The format to use, ``None`` when the values do not decide it (``ambiguous``)."""
    share: float
    """Share of the filled rows the chosen (or first) format reads."""
    ambiguous: bool
    """True when both DD/MM/YYYY and MM/DD/YYYY read every value: no day is above 12."""
    partial: int
    """Rows with an unknown part (``UN JAN 2024``, ``UNK UNK 2019``)."""
    unreadable: tuple[str, ...]
    """Distinct values no listed format reads (at most 5)."""
    with_time: bool = False
    """True when the values carry a time too (ISO 8601 datetimes)."""


@dataclass(frozen=True, slots=True)
class NumericProfile:
    """Numbers in a column."""

    share: float
    """Share of the filled rows that are plain numbers."""
    minimum: float
    """Smallest number."""
    maximum: float
    """Largest number."""
    non_numeric: tuple[str, ...]
    """Distinct values that are not numbers (``<0.5``, ``BLQ``), most frequent first (at most 5)."""


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """What one raw column holds."""

    name: str
    """Column name as delivered."""
    kind: str
    """``empty``, ``integer``, ``decimal``, ``date``, ``datetime``, ``time`` or ``text``."""
    rows: int
    """Data rows of the file."""
    filled: int
    """Rows with a non-blank value."""
    distinct: int
    """Distinct non-blank values (surrounding blanks ignored)."""
    top: tuple[tuple[str, int], ...]
    """Most frequent values with their row counts."""
    counts: Mapping[str, int]
    """Every distinct non-blank value with its row count (for ``sdtm propose``)."""
    date: DateProfile | None = None
    """Date formats, for date and datetime columns."""
    numeric: NumericProfile | None = None
    """Numbers, when at least half the filled rows are numbers."""
    units: tuple[str, ...] = ()
    """Distinct units, for a column of units (CT UNIT/PKUNIT terms, or a unit-named column)."""
    codelists: tuple[CodelistMatch, ...] = ()
    """Codelists the values match, best first."""
    non_ascii: int = 0
    """Rows whose value holds a character outside ASCII (XPT v5 needs ASCII)."""
    max_length: int = 0
    """Longest value, in characters."""
    flags: tuple[str, ...] = ()
    """Problems a mapper must decide (ambiguous dates, non-ASCII text, mixed numbers)."""

    @property
    def fill_rate(self) -> float:
        """Share of the rows with a value."""
        return self.filled / self.rows if self.rows else 0.0


@dataclass(frozen=True, slots=True)
class FileProfile:
    """What one raw file holds."""

    path: str
    """Path relative to the study folder."""
    rows: int
    """Data rows read."""
    columns: tuple[ColumnProfile, ...]
    """Columns in file order."""
    encoding: str
    """``UTF-8``, or what the bytes were read as when they are not UTF-8."""
    problems: Mapping[str, int]
    """Reading findings by rule id (``RD0003`` ...) with their counts."""
    subject_column: str | None = None
    """The column holding the subject identifier, when one is recognized by name."""
    rows_per_subject: int = 0
    """Most rows any subject has (1: one row per subject, a lookup candidate)."""
    flags: tuple[str, ...] = ()
    """File-level problems (not UTF-8, rows not read, file unreadable)."""

    def column(self, name: str) -> ColumnProfile | None:
        """Return the profile of column ``name``, or ``None``."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class StudyProfile:
    """Profiles of every raw file of a study folder."""

    study_dir: str
    """The study folder as given."""
    files: tuple[FileProfile, ...]
    """Files sorted by path."""
    ct_version: str
    """CT package the values were matched against."""


def _counts(series: pd.Series) -> dict[str, int]:
    text = series.astype("string").str.strip()
    text = text[text.notna() & (text != "")]
    counts = text.value_counts(sort=False)
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def _date_parts(value: str, name: str) -> tuple[str, str, str] | None:
    """Return (year, month, day) text when ``value`` fits format ``name`` with valid parts."""
    match = re.fullmatch(DATE_FORMATS[name], value.strip().upper())
    if match is None:
        return None
    parts = match.groupdict()
    year, month, day = parts.get("y") or "", parts.get("m") or "", parts.get("d") or ""
    if month and month not in UNKNOWN_PARTS:
        if month.isdigit():
            if not 1 <= int(month) <= 12:
                return None
        elif month not in MONTHS:
            return None
    if day and day.isdigit() and not 1 <= int(day) <= 31:
        return None
    return year, month, day


def detect_date(counts: Mapping[str, int]) -> DateProfile | None:
    """Return the date formats the values fit, or ``None`` when the column holds no dates.

    A format fits when it reads at least :data:`DATE_SHARE` of the filled rows with valid
    month and day numbers. Plain numbers (``2019``, ``1``) alone never make a date column.
    When both DD/MM/YYYY and MM/DD/YYYY fit, the column is ambiguous and no format is chosen:
    ``03/04/2024`` is 3 April or 4 March, and only the data provider knows which.

    Args:
        counts: Distinct non-blank value -> rows.

    Returns:
        The date profile, or ``None``.
    """
    total = sum(counts.values())
    if not total:
        return None
    digits_only = sum(n for v, n in counts.items() if v.isdigit())
    if digits_only > total / 2:
        return None
    read: dict[str, int] = {}
    for name in DATE_FORMATS:
        read[name] = sum(n for v, n in counts.items() if _date_parts(v, name) is not None)
    formats = tuple(name for name, n in read.items() if n >= DATE_SHARE * total)
    if not formats:
        return None
    ambiguous = "DD/MM/YYYY" in formats and "MM/DD/YYYY" in formats
    preferred = [f for f in formats if not (ambiguous and f in ("DD/MM/YYYY", "MM/DD/YYYY"))]
    chosen = None if ambiguous else preferred[0]
    reference = chosen or formats[0]
    partial = sum(
        n
        for v, n in counts.items()
        if any(part in UNKNOWN_PARTS for part in (_date_parts(v, reference) or ()))
    )
    unreadable = tuple(v for v in counts if _date_parts(v, reference) is None)[:5]
    with_time = any(_DATE_TIME.search(v) for v in counts)
    return DateProfile(
        formats=formats,
        chosen=chosen,
        share=read[reference] / total,
        ambiguous=ambiguous,
        partial=partial,
        unreadable=unreadable,
        with_time=with_time,
    )


def _numeric(counts: Mapping[str, int]) -> NumericProfile | None:
    total = sum(counts.values())
    numbers = {v: n for v, n in counts.items() if _NUMBER.match(v)}
    matched = sum(numbers.values())
    if not total or matched < total / 2:
        return None
    values = [float(v) for v in numbers]
    return NumericProfile(
        share=matched / total,
        minimum=min(values),
        maximum=max(values),
        non_numeric=tuple(v for v in counts if v not in numbers)[:5],
    )


def profile_column(
    name: str, series: pd.Series, index: TermIndex, *, top_n: int = 10, min_share: float = 0.5
) -> ColumnProfile:
    """Profile one raw column.

    Args:
        name: Column name.
        series: Its values as read (text).
        index: Term index of the CT package.
        top_n: How many most frequent values to keep in ``top``.
        min_share: Smallest share of rows a codelist must match to be listed.

    Returns:
        The column profile.
    """
    counts = _counts(series)
    filled = sum(counts.values())
    flags: list[str] = []
    date = detect_date(counts)
    numeric = None if date is not None else _numeric(counts)
    time_rows = sum(n for v, n in counts.items() if _TIME.match(v.upper()))
    if not filled:
        kind = "empty"
    elif date is not None:
        kind = "datetime" if date.with_time else "date"
    elif time_rows >= DATE_SHARE * filled:
        kind = "time"
    elif numeric is not None and numeric.share == 1.0:
        kind = "integer" if all(_INTEGER.match(v) for v in counts) else "decimal"
    else:
        kind = "text"
    if date is not None and date.ambiguous:
        flags.append(
            "ambiguous date: every value fits both DD/MM/YYYY and MM/DD/YYYY (no day above 12); "
            "ask the data provider and state the format"
        )
    if date is not None and date.unreadable:
        flags.append(
            f"{len(date.unreadable)} value(s) fit no date format, e.g. {date.unreadable[0]!r}"
        )
    if numeric is not None and numeric.non_numeric:
        flags.append(
            f"mostly numbers ({numeric.share:.0%}), also text such as "
            + ", ".join(repr(v) for v in numeric.non_numeric)
        )
    codelists: tuple[CodelistMatch, ...] = ()
    if kind == "text":
        codelists = match_codelists(index, counts, min_share=min_share)[:3]
    elif kind == "integer":
        # Digits are CDISC synonyms of many unrelated terms (AESEV 1 = MILD, TPHASE 1 = PHASE
        # I TRIAL): a column of numbers matches only where the numbers are submission values.
        exact = (MatchKind.EXACT, MatchKind.CASE_INSENSITIVE)
        codelists = match_codelists(index, counts, min_share=min_share, kinds=exact)[:3]
    normalized = normalize_name(name)
    units: tuple[str, ...] = ()
    if (
        "UNIT" in normalized
        or normalized.endswith("UOM")
        or any(m.short_name in UNIT_CODELISTS for m in codelists)
    ):
        units = tuple(sorted(counts))[:30]
    non_ascii = sum(n for v, n in counts.items() if not v.isascii())
    if non_ascii:
        flags.append(
            f"{non_ascii} row(s) hold characters outside ASCII (XPT v5 needs ASCII: "
            "to_ascii: true, or correct the source)"
        )
    return ColumnProfile(
        name=name,
        kind=kind,
        rows=len(series),
        filled=filled,
        distinct=len(counts),
        top=tuple(list(counts.items())[:top_n]),
        counts=MappingProxyType(counts),
        date=date,
        numeric=numeric,
        units=units,
        codelists=codelists,
        non_ascii=non_ascii,
        max_length=max((len(v) for v in counts), default=0),
        flags=tuple(flags),
    )


def _encoding(problems: Mapping[str, int]) -> str:
    lines = problems.get("RD0003", 0)
    if not lines:
        return "UTF-8"
    return f"not UTF-8: {lines} line(s) read as Windows-1252 / ISO-8859-1 (Latin-1)"


def profile_file(
    raw_file: RawFile, index: TermIndex, names: RawNames | None = None, *, top_n: int = 10
) -> FileProfile:
    """Profile one raw file that was read with ``sdtm.read.raw``.

    Args:
        raw_file: The file as read (its findings say what could not be read).
        index: Term index of the CT package.
        names: Naming conventions, to recognize the subject column; ``None`` skips that.
        top_n: How many most frequent values to keep per column.

    Returns:
        The file profile.
    """
    frame = raw_file.frame
    findings = raw_file.findings.frame
    problems = (
        {str(k): int(v) for k, v in findings["rule_id"].value_counts().sort_index().items()}
        if len(findings)
        else {}
    )
    flags = []
    encoding = _encoding(problems)
    if encoding != "UTF-8":
        flags.append(f"{encoding} [RD0003]: check accented values and ask for a UTF-8 export")
    for rule_id, count in problems.items():
        if rule_id != "RD0003":
            flags.append(f"{count} reading finding(s) {rule_id}")
    if frame is None:
        return FileProfile(
            raw_file.path, 0, (), encoding, MappingProxyType(problems), None, 0, tuple(flags)
        )
    columns = tuple(
        profile_column(c, frame[c], index, top_n=top_n)
        for c in frame.columns
        if c not in PROVENANCE
    )
    subject = None
    per_subject = 0
    if names is not None:
        subject_names = names.identifiers.get("SUBJID", ())
        subject = next((c for c in raw_file.columns if normalize_name(c) in subject_names), None)
        if subject is not None and len(frame):
            per_subject = int(frame[subject].value_counts().max())
    return FileProfile(
        path=raw_file.path,
        rows=0 if frame is None else len(frame),
        columns=columns,
        encoding=encoding,
        problems=MappingProxyType(problems),
        subject_column=subject,
        rows_per_subject=per_subject,
        flags=tuple(flags),
    )


def profile_study(
    study_dir: Path,
    index: TermIndex,
    names: RawNames | None = None,
    *,
    ct_version: str = "",
    top_n: int = 10,
) -> StudyProfile:
    """Profile every raw file (CSV, XLSX) under a study folder.

    Args:
        study_dir: The study folder.
        index: Term index of the CT package.
        names: Naming conventions (subject column); ``None`` skips that.
        ct_version: CT package date, recorded in the profile.
        top_n: How many most frequent values to keep per column.

    Returns:
        The study profile, files sorted by path.

    Raises:
        InputError: when ``study_dir`` is not a folder.
    """
    raw = read_raw_files(study_dir, list_raw_files(study_dir))
    return StudyProfile(
        study_dir=str(study_dir),
        files=tuple(profile_file(f, index, names, top_n=top_n) for f in raw.values()),
        ct_version=ct_version,
    )
