"""Metadata of the rules the standards area emits (ST0001-ST0049, CT0001-CT0009).

The table mirrors ``specs/rules/<id>.yaml`` (a test keeps both in step) so that the reader, the
schema and the package validation can turn located problems into findings without loading the
rule files; :func:`findings_frame` does that conversion for whole frames at once.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from sdtm.findings import Severity, Stage


@dataclass(frozen=True, slots=True)
class SchemaRule:
    """The metadata of a rule emitted by the schema stage (mirrors ``specs/rules/<id>.yaml``)."""

    id: str
    """Stable rule id."""
    name: str
    """Kebab-case name of the problem."""
    severity: Severity
    """Severity of its findings."""
    stage: Stage
    """Pipeline stage that reports it."""
    message: str
    """``str.format`` template over dataset, variable, value, row and detail."""


def _rule(
    rule_id: str, name: str, severity: str, message: str, stage: str = "validate"
) -> SchemaRule:
    return SchemaRule(rule_id, name, Severity(severity), Stage(stage), message)


RULES: Mapping[str, SchemaRule] = MappingProxyType(
    {
        rule.id: rule
        for rule in (
            _rule("ST0001", "required-variable-missing", "error",
                  "{dataset}: Required variable {variable} is missing from the dataset"),
            _rule("ST0002", "required-variable-null", "error",
                  "{dataset} row {row}: Required variable {variable} is null"),
            _rule("ST0003", "expected-variable-missing", "warning",
                  "{dataset}: Expected variable {variable} is missing from the dataset"),
            _rule("ST0004", "variable-not-in-standard", "error",
                  "{dataset}: variable {variable} is neither in SDTMIG 3.4 nor declared as a "
                  "model addition"),
            _rule("ST0005", "model-variable-added", "notice",
                  "{dataset}: variable {variable} is a declared SDTM model addition ({detail})"),
            _rule("ST0006", "variable-type-mismatch", "error",
                  "{dataset} row {row}: {variable} value {value!r} is not stored as {detail}, "
                  "the SDTMIG 3.4 type"),
            _rule("ST0007", "invalid-iso8601-datetime", "error",
                  "{dataset} row {row}: {variable} value {value!r} is not an ISO 8601 date/time "
                  "or interval"),
            _rule("ST0008", "invalid-iso8601-duration", "error",
                  "{dataset} row {row}: {variable} value {value!r} is not an ISO 8601 duration"),
            _rule("ST0009", "invalid-test-code", "error",
                  "{dataset} row {row}: {variable} value {value!r} is not a valid short name "
                  "(<= 8 characters, starts with a letter, letters digits and underscore only)"),
            _rule("ST0010", "value-too-long", "error",
                  "{dataset} row {row}: {variable} value is {detail} bytes long (limit 200)"),
            _rule("ST0011", "non-ascii-value", "error",
                  "{dataset} row {row}: {variable} value {value!r} contains non-ASCII or "
                  "non-printable characters"),
            _rule("ST0012", "duplicate-seq", "error",
                  "{dataset} row {row}: {variable} {value} is not unique within USUBJID {detail}"),
            _rule("ST0013", "duplicate-natural-key", "warning",
                  "{dataset} row {row}: records share the natural key {detail}"),
            _rule("ST0014", "domain-value-mismatch", "error",
                  "{dataset} row {row}: DOMAIN value {value!r} is not {detail}"),
            _rule("ST0015", "dataset-not-in-standards", "warning",
                  "{dataset}: no SDTMIG 3.4 specification is loaded for this dataset; its "
                  "records were not checked"),
            _rule("ST0016", "text-not-utf8", "warning",
                  "{dataset} row {row}: {variable} value {value!r} is not valid UTF-8; read as "
                  "{detail}", "read"),
            _rule("ST0017", "dataset-unreadable", "error",
                  "{dataset}: cannot read the file ({detail})", "read"),
            _rule("ST0018", "variable-label-mismatch", "warning",
                  "{dataset}: label of {variable} is {value!r}, SDTMIG 3.4 says {detail!r}"),
            _rule("ST0019", "schema-check-failed", "error",
                  "{dataset}: the check {detail} could not be evaluated on variable {variable} "
                  "({value})"),
            _rule("ST0020", "undeclared-model-variable", "warning",
                  "{dataset}: variable {variable} is an SDTM model variable that is not in the "
                  "SDTMIG 3.4 table of this dataset and not declared as a study addition"),
            _rule("ST0021", "dataset-file-not-read", "notice",
                  "{dataset}: {value} is in the package folder but is not read ({detail})",
                  "read"),
            _rule("ST0022", "dataset-empty", "warning",
                  "{dataset}: the dataset has no records", "read"),
            _rule("CT0001", "term-not-in-codelist", "error",
                  "{dataset} row {row}: {variable} value {value!r} is not in non-extensible "
                  "codelist {detail}"),
            _rule("CT0002", "term-not-in-extensible-codelist", "warning",
                  "{dataset} row {row}: {variable} value {value!r} is not in extensible codelist "
                  "{detail}"),
        )
    }
)  # fmt: skip
"""Every ST/CT rule of the standards area, by id (schema, package and reader stages)."""


def format_messages(template: str, frame: pd.DataFrame) -> pd.Series:
    """Fill a rule's message template for every finding row (vectorized).

    ``{field}`` takes the column's text (empty when missing); ``{field!r}`` quotes it (``null``
    when missing).

    Args:
        template: Template over the columns of ``frame``.
        frame: Findings rows with the template's fields as columns.

    Returns:
        One message per row.
    """
    out = pd.Series("", index=frame.index, dtype="object")
    for literal, field, _spec, conversion in string.Formatter().parse(template):
        out = out + literal
        if not field:
            continue
        column = frame[field] if field in frame.columns else pd.Series(None, index=frame.index)
        present = column.notna()
        text = column.astype("object").where(present, "").astype(str)
        if field == "row":
            text = text.str.replace(r"\.0$", "", regex=True)
        if conversion == "r":
            text = ("'" + text + "'").where(present, "null")
        out = out + text
    return out


def findings_frame(
    rows: pd.DataFrame, *, dataset: str, source_file: str | None = None
) -> pd.DataFrame:
    """Finish finding rows (``rule_id``, ``variable``, ``value``, ``row``, ``detail`` ...).

    Adds severity, rule name, stage and the rendered message from :data:`RULES`.

    Args:
        rows: Frame with at least ``rule_id``; optional ``variable``, ``value``, ``row``,
            ``usubjid``, ``seq`` and ``detail``.
        dataset: Dataset name for the ``dataset`` column and messages.
        source_file: File the dataset was read from, if any.

    Returns:
        A frame with finding columns only, ready for ``FindingsTable.from_frame``.
    """
    out = rows.copy()
    out["dataset"] = dataset
    if source_file is not None:
        out["source_file"] = source_file
    pieces = []
    for rule_id, group in out.groupby("rule_id", sort=False):
        rule = RULES[rule_id]
        group = group.copy()
        group["message"] = format_messages(rule.message, group) + f" [{rule.id} {rule.name}]"
        group["rule_name"] = rule.name
        group["severity"] = rule.severity.value
        group["stage"] = rule.stage.value
        pieces.append(group)
    if not pieces:
        return pd.DataFrame()
    result = pd.concat(pieces).sort_index(kind="stable")
    return result.drop(columns=[c for c in ("detail",) if c in result.columns])
