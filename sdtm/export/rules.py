"""The export stage's rule ids (``XP``) with their names and severities, and a finding builder.

The authoritative metadata of each rule (message, fix, references, doc) is in
``specs/rules/XP00nn.yaml``; this table holds only what the code needs to build a finding, and a
test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.findings import Finding, FindingsTable, Stage

RULES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "XP0001": ("xpt-dataset-name-too-long", "error"),
        "XP0002": ("xpt-variable-name-too-long", "error"),
        "XP0003": ("xpt-name-invalid-characters", "error"),
        "XP0004": ("xpt-dataset-label-too-long", "error"),
        "XP0005": ("xpt-variable-label-too-long", "error"),
        "XP0006": ("xpt-value-too-long", "error"),
        "XP0007": ("xpt-text-not-printable-ascii", "error"),
        "XP0008": ("xpt-number-not-storable", "error"),
        "XP0009": ("xpt-file-too-large", "error"),
        "XP0010": ("variable-label-missing", "warning"),
        "XP0011": ("value-not-numeric", "error"),
        "XP0012": ("column-type-unsupported", "error"),
        "XP0013": ("numeric-column-for-char-variable", "warning"),
        "XP0014": ("dataset-label-missing", "warning"),
        "XP0015": ("duplicate-variable-name", "error"),
        "XP0016": ("xpt-read-back-mismatch", "error"),
        "XP0020": ("dataset-json-schema-violation", "error"),
        "XP0021": ("define-xml-schema-violation", "error"),
        "XP0022": ("define-xml-reference-unresolved", "error"),
        "XP0023": ("define-xml-item-incomplete", "error"),
        "XP0024": ("dataset-not-written", "error"),
        "XP0025": ("derived-item-without-method", "warning"),
    }
)
"""Rule id -> (kebab-case name, severity)."""


def make_finding(rule_id: str, message: str, **location: object) -> Finding:
    """Return one export-stage finding of ``rule_id`` at the given location."""
    name, severity = RULES[rule_id]
    return Finding(
        rule_id=rule_id,
        severity=severity,
        message=f"{message} [{rule_id} {name}]",
        rule_name=name,
        stage=Stage.EXPORT.value,
        **location,  # type: ignore[arg-type]
    )


def findings_frame(rule_id: str, frame: pd.DataFrame) -> FindingsTable:
    """Return a findings table for ``rule_id`` from a frame of per-row locations.

    Args:
        rule_id: An ``XP`` rule id from ``RULES``.
        frame: Columns ``message`` plus any of the other finding columns (``dataset``,
            ``variable``, ``row``, ``value``, ``usubjid``, ``seq``); one row per finding.

    Returns:
        The findings, with rule name, severity and stage filled in and the rule id appended
        to each message.
    """
    if frame.empty:
        return FindingsTable()
    name, severity = RULES[rule_id]
    out = frame.copy()
    out["message"] = out["message"] + f" [{rule_id} {name}]"
    out["rule_id"] = rule_id
    out["rule_name"] = name
    out["severity"] = severity
    out["stage"] = Stage.EXPORT.value
    return FindingsTable.from_frame(out)
