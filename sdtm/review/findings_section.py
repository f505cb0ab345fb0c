"""The findings section: what to fix first, where, and what was accepted and why.

Counts by severity, rule, dataset and (when the findings carry one) root cause; the raw-row
accounting of ``counts.csv`` with every mismatch in red; waived findings grouped by the waiver
that covers them, with its reason; the documentation of every rule that fired (the table's
rule ids link to it inside the page); and every finding in a filterable table. The table rows
travel packed in the page (:func:`sdtm.review.html.pack`) and are drawn by its script, so a
study with tens of thousands of findings stays a reasonable file.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import Severity
from sdtm.review.html import data_block, esc, number, table
from sdtm.review.inputs import ReviewInputs
from sdtm.validate.registry import Rule
from sdtm.validate.waivers import waiver_masks

TABLE_COLUMNS = (
    "severity", "rule_id", "rule_name", "dataset", "usubjid", "variable", "value", "row", "seq",
    "source_file", "source_row", "message", "waived", "waiver",
)  # fmt: skip
"""Columns of the packed findings rows, in order (the page script reads them by name)."""
_LEVELS = tuple(level.value for level in Severity)


def _rank(severity: pd.Series) -> pd.Series:
    order = {level: i for i, level in enumerate(_LEVELS)}
    return severity.map(lambda s: order.get(s, len(order)))


def rule_link(rule_id: str, rules: Mapping[str, Rule]) -> str:
    """Return the rule id as a link to its documentation in the page (plain when unknown)."""
    if rule_id in rules:
        return f'<a href="#rule-{esc(rule_id)}">{esc(rule_id)}</a>'
    return esc(rule_id)


def waiver_reasons(findings: pd.DataFrame, inputs: ReviewInputs) -> pd.Series:
    """Return, per finding, ``#n: reason`` of the first waiver covering it (empty if none)."""
    reasons = pd.Series("", index=findings.index, dtype=object)
    if not inputs.waivers:
        return reasons
    waived = findings["waived"].astype(bool)
    for waiver, mask in zip(inputs.waivers, waiver_masks(findings, inputs.waivers), strict=True):
        hit = mask & waived & reasons.eq("")
        reasons[hit] = f"#{waiver.number}: {waiver.reason}"
    return reasons


def _cards(findings: pd.DataFrame) -> str:
    open_findings = findings.loc[~findings["waived"]]
    counts = open_findings["severity"].value_counts()
    cards = [
        f'<div class="card {level}"><b>{number(int(counts.get(level, 0)))}</b>{level}</div>'
        for level in _LEVELS
    ]
    cards.append(f'<div class="card"><b>{number(int(findings["waived"].sum()))}</b>waived</div>')
    cards.append(f'<div class="card"><b>{number(len(findings))}</b>in all</div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _by_rule(findings: pd.DataFrame, rules: Mapping[str, Rule]) -> str:
    frame = findings.assign(open=~findings["waived"], waived_n=findings["waived"].astype(int))
    grouped = (
        frame.groupby(["severity", "rule_id"], dropna=False)
        .agg(name=("rule_name", "first"), open=("open", "sum"), waived=("waived_n", "sum"))
        .reset_index()
    )
    grouped["_rank"] = _rank(grouped["severity"])
    grouped = grouped.sort_values(["_rank", "open", "rule_id"], ascending=[True, False, True])
    rows = [
        [
            f'<span class="sev-{esc(r.severity)}">{esc(r.severity)}</span>',
            rule_link(str(r.rule_id), rules),
            esc(r.name),
            number(int(r.open)),
            number(int(r.waived)),
        ]
        for r in grouped.itertuples(index=False)
    ]
    return table(["severity", "rule", "name", "open", "waived"], rows, numeric=(3, 4))


def _by_column(findings: pd.DataFrame, column: str, heading: str) -> str:
    open_findings = findings.loc[~findings["waived"]]
    pivot = (
        open_findings.assign(_key=open_findings[column].fillna("(none)").astype(str))
        .pivot_table(index="_key", columns="severity", values="message", aggfunc="count")
        .reindex(columns=list(_LEVELS))
        .fillna(0)
        .astype(int)
    )
    pivot = pivot.assign(_total=pivot.sum(axis=1)).sort_values(
        ["_total"], ascending=False, kind="mergesort"
    )
    rows = [
        [esc(key), *[number(int(pivot.at[key, level])) for level in _LEVELS]] for key in pivot.index
    ]
    return table([heading, *_LEVELS], rows, numeric=(1, 2, 3))


def _accounting(inputs: ReviewInputs) -> str:
    if inputs.counts is None:
        return (
            '<p class="muted">No counts.csv in the package: the raw-row accounting exists '
            "only for packages written by <code>sdtm run</code>.</p>"
        )
    rows, classes = [], []
    mismatches = 0
    for record in inputs.counts.to_dict("records"):
        values = [
            pd.to_numeric(record.get(c), errors="coerce")
            for c in ("rows_in", "rows_mapped", "rows_reported")
        ]
        ok = not any(pd.isna(v) for v in values) and values[0] == values[1] + values[2]
        mismatches += not ok
        classes.append("" if ok else "mismatch")
        rows.append([
            esc(record.get("file")),
            *[esc(record.get(c)) for c in ("rows_in", "rows_mapped", "rows_reported")],
            "ok" if ok else "MISMATCH",
        ])  # fmt: skip
    summary = (
        f'<p class="sev-error"><b>{mismatches} file(s) where rows in ≠ mapped + reported.</b></p>'
        if mismatches
        else '<p class="muted">Every raw row is accounted for: in = mapped + reported.</p>'
    )
    heading = ["raw file", "rows in", "mapped", "reported", "check"]
    return summary + table(heading, rows, numeric=(1, 2, 3), row_classes=classes)


def _waived(findings: pd.DataFrame, reasons: pd.Series, inputs: ReviewInputs) -> str:
    waived = findings.loc[findings["waived"]]
    if waived.empty:
        return '<p class="muted">No waived findings.</p>'
    if not inputs.waivers:
        grouped = waived.groupby(["rule_id", "dataset"], dropna=False).size()
        rows = [[esc(r), esc(d), number(int(n))] for (r, d), n in grouped.items()]
        return (
            '<p class="muted">The waivers file was not given (<code>--waivers FILE</code> or '
            "<code>--mapping DIR</code>), so the reasons cannot be shown; findings.json marks "
            "findings waived without the reason.</p>"
            + table(["rule", "dataset", "waived"], rows, numeric=(2,))
        )
    counts = reasons[findings["waived"]].value_counts()
    rows = []
    for waiver in inputs.waivers:
        key = f"#{waiver.number}: {waiver.reason}"
        scope = ", ".join(f"{k}={v}" for k, v in waiver.scope.items()) or "any"
        rows.append([
            esc(f"#{waiver.number}"), esc(waiver.rule), esc(scope),
            number(int(counts.get(key, 0))), esc(waiver.reason), esc(waiver.approved_by),
        ])  # fmt: skip
    unmatched = int(reasons[findings["waived"]].eq("").sum())
    note = (
        f'<p class="sev-warning">{unmatched} waived finding(s) match no waiver of '
        f"{esc(inputs.waivers_file)} (waived by another file?).</p>"
        if unmatched
        else ""
    )
    heading = ["waiver", "rule", "scope", "findings", "reason", "approved by"]
    return table(heading, rows, numeric=(3,)) + note


def _rule_docs(findings: pd.DataFrame, rules: Mapping[str, Rule]) -> str:
    parts = []
    for rule_id in sorted(set(findings["rule_id"].dropna().astype(str))):
        rule = rules.get(rule_id)
        if rule is None:
            parts.append(
                f'<div class="rule-doc" id="rule-{esc(rule_id)}"><b>{esc(rule_id)}</b> '
                '<span class="muted">not a rule of this toolkit (no documentation)</span></div>'
            )
            continue
        references = "; ".join(f"{r.source} {r.locator}" for r in rule.references)
        parts.append(
            f'<div class="rule-doc" id="rule-{esc(rule.id)}"><b>{esc(rule.id)} '
            f'{esc(rule.name)}</b> <span class="sev-{esc(rule.severity.value)}">'
            f"{esc(rule.severity.value)}</span> · stage {esc(rule.stage.value)}"
            f"<p>{esc(rule.doc)}</p><p><b>Fix:</b> {esc(rule.fix)}</p>"
            + (f'<p class="muted">References: {esc(references)}</p>' if references else "")
            + "</div>"
        )
    return "".join(parts)


def _rows(findings: pd.DataFrame, reasons: pd.Series) -> dict[str, object]:
    frame = findings.assign(waiver=reasons, _rank=_rank(findings["severity"]))
    frame = frame.sort_values(
        ["waived", "_rank", "rule_id", "dataset", "row", "source_file", "source_row"],
        kind="mergesort",
        na_position="last",
    )
    rows = []
    for record in frame.loc[:, list(TABLE_COLUMNS)].to_dict("records"):
        row = []
        for column in TABLE_COLUMNS:
            value = record[column]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row.append(None)
            elif column in ("row", "source_row"):
                row.append(int(value))
            elif column == "seq":
                row.append(float(value) if not float(value).is_integer() else int(value))
            elif column == "waived":
                row.append(bool(value))
            else:
                row.append(str(value))
        rows.append(row)
    return {"columns": list(TABLE_COLUMNS), "rows": rows}


def render_findings_section(inputs: ReviewInputs, rules: Mapping[str, Rule]) -> str:
    """Return the findings section of the page.

    Args:
        inputs: The package as read (findings may be ``None``).
        rules: Rule metadata by id (documentation, fix, references).

    Returns:
        HTML of the section, including the packed rows of the findings table.
    """
    parts = ['<section id="findings"><h2>Findings</h2>']
    if len(inputs.read_findings):
        read = inputs.read_findings.frame
        rows = [[esc(r.rule_id), esc(r.dataset), esc(r.message)] for r in read.itertuples()]
        parts.append("<h3>Problems reading the package</h3>")
        parts.append(table(["rule", "dataset", "message"], rows))
    if inputs.findings is None:
        parts.append(
            '<p class="muted">No findings.json in the package (another tool produced it, or '
            "it was not validated). Run <code>sdtm validate DIR --format json --output "
            "findings.json</code> and pass <code>--findings findings.json</code>.</p>"
        )
        parts.append("<h3>Raw-row accounting</h3>" + _accounting(inputs) + "</section>")
        return "".join(parts)
    findings = inputs.findings
    findings = findings.assign(waived=findings["waived"].fillna(False).astype(bool))
    source = esc(inputs.findings_file)
    standards = ", ".join(f"{k} {v}" for k, v in sorted(inputs.standards.items()))
    parts.append(
        f'<p class="muted">From {source}'
        + (f" · standards: {esc(standards)}" if standards else "")
        + "</p>"
    )
    parts.append(_cards(findings))
    reasons = waiver_reasons(findings, inputs)
    parts.append("<h3>Findings by rule (open and waived)</h3>" + _by_rule(findings, rules))
    parts.append("<h3>Open findings by dataset</h3>" + _by_column(findings, "dataset", "dataset"))
    if "root_cause" in findings.columns:
        parts.append(
            "<h3>Open findings by root cause</h3>"
            + _by_column(findings, "root_cause", "root cause")
        )
    parts.append("<h3>Raw-row accounting</h3>" + _accounting(inputs))
    parts.append("<h3>Waived findings and their reasons</h3>" + _waived(findings, reasons, inputs))
    parts.append(
        '<h3>All findings</h3><div class="filters" id="findings-filters">'
        '<input type="search" id="f-text" placeholder="filter: subject, value, message…">'
        '<select id="f-severity"><option value="">any severity</option></select>'
        '<select id="f-rule"><option value="">any rule</option></select>'
        '<select id="f-dataset"><option value="">any dataset</option></select>'
        '<select id="f-waived"><option value="open">open</option><option value="waived">'
        'waived</option><option value="">open and waived</option></select>'
        '<span id="f-count" class="muted"></span></div>'
        '<div class="scroll"><table id="findings-table"><thead><tr><th>severity</th>'
        "<th>rule</th><th>dataset</th><th>subject</th><th>variable</th><th>value</th>"
        "<th>record</th><th>raw source</th><th>message</th><th>waiver</th></tr></thead>"
        '<tbody></tbody></table></div><p><button type="button" id="f-more" hidden>show more'
        "</button></p>"
    )
    parts.append(data_block("findings-data", _rows(findings, reasons)))
    parts.append("<h3>Rules that fired</h3>" + _rule_docs(findings, rules))
    parts.append("</section>")
    return "".join(parts)
