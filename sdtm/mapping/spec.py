"""The mapping spec IR: the one typed, frozen object every spec reader produces.

A study's mapping spec says, for each target SDTM dataset, which raw files feed it and which
algorithm fills each variable. Readers (``load_yaml``, ``load_excel``) turn their format into a
``MappingSpec``; the engine runs nothing else. Every element remembers where it was written
(``Location``) so that spec problems can be reported as ``file:line``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from sdtm.read.options import ReadOptions, merge_options, table_key


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a spec element was written: file (relative path) and 1-based line."""

    file: str
    """Spec file, relative to the mapping folder's parent (e.g. ``cart-psca-001/ae.yaml``)."""
    line: int = 0
    """1-based line number; 0 when the format has no lines (then it is a row or sheet cell)."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


NOWHERE = Location("<memory>", 0)


class Operator(StrEnum):
    """Comparison operators allowed in declarative conditions."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    MATCHES = "matches"
    """Full match of a regular expression (a pattern, not code)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One declarative test on a raw column: ``column operator value``."""

    column: str
    """Raw column tested."""
    op: Operator
    """Comparison."""
    value: str | float | tuple[str, ...] | None = None
    """Right-hand side; a tuple for ``in``/``not_in``; ``None`` for the null tests."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the condition is written."""


@dataclass(frozen=True, slots=True)
class When:
    """A combination of conditions: all of them (``all``) or at least one (``any``)."""

    mode: str
    """``all`` or ``any``."""
    conditions: tuple[Condition, ...]
    """The conditions combined."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the ``when``/``where`` block is written."""


@dataclass(frozen=True, slots=True)
class Step:
    """One assignment of one target variable by one algorithm.

    Several steps may name the same target: they are tried in the order written and the first
    non-null value wins (an earlier value is never overwritten).
    """

    target: str
    """Target SDTM variable; for ``split_to_supp`` the QNAM; for ``relrec`` the RELID prefix."""
    algorithm: str
    """Name looked up in ``ALGORITHMS``."""
    source: str | None = None
    """Raw column read by ``assign_*`` algorithms."""
    sources: tuple[str, ...] = ()
    """Raw columns joined by ``assign_concat``, in order."""
    separator: str | None = None
    """Text put between the parts by ``assign_concat`` (default ``-``)."""
    value: str | None = None
    """Fixed value of ``hardcode_*`` algorithms; leading part of ``assign_concat``."""
    codelist: str | None = None
    """Codelist (C-code or short name) for ``*_ct`` algorithms."""
    date: str | None = None
    """Raw date column (``assign_datetime``)."""
    time: str | None = None
    """Raw time column (``assign_datetime``), optional."""
    date_format: str | None = None
    """Raw date format (``assign_datetime``): a name such as ``DD MON YYYY`` or a pattern
    such as ``%Y/%m/%d %H:%M``."""
    time_format: str | None = None
    """Raw time format of ``time`` (``assign_datetime``): ``HH:MM`` (default) or ``HHMM``."""
    pattern: str | None = None
    """Regular expression with one group (or a group named ``value``) (``assign_extract``)."""
    lookup: str | None = None
    """Name of a study lookup table in ``lookups.yaml`` (``assign_lookup``)."""
    source_codelist: str | None = None
    """Codelist of the source's terms (``assign_paired_term``); default: the SDTMIG codelist
    of the variable named in ``source``."""
    when: When | None = None
    """Condition: the step assigns only rows where it holds."""
    qlabel: str | None = None
    """QLABEL (``split_to_supp``)."""
    qorig: str | None = None
    """QORIG (``split_to_supp``): CRF, Assigned, Derived ..."""
    qeval: str | None = None
    """QEVAL (``split_to_supp``), optional."""
    rdomain: str | None = None
    """Related domain (``relrec``)."""
    rvariable: str | None = None
    """Variable of the related domain that the source column matches (``relrec``)."""
    reason: str | None = None
    """Why a variable is not submitted (``not_submitted``)."""
    to_ascii: bool = False
    """Transliterate non-ASCII characters of the value to ASCII (declared, each changed value
    reported as MP0015); characters with no ASCII form are kept. Off unless written."""
    confidence: float | None = None
    """How sure the author is of the step, 0 to 1 (``sdtm propose`` writes it; a reviewer's
    approval sets 1); ``None`` for a hand-written step. The engine does not read it."""
    rationale: str | None = None
    """Why the step was proposed (evidence: column name, CT match, value shape) or reviewed."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the step is written."""


@dataclass(frozen=True, slots=True)
class Join:
    """A lookup file joined to a block's main file (left join, at most one row per key)."""

    file: str
    """Raw file, relative to the study folder."""
    on: tuple[tuple[str, str], ...]
    """Pairs (main column, lookup column) to join on."""
    prefix: str
    """Prefix given to the lookup's columns (steps refer to ``<prefix><column>``)."""
    where: When | None = None
    """Filter on the lookup's rows (written with the lookup's own column names)."""
    read: ReadOptions | None = None
    """Reader options of the lookup file (``read:``), if declared here."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the join is written."""

    @property
    def table(self) -> str:
        """Key of the raw table joined (``file`` or ``file[sheet]``)."""
        return table_key(self.file, self.read)


@dataclass(frozen=True, slots=True)
class Block:
    """One raw file (plus lookups) feeding records of one target dataset."""

    file: str
    """Raw file, relative to the study folder."""
    steps: tuple[Step, ...]
    """Assignments, in the order written."""
    where: When | None = None
    """Row filter; rows not selected must be mapped by another block or declared skipped."""
    joins: tuple[Join, ...] = ()
    """Lookup files joined before the steps run."""
    read: ReadOptions | None = None
    """Reader options of the file (``read:``): encoding, delimiter, header row, sheet ..."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the block is written."""

    @property
    def table(self) -> str:
        """Key of the raw table read (``file`` or ``file[sheet]``), its rows' ``_src_file``."""
        return table_key(self.file, self.read)


@dataclass(frozen=True, slots=True)
class DomainMapping:
    """How one target dataset is built: its blocks, concatenated in order."""

    domain: str
    """Target dataset, e.g. ``AE``."""
    blocks: tuple[Block, ...]
    """Sources, in order."""
    location: Location = field(default=NOWHERE, compare=False)
    """The spec file."""

    @property
    def targets(self) -> tuple[str, ...]:
        """Variables assigned by any step (not SUPP or RELREC), in first-seen order."""
        seen: dict[str, None] = {}
        for block in self.blocks:
            for step in block.steps:
                if step.algorithm not in ("split_to_supp", "relrec"):
                    seen.setdefault(step.target, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Skip:
    """Raw rows deliberately not submitted, with the reason (reported as notices)."""

    file: str
    """Raw file, relative to the study folder."""
    reason: str
    """Why the rows are not submitted."""
    where: When | None = None
    """Which rows; ``None`` means every row not mapped by a block."""
    read: ReadOptions | None = None
    """Reader options of the file (``read:``), if declared here."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the skip is written."""

    @property
    def table(self) -> str:
        """Key of the raw table whose rows are skipped."""
        return table_key(self.file, self.read)


@dataclass(frozen=True, slots=True)
class Visit:
    """A planned visit of the schedule (TV)."""

    visitnum: float
    """VISITNUM."""
    visit: str
    """VISIT."""
    visitdy: int | None
    """Planned SDTM study day (VISITDY); never a protocol day."""
    raw_names: tuple[str, ...]
    """Raw visit labels that mean this visit (EDC folder, vendor visit codes)."""
    epoch: str | None = None
    """Planned epoch of the visit."""
    tvstrl: str | None = None
    """Start rule written for TV.TVSTRL; default ``Planned on study day <VISITDY>``, or
    ``<Visit> visit`` for a visit without a planned day."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the visit is written."""


@dataclass(frozen=True, slots=True)
class UnitConversion:
    """Conversion of one test's results from an original unit to the standard unit."""

    testcd: str
    """Test code (``*`` for every test)."""
    from_unit: str
    """Original unit (CT submission value)."""
    to_unit: str
    """Standard unit (CT submission value)."""
    factor: float
    """Multiply original values by this to get standard values."""
    decimals: int | None = None
    """Decimals to round standard values to; ``None`` keeps them."""
    location: Location = field(default=NOWHERE, compare=False)
    """Where the conversion is written."""


@dataclass(frozen=True, slots=True)
class MappingSpec:
    """The whole mapping of one study: what every reader produces and the engine runs."""

    study: str
    """Study folder name (``cart-psca-001``)."""
    studyid: str
    """STUDYID value."""
    domains: Mapping[str, DomainMapping]
    """Dataset mappings by target dataset name, in spec order."""
    settings: Mapping[str, str] = field(default_factory=dict)
    """Study settings (decisions of brief section 5, data cutoff, ...) as plain strings."""
    visits: tuple[Visit, ...] = ()
    """Planned visits."""
    unit_conversions: tuple[UnitConversion, ...] = ()
    """Unit conversions to standard units."""
    synonyms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Study CT synonym maps: codelist -> raw value (upper case) -> submission value."""
    design: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)
    """Trial design tables (arms, elements, ts, ...) as rows of strings, by table name."""
    skips: tuple[Skip, ...] = ()
    """Raw rows deliberately not submitted."""
    sources: tuple[str, ...] = ()
    """Spec files read, relative paths."""
    lookups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Study lookup tables (``lookups.yaml``): table name -> raw value -> value assigned."""
    status: str | None = None
    """Review status from ``study.yaml`` (``study: {status: draft}``): ``draft`` for a spec
    proposed by ``sdtm propose`` and not yet reviewed; ``None`` for a reviewed spec."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", MappingProxyType(dict(self.domains)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(
            self,
            "synonyms",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.synonyms.items()}),
        )
        object.__setattr__(self, "design", MappingProxyType(dict(self.design)))
        object.__setattr__(
            self,
            "lookups",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.lookups.items()}),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MappingSpec):
            return NotImplemented
        return _comparable(self) == _comparable(other)

    __hash__ = None  # type: ignore[assignment]

    @property
    def raw_files(self) -> tuple[str, ...]:
        """Every raw file the spec reads (blocks, joins and skips), sorted."""
        files: set[str] = set()
        for mapping in self.domains.values():
            for block in mapping.blocks:
                files.add(block.file)
                files.update(join.file for join in block.joins)
        files.update(skip.file for skip in self.skips)
        return tuple(sorted(files))

    def uses(self) -> tuple[tuple[str, str, ReadOptions, Location], ...]:
        """Every use of a raw table: (table key, file, declared options, where), spec order."""
        out = []
        for mapping in self.domains.values():
            for block in mapping.blocks:
                out.append((block.table, block.file, block.read or ReadOptions(), block.location))
                out.extend(
                    (join.table, join.file, join.read or ReadOptions(), join.location)
                    for join in block.joins
                )
        out.extend(
            (skip.table, skip.file, skip.read or ReadOptions(), skip.location)
            for skip in self.skips
        )
        return tuple(out)

    @property
    def read_plan(self) -> Mapping[str, tuple[str, ReadOptions]]:
        """Table key -> (file, reader options): every use's options combined.

        The spec loader reports options that conflict, so the first given wins here.
        """
        plan: dict[str, tuple[str, ReadOptions]] = {}
        for key, file, options, _ in self.uses():
            if key in plan:
                merged, _conflicts = merge_options(plan[key][1], options)
                plan[key] = (file, merged)
            else:
                plan[key] = (file, options)
        return MappingProxyType(plan)


def _comparable(spec: MappingSpec) -> tuple:
    """Return the content of a spec, without locations and reader details, for equality."""
    return (
        spec.study,
        spec.studyid,
        tuple((name, mapping.blocks) for name, mapping in spec.domains.items()),
        tuple(sorted(spec.settings.items())),
        spec.visits,
        spec.unit_conversions,
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in spec.synonyms.items())),
        tuple(sorted((k, v) for k, v in spec.design.items() if v)),
        spec.skips,
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in spec.lookups.items())),
        spec.status,
    )
