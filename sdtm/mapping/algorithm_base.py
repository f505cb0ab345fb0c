"""What every mapping algorithm shares: its context, its result, and how it reports a value.

Kept apart from ``sdtm.mapping.algorithms`` (which holds the ``ALGORITHMS`` table) so that
algorithms in other modules (``sdtm.mapping.text_algorithms``) build on the same pieces without
an import circle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from sdtm.findings import Stage
from sdtm.mapping.spec import Step
from sdtm.read.text import stripped_or_missing
from sdtm.standards.model import Codelist, Standards

SRC_FILE = "_src_file"
SRC_ROW = "_src_row"
SRC_ID = "_src_id"
PROVENANCE = (SRC_FILE, SRC_ROW, SRC_ID)


@dataclass(frozen=True, slots=True)
class MapContext:
    """What an algorithm needs besides the raw frame and the step."""

    domain: str
    """Target dataset."""
    standards: Standards | None = None
    """Standards with the CT package; ``None`` only in tests of CT-free algorithms."""
    synonyms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Study synonym maps: codelist (C-code or short name) -> raw text (upper) -> term."""
    visits: Mapping[str, str] = field(default_factory=dict)
    """Raw visit label (upper) -> planned VISITNUM as text, from the study's visit schedule."""
    unscheduled_visits: tuple[str, ...] = ()
    """Shell patterns (upper) of raw labels that mean an unscheduled visit (study setting
    ``unscheduled_visit_labels``); a label neither planned nor matching one is reported."""
    lookups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Study lookup tables (``lookups.yaml``): name -> raw value -> value assigned."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """Values computed by one step and the findings it raised."""

    values: pd.Series
    """Values for the rows of the block (missing where the step assigns nothing)."""
    findings: pd.DataFrame | None = None
    """Findings as a frame with finding columns, or ``None``."""


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One entry of ``ALGORITHMS``."""

    function: Callable[[pd.DataFrame, Step, MapContext], StepResult]
    """The implementation."""
    required: tuple[str, ...]
    """Step fields that must be given."""
    kind: str
    """``variable`` (fills a dataset variable), ``supp``, ``relrec`` or ``none``."""
    description: str
    """One line for reviewers (Methods sheet, docs)."""


def resolve_codelist(standards: Standards | None, name: str | None) -> Codelist | None:
    """Return the codelist named by C-code or by short name (submission value), or ``None``."""
    if standards is None or not name:
        return None
    if name in standards.codelists:
        return standards.codelists[name]
    return standards.codelist_by_short_name(name)


def raw_text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Raw column as stripped text; blank becomes missing."""
    return stripped_or_missing(frame[column])


def empty_values(frame: pd.DataFrame) -> pd.Series:
    """A Series of missing text on the frame's index."""
    return pd.Series(pd.NA, index=frame.index, dtype="string")


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
    rules: Mapping[str, tuple[str, str]],
) -> pd.DataFrame | None:
    """Build findings for the rows in ``mask``, naming file, row, raw column and value.

    Args:
        frame: Block frame with provenance columns.
        mask: Rows with the problem.
        rule_id: A key of ``rules``.
        dataset: Target dataset.
        variable: Target variable.
        column: Raw column the value came from.
        values: The offending values (raw text).
        problem: Text after the value, saying what is wrong and what to do (one text, or a
            Series aligned with ``frame`` when it differs per row).
        rules: The emitting module's rule table: rule id -> (name, severity).

    Returns:
        A findings frame, or ``None`` when ``mask`` selects nothing.
    """
    if not mask.any():
        return None
    rows = frame.loc[mask]
    name, severity = rules[rule_id]
    shown = values.loc[mask].astype("string").fillna("")
    location = rows[SRC_FILE].astype("string") + ":" + rows[SRC_ROW].astype("string")
    said = problem.loc[mask].astype("string") if isinstance(problem, pd.Series) else problem
    message = (
        location
        + f" {column} -> {dataset}.{variable}: value '"
        + shown
        + "' "
        + said
        + f" [{rule_id} {name}]"
    )
    return pd.DataFrame(
        {
            "rule_id": rule_id,
            "rule_name": name,
            "severity": severity,
            "stage": Stage.MAP.value,
            "dataset": dataset,
            "variable": column,
            "value": shown.astype(object),
            "source_file": rows[SRC_FILE].astype(object),
            "source_row": rows[SRC_ROW].astype("Int64"),
            "message": message.astype(object),
        }
    ).reset_index(drop=True)
