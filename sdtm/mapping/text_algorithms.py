"""Algorithms that take a value apart or look it up: ranges, patterns, study tables, CT pairs.

Vendors deliver a reference range as one text (``3.0-7.0``, ``<5.0``), a code inside a longer
text, or their own code list (LOINC instead of the test codes). These algorithms turn such
values into SDTM variables declaratively; a value they cannot read is never guessed: the
target stays null and a finding names file, row, column and value.
"""

from __future__ import annotations

import re
from types import MappingProxyType

import pandas as pd

from sdtm.mapping.algorithm_base import (
    MapContext,
    StepResult,
    data_findings,
    empty_values,
    raw_text,
    resolve_codelist,
)
from sdtm.mapping.spec import Step
from sdtm.standards.model import Codelist

TEXT_RULES = MappingProxyType(
    {
        "MP0050": ("range-text-unreadable", "warning"),
        "MP0051": ("value-not-matching-pattern", "warning"),
        "MP0052": ("value-not-in-lookup", "error"),
        "MP0053": ("paired-term-missing", "error"),
    }
)
"""Rule id -> (name, severity) of the findings these algorithms raise."""

RULE_IDS: tuple[str, ...] = tuple(TEXT_RULES)

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
RANGE_PATTERN = (
    rf"^\s*(?:(?P<lo>{_NUMBER})\s*(?:-|–|to)\s*(?P<hi>{_NUMBER})"
    rf"|(?P<lt><=?|≤)\s*(?P<upper>{_NUMBER})"
    rf"|(?P<gt>>=?|≥)\s*(?P<lower>{_NUMBER}))\s*$"
)
"""Range texts read: ``lo-hi`` (also ``lo to hi``), ``<x`` / ``<=x`` (upper limit x, no
lower limit), ``>x`` / ``>=x`` (lower limit x, no upper limit)."""


def compute_range_parts(text: pd.Series) -> pd.DataFrame:
    """Split range texts into ``low`` and ``high`` text (missing where the range has none).

    Returns:
        Columns ``low``, ``high`` and ``readable`` (False for a non-blank text of no known
        shape), aligned with ``text``.
    """
    parts = text.astype("string").str.extract(RANGE_PATTERN)
    low = parts["lo"].fillna(parts["lower"]).astype("string")
    high = parts["hi"].fillna(parts["upper"]).astype("string")
    readable = text.isna() | low.notna() | high.notna()
    return pd.DataFrame({"low": low, "high": high, "readable": readable.astype(bool)})


def _range(frame: pd.DataFrame, step: Step, context: MapContext, part: str) -> StepResult:
    raw = raw_text(frame, step.source or "")
    parts = compute_range_parts(raw)
    findings = data_findings(
        frame,
        ~parts["readable"],
        "MP0050",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem=(
            "is not a range of a known shape (lo-hi, <x, <=x, >x, >=x); not submitted (correct "
            "the source, or map the column with assign_extract)"
        ),
        rules=TEXT_RULES,
    )
    return StepResult(parts[part], findings)


def assign_range_low(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """The lower limit of a range text: ``3.0`` of ``3.0-7.0``, ``5`` of ``>5``, none of ``<5``.

    A non-blank text of no known shape gives a null and ``MP0050`` naming file, row, column
    and value. A strict limit (``<5``) gives the limit itself: SDTM --ORNRLO/--ORNRHI hold the
    limits, not the comparison.
    """
    return _range(frame, step, context, "low")


def assign_range_high(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """The upper limit of a range text: ``7.0`` of ``3.0-7.0``, ``5.0`` of ``<5.0``.

    None for ``>5``; unreadable texts as in ``assign_range_low``.
    """
    return _range(frame, step, context, "high")


def extract_group(pattern: str) -> str | None:
    """What is wrong with a pattern for ``assign_extract`` (``None`` when usable).

    It must compile and have exactly one capturing group, or a group named ``value``.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        return f"pattern {pattern!r} is not a regular expression: {error}"
    if "value" in compiled.groupindex or compiled.groups == 1:
        return None
    return (
        f"pattern {pattern!r} has {compiled.groups} group(s): give exactly one, or name the "
        "one to keep (?P<value>...)"
    )


def assign_extract(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """The part of the raw value a regular expression's group captures (first match).

    The pattern is data, not code: one group, or the group named ``value``. A non-blank value
    it does not match gives a null and ``MP0051``.
    """
    raw = raw_text(frame, step.source or "")
    compiled = re.compile(step.pattern or "")
    group = "value" if "value" in compiled.groupindex else 0
    parts = raw.str.extract(compiled, expand=True)
    values = (parts[group] if group == "value" else parts.iloc[:, 0]).astype("string")
    values = values.where(values.str.strip() != "", pd.NA)
    unmatched = raw.notna() & values.isna()
    findings = data_findings(
        frame,
        unmatched,
        "MP0051",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem=f"does not match the pattern {step.pattern!r}; not submitted",
        rules=TEXT_RULES,
    )
    return StepResult(values, findings)


def assign_lookup(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Look the raw value up in a study table of ``lookups.yaml`` (e.g. LOINC -> LBTESTCD).

    Matching ignores case and surrounding spaces. A value the table lacks is not submitted:
    the target stays null and ``MP0052`` names file, row, column and value.
    """
    table = context.lookups.get(step.lookup or "", {})
    by_key = {str(k).strip().upper(): v for k, v in table.items()}
    raw = raw_text(frame, step.source or "")
    values = raw.str.upper().map(by_key).astype("string")
    missing = raw.notna() & values.isna()
    findings = data_findings(
        frame,
        missing,
        "MP0052",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem=(
            f"is not in the study lookup table {step.lookup!r} (lookups.yaml); not submitted "
            "(add it to the table or correct the source)"
        ),
        rules=TEXT_RULES,
    )
    return StepResult(values, findings)


def _ig_codelist(context: MapContext, variable: str) -> Codelist | None:
    if context.standards is None:
        return None
    domain = context.standards.domain(context.domain)
    spec = domain.variable(variable) if domain is not None else None
    for code in spec.codelists if spec is not None else ():
        if code in context.standards.codelists:
            return context.standards.codelists[code]
    return None


def paired_codelists(step: Step, context: MapContext) -> tuple[Codelist | None, Codelist | None]:
    """Codelists of ``assign_paired_term``: of the source's terms and of the target's.

    Each is the one named in the step (``source_codelist``, ``codelist``) or else the SDTMIG
    codelist of the variable (``source``, ``target``) in the step's dataset.
    """
    source = (
        resolve_codelist(context.standards, step.source_codelist)
        if step.source_codelist
        else _ig_codelist(context, step.source or "")
    )
    target = (
        resolve_codelist(context.standards, step.codelist)
        if step.codelist
        else _ig_codelist(context, step.target)
    )
    return source, target


def assign_paired_term(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """The term of the target's codelist paired with the source's term (same NCI C-code).

    CDISC publishes test codes and test names as two codelists whose terms share their
    C-codes (LBTESTCD ``INTLK6`` and LBTEST ``Interleukin 6`` are both C74834), so
    ``--TEST`` follows from ``--TESTCD`` without a hand-written map. A source value that is
    not a term, or whose term has no pair, gives a null and ``MP0053``.
    """
    source_list, target_list = paired_codelists(step, context)
    pairs: dict[str, str] = {}
    if source_list is not None and target_list is not None:
        by_code = {term.code: term.submission_value for term in target_list.terms}
        pairs = {
            term.submission_value.upper(): by_code[term.code]
            for term in source_list.terms
            if term.code in by_code
        }
    raw = raw_text(frame, step.source or "")
    values = raw.str.upper().map(pairs).astype("string") if pairs else empty_values(frame)
    missing = raw.notna() & values.isna()
    names = (
        f"{source_list.short_name if source_list else step.source_codelist or '?'} -> "
        f"{target_list.short_name if target_list else step.codelist or '?'}"
    )
    findings = data_findings(
        frame,
        missing,
        "MP0053",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem=(
            f"has no paired term in CT ({names}); not submitted (a sponsor-defined code needs "
            "its name from the data: map the target from a raw column)"
        ),
        rules=TEXT_RULES,
    )
    return StepResult(values, findings)
