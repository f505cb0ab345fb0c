"""``sdtm explain VAR``: what the SDTMIG says of a variable, and where a study's spec fills it."""

from __future__ import annotations

from dataclasses import dataclass

from sdtm.authoring.names import RawNames
from sdtm.mapping.spec import Block, MappingSpec, Step
from sdtm.standards.model import Codelist, DomainSpec, Standards, VariableSpec

SUPP_SUFFIX = "#"
"""Numbered ``split_to_supp`` targets (``RACE#`` -> RACE1, RACE2 ...)."""


@dataclass(frozen=True, slots=True)
class Filled:
    """One step of a spec that fills the variable."""

    block: Block
    """The block (its raw file)."""
    step: Step
    """The step."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """One variable of one dataset."""

    domain: DomainSpec
    """The dataset."""
    variable: VariableSpec
    """The SDTMIG metadata of the variable."""
    codelists: tuple[Codelist, ...]
    """Its codelists in the CT package (those the package holds)."""
    missing_codelists: tuple[str, ...]
    """C-codes the IG names that the CT package lacks."""
    steps: tuple[Filled, ...]
    """The steps of the spec that fill it (empty when none, or no spec given)."""
    derived: bool
    """True when the pipeline derives it after mapping."""


def _matches(domain: DomainSpec, wanted: str) -> list[VariableSpec]:
    if wanted.startswith("--"):
        return [v for v in domain.declared_variables if v.name == domain.name + wanted[2:]]
    return [v for v in domain.declared_variables if v.name == wanted]


def explain_variable(
    standards: Standards,
    name: str,
    *,
    spec: MappingSpec | None = None,
    names: RawNames | None = None,
) -> tuple[Explanation, ...]:
    """Explain a variable: ``AESEV``, ``AE.AESEV``, or ``--SEV`` (every dataset with it).

    Args:
        standards: SDTMIG metadata and CT.
        name: The variable, optionally with its dataset (``DM.ARMCD``) or as ``--`` + suffix.
        spec: A study's mapping spec, to say which steps fill the variable.
        names: Naming conventions, to say whether the pipeline derives it.

    Returns:
        One explanation per dataset holding the variable (empty when none does).
    """
    text = name.strip().upper()
    dataset, _, variable = text.rpartition(".")
    out = []
    for domain in sorted(standards.domains.values(), key=lambda d: d.name):
        if dataset and domain.name != dataset:
            continue
        for spec_variable in _matches(domain, variable):
            codelists = tuple(
                standards.codelists[c] for c in spec_variable.codelists if c in standards.codelists
            )
            missing = tuple(c for c in spec_variable.codelists if c not in standards.codelists)
            steps: list[Filled] = []
            mapping = spec.domains.get(domain.name) if spec is not None else None
            for block in mapping.blocks if mapping is not None else ():
                steps.extend(
                    Filled(block, step)
                    for step in block.steps
                    if step.target in (spec_variable.name, spec_variable.name + SUPP_SUFFIX)
                )
            derived = names.is_derived(spec_variable.name, domain.name) if names else False
            out.append(
                Explanation(domain, spec_variable, codelists, missing, tuple(steps), derived)
            )
    return tuple(out)


def describe_step(step: Step) -> str:
    """One line: algorithm and what it reads (``assign_ct AESEV via AESEV``)."""
    parts = [step.algorithm]
    if step.source:
        parts.append(f"from {step.source}")
    if step.sources:
        parts.append("from " + " + ".join(step.sources))
    if step.date:
        parts.append(f"from {step.date}" + (f" + {step.time}" if step.time else ""))
        if step.date_format:
            parts.append(f"({step.date_format})")
    if step.value is not None:
        parts.append(f"= {step.value!r}")
    if step.codelist:
        parts.append(f"via {step.codelist}")
    if step.when is not None:
        joiner = " and " if step.when.mode == "all" else " or "
        tests = [
            f"{c.column} {c.op.value}" + ("" if c.value is None else f" {c.value!r}")
            for c in step.when.conditions
        ]
        parts.append("when " + joiner.join(tests))
    if step.reason:
        parts.append(f"- {step.reason}")
    return " ".join(parts)
