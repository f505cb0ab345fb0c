"""Typed, frozen metadata objects for SDTMIG datasets and CDISC Controlled Terminology."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a codelist."""

    code: str
    """NCI C-code of the term, e.g. ``C49488``."""
    submission_value: str
    """CDISC submission value, e.g. ``Y``."""
    synonyms: tuple[str, ...] = ()
    """CDISC synonyms as published."""
    preferred_term: str = ""
    """NCI preferred term."""
    definition: str = ""
    """CDISC definition."""


@dataclass(frozen=True, slots=True)
class Codelist:
    """A CDISC codelist from one CT package."""

    code: str
    """NCI C-code of the codelist, e.g. ``C66742``."""
    short_name: str
    """Submission value of the codelist itself, e.g. ``NY``."""
    name: str
    """Codelist name, e.g. ``No Yes Response``."""
    extensible: bool
    """Whether sponsors may add terms."""
    terms: tuple[Term, ...]
    """The terms, in the order published."""
    preferred_term: str = ""
    """NCI preferred term of the codelist."""
    submission_values: frozenset[str] = field(init=False)
    """All submission values, for fast membership checks."""
    definition: str = ""
    """CDISC definition of the codelist."""
    synonyms: tuple[str, ...] = ()
    """CDISC synonyms of the codelist."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "submission_values", frozenset(t.submission_value for t in self.terms)
        )

    def term(self, submission_value: str) -> Term | None:
        """Return the term with this submission value, or ``None``."""
        for candidate in self.terms:
            if candidate.submission_value == submission_value:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """One variable of an SDTMIG dataset."""

    name: str
    """Variable name, e.g. ``AESEV``."""
    label: str
    """Variable label (<= 40 characters)."""
    order: int
    """Position in the dataset."""
    data_type: str
    """``Char`` or ``Num``."""
    role: str
    """SDTM role (Identifier, Topic, Timing, Grouping Qualifier, ...)."""
    core: str
    """``Req``, ``Exp`` or ``Perm``."""
    codelists: tuple[str, ...] = ()
    """C-codes of the CDISC codelists that apply, if any."""
    described_value_domain: str | None = None
    """Described value domain, e.g. ``ISO 8601 datetime or interval``."""
    value_list: tuple[str, ...] = ()
    """Fixed values given by the IG (e.g. the DOMAIN code)."""
    notes: str = ""
    """The CDISC notes: the SDTMIG description of the variable."""
    model_variable: str | None = None
    """For a study-level addition: the SDTM model variable it instantiates, e.g. ``--LLOQ``."""


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """An SDTMIG dataset: its metadata and variables."""

    name: str
    """Dataset name, e.g. ``AE`` or ``SUPPQUAL``."""
    label: str
    """Dataset label."""
    observation_class: str
    """SDTM class (Events, Interventions, Findings, Special-Purpose, Trial Design, ...)."""
    structure: str
    """One-line description of what a record is."""
    keys: tuple[str, ...]
    """Natural key variables, in order."""
    variables: tuple[VariableSpec, ...]
    """Variables in IG order."""
    model_additions: tuple[VariableSpec, ...] = ()
    """SDTM model variables the study adds to this standard domain (e.g. ``LBLLOQ``)."""
    keys_source: str = ""
    """Where the natural keys come from."""
    model_permissible: tuple[str, ...] = ()
    """SDTM model variables of the dataset's class that are not in its IG table (not declared)."""
    source: str = ""
    """Where the dataset and variable metadata come from."""

    def variable(self, name: str) -> VariableSpec | None:
        """Return the variable of this name, or ``None``."""
        for candidate in self.variables:
            if candidate.name == name:
                return candidate
        return None

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Variable names in IG order."""
        return tuple(v.name for v in self.variables)

    @property
    def declared_variables(self) -> tuple[VariableSpec, ...]:
        """IG variables and the declared model additions, in SDTM model order.

        The SDTM model orders a general-class dataset's variables by role: identifiers,
        topic, qualifiers, then timing variables (SDTM v2.0 section 2.2; CORE-000852 compares
        the order). A model addition that is not a timing variable (LBLLOQ, a variable
        qualifier) therefore goes before the first timing variable; timing additions go last.
        """
        timing = [v for v in self.model_additions if v.role == "Timing"]
        others = [v for v in self.model_additions if v.role != "Timing"]
        first_timing = next(
            (i for i, v in enumerate(self.variables) if v.role == "Timing"), len(self.variables)
        )
        return (
            self.variables[:first_timing]
            + tuple(others)
            + self.variables[first_timing:]
            + tuple(timing)
        )

    def declared_variable(self, name: str) -> VariableSpec | None:
        """Return the IG variable or declared model addition of this name, or ``None``."""
        for candidate in self.declared_variables:
            if candidate.name == name:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class RequiredTsParameter:
    """A Trial Summary parameter whose absence the FDA validator reports (``specs/fda``)."""

    tsparmcd: str
    """The TSPARMCD, e.g. ``ADDON``."""
    validator_id: str
    """Pinnacle 21 FDA validator rule reporting its absence, e.g. ``SD2201``."""
    fda_id: str
    """The FDA rule id of that check, e.g. ``FDAC234``."""
    note: str = ""
    """Condition or extra authority (e.g. technical rejection criterion 1734 for SSTDTC)."""
    own_rule: str = ""
    """Id of the rule that reports this parameter's absence when it is not ST0107."""


@dataclass(frozen=True, slots=True)
class Standards:
    """The SDTMIG metadata and the CT package a run uses."""

    sdtmig_version: str
    """SDTMIG version, e.g. ``3.4``."""
    ct_version: str
    """CT package date, e.g. ``2025-03-28``."""
    domains: Mapping[str, DomainSpec]
    """Datasets by name."""
    codelists: Mapping[str, Codelist]
    """Codelists by C-code."""
    sources: tuple[str, ...] = ()
    """Where the facts came from (recorded in reports)."""
    required_ts_parameters: tuple[RequiredTsParameter, ...] = ()
    """TS parameters the FDA validator expects (``specs/fda/ts-parameters.yaml``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", MappingProxyType(dict(self.domains)))
        object.__setattr__(self, "codelists", MappingProxyType(dict(self.codelists)))

    def domain(self, name: str) -> DomainSpec | None:
        """Return the dataset spec for ``name``; ``SUPPxx`` datasets resolve to ``SUPPQUAL``."""
        upper = name.upper()
        if upper in self.domains:
            return self.domains[upper]
        if upper.startswith("SUPP") and "SUPPQUAL" in self.domains:
            return self.domains["SUPPQUAL"]
        return None

    def codelist_by_short_name(self, short_name: str) -> Codelist | None:
        """Return the codelist whose submission value is ``short_name`` (e.g. ``NY``)."""
        for codelist in self.codelists.values():
            if codelist.short_name == short_name:
                return codelist
        return None
