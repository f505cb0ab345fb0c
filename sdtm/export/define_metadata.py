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
class DefineMetadata:
    """All study-specific metadata the exporter takes from the mapping stage."""

    study: StudyInfo = field(default_factory=StudyInfo)
    """Study facts."""
    origins: tuple[VariableOrigin, ...] = ()
    """Known origins; variables not listed get ``default_origin``."""
    dataset_comments: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Dataset name -> comment written as a ``def:CommentDef`` of the ItemGroupDef."""

    def origin(self, dataset: str, variable: str) -> VariableOrigin:
        """Return the origin of ``dataset.variable``: the given one, else the default."""
        for candidate in self.origins:
            if candidate.dataset == dataset and candidate.variable == variable:
                return candidate
        return default_origin(dataset, variable)


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
