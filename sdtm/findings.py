"""Findings: the one long-format table in which every stage reports every problem.

A finding names the rule that fired, where (dataset, variable, subject, sequence number, row in
the dataset, raw source file and row) and the offending value. Checks that run over millions of
records build findings as DataFrames (``FindingsTable.from_frame``) rather than one object per
problem, so the table is stored as a DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from sdtm.fileio import atomic_write_text


class Severity(StrEnum):
    """How serious a finding is; ordered so that ``rank`` compares levels."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        """Return 3 for error, 2 for warning and 1 for notice."""
        return {"error": 3, "warning": 2, "notice": 1}[self.value]


class Stage(StrEnum):
    """The pipeline stage that produced a finding."""

    READ = "read"
    MAP = "map"
    DERIVE = "derive"
    VALIDATE = "validate"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one rule at one place."""

    rule_id: str
    """Stable rule id, e.g. ``CT0001``."""
    severity: str
    """``error``, ``warning`` or ``notice``."""
    message: str
    """What is wrong, where, with which value, and what to do."""
    rule_name: str | None = None
    """Kebab-case name of the rule, e.g. ``term-not-in-codelist``."""
    stage: str | None = None
    """Pipeline stage that found it."""
    dataset: str | None = None
    """SDTM dataset name (``AE``, ``SUPPAE``) or raw file kind."""
    variable: str | None = None
    """Variable (or raw column) concerned."""
    usubjid: str | None = None
    """Subject concerned, when one is."""
    seq: float | None = None
    """``--SEQ`` of the record concerned, when known."""
    row: int | None = None
    """1-based record number in the dataset file."""
    value: str | None = None
    """The offending value, as text."""
    source_file: str | None = None
    """Raw source file the record came from (relative path)."""
    source_row: int | None = None
    """Row number in the raw file as a person sees it when opening the file."""
    waived: bool = False
    """True when a waiver in ``waivers.yaml`` covers this finding."""


FINDING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Finding))
_NULLABLE_INT_COLUMNS = ("row", "source_row")


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in FINDING_COLUMNS})
    frame["waived"] = frame["waived"].astype(bool)
    return frame


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a findings frame exactly the standard columns, in order, with stable dtypes."""
    out = frame.copy()
    for name in FINDING_COLUMNS:
        if name not in out.columns:
            out[name] = False if name == "waived" else None
    out = out.loc[:, list(FINDING_COLUMNS)]
    for name in FINDING_COLUMNS:
        if name == "waived":
            out[name] = out[name].fillna(False).astype(bool)
        elif name in _NULLABLE_INT_COLUMNS:
            out[name] = pd.array(pd.to_numeric(out[name], errors="coerce"), dtype="Int64")
        elif name == "seq":
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
        else:
            out[name] = out[name].astype("object").where(out[name].notna(), None)
    return out.reset_index(drop=True)


class FindingsTable:
    """An immutable collection of findings, backed by a DataFrame with ``FINDING_COLUMNS``."""

    __slots__ = ("_frame",)

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        """Wrap ``frame`` (normalised to the standard columns); ``None`` gives an empty table."""
        self._frame = _empty_frame() if frame is None or frame.empty else _normalise(frame)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> FindingsTable:
        """Build a table from ``Finding`` objects."""
        records = [asdict(finding) for finding in findings]
        return cls(pd.DataFrame.from_records(records, columns=list(FINDING_COLUMNS)))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> FindingsTable:
        """Build a table from a frame holding some or all of ``FINDING_COLUMNS``."""
        unknown = set(frame.columns) - set(FINDING_COLUMNS)
        if unknown:
            raise ValueError(f"not finding columns: {sorted(unknown)}")
        return cls(frame)

    @classmethod
    def concat(cls, tables: Iterable[FindingsTable]) -> FindingsTable:
        """Join several tables into one, keeping their order."""
        frames = [table._frame for table in tables if len(table)]
        if not frames:
            return cls()
        if len(frames) == 1:
            return cls._trusted(frames[0])
        # Every part is already normalised, so the joined frame has the standard columns and
        # dtypes; normalising again would cost more than the join on runs with many parts.
        return cls._trusted(pd.concat(frames, ignore_index=True))

    @classmethod
    def _trusted(cls, frame: pd.DataFrame) -> FindingsTable:
        table = cls.__new__(cls)
        table._frame = frame
        return table

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the findings as a DataFrame with ``FINDING_COLUMNS``."""
        return self._frame.copy()

    def __len__(self) -> int:
        return len(self._frame)

    def __iter__(self):
        for record in self._frame.to_dict(orient="records"):
            yield Finding(**{key: _to_python(value) for key, value in record.items()})

    def __add__(self, other: FindingsTable) -> FindingsTable:
        return FindingsTable.concat([self, other])

    def count_by_severity(self, *, include_waived: bool = False) -> dict[str, int]:
        """Count findings per severity (waived ones excluded unless asked for)."""
        frame = self._frame if include_waived else self._frame[~self._frame["waived"]]
        counts = frame["severity"].value_counts()
        return {level.value: int(counts.get(level.value, 0)) for level in Severity}

    def at_or_above(self, level: Severity | str) -> FindingsTable:
        """Return the unwaived findings whose severity is ``level`` or more serious."""
        threshold = Severity(level).rank
        ranks = self._frame["severity"].map(lambda s: Severity(s).rank if s else 0)
        keep = (ranks >= threshold) & ~self._frame["waived"]
        return FindingsTable(self._frame[keep])

    def rows(self, columns: Iterable[str]) -> list[list[Any]]:
        """Return the chosen columns as a list of rows, for compact assertions in tests."""
        columns = list(columns)
        return [
            [_to_python(v) for v in row] for row in self._frame[columns].itertuples(index=False)
        ]

    def to_records(self) -> list[dict[str, Any]]:
        """Return the findings as JSON-ready dictionaries."""
        return [
            {key: _to_python(value) for key, value in record.items()}
            for record in self._frame.to_dict(orient="records")
        ]

    def to_json_document(
        self, *, tool: dict[str, Any], standards: dict[str, Any]
    ) -> dict[str, Any]:
        """Return the findings JSON document: tool, standards, summary and findings."""
        return {
            "tool": tool,
            "standards": standards,
            "summary": summarise(self),
            "findings": self.to_records(),
        }

    def write_json(self, path: Path, *, tool: dict[str, Any], standards: dict[str, Any]) -> None:
        """Write the findings JSON document to ``path`` (UTF-8, sorted rows, stable bytes).

        The file is written beside ``path`` and renamed into place at the end, so a full disk
        leaves no partial document.

        Raises:
            ExportError: When the file cannot be written (the message names the path).
        """
        document = self.to_json_document(tool=tool, standards=standards)
        atomic_write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def summarise(table: FindingsTable) -> dict[str, Any]:
    """Summarise a findings table: counts per severity, waived count, and counts per rule."""
    frame = table.frame
    by_rule = (
        frame[~frame["waived"]]
        .groupby(["rule_id", "severity"], dropna=False)
        .size()
        .reset_index(name="count")
    )
    return {
        "total": len(frame),
        "by_severity": table.count_by_severity(),
        "waived": int(frame["waived"].sum()),
        "by_rule": [
            {"rule_id": r.rule_id, "severity": r.severity, "count": int(r.count)}
            for r in by_rule.itertuples(index=False)
        ]
        if len(by_rule)
        else [],
    }


def _to_python(value: Any) -> Any:
    """Turn pandas/numpy scalars and missing markers into plain JSON-friendly Python values."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return value
    return value
