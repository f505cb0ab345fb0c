"""Write a study profile (``sdtm profile``) as JSON or as an Excel workbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sdtm.authoring.profile import ColumnProfile, FileProfile, StudyProfile
from sdtm.standards.search import CodelistMatch


def _codelist(match: CodelistMatch) -> dict[str, Any]:
    return {
        "codelist": match.short_name,
        "code": match.code,
        "extensible": match.extensible,
        "share": round(match.share, 4),
        "shares": {kind: round(share, 4) for kind, share in match.shares.items()},
        "unmatched": list(match.unmatched),
    }


def column_to_dict(column: ColumnProfile) -> dict[str, Any]:
    """Return a column profile as JSON-ready data (without the full value counts)."""
    out: dict[str, Any] = {
        "name": column.name,
        "kind": column.kind,
        "rows": column.rows,
        "filled": column.filled,
        "fill_rate": round(column.fill_rate, 4),
        "distinct": column.distinct,
        "top": [[value, count] for value, count in column.top],
    }
    if column.date is not None:
        out["date"] = {
            "formats": list(column.date.formats),
            "chosen": column.date.chosen,
            "ambiguous": column.date.ambiguous,
            "share": round(column.date.share, 4),
            "partial": column.date.partial,
            "unreadable": list(column.date.unreadable),
            "with_time": column.date.with_time,
        }
    if column.numeric is not None:
        out["numeric"] = {
            "share": round(column.numeric.share, 4),
            "min": column.numeric.minimum,
            "max": column.numeric.maximum,
            "non_numeric": list(column.numeric.non_numeric),
        }
    if column.units:
        out["units"] = list(column.units)
    if column.codelists:
        out["codelists"] = [_codelist(m) for m in column.codelists]
    out["non_ascii"] = column.non_ascii
    out["max_length"] = column.max_length
    out["flags"] = list(column.flags)
    return out


def file_to_dict(profile: FileProfile) -> dict[str, Any]:
    """Return a file profile as JSON-ready data."""
    return {
        "file": profile.path,
        "rows": profile.rows,
        "encoding": profile.encoding,
        "reading_findings": dict(profile.problems),
        "subject_column": profile.subject_column,
        "rows_per_subject": profile.rows_per_subject,
        "flags": list(profile.flags),
        "columns": [column_to_dict(c) for c in profile.columns],
    }


def profile_to_dict(profile: StudyProfile) -> dict[str, Any]:
    """Return a study profile as JSON-ready data."""
    return {
        "study_dir": profile.study_dir,
        "ct_version": profile.ct_version,
        "files": [file_to_dict(f) for f in profile.files],
    }


def write_profile_json(profile: StudyProfile, path: Path) -> None:
    """Write the profile as JSON (UTF-8, stable key order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(profile_to_dict(profile), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def describe_codelists(column: ColumnProfile) -> str:
    """One line: ``NY 100% (synonym 100%); ...``."""
    return "; ".join(
        f"{m.short_name} {m.share:.0%} ("
        + ", ".join(f"{kind} {share:.0%}" for kind, share in m.shares.items())
        + ")"
        for m in column.codelists
    )


def describe_column(column: ColumnProfile) -> str:
    """One line of what matters most about a column (date format, range, codelist, units)."""
    parts = []
    if column.date is not None:
        if column.date.ambiguous:
            parts.append("date, AMBIGUOUS DD/MM or MM/DD")
        else:
            parts.append(f"date {column.date.chosen}")
        if column.date.partial:
            parts.append(f"{column.date.partial} partial")
    if column.numeric is not None:
        parts.append(f"{column.numeric.minimum:g} to {column.numeric.maximum:g}")
    if column.units:
        parts.append("units " + ", ".join(column.units[:6]))
    if column.codelists:
        parts.append("CT " + describe_codelists(column))
    if not parts and column.top:
        parts.append(", ".join(v for v, _ in column.top[:3]))
    return "; ".join(parts)


_FILE_HEADER = ("File", "Rows", "Encoding", "Subject Column", "Rows per Subject", "Flags")
_COLUMN_HEADER = (
    "File",
    "Column",
    "Kind",
    "Rows",
    "Filled",
    "Fill Rate",
    "Distinct",
    "Top Values",
    "Date Formats",
    "Date Format Chosen",
    "Ambiguous Date",
    "Partial Dates",
    "Min",
    "Max",
    "Non-numeric Values",
    "Units",
    "Codelists",
    "Non-ASCII Rows",
    "Flags",
)


def write_profile_xlsx(profile: StudyProfile, path: Path) -> None:
    """Write the profile as a workbook: a Files sheet and a Columns sheet (one row per column)."""
    workbook = Workbook()
    files = workbook.active
    files.title = "Files"
    files.append(list(_FILE_HEADER))
    columns = workbook.create_sheet("Columns")
    columns.append(list(_COLUMN_HEADER))
    for item in profile.files:
        files.append(
            [
                item.path,
                item.rows,
                item.encoding,
                item.subject_column,
                item.rows_per_subject,
                "; ".join(item.flags),
            ]
        )
        for column in item.columns:
            date = column.date
            numeric = column.numeric
            columns.append(
                [
                    item.path,
                    column.name,
                    column.kind,
                    column.rows,
                    column.filled,
                    round(column.fill_rate, 4),
                    column.distinct,
                    "; ".join(f"{v} ({n})" for v, n in column.top),
                    ", ".join(date.formats) if date else None,
                    date.chosen if date else None,
                    ("yes" if date.ambiguous else "no") if date else None,
                    date.partial if date else None,
                    numeric.minimum if numeric else None,
                    numeric.maximum if numeric else None,
                    ", ".join(numeric.non_numeric) if numeric else None,
                    ", ".join(column.units) or None,
                    describe_codelists(column) or None,
                    column.non_ascii,
                    "; ".join(column.flags) or None,
                ]
            )
    for sheet in (files, columns):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
