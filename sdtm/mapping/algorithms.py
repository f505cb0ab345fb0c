"""The mapping algorithms, named as in sdtm.oak, and the read-only table that dispatches them.

Each algorithm takes the raw frame of one block (with provenance columns), the step, and the
context, and returns the values for the step's target (a Series on the frame's index, missing
where nothing is assigned) plus the findings it raised. Algorithms never loop over records.
"""

from __future__ import annotations

import fnmatch
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.mapping import algorithm_base
from sdtm.mapping.algorithm_base import (
    PROVENANCE,
    SRC_FILE,
    SRC_ID,
    SRC_ROW,
    Algorithm,
    MapContext,
    StepResult,
    resolve_codelist,
)
from sdtm.mapping.algorithm_base import empty_values as _empty
from sdtm.mapping.algorithm_base import raw_text as _text
from sdtm.mapping.dates import DATE_FORMATS, compute_iso_datetime
from sdtm.mapping.spec import Condition, Operator, Step, When
from sdtm.mapping.text_algorithms import (
    assign_extract,
    assign_lookup,
    assign_paired_term,
    assign_range_high,
    assign_range_low,
)
from sdtm.standards.model import Codelist

DATA_RULES = MappingProxyType(
    {
        "MP0010": ("collected-term-not-in-codelist", "error"),
        "RD0102": ("unparseable-date", "error"),
        "RD0103": ("unparseable-time", "warning"),
        "MP0015": ("value-transliterated-to-ascii", "warning"),
        "MP0043": ("visit-label-not-in-schedule", "warning"),
    }
)
"""Rule id -> (name, severity) of the findings algorithms raise."""

RULE_IDS: tuple[str, ...] = tuple(DATA_RULES)

__all__ = [
    "ALGORITHMS",
    "PROVENANCE",
    "SRC_FILE",
    "SRC_ID",
    "SRC_ROW",
    "Algorithm",
    "MapContext",
    "StepResult",
    "resolve_codelist",
]


def data_findings(
    frame: pd.DataFrame,
    mask: pd.Series,
    rule_id: str,
    *,
    dataset: str,
    variable: str,
    column: str,
    values: pd.Series,
    problem: str | pd.Series,
) -> pd.DataFrame | None:
    """Findings of a rule of ``DATA_RULES`` (``algorithm_base.data_findings``)."""
    return algorithm_base.data_findings(
        frame,
        mask,
        rule_id,
        dataset=dataset,
        variable=variable,
        column=column,
        values=values,
        problem=problem,
        rules=DATA_RULES,
    )

ASCII_REPLACEMENTS = MappingProxyType(
    {
        "\u00b5": "u",  # micro sign
        "\u03bc": "u",  # Greek mu
        "\u00df": "ss",
        "\u00e6": "ae",
        "\u00c6": "AE",
        "\u0153": "oe",
        "\u0152": "OE",
        "\u00f8": "o",
        "\u00d8": "O",
        "\u0111": "d",
        "\u0110": "D",
        "\u0142": "l",
        "\u0141": "L",
        "\u00fe": "th",
        "\u00de": "TH",
        "\u00f0": "d",
        "\u00d0": "D",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00d7": "x",
        "\u00a0": " ",
    }
)
"""Characters NFKD does not decompose to ASCII, with their conventional ASCII spelling."""


def _ascii_text(text: str) -> str:
    """One value in ASCII where a form exists: explicit table, then NFKD without accents."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in ASCII_REPLACEMENTS:
            out.append(ASCII_REPLACEMENTS[char])
        else:
            parts = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in parts if not unicodedata.combining(c))
            # No ASCII form (e.g. a CJK character, a degree sign): kept, so preflight reports it.
            out.append(base if base and base.isascii() else char)
    return "".join(out)


def compute_ascii(values: pd.Series) -> pd.Series:
    """Transliterate the non-ASCII characters of text values to ASCII where they have a form.

    Unicode NFKD decomposition with combining marks removed (``Fièvre`` -> ``Fievre``) and
    ``ASCII_REPLACEMENTS`` (``µ`` -> ``u``); a character with no ASCII form is kept, so the
    export preflight still reports the value. Each distinct value is converted once.
    """
    text = values.astype("string")
    candidates = text.dropna()
    candidates = candidates[candidates.str.contains(r"[^\x00-\x7f]", regex=True)].unique()
    table = {value: _ascii_text(value) for value in candidates}
    return text.replace(table) if table else text


def transliteration_findings(
    frame: pd.DataFrame,
    before: pd.Series,
    after: pd.Series,
    *,
    dataset: str,
    variable: str,
    column: str,
) -> pd.DataFrame | None:
    """MP0015 per value ``to_ascii`` changed: file, row, column, original and new value."""
    changed = (before.astype("string") != after.astype("string")).fillna(False).astype(bool)
    return data_findings(
        frame,
        changed,
        "MP0015",
        dataset=dataset,
        variable=variable,
        column=column,
        values=before,
        problem="transliterated to ASCII as '"
        + after.astype("string").fillna("")
        + "' (to_ascii is declared in the mapping spec)",
    )


def assign_no_ct(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Copy a raw column as text (stripped; blank is missing)."""
    return StepResult(_text(frame, step.source or ""))


def hardcode_no_ct(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Assign a fixed value to every row."""
    return StepResult(pd.Series(step.value, index=frame.index, dtype="string"))


def _term_lookup(codelist: Codelist | None, synonyms: Mapping[str, str]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    if codelist is not None:
        for term in codelist.terms:
            for synonym in term.synonyms:
                lookup.setdefault(synonym.strip().upper(), term.submission_value)
        for term in codelist.terms:
            lookup[term.submission_value.upper()] = term.submission_value
    # The study map is the sponsor's explicit decision, so it wins over CT synonyms.
    lookup.update({raw.strip().upper(): value for raw, value in synonyms.items()})
    return lookup


def study_synonyms(context: MapContext, codelist: Codelist | None, name: str) -> Mapping[str, str]:
    """Return the study synonym map for a codelist, whether keyed by C-code or short name."""
    keys = [name]
    if codelist is not None:
        keys = [codelist.code, codelist.short_name, name]
    for key in keys:
        if key in context.synonyms:
            return context.synonyms[key]
    return {}


def assign_ct(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Recode a raw column through a codelist and the study's synonym map.

    A value found neither as a submission value, a CDISC synonym nor a study synonym is not
    submitted: the target stays missing and an ``MP0010`` finding names file, row, column
    and value.
    """
    name = step.codelist or ""
    codelist = resolve_codelist(context.standards, name)
    lookup = _term_lookup(codelist, study_synonyms(context, codelist, name))
    raw = _text(frame, step.source or "")
    values = raw.str.upper().map(lookup).astype("string")
    unknown = raw.notna() & values.isna()
    label = codelist.short_name if codelist is not None else name
    findings = data_findings(
        frame,
        unknown,
        "MP0010",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem=(
            f"is not a term, CDISC synonym or study synonym of codelist {label}; not submitted "
            f"(add it to synonyms.yaml or correct the source)"
        ),
    )
    return StepResult(values, findings)


def hardcode_ct(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Assign a fixed codelist term (checked against the codelist when the spec is loaded)."""
    return hardcode_no_ct(frame, step, context)


def assign_datetime(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Build ISO 8601 text from a raw date column and an optional time column.

    Partial dates keep their precision (``2024-03``, ``2024``); a time is appended only to a
    complete date, to the precision collected (``2024-03-12T08``). Unreadable dates give a
    missing value and an ``RD0102`` finding; unreadable times keep the date and give ``RD0103``.
    """
    fmt = step.date_format or ""
    dates = frame[step.date or ""]
    times = frame[step.time] if step.time else None
    iso, bad_date, bad_time = compute_iso_datetime(dates, times, fmt, step.time_format)
    found = [
        data_findings(
            frame,
            bad_date,
            "RD0102",
            dataset=context.domain,
            variable=step.target,
            column=step.date or "",
            values=dates.astype("string"),
            problem=f"cannot be read as a date (expected {fmt}); not submitted",
        )
    ]
    if times is not None:
        found.append(
            data_findings(
                frame,
                bad_time,
                "RD0103",
                dataset=context.domain,
                variable=step.target,
                column=step.time or "",
                values=times.astype("string"),
                problem=(
                    f"cannot be read as a time (expected {step.time_format or 'HH:MM'}); the "
                    "date is kept without it"
                ),
            )
        )
    frames = [f for f in found if f is not None]
    return StepResult(iso, pd.concat(frames, ignore_index=True) if frames else None)


def assign_concat(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Join raw columns (after an optional fixed leading value) with a separator.

    Missing when any part is missing, so an identifier is never built from half its parts.
    """
    separator = "-" if step.separator is None else step.separator
    parts = [_text(frame, column) for column in step.sources]
    if step.value is not None:
        parts.insert(0, pd.Series(step.value, index=frame.index, dtype="string"))
    result = parts[0]
    for part in parts[1:]:
        result = result + separator + part
    return StepResult(result.astype("string"))


def assign_visit(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Look a raw visit label up in the study's visit schedule and assign its planned VISITNUM.

    Labels that name no planned visit stay missing: the visit derivation numbers them as
    unscheduled visits (previous planned VISITNUM + .01, .02, ...). A label that is neither a
    planned visit nor one of the study's unscheduled labels (``unscheduled_visits``, shell
    patterns such as ``UNSCHEDULED*``) is a finding (MP0043): a misspelt or unknown visit
    would otherwise become an unscheduled visit silently (issue 17).
    """
    raw = _text(frame, step.source or "")
    upper = raw.str.upper()
    number = upper.map(dict(context.visits)).astype("string")
    unknown = raw.notna() & number.isna()
    if unknown.any() and context.unscheduled_visits:
        # fnmatch per distinct label: a handful of labels, however many rows.
        labels = upper[unknown].dropna().unique()
        declared = {
            label
            for label in labels
            if any(fnmatch.fnmatchcase(label, p) for p in context.unscheduled_visits)
        }
        unknown &= ~upper.isin(list(declared)).fillna(False)
    found = data_findings(
        frame,
        unknown.fillna(False).astype(bool),
        "MP0043",
        dataset=context.domain,
        variable=step.target,
        column=step.source or "",
        values=raw,
        problem="is neither a planned visit of the visit schedule (visits.yaml) nor an "
        "unscheduled visit label (study setting unscheduled_visit_labels); it is numbered as "
        "an unscheduled visit: add it to the schedule (raw) or to the unscheduled labels",
    )
    return StepResult(number, found)


def split_to_supp(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Send a non-standard value to SUPP-- under QNAM ``target`` (copied, or a fixed value)."""
    if step.source:
        return StepResult(_text(frame, step.source))
    return hardcode_no_ct(frame, step, context)


def relrec(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Keep the raw link value that points at a record of ``rdomain`` (matched on ``rvariable``).

    The RELREC rows themselves are built after --SEQ is derived (``sdtm.derive.relrec``,
    called by the pipeline).
    """
    return StepResult(_text(frame, step.source or ""))


def not_submitted(frame: pd.DataFrame, step: Step, context: MapContext) -> StepResult:
    """Declare a variable deliberately left empty (the reason is documented in the spec)."""
    return StepResult(_empty(frame))


ALGORITHMS: Mapping[str, Algorithm] = MappingProxyType(
    {
        "assign_no_ct": Algorithm(
            assign_no_ct, ("source",), "variable", "Copy the raw value as collected."
        ),
        "assign_ct": Algorithm(
            assign_ct,
            ("source", "codelist"),
            "variable",
            "Recode the raw value to a CT term via CDISC and study synonyms.",
        ),
        "hardcode_no_ct": Algorithm(
            hardcode_no_ct, ("value",), "variable", "Assign a fixed value."
        ),
        "hardcode_ct": Algorithm(
            hardcode_ct, ("value", "codelist"), "variable", "Assign a fixed CT term."
        ),
        "assign_datetime": Algorithm(
            assign_datetime,
            ("date",),
            "variable",
            "ISO 8601 date/time from raw date and time parts, keeping partial precision.",
        ),
        "assign_concat": Algorithm(
            assign_concat,
            ("sources",),
            "variable",
            "Join raw columns (after an optional fixed leading value) with a separator.",
        ),
        "assign_visit": Algorithm(
            assign_visit,
            ("source",),
            "variable",
            "Planned VISITNUM of the raw visit label (visits.yaml); unscheduled stays null.",
        ),
        "split_to_supp": Algorithm(
            split_to_supp,
            ("qlabel", "qorig"),
            "supp",
            "Send the value to SUPP-- under QNAM = target.",
        ),
        "relrec": Algorithm(
            relrec,
            ("source", "rdomain", "rvariable"),
            "relrec",
            "Relate the record to the rdomain record whose rvariable equals the raw value.",
        ),
        "assign_range_low": Algorithm(
            assign_range_low,
            ("source",),
            "variable",
            "Lower limit of a range text (lo-hi, >x, >=x); none for <x.",
        ),
        "assign_range_high": Algorithm(
            assign_range_high,
            ("source",),
            "variable",
            "Upper limit of a range text (lo-hi, <x, <=x); none for >x.",
        ),
        "assign_extract": Algorithm(
            assign_extract,
            ("source", "pattern"),
            "variable",
            "The part of the raw value a regular expression's one group captures.",
        ),
        "assign_lookup": Algorithm(
            assign_lookup,
            ("source", "lookup"),
            "variable",
            "Look the raw value up in a study table of lookups.yaml (e.g. LOINC -> LBTESTCD).",
        ),
        "assign_paired_term": Algorithm(
            assign_paired_term,
            ("source",),
            "variable",
            "The CT term paired with the source's term by C-code (--TEST from --TESTCD).",
        ),
        "not_submitted": Algorithm(
            not_submitted, ("reason",), "none", "Variable deliberately not submitted."
        ),
    }
)
"""Every algorithm a spec may name; the engine looks names up here and nowhere else."""


def evaluate(frame: pd.DataFrame, when: When | None) -> pd.Series:
    """Return the boolean mask of rows where a declarative condition holds (all rows if none)."""
    if when is None:
        return pd.Series(True, index=frame.index)
    masks = [_evaluate_condition(frame, condition) for condition in when.conditions]
    result = masks[0]
    for mask in masks[1:]:
        result = (result & mask) if when.mode == "all" else (result | mask)
    return result.fillna(False).astype(bool)


def _evaluate_condition(frame: pd.DataFrame, condition: Condition) -> pd.Series:
    values = _text(frame, condition.column)
    op = condition.op
    if op is Operator.IS_NULL:
        return values.isna()
    if op is Operator.NOT_NULL:
        return values.notna()
    if op in (Operator.IN, Operator.NOT_IN):
        options = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        inside = values.isin([str(v) for v in options]).fillna(False).astype(bool)
        return inside if op is Operator.IN else ~inside & values.notna()
    if op is Operator.MATCHES:
        return values.str.fullmatch(str(condition.value)).fillna(False).astype(bool)
    if op in (Operator.EQ, Operator.NE):
        equal = (values == str(condition.value)).fillna(False).astype(bool)
        return equal if op is Operator.EQ else ~equal & values.notna()
    numbers = pd.to_numeric(values, errors="coerce")
    bound = float(condition.value)  # type: ignore[arg-type]
    compare = {
        Operator.GT: numbers > bound,
        Operator.GE: numbers >= bound,
        Operator.LT: numbers < bound,
        Operator.LE: numbers <= bound,
    }[op]
    return compare.fillna(False).astype(bool)


def condition_columns(when: When | None) -> tuple[str, ...]:
    """Raw columns a condition reads."""
    return () if when is None else tuple(c.column for c in when.conditions)


def step_columns(step: Step) -> tuple[str, ...]:
    """Raw columns a step reads (its sources and its condition)."""
    columns = [c for c in (step.source, step.date, step.time) if c]
    columns.extend(step.sources)
    columns.extend(condition_columns(step.when))
    return tuple(columns)


KNOWN_DATE_FORMATS: tuple[str, ...] = tuple(DATE_FORMATS)
