"""SDTMIG metadata and CDISC Controlled Terminology, read from ``specs/`` into typed objects."""

from sdtm.standards.model import Codelist, DomainSpec, Standards, Term, VariableSpec

__all__ = ["Codelist", "DomainSpec", "Standards", "Term", "VariableSpec"]
