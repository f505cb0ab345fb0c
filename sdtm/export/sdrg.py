"""The conformance part of a Study Data Reviewer's Guide (SDRG), drafted from a run's outputs.

Sections follow the PHUSE SDRG template (v1.2) order, keeping only what the package itself
can tell: 1.3 Study Data Standards and Dictionary Inventory (SDTMIG, CT, Define-XML and tool
versions), 3.1 Overview with the data flow (raw rows in = mapped + reported, from
``counts.csv``; records per dataset), 4.1 Conformance Inputs, 4.2 Issues Summary (one row per
rule with findings left in the package: its count, and the waiver reason, the spec's ``skip``
reason for rows left out on purpose, or "to be explained")
and Appendix II Conformance Issues Details (datasets and variables per rule). The guide carries
a DRAFT banner until every finding left is explained by a waiver with its reason.

Inputs are the files ``sdtm run`` writes (``findings.json``, ``counts.csv``, ``run.json``,
``manifest.json``) and the study's ``waivers.yaml`` (for the reasons: findings.json only says
that a finding is waived).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import Severity
from sdtm.validate.registry import Rule
from sdtm.validate.waivers import Waiver, waiver_masks

TO_BE_EXPLAINED = "to be explained"
"""Explanation of findings no waiver covers."""
SKIP_RULE = "MP0002"
"""Raw rows not submitted on purpose: the finding's value is the spec's ``skip`` reason."""
SKIP_EXPLANATION = "not submitted on purpose (mapping spec skip)"
FINDINGS_FILE = "findings.json"
COUNTS_FILE = "counts.csv"
RUN_FILE = "run.json"
TEMPLATE = "PHUSE Study Data Reviewer's Guide template v1.2"


@dataclass(frozen=True, slots=True)
class Issue:
    """One line of the Issues Summary: a rule's findings with one explanation."""

    rule_id: str
    """Rule id (Check ID)."""
    rule_name: str
    """Rule name, the diagnostic in words."""
    severity: str
    """``error``, ``warning`` or ``notice``."""
    count: int
    """Findings."""
    datasets: tuple[str, ...]
    """Datasets (or raw files, for reading findings) they are in."""
    explanation: str
    """The waiver's reason and approval, or :data:`TO_BE_EXPLAINED`."""
    waived: bool
    """True when a waiver covers these findings."""
    references: tuple[str, ...] = ()
    """Other ids of the rule (CDISC CORE, FDA, Pinnacle 21)."""
    details: tuple[tuple[str, str, int], ...] = ()
    """(dataset, variable, count) for Appendix II."""


@dataclass(frozen=True, slots=True)
class ReviewersGuide:
    """Everything the conformance sections of the SDRG say."""

    study: str
    """Study (output folder name)."""
    tool: Mapping[str, Any]
    """Tool name and version from findings.json."""
    standards: Mapping[str, Any]
    """SDTMIG and CT versions from findings.json."""
    creation: Mapping[str, Any]
    """run.json: creation datetime and its source."""
    datasets: Mapping[str, int]
    """Records per dataset."""
    data_flow: tuple[tuple[str, int, int, int], ...]
    """(raw file, rows in, rows mapped, rows reported) per raw file."""
    formats: tuple[str, ...]
    """Formats delivered (XPT v5, Define-XML 2.1, Dataset-JSON 1.1)."""
    issues: tuple[Issue, ...]
    """Issues Summary rows, most severe first."""
    waivers_source: str | None
    """The waivers file the reasons came from."""
    rule_count: int = 0
    """Rules known to the registry (0 when not given)."""

    @property
    def draft(self) -> bool:
        """True while any finding left is not explained."""
        return any(issue.explanation == TO_BE_EXPLAINED for issue in self.issues)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read {path}: {error}") from error


def _references(rule: Rule | None) -> tuple[str, ...]:
    if rule is None:
        return ()
    return tuple(
        f"{r.source} {r.locator}"
        for r in rule.references
        if any(k in r.source for k in ("CORE", "FDA", "Pinnacle"))
    )


def _explain(waiver: Waiver | None, waived: bool) -> str:
    if waiver is not None:
        return f"{' '.join(waiver.reason.split())} (waiver approved by {waiver.approved_by})"
    if waived:
        return f"waived in the run, but no waiver gives the reason: {TO_BE_EXPLAINED}"
    return TO_BE_EXPLAINED


def build_reviewers_guide(
    out_dir: Path,
    *,
    waivers: tuple[Waiver, ...] = (),
    waivers_source: str | None = None,
    rules: Mapping[str, Rule] | None = None,
    min_severity: Severity | str = Severity.NOTICE,
) -> ReviewersGuide:
    """Read a run's output folder and gather what the SDRG conformance sections say.

    Args:
        out_dir: The folder ``sdtm run`` wrote (with ``findings.json``).
        waivers: The study's waivers, for the reasons of waived findings.
        waivers_source: Where the waivers were read from (named in the guide).
        rules: Rule metadata by id (other ids of each rule); ``None`` leaves them out.
        min_severity: Findings below this severity are left out of the Issues Summary.

    Returns:
        The guide's content.

    Raises:
        InputError: when ``findings.json`` is missing or unreadable.
    """
    document = _read_json(out_dir / FINDINGS_FILE)
    frame = pd.DataFrame(document.get("findings", []))
    for column in ("rule_id", "rule_name", "severity", "dataset", "variable", "usubjid", "value"):
        if column not in frame:
            frame[column] = None
    frame["waived"] = frame.get("waived", False)
    frame["waived"] = frame["waived"].fillna(False).astype(bool)
    threshold = Severity(min_severity).rank
    frame = frame[frame["severity"].map(lambda s: Severity(s).rank >= threshold)].reset_index(
        drop=True
    )
    masks = waiver_masks(frame, waivers) if len(frame) and waivers else []
    which = pd.Series(-1, index=frame.index)
    for number, mask in reversed(list(enumerate(masks))):
        which = which.where(~(mask & frame["waived"]), number)
    frame["_waiver"] = which
    # Raw rows a spec leaves out on purpose (study.yaml skip) carry the spec's reason.
    skipped = (frame["rule_id"] == SKIP_RULE) & ~frame["waived"] & frame["value"].notna()
    frame["_skip"] = frame["value"].where(skipped, "").astype(str)
    issues = []
    for (rule_id, severity, waiver_number, waived, skip), group in frame.groupby(
        ["rule_id", "severity", "_waiver", "waived", "_skip"], dropna=False, sort=True
    ):
        waiver = waivers[int(waiver_number)] if int(waiver_number) >= 0 else None
        explanation = (
            f"{SKIP_EXPLANATION}: {' '.join(str(skip).split())}"
            if skip
            else _explain(waiver, bool(waived))
        )
        details = (
            group.assign(
                dataset=group["dataset"].fillna("-").astype(str),
                variable=group["variable"].fillna("-").astype(str),
            )
            .groupby(["dataset", "variable"], sort=True)
            .size()
        )
        issues.append(
            Issue(
                rule_id=str(rule_id),
                rule_name=str(group["rule_name"].dropna().iloc[0])
                if group["rule_name"].notna().any()
                else "",
                severity=str(severity),
                count=len(group),
                datasets=tuple(sorted(group["dataset"].dropna().astype(str).unique())),
                explanation=explanation,
                waived=bool(waived),
                references=_references((rules or {}).get(str(rule_id))),
                details=tuple((d, v, int(n)) for (d, v), n in details.items()),
            )
        )
    issues.sort(key=lambda i: (-Severity(i.severity).rank, i.rule_id, i.waived, i.explanation))
    counts_path = out_dir / COUNTS_FILE
    flow: tuple[tuple[str, int, int, int], ...] = ()
    if counts_path.is_file():
        counts = pd.read_csv(counts_path, dtype={"file": str})
        flow = tuple(
            (str(r.file), int(r.rows_in), int(r.rows_mapped), int(r.rows_reported))
            for r in counts.itertuples(index=False)
        )
    run = _read_json(out_dir / RUN_FILE) if (out_dir / RUN_FILE).is_file() else {}
    formats = []
    if any(out_dir.glob("*.xpt")):
        formats.append("SAS transport (XPT) version 5")
    if (out_dir / "define.xml").is_file():
        formats.append("Define-XML 2.1")
    if (out_dir / "json").is_dir():
        formats.append("Dataset-JSON 1.1")
    return ReviewersGuide(
        study=out_dir.resolve().name,
        tool=document.get("tool", {}),
        standards=document.get("standards", {}),
        creation={k: run.get(k) for k in ("creation_datetime", "creation_source") if k in run},
        datasets={str(k): int(v) for k, v in run.get("datasets", {}).items()},
        data_flow=flow,
        formats=tuple(formats),
        issues=tuple(issues),
        waivers_source=waivers_source,
        rule_count=len(rules or {}),
    )


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(guide: ReviewersGuide) -> str:
    """Return the guide as Markdown (sections in the PHUSE template's order)."""
    lines: list[str] = []
    add = lines.append
    if guide.draft:
        unexplained = sum(i.count for i in guide.issues if i.explanation == TO_BE_EXPLAINED)
        add(
            f"> **DRAFT** - {unexplained} finding(s) are not explained yet (marked "
            f'"{TO_BE_EXPLAINED}"): explain each with a waiver (rule, scope, reason, approved_by '
            "in waivers.yaml) or correct the data, then rerun."
        )
        add("")
    add(f"# Study Data Reviewer's Guide: {guide.study} (conformance sections)")
    add("")
    add(
        f"Drafted by {guide.tool.get('name', 'sdtm')} {guide.tool.get('version', '')} from the "
        f"outputs of the run (findings.json, counts.csv, run.json), in the order of the "
        f"{TEMPLATE}. Sections the package cannot tell (protocol, annotated CRFs) are left to "
        "the sponsor."
    )
    add("")
    add("## 1.3 Study Data Standards and Dictionary Inventory")
    add("")
    add("| Standard or Dictionary | Versions Used |")
    add("|---|---|")
    add(f"| SDTM Implementation Guide | {guide.standards.get('sdtmig', '-')} |")
    add(f"| CDISC SDTM Controlled Terminology | {guide.standards.get('ct', '-')} |")
    add(
        "| Data Definitions | "
        + ("Define-XML 2.1" if "Define-XML 2.1" in guide.formats else "-")
        + " |"
    )
    add(f"| Dataset formats | {', '.join(guide.formats) or '-'} |")
    add("| Medical Events Dictionary | see define.xml (MedDRA version as collected) |")
    add("")
    add("## 3.1 Overview: data flow")
    add("")
    if guide.data_flow:
        total_in = sum(r[1] for r in guide.data_flow)
        mismatched = [r[0] for r in guide.data_flow if r[1] != r[2] + r[3]]
        add(
            f"{len(guide.data_flow)} raw file(s), {total_in} row(s). Every raw row is in an "
            "SDTM record (mapped) or in a finding that says why it is not submitted "
            "(reported); lineage.csv names the raw rows behind each record."
            + (f" MISMATCH in: {', '.join(mismatched)}." if mismatched else "")
        )
        add("")
        add("| Raw file | Rows in | Mapped | Reported |")
        add("|---|---:|---:|---:|")
        for file, rows_in, mapped, reported in guide.data_flow:
            add(f"| {_cell(file)} | {rows_in} | {mapped} | {reported} |")
        add("")
    if guide.datasets:
        add("| Dataset | Records |")
        add("|---|---:|")
        for name in sorted(guide.datasets):
            add(f"| {name} | {guide.datasets[name]} |")
        add("")
    add("## 4 Data Conformance Summary")
    add("")
    add("### 4.1 Conformance Inputs")
    add("")
    rules = f" ({guide.rule_count} rules, specs/rules)" if guide.rule_count else ""
    add(
        f"- Validator: {guide.tool.get('name', 'sdtm')} {guide.tool.get('version', '')}"
        f"{rules}, run as part of `sdtm run`; rule documentation in docs/rules/."
    )
    add(
        f"- Standards: SDTMIG {guide.standards.get('sdtmig', '-')}, CDISC CT "
        f"{guide.standards.get('ct', '-')}; define.xml validated against the Define-XML 2.1 "
        "schema."
    )
    if guide.creation:
        add(
            f"- Package stamped {guide.creation.get('creation_datetime')} "
            f"({guide.creation.get('creation_source')})."
        )
    add(f"- Waiver reasons from: {guide.waivers_source or 'no waivers file given'}.")
    add("")
    add("### 4.2 Issues Summary")
    add("")
    if not guide.issues:
        add("No findings are left in the package.")
    else:
        add("| Check ID | Diagnostic | Severity | Count | Datasets | Explanation |")
        add("|---|---|---|---:|---|---|")
        for issue in guide.issues:
            also = f" ({'; '.join(issue.references)})" if issue.references else ""
            add(
                f"| {issue.rule_id} | {_cell(issue.rule_name)}{_cell(also)} | {issue.severity} "
                f"| {issue.count} | {_cell(', '.join(issue.datasets) or '-')} "
                f"| {_cell(issue.explanation)} |"
            )
        explained = sum(i.count for i in guide.issues if i.explanation != TO_BE_EXPLAINED)
        total = sum(i.count for i in guide.issues)
        add("")
        add(f"{total} finding(s) in {len(guide.issues)} row(s); {explained} explained.")
    add("")
    add("## Appendix II: Conformance Issues Details")
    add("")
    for issue in guide.issues:
        state = "waived" if issue.waived else "open"
        add(f"### {issue.rule_id} {issue.rule_name} ({issue.severity}, {state}, {issue.count})")
        add("")
        add("| Dataset | Variable | Count |")
        add("|---|---|---:|")
        for dataset, variable, count in issue.details:
            add(f"| {_cell(dataset)} | {_cell(variable)} | {count} |")
        add("")
    return "\n".join(lines).rstrip() + "\n"


def write_docx(guide: ReviewersGuide, path: Path) -> None:
    """Write the guide as a Word document (the same sections and tables as the Markdown).

    Args:
        guide: The guide's content.
        path: The ``.docx`` file to write.
    """
    from docx import Document  # python-docx; imported here so that Markdown needs nothing

    document = Document()
    for line in render_markdown(guide).splitlines():
        if not line.strip():
            continue
        if line.startswith("> "):
            paragraph = document.add_paragraph()
            paragraph.add_run(line[2:].replace("**", "")).bold = True
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            document.add_heading(line.lstrip("#").strip(), level=min(level - 1, 3))
        elif line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
            if set("".join(cells)) <= set("-:| "):
                continue  # the Markdown header rule
            table = document.tables[-1] if _continues_table(document) else None
            if table is None or len(table.columns) != len(cells):
                table = document.add_table(rows=0, cols=len(cells))
                table.style = "Table Grid"
            row = table.add_row().cells
            for cell, text in zip(row, cells, strict=True):
                cell.text = text
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        else:
            document.add_paragraph(line)
    # python-docx stamps the save time into the core properties; keep reruns identical.
    created = guide.creation.get("creation_datetime")
    if created:
        from datetime import datetime

        moment = datetime.fromisoformat(str(created))
        document.core_properties.created = moment
        document.core_properties.modified = moment
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def _continues_table(document: Any) -> bool:
    """True when the last block element of the document body is a table."""
    body = document.element.body
    children = [child for child in body.iterchildren() if not child.tag.endswith("sectPr")]
    return bool(children) and children[-1].tag.endswith("}tbl")
