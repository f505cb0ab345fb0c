"""Study-specific input to Define-XML and Dataset-JSON: origins, methods, study facts.

This is the hook through which the mapping stage tells the exporter where each variable came
from. The mapping helper builds a ``DefineMetadata`` from the mapping spec (one
``VariableOrigin`` per mapped target variable, with the method text of each derivation) and
passes it to ``export_submission(..., define_metadata=...)``. Anything it does not give is
filled by ``default_origin``: ``STUDYID``/``DOMAIN``/``RDOMAIN`` are Assigned, ``--SEQ``,
``--DY``, ``--STDY``/``--ENDY`` and ``USUBJID`` are Derived (with a generic method), everything
else is Collected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ORIGIN_TYPES: tuple[str, ...] = (
    "Collected",
    "Derived",
    "Assigned",
    "Protocol",
    "Predecessor",
    "Not Available",
)
"""Define-XML 2.1 ``def:Origin/@Type`` values (CDISC CT codelist ORIGINTYPE)."""


@dataclass(frozen=True, slots=True)
class VariableOrigin:
    """Where one variable of one dataset comes from."""

    dataset: str
    """Dataset name, e.g. ``AE``."""
    variable: str
    """Variable name, e.g. ``AESTDY``."""
    origin_type: str
    """One of ``ORIGIN_TYPES``."""
    source: str = "Sponsor"
    """``def:Origin/@Source``: Subject, Investigator, Vendor or Sponsor."""
    method_id: str | None = None
    """Id of the derivation method (becomes ``MT.<method_id>``); Derived origins need one."""
    method_text: str = ""
    """What the method does, in words (``MethodDef/Description``)."""
    comment: str = ""
    """Free text written as a ``def:CommentDef``, e.g. the raw source field."""
    description: str = ""
    """Text of ``def:Origin/Description``: what a ``Predecessor`` copies (e.g. ``PC.USUBJID``)."""


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """Study facts written in the Define-XML header and Dataset-JSON metadata."""

    study_oid: str = "STUDY"
    """OID of the study (``ODM/Study/@OID``, Dataset-JSON ``studyOID``)."""
    name: str = "STUDY"
    """Study name."""
    description: str = "SDTM datasets"
    """Study description."""
    protocol: str = "STUDY"
    """Protocol name."""
    originator: str = "sdtm toolkit"
    """Organisation that made the files (Dataset-JSON ``originator``, ODM ``Originator``)."""


@dataclass(frozen=True, slots=True)
class ExternalDictionary:
    """A dictionary (MedDRA, WHODrug) written as a CodeList holding an ExternalCodeList."""

    oid: str
    """CodeList OID, e.g. ``CL.MEDDRA``."""
    name: str
    """CodeList name."""
    dictionary: str
    """``ExternalCodeList/@Dictionary``, e.g. ``MedDRA``."""
    version: str
    """``ExternalCodeList/@Version``, e.g. ``27.0`` (from the study settings)."""
    data_type: str
    """``text`` or ``integer`` (the items that refer to it have this type)."""
    variables: tuple[tuple[str, str], ...]
    """(dataset, variable) of the items coded with it."""


@dataclass(frozen=True, slots=True)
class ValueLevelEntry:
    """One value-level ItemDef: the variable's meaning where the key takes some values."""

    values: tuple[str, ...]
    """Key values the entry applies to (``EQ`` for one, ``IN`` for several)."""
    name: str
    """Suffix of the value-level OIDs (``IT.AE.AETOXGR.<name>``, ``WC.AE.AETOXGR.<name>``)."""
    label: str
    """Description of the value-level item."""
    origin: VariableOrigin
    """Origin, method and comment of the entry."""
    comparator: str = ""
    """``NOTIN`` for an entry covering every value but ``values``; empty: ``EQ``/``IN``."""


@dataclass(frozen=True, slots=True)
class ValueLevel:
    """Value-level metadata of one variable keyed by another variable of its dataset."""

    dataset: str
    """Dataset, e.g. ``AE``."""
    variable: str
    """Variable described, e.g. ``AETOXGR``."""
    key: str
    """Variable of the where clauses, e.g. ``AEDECOD``."""
    entries: tuple[ValueLevelEntry, ...]
    """The entries, in order."""


@dataclass(frozen=True, slots=True)
class DefineMetadata:
    """All study-specific metadata the exporter takes from the mapping stage."""

    study: StudyInfo = field(default_factory=StudyInfo)
    """Study facts."""
    origins: tuple[VariableOrigin, ...] = ()
    """Known origins; variables not listed get ``default_origin``."""
    dataset_comments: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Dataset name -> comment written as a ``def:CommentDef`` of the ItemGroupDef."""
    external_codelists: tuple[ExternalDictionary, ...] = ()
    """Dictionaries the data are coded with (MedDRA ...), with their versions."""
    value_levels: tuple[ValueLevel, ...] = ()
    """Value-level metadata besides the results by --TESTCD and SUPP-- QVAL by QNAM."""

    def origin(self, dataset: str, variable: str) -> VariableOrigin:
        """Return the origin of ``dataset.variable``: the given one, else the default."""
        for candidate in self.origins:
            if candidate.dataset == dataset and candidate.variable == variable:
                return candidate
        return default_origin(dataset, variable)

    def given_origin(self, dataset: str, variable: str) -> VariableOrigin | None:
        """Return the origin given for ``dataset.variable``, or ``None`` (no default)."""
        for candidate in self.origins:
            if candidate.dataset == dataset and candidate.variable == variable:
                return candidate
        return None

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Worker processes (sdtm.workers) send their results back pickled, and a mappingproxy
        # cannot be pickled: the comments travel as a dict and are wrapped again.
        comments = dict(self.dataset_comments)
        return (
            _define_metadata,
            (self.study, self.origins, comments, self.external_codelists, self.value_levels),
        )


def _define_metadata(
    study: StudyInfo,
    origins: tuple[VariableOrigin, ...],
    comments: dict[str, str],
    external_codelists: tuple[ExternalDictionary, ...],
    value_levels: tuple[ValueLevel, ...],
) -> DefineMetadata:
    return DefineMetadata(
        study, origins, MappingProxyType(comments), external_codelists, value_levels
    )


_GENERIC_METHODS: Mapping[str, str] = MappingProxyType(
    {
        "SEQ": "Sequential number of the record within USUBJID, in key order.",
        "DY": "Study day: date - RFSTDTC + 1 when on or after RFSTDTC, else date - RFSTDTC "
        "(SDTMIG 3.4 section 4.4.4; there is no day 0).",
        "USUBJID": "STUDYID, site and subject identifier joined to be unique in the submission.",
    }
)


def default_origin(dataset: str, variable: str) -> VariableOrigin:
    """Return the origin assumed for a variable nobody described.

    STUDYID, DOMAIN, RDOMAIN and IDVAR are Assigned; USUBJID, ``--SEQ`` and study days
    (``--DY``, ``--STDY``, ``--ENDY``) are Derived with a generic method; all else is Collected.
    """
    stem = variable[2:] if len(variable) > 2 else variable
    if variable in ("STUDYID", "DOMAIN", "RDOMAIN", "IDVAR"):
        return VariableOrigin(dataset, variable, "Assigned")
    if variable == "USUBJID":
        return VariableOrigin(
            dataset,
            variable,
            "Derived",
            method_id="USUBJID",
            method_text=_GENERIC_METHODS["USUBJID"],
        )
    if stem == "SEQ":
        return VariableOrigin(
            dataset, variable, "Derived", method_id="SEQ", method_text=_GENERIC_METHODS["SEQ"]
        )
    if stem in ("DY", "STDY", "ENDY"):
        return VariableOrigin(
            dataset, variable, "Derived", method_id="STUDYDAY", method_text=_GENERIC_METHODS["DY"]
        )
    return VariableOrigin(dataset, variable, "Collected")
