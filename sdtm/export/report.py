"""Findings reports: terminal table, JSON, CSV, XLSX and JUnit XML, plus the exit code.

Spreadsheet cells are written so that no spreadsheet program executes them: a text value that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(the OWASP recommendation against CSV/formula injection), in both CSV and XLSX. Source data
is untrusted: a verbatim term ``=HYPERLINK(...)`` must stay text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree
from rich.console import Console
from rich.table import Table

from sdtm.errors import ExportError
from sdtm.fileio import atomic_path
from sdtm.findings import FINDING_COLUMNS, FindingsTable, Severity

REPORT_FORMATS = ("text", "json", "csv", "xlsx", "junit")
"""Formats :func:`write_report` understands (``text`` renders to a console)."""

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_REPORT_COLUMNS = (
    "rule_id", "rule_name", "severity", "dataset", "row", "usubjid", "seq", "variable", "value",
    "message", "waived", "stage", "source_file", "source_row",
)  # fmt: skip
_RULE_COLUMNS = ("id", "name", "severity", "stage", "state", "references", "message", "fix")


def neutralize(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet cell (text only; numbers pass through)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def exit_code(findings: FindingsTable, fail_on: Severity | str = Severity.ERROR) -> int:
    """Return 1 when an unwaived finding is at or above ``fail_on``, else 0."""
    return 1 if len(findings.at_or_above(fail_on)) else 0


def _records(findings: FindingsTable) -> list[dict[str, Any]]:
    return [{k: r[k] for k in _REPORT_COLUMNS} for r in findings.to_records()]


def _rule_rows(rules: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "name": rule.name,
            "severity": rule.severity.value,
            "stage": rule.stage.value,
            "state": rule.state,
            "references": "; ".join(f"{r.source} {r.locator}" for r in rule.references),
            "message": rule.message,
            "fix": rule.fix,
        }
        for rule in rules
    ]


def render_text(findings: FindingsTable, console: Console, *, limit: int = 200) -> None:
    """Print the findings as a table; above ``limit`` rows print counts per rule and dataset.

    Args:
        findings: Findings to show.
        console: Where to print (stdout in text mode).
        limit: Largest number of findings listed one by one.
    """
    counts = findings.count_by_severity()
    waived = int(findings.frame["waived"].sum()) if len(findings) else 0
    summary = ", ".join(f"{n} {level}(s)" for level, n in counts.items())
    console.print(f"{len(findings)} finding(s): {summary}; {waived} waived", highlight=False)
    if not len(findings):
        return
    frame = findings.frame
    if len(frame) <= limit:
        table = Table("rule", "severity", "dataset", "row", "usubjid", "variable", "message")
        for r in frame.itertuples(index=False):
            table.add_row(
                str(r.rule_id),
                str(r.severity) + (" (waived)" if r.waived else ""),
                str(r.dataset or ""),
                "" if pd.isna(r.row) else str(r.row),
                str(r.usubjid or ""),
                str(r.variable or ""),
                str(r.message or ""),
            )
    else:
        grouped = (
            frame.assign(dataset=frame["dataset"].fillna(""))
            .groupby(["rule_id", "rule_name", "severity", "dataset", "waived"], dropna=False)
            .size()
            .reset_index(name="count")
        )
        table = Table("rule", "name", "severity", "dataset", "waived", "count")
        for r in grouped.itertuples(index=False):
            table.add_row(
                str(r.rule_id), str(r.rule_name), str(r.severity), str(r.dataset),
                "yes" if r.waived else "", str(r.count),
            )  # fmt: skip
        console.print(f"(more than {limit} findings: counts per rule and dataset)")
    console.print(table)


def write_json(
    findings: FindingsTable,
    path: Path,
    *,
    rules: Iterable[Any] = (),
    tool: Mapping[str, Any] | None = None,
    standards: Mapping[str, Any] | None = None,
) -> None:
    """Write the findings JSON document, extended with the rules that were run."""
    document = findings.to_json_document(tool=dict(tool or {}), standards=dict(standards or {}))
    document["rules"] = _rule_rows(rules)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(findings: FindingsTable, path: Path) -> None:
    """Write one CSV row per finding (UTF-8, header row, spreadsheet-safe cells)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(_REPORT_COLUMNS))
        writer.writeheader()
        for record in _records(findings):
            writer.writerow({k: neutralize("" if v is None else v) for k, v in record.items()})


def write_xlsx(findings: FindingsTable, path: Path, *, rules: Iterable[Any] = ()) -> None:
    """Write a workbook: one sheet per severity (errors, warnings, notices) and a Rules sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    records = _records(findings)
    for level in Severity:
        sheet = workbook.create_sheet(f"{level.value}s")
        sheet.append(list(_REPORT_COLUMNS))
        for record in records:
            if record["severity"] == level.value:
                sheet.append([_cell(record[c]) for c in _REPORT_COLUMNS])
        sheet.freeze_panes = "A2"
    sheet = workbook.create_sheet("Rules")
    sheet.append(list(_RULE_COLUMNS))
    for row in _rule_rows(rules):
        sheet.append([_cell(row[c]) for c in _RULE_COLUMNS])
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            cell.data_type = "s"
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                # openpyxl stores a text starting with "=" as a formula unless told otherwise.
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    workbook.save(path)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    return neutralize(str(value))


def write_junit(
    findings: FindingsTable,
    path: Path,
    *,
    rules: Iterable[Any],
    datasets: Iterable[str],
    fail_on: Severity | str = Severity.ERROR,
) -> None:
    """Write JUnit XML: one test case per rule and dataset, failing on unwaived findings.

    A test suite per dataset holds one test case per rule; the case fails when the rule has
    unwaived findings at or above ``fail_on`` in that dataset, and lists lower or waived ones in
    ``system-out``. Findings not tied to a listed dataset go to a suite named ``(study)``.
    """
    threshold = Severity(fail_on).rank
    rules = tuple(rules)
    frame = findings.frame
    frame["dataset"] = frame["dataset"].fillna("(study)")
    names = list(dict.fromkeys([*(d.upper() for d in datasets), *frame["dataset"]]))
    by_key = dict(iter(frame.groupby(["dataset", "rule_id"], sort=False)))
    suites = etree.Element("testsuites", name="sdtm validate")
    total_failures = total_tests = 0
    for dataset in names:
        suite = etree.SubElement(suites, "testsuite", name=f"sdtm.{dataset}")
        failures = 0
        for rule in rules:
            case = etree.SubElement(
                suite, "testcase", name=f"{rule.id} {rule.name}", classname=f"sdtm.{dataset}"
            )
            group = by_key.get((dataset, rule.id))
            if group is None:
                continue
            ranks = group["severity"].map(lambda s: Severity(s).rank if s else 0)
            failing = group[(ranks >= threshold) & ~group["waived"]]
            if len(failing):
                failures += 1
                failure = etree.SubElement(
                    case,
                    "failure",
                    message=f"{len(failing)} {rule.severity.value} finding(s) of {rule.id}",
                    type=rule.severity.value,
                )
                failure.text = "\n".join(_xml_text(m) for m in failing["message"])
            rest = group.drop(failing.index)
            if len(rest):
                out = etree.SubElement(case, "system-out")
                out.text = "\n".join(
                    ("[waived] " if w else "") + _xml_text(m)
                    for m, w in zip(rest["message"], rest["waived"], strict=True)
                )
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_failures += failures
        total_tests += len(rules)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    path.write_bytes(
        etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


def _xml_text(value: Any) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters in raw data)."""
    text = "" if value is None else str(value)
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def write_report(
    findings: FindingsTable,
    fmt: str,
    path: Path,
    *,
    rules: Iterable[Any] = (),
    datasets: Iterable[str] = (),
    tool: Mapping[str, Any] | None = None,
    standards: Mapping[str, Any] | None = None,
    fail_on: Severity | str = Severity.ERROR,
) -> None:
    """Write the findings in one of the machine formats.

    Args:
        findings: Findings of the run.
        fmt: ``json``, ``csv``, ``xlsx`` or ``junit``.
        path: Output file.
        rules: Rules that were run (Rules sheet, JSON ``rules``, JUnit test cases).
        datasets: Datasets validated (JUnit test suites).
        tool: Tool name/version for the JSON document.
        standards: Standards versions for the JSON document.
        fail_on: Lowest severity that fails a JUnit test case.

    Raises:
        ExportError: for an unknown format or an unwritable path.
    """
    if fmt not in ("json", "csv", "xlsx", "junit"):
        raise ExportError(f"unknown report format {fmt!r}; use one of {REPORT_FORMATS[1:]}")
    if path.is_dir():
        raise ExportError(f"cannot write report {path}: it is a folder, not a file")
    # Written to a temporary file beside the target and renamed at the end: a full disk or an
    # interrupted run leaves no partial report (issue 12).
    with atomic_path(path, operation="write report") as temp:
        if fmt == "json":
            write_json(findings, temp, rules=rules, tool=tool, standards=standards)
        elif fmt == "csv":
            write_csv(findings, temp)
        elif fmt == "xlsx":
            write_xlsx(findings, temp, rules=rules)
        else:
            write_junit(findings, temp, rules=rules, datasets=datasets, fail_on=fail_on)


__all__ = [
    "FINDING_COLUMNS",
    "REPORT_FORMATS",
    "exit_code",
    "neutralize",
    "render_text",
    "write_csv",
    "write_json",
    "write_junit",
    "write_report",
    "write_xlsx",
]
