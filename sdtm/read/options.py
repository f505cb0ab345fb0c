"""Reader options: how one delivered raw file is to be read, as a mapping spec declares it.

Vendors differ in ordinary ways (a semicolon-delimited Latin-1 lab file with banner lines above
the header, a workbook with one form per sheet, an ODM export holding every form). A block of
the mapping spec says so with a ``read:`` mapping; these are its keys. An option that is not
given is ``None`` (the default of the format applies), so several uses of one file (a block,
a join, a skip) can state the options once and the others inherit them
(:func:`merge_options`).

A *table* is what one block reads: a whole delimited or SAS file, one worksheet of a workbook,
or one ItemGroup of a CDISC ODM file. Its key (:func:`table_key`) is the file's path, followed
by ``[sheet]`` or ``[ItemGroupOID]`` for a part of a file; the key is the ``_src_file`` of its
rows, so lineage and findings name the delivered file and the part of it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, fields, replace
from types import MappingProxyType

DELIMITED_SUFFIXES = (".csv", ".txt", ".tsv")
"""Delimited text files."""
WORKBOOK_SUFFIXES = (".xlsx",)
"""Excel workbooks (one table per worksheet)."""
SAS_SUFFIXES = (".sas7bdat", ".xpt")
"""SAS datasets and SAS transport files delivered as raw data."""
PARQUET_SUFFIXES = (".parquet",)
"""Apache Parquet files."""
ODM_SUFFIXES = (".xml",)
"""CDISC ODM 1.3 ClinicalData exports (one table per ItemGroup)."""

SNIFF = "auto"
"""``delimiter: auto``: detect the delimiter from the header and report what was found."""
SNIFFED_DELIMITERS = (",", ";", "\t", "|")
"""Delimiters ``delimiter: auto`` chooses from."""

OPTION_KEYS = (
    "encoding",
    "delimiter",
    "quotechar",
    "header_row",
    "skip_rows",
    "sheet",
    "item_group",
    "na_values",
    "decimal",
)
"""Keys of a block's ``read:`` mapping."""

OPTIONS_BY_FORMAT = MappingProxyType(
    {
        "delimited": (
            "encoding",
            "delimiter",
            "quotechar",
            "header_row",
            "skip_rows",
            "na_values",
            "decimal",
        ),
        "workbook": ("sheet", "header_row", "skip_rows", "na_values", "decimal"),
        "sas": ("encoding", "na_values"),
        "parquet": ("na_values",),
        "odm": ("item_group", "na_values"),
    }
)
"""Which options apply to which kind of file; any other is a spec problem."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read one raw table; ``None`` means the format's default."""

    encoding: str | None = None
    """Text encoding (``latin-1``, ``cp1252``, ``utf-8`` ...). Default: UTF-8, with bytes that
    are not UTF-8 reported per line (RD0003). Given explicitly, undecodable bytes are reported
    with file, line and the bytes themselves, never guessed."""
    delimiter: str | None = None
    """Field delimiter, one character (``;``, ``|``, ``\\t``), or ``auto`` to detect it (the
    value found is reported as RD0021). Default ``,``."""
    quotechar: str | None = None
    """Quote character around fields. Default ``"``."""
    header_row: int | None = None
    """Physical line (text) or worksheet row (workbook) of the header, 1-based. Default 1."""
    skip_rows: int | None = None
    """Lines (or worksheet rows) above the header, e.g. a vendor's banner: ``header_row`` is
    ``skip_rows + 1``. Give one of the two."""
    sheet: str | None = None
    """Worksheet to read, by name; each sheet of a workbook can feed its own block."""
    item_group: str | None = None
    """ItemGroupOID of an ODM file to read."""
    na_values: tuple[str, ...] | None = None
    """Cell texts that mean "no value" (``ND``, ``.``, ``-``); they are read as missing."""
    decimal: str | None = None
    """Decimal mark of numbers in the file: ``,`` for European exports (``3,5`` is read as
    ``3.5``; only cells that are numbers, numeric comparisons or ``lo-hi`` ranges change)."""

    @property
    def header_line(self) -> int:
        """The header's 1-based line or row number (``header_row``, or ``skip_rows + 1``)."""
        if self.header_row is not None:
            return self.header_row
        return (self.skip_rows or 0) + 1

    @property
    def part(self) -> str | None:
        """The worksheet or ItemGroup read, if the file holds several tables."""
        return self.sheet or self.item_group

    def given(self) -> dict[str, object]:
        """The options written in the spec (not ``None``), by key."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not None
        }


DEFAULT_OPTIONS = ReadOptions()
"""Nothing declared: the format's defaults."""


def file_format(path: str) -> str | None:
    """Kind of raw file by its suffix, or ``None`` when this tool does not read it.

    The kinds: ``delimited``, ``workbook``, ``sas``, ``parquet``, ``odm``.
    """
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    for kind, suffixes in (
        ("delimited", DELIMITED_SUFFIXES),
        ("workbook", WORKBOOK_SUFFIXES),
        ("sas", SAS_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
        ("odm", ODM_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


RAW_SUFFIXES = (
    *DELIMITED_SUFFIXES,
    *WORKBOOK_SUFFIXES,
    *SAS_SUFFIXES,
    *PARQUET_SUFFIXES,
    *ODM_SUFFIXES,
)
"""Every suffix read as a raw file."""


def table_key(file: str, options: ReadOptions | None) -> str:
    """The key (and ``_src_file``) of the table a spec reads: ``file`` or ``file[part]``."""
    part = options.part if options is not None else None
    return f"{file}[{part}]" if part else file


def option_problems(file: str, options: ReadOptions) -> list[str]:
    """What is wrong with the options given for a file (empty when they are usable).

    Checks that each option applies to the file's format, that an encoding exists, that a
    delimiter, quote character and decimal mark are one character, and that the header's
    position is given once and is positive.
    """
    problems = []
    kind = file_format(file)
    given = options.given()
    if kind is None:
        problems.append(
            f"{file}: not a raw format this tool reads (suffixes: {', '.join(RAW_SUFFIXES)})"
        )
        return problems
    allowed = OPTIONS_BY_FORMAT[kind]
    for key in given:
        if key not in allowed:
            problems.append(
                f"{file}: read option {key!r} does not apply to a {kind} file "
                f"(allowed: {', '.join(allowed)})"
            )
    if options.encoding is not None:
        try:
            codecs.lookup(options.encoding)
        except LookupError:
            problems.append(f"{file}: unknown encoding {options.encoding!r}")
    for key in ("delimiter", "quotechar", "decimal"):
        value = given.get(key)
        if value is None or (key == "delimiter" and value == SNIFF):
            continue
        if len(str(value)) != 1:
            problems.append(f"{file}: {key} must be one character, not {value!r}")
    if options.decimal is not None and options.decimal not in (",", "."):
        problems.append(f"{file}: decimal must be ',' or '.', not {options.decimal!r}")
    if options.header_row is not None and options.skip_rows is not None:
        problems.append(f"{file}: give header_row or skip_rows, not both")
    if options.header_row is not None and options.header_row < 1:
        problems.append(f"{file}: header_row must be 1 or more")
    if options.skip_rows is not None and options.skip_rows < 0:
        problems.append(f"{file}: skip_rows must be 0 or more")
    if kind == "odm" and options.item_group is None:
        problems.append(f"{file}: an ODM file holds one table per ItemGroup: name item_group")
    return problems


def merge_options(first: ReadOptions, second: ReadOptions) -> tuple[ReadOptions, list[str]]:
    """Combine the options two uses of one table give; report keys given differently.

    Returns:
        The combined options and the keys whose values conflict.
    """
    merged = first
    conflicts = []
    for key, value in second.given().items():
        mine = getattr(first, key)
        if mine is None:
            merged = replace(merged, **{key: value})
        elif mine != value:
            conflicts.append(key)
    return merged, conflicts
