"""Spec problems: mistakes in a mapping spec, each with the ``file:line`` where it was written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from sdtm.errors import SpecError
from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.spec import Location

SPEC_RULES = MappingProxyType(
    {
        "MP0101": ("unknown-algorithm", "error"),
        "MP0102": ("unknown-target-variable", "error"),
        "MP0103": ("codelist-not-in-ct", "error"),
        "MP0104": ("required-variable-not-assigned", "error"),
        "MP0105": ("raw-column-missing", "error"),
        "MP0106": ("spec-malformed", "error"),
        "MP0107": ("unknown-target-dataset", "error"),
        "MP0108": ("hardcoded-term-not-in-codelist", "error"),
        "MP0109": ("spec-path-outside-study", "error"),
        "MP0110": ("step-never-applies", "error"),
    }
)
"""Rule id -> (name, severity) of every spec problem."""

RULE_IDS: tuple[str, ...] = tuple(SPEC_RULES)


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One mistake in a spec."""

    rule_id: str
    """Rule id (``MP01xx``)."""
    location: Location
    """Where the mistake is."""
    message: str
    """What is wrong and what to do."""

    def __str__(self) -> str:
        name = SPEC_RULES[self.rule_id][0]
        return f"{self.location}: {self.message} [{self.rule_id} {name}]"


def problems_to_findings(problems: Iterable[SpecProblem]) -> FindingsTable:
    """Turn spec problems into findings (``source_file``/``source_row`` are the spec file/line)."""
    problems = list(problems)
    if not problems:
        return FindingsTable()
    frame = pd.DataFrame(
        {
            "rule_id": [p.rule_id for p in problems],
            "rule_name": [SPEC_RULES[p.rule_id][0] for p in problems],
            "severity": [SPEC_RULES[p.rule_id][1] for p in problems],
            "stage": Stage.MAP.value,
            "message": [str(p) for p in problems],
            "source_file": [p.location.file for p in problems],
            "source_row": [p.location.line or None for p in problems],
        }
    )
    return FindingsTable.from_frame(frame)


def raise_if_problems(problems: Iterable[SpecProblem]) -> None:
    """Raise one ``SpecError`` listing every problem, sorted by location, if there are any.

    Raises:
        SpecError: when ``problems`` is not empty.
    """
    problems = sorted(problems, key=lambda p: (p.location, p.rule_id))
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise SpecError(f"the mapping spec has {len(problems)} problem(s):\n{listing}")
