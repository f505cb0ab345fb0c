"""SDTMIG metadata and CDISC Controlled Terminology, read from ``specs/`` into typed objects."""

from sdtm.standards.load import available_ct_versions, load_standards
from sdtm.standards.model import (
    Codelist,
    DomainSpec,
    RequiredTsParameter,
    Standards,
    Term,
    VariableSpec,
)

__all__ = [
    "Codelist",
    "DomainSpec",
    "RequiredTsParameter",
    "Standards",
    "Term",
    "VariableSpec",
    "available_ct_versions",
    "load_standards",
]
