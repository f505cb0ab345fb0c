"""Evidence that a raw column means an SDTM variable, and that a raw file feeds a dataset.

Only generic evidence is weighed: the column's name against the SDTMIG variable names and the
naming conventions of ``specs/propose/raw-names.yaml``, the CT codelists its values match, and
the shape of its values (dates, times, numbers). Nothing here knows a study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sdtm.authoring.names import RawNames, normalize_name
from sdtm.authoring.profile import ColumnProfile, FileProfile
from sdtm.standards.model import DomainSpec, Standards
from sdtm.standards.search import CodelistMatch

IDENTIFIERS = ("STUDYID", "USUBJID", "SUBJID", "SITEID")
"""Variables of every subject dataset: they say nothing about which dataset a file feeds."""
DATE_SUFFIXES = ("DTC", "STDTC", "ENDTC")
"""Variable endings placed by the date rules, not by name matching."""
MIN_STRENGTH = 0.6
"""Weakest name match that counts as evidence for a dataset."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A raw column that may fill a variable, and why."""

    variable: str
    """Target variable."""
    column: str
    """Raw column (as delivered)."""
    strength: float
    """How strongly the name says so, 0 to 1."""
    how: str
    """The evidence, in words, for the step's rationale."""


def _suffix_aliases(suffix: str, names: RawNames) -> tuple[str, ...]:
    aliases = names.suffixes.get(suffix, ())
    return aliases if suffix in aliases else (suffix, *aliases)


def name_candidates(column: str, domain: DomainSpec, names: RawNames) -> tuple[Candidate, ...]:
    """Return the variables of ``domain`` whose name the raw column's name suggests.

    Args:
        column: Raw column name.
        domain: The dataset's SDTMIG metadata.
        names: Naming conventions.

    Returns:
        One candidate per variable the name fits (strongest reading per variable).
    """
    norm = normalize_name(column)
    prefix = domain.name
    out: dict[str, Candidate] = {}

    def offer(variable: str, strength: float, how: str) -> None:
        if variable not in out or out[variable].strength < strength:
            out[variable] = Candidate(variable, column, strength, how)

    planned = any(marker in norm for marker in names.planned)
    for variable in domain.variables:
        name = variable.name
        if names.is_derived(name, prefix) or name.endswith(DATE_SUFFIXES):
            continue
        if norm == name:
            offer(name, 1.0, f"column {column} is named as the variable")
            continue
        for table in (names.identifiers, names.whole):
            if norm in table.get(name, ()):
                offer(name, 0.85, f"{column} is a usual name of {name}")
        if not name.startswith(prefix) or len(name) <= len(prefix):
            continue
        suffix = name[len(prefix) :]
        for alias in _suffix_aliases(suffix, names):
            if norm == prefix + alias:
                offer(name, 0.9, f"{column} = {prefix} + {alias}, a usual name of --{suffix}")
            elif norm == alias:
                offer(name, 0.8, f"{column} is a usual name of --{suffix}")
            elif len(alias) >= 2 and norm.endswith(alias):
                head = norm[: -len(alias)]
                strength = 0.0
                if len(alias) >= 3 and head.isalpha() and 1 <= len(head) <= 4 and head != prefix:
                    strength = 0.6
                elif len(alias) >= 4 and head.isalpha() and len(head) <= 6:
                    strength = 0.4
                elif norm.startswith(prefix) and len(alias) >= 2 and len(head) > len(prefix):
                    strength = 0.3  # a qualified variant (AEIRRGR for --GR): only a rival
                if strength:
                    if planned:
                        strength /= 2
                    offer(
                        name,
                        strength,
                        f"{column} = {head} + {alias}, a usual name of --{suffix}"
                        + (" (but the name marks a planned value)" if planned else ""),
                    )
    return tuple(out.values())


def codelist_variables(
    column: ColumnProfile, domain: DomainSpec, *, min_share: float = 0.8
) -> tuple[tuple[str, CodelistMatch], ...]:
    """Return the variables of ``domain`` whose codelist the column's values match well.

    Args:
        column: The column's profile (its codelist matches).
        domain: The dataset's SDTMIG metadata.
        min_share: Smallest share of rows ``assign_ct`` can recode.

    Returns:
        (variable, match) pairs.
    """
    out = []
    for match in column.codelists:
        if match.usable_share < min_share:
            continue
        for variable in domain.variables:
            if match.code in variable.codelists:
                out.append((variable.name, match))
    return tuple(out)


def date_variable(column: ColumnProfile, domain: DomainSpec, names: RawNames) -> str | None:
    """The --DTC variable a date column's name spells (``AESTDAT`` -> ``AESTDTC``), if any."""
    if column.kind not in ("date", "datetime") or not column.filled:
        return None
    norm = normalize_name(column.name)
    for ending in sorted(names.date_suffixes, key=len, reverse=True):
        if norm.endswith(ending) and len(norm) > len(ending):
            stem = norm[: -len(ending)]
            named = names.date_stem_variable(stem, domain.name)
            for name in (stem + "DTC", domain.name + stem + "DTC", named):
                if name is None or domain.variable(name) is None:
                    continue
                if not names.is_derived(name, domain.name):
                    return name
            return None
    return None


def link_column(file: FileProfile, names: RawNames, domain: str) -> str | None:
    """Return the column that names a record of ``domain`` (``CMAENO``: an AE number), if any."""
    endings = names.links.get(domain, ())
    for column in file.columns:
        norm = normalize_name(column.name)
        if column.filled and any(norm.endswith(e) for e in endings):
            return column.name
    return None


@dataclass(frozen=True, slots=True)
class DomainScore:
    """How strongly a file's columns say it feeds a dataset."""

    domain: str
    """Target dataset."""
    score: float
    """Sum of the evidence."""
    topic: bool
    """True when a column fills the dataset's topic (--TERM, --TRT, --TESTCD ...)."""
    reasons: tuple[str, ...]
    """The evidence, in words."""


_TOPICS = {
    "Events": (("TERM", "DECOD"),),
    "Interventions": (("TRT", "DOSE"),),
    "Findings": (("TESTCD", "TEST"), ("ORRES",)),
}
"""Per SDTM class: groups of variable suffixes, one of each group must be filled."""


def score_domain(
    file: FileProfile,
    domain: DomainSpec,
    names: RawNames,
    candidates: Mapping[str, tuple[Candidate, ...]],
) -> DomainScore:
    """Weigh the evidence that ``file`` feeds ``domain``.

    Evidence: columns whose names fit the dataset's variables (their strength, identifiers
    excluded), columns whose values match the codelist of one of its variables, the file's name
    being the dataset code (``ae.csv``), and for a treatment file a link to AE records (given
    for an adverse event: concomitant medication).

    Args:
        file: The file's profile.
        domain: The dataset's SDTMIG metadata.
        names: Naming conventions.
        candidates: Name candidates of each column of ``file`` for ``domain``.

    Returns:
        The score and whether the dataset's topic variable can be filled.
    """
    score = 0.0
    reasons = []
    filled: set[str] = set()
    for column in file.columns:
        best = max(
            (c for c in candidates.get(column.name, ()) if c.variable not in IDENTIFIERS),
            key=lambda c: c.strength,
            default=None,
        )
        by_values = codelist_variables(column, domain)
        dated = date_variable(column, domain, names)
        if dated is not None:
            score += 0.9
            filled.add(dated)
        elif best is not None and best.strength >= MIN_STRENGTH:
            score += best.strength
            filled.add(best.variable)
        elif by_values:
            score += 0.5
            filled.add(by_values[0][0])
    stem = normalize_name(file.path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    if stem == domain.name:
        score += 3
        reasons.append(f"file name {file.path} is the dataset code")
    if domain.name == "CM" and link_column(file, names, "AE"):
        score += 2
        reasons.append("a column links records to AE (treatment given for an adverse event)")
    groups = _TOPICS.get(domain.observation_class)
    if groups is None:
        # Special-purpose and other datasets: at least two of their own variables.
        own = [v for v in filled if v not in IDENTIFIERS]
        topic = len(own) >= 2 or stem == domain.name
    else:
        topic = all(any(domain.name + suffix in filled for suffix in group) for group in groups)
    reasons.insert(0, f"{len(filled)} column(s) fit {domain.name} variables")
    return DomainScore(domain.name, round(score, 3), topic, tuple(reasons))


def candidate_domains(standards: Standards, names: RawNames) -> tuple[DomainSpec, ...]:
    """Return the datasets a raw file may feed, in preference order."""
    return tuple(standards.domains[name] for name in names.preference if name in standards.domains)
