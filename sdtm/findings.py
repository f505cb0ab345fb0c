"""Findings: the one long-format table in which every stage reports every problem.

A finding names the rule that fired, where (dataset, variable, subject, sequence number, row in
the dataset, raw source file and row) and the offending value. Checks that run over millions of
records build findings as DataFrames (``FindingsTable.from_frame``) rather than one object per
problem, so the table is stored as a DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from sdtm.fileio import atomic_path
from sdtm.json_text import ColumnRecords, iter_indented


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
    caused_by: str | None = None
    """The finding this one follows from, as ``<rule id> <location>`` (``MP0013
    lab/lab_a.csv:3035``, ``ST0079 LB row 12``); ``None`` for a root cause."""


FINDING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Finding))
_NULLABLE_INT_COLUMNS = ("row", "source_row")


def _new_empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in FINDING_COLUMNS})
    frame["waived"] = frame["waived"].astype(bool)
    return frame


_EMPTY_FRAME = _new_empty_frame()


def _empty_frame() -> pd.DataFrame:
    # Building the frame column by column costs milliseconds, and a run builds hundreds of
    # empty tables; copying a finished one is much cheaper.
    return _EMPTY_FRAME.copy()


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
        return _json_records(self._frame)

    def to_json_document(
        self, *, tool: dict[str, Any], standards: dict[str, Any]
    ) -> dict[str, Any]:
        """Return the findings JSON document: tool, standards, summary, causes and findings.

        ``causes`` groups the unwaived findings by root cause (``cause_groups``); each
        finding keeps its own record in ``findings``, with ``caused_by`` naming the finding
        it follows from.
        """
        return {**self._json_head(tool=tool, standards=standards), "findings": self.to_records()}

    def _json_head(self, *, tool: dict[str, Any], standards: dict[str, Any]) -> dict[str, Any]:
        """The findings JSON document up to its ``findings`` list."""
        return {
            "tool": tool,
            "standards": standards,
            "summary": summarise(self),
            "causes": _json_records(cause_groups(self)),
        }

    def write_json(self, path: Path, *, tool: dict[str, Any], standards: dict[str, Any]) -> None:
        """Write the findings JSON document to ``path`` (UTF-8, sorted rows, stable bytes).

        The file is written beside ``path`` and renamed into place at the end, so a full disk
        leaves no partial document.

        Raises:
            ExportError: When the file cannot be written (the message names the path).
        """
        # The findings are rendered in chunks as the file is written: built whole, their
        # dictionaries and text took gigabytes on a 10,000-subject run.
        document = self._json_head(tool=tool, standards=standards)
        document["findings"] = _json_record_chunks(self._frame, _JSON_CHUNK_ROWS)
        with atomic_path(path) as temp, temp.open("w", encoding="utf-8", newline="") as stream:
            stream.writelines(iter_indented(document))
            stream.write("\n")


def summarise(table: FindingsTable) -> dict[str, Any]:
    """Summarise a findings table: counts per severity, causes and records, counts per rule.

    ``records`` counts the unwaived findings (each names one record, or one dataset or file
    for findings about a whole one); ``causes`` counts their root causes (``cause_groups``),
    so one subject missing from DM behind 17 lab records is 1 cause and 17 records. Per rule,
    ``count`` is its findings, ``causes`` the root causes among them and ``following`` those
    that follow from another rule's finding (``caused_by``).
    """
    frame = table.frame
    open_frame = frame[~frame["waived"]]
    keys = _cause_keys(open_frame)
    per_rule = open_frame.assign(
        _key=keys.where(open_frame["caused_by"].isna()),
        _following=open_frame["caused_by"].notna(),
    )
    by_rule = (
        per_rule.groupby(["rule_id", "severity"], dropna=False)
        .agg(count=("rule_id", "size"), causes=("_key", "nunique"), following=("_following", "sum"))
        .reset_index()
    )
    return {
        "total": len(frame),
        "by_severity": table.count_by_severity(),
        "waived": int(frame["waived"].sum()),
        "causes": int(keys.nunique()),
        "records": len(open_frame),
        "by_rule": [
            {
                "rule_id": r.rule_id,
                "severity": r.severity,
                "count": int(r.count),
                "causes": int(r.causes),
                "following": int(r.following),
            }
            for r in by_rule.itertuples(index=False)
        ]
        if len(by_rule)
        else [],
    }


CAUSE_KEY_COLUMNS = ("rule_id", "dataset", "variable", "value")
"""Findings of one rule on one dataset, variable and value are one cause (the 17 records of a
subject missing from DM; every record of one unit-less test)."""
_CHAIN_LIMIT = 8


def finding_labels(frame: pd.DataFrame) -> pd.Series:
    """``<rule id> <location>`` of each finding, the form ``caused_by`` uses.

    The location is the raw ``file:row`` when known, else ``<dataset> row <n>``, else the
    dataset (or the subject) alone.
    """
    raw = _raw_location(frame)
    record = _record_location(frame)
    where = raw.fillna(record).fillna(frame["dataset"].astype("string"))
    where = where.fillna(frame["usubjid"].astype("string")).fillna("")
    return (frame["rule_id"].astype("string").fillna("") + " " + where).str.strip()


def _raw_location(frame: pd.DataFrame) -> pd.Series:
    line = pd.array(frame["source_row"], dtype="Int64").astype("string")
    return frame["source_file"].astype("string") + ":" + pd.Series(line, index=frame.index)


def _record_location(frame: pd.DataFrame) -> pd.Series:
    row = pd.Series(pd.array(frame["row"], dtype="Int64").astype("string"), index=frame.index)
    return frame["dataset"].astype("string") + " row " + row


def link_causes(table: FindingsTable, follows: Mapping[str, Sequence[str]]) -> FindingsTable:
    """Name, on each finding that follows from another one, the finding it follows from.

    ``follows`` maps a rule id to the rule ids whose findings can cause its findings (the
    ``follows_from`` list of its YAML): ST0080 (standardized result missing) follows from
    MP0540 (unit without conversion) on the same record. A finding follows from a finding of
    one of those rules (tried in order) on the same raw row, or, when the raw row is not
    known, on the same dataset record. Findings already linked are left as they are.

    Args:
        table: Findings of a run.
        follows: Effect rule id -> cause rule ids.

    Returns:
        The same findings with ``caused_by`` filled where a cause was found.
    """
    frame = table.frame
    if frame.empty or not follows:
        return table
    labels = finding_labels(frame)
    keys = (_raw_location(frame), _record_location(frame))
    caused_by = frame["caused_by"].astype("object")
    rule = frame["rule_id"]
    # Most rules of the registry have no finding in a run: their pairs are skipped unseen.
    present = set(rule.dropna().unique())
    for effect, causes in follows.items():
        if effect not in present:
            continue
        for cause in causes:
            if cause == effect or cause not in present:
                continue
            open_rows = (rule == effect) & caused_by.isna()
            if not open_rows.any():
                break
            is_cause = rule == cause
            if not is_cause.any():
                continue
            for key in keys:
                lookup = pd.Series(labels[is_cause].to_numpy(), index=key[is_cause].to_numpy())
                lookup = lookup[lookup.index.notna()]
                lookup = lookup[~lookup.index.duplicated()]
                found = key[open_rows].map(lookup)
                found = found[found.notna()]
                caused_by.loc[found.index] = found.astype(object)
                open_rows = (rule == effect) & caused_by.isna()
    frame["caused_by"] = caused_by
    return FindingsTable.from_frame(frame)


def root_causes(frame: pd.DataFrame) -> pd.Series:
    """Label of the root cause of each finding: its own label, or the end of its chain."""
    labels = finding_labels(frame)
    parent = frame["caused_by"].astype("string")
    parents = pd.Series(parent.to_numpy(), index=labels.to_numpy())
    parents = parents[~parents.index.duplicated()].dropna()
    root = parent.fillna(labels)
    for _ in range(_CHAIN_LIMIT):  # chains are short; the limit stops a cycle
        step = root.map(parents)
        if not step.notna().any():
            break
        root = step.fillna(root)
    return root


def _cause_keys(frame: pd.DataFrame) -> pd.Series:
    """The cause each finding belongs to: the ``CAUSE_KEY_COLUMNS`` of its root finding."""
    if frame.empty:
        return pd.Series(dtype="string")
    own = frame["rule_id"].astype("string").fillna("")
    for column in CAUSE_KEY_COLUMNS[1:]:
        own = own + "|" + frame[column].astype("string").fillna("")
    labels = finding_labels(frame)
    by_label = pd.Series(own.to_numpy(), index=labels.to_numpy())
    by_label = by_label[~by_label.index.duplicated()]
    root = root_causes(frame)
    # A finding whose cause is not in the table (waived, or reported elsewhere) is its own.
    return root.map(by_label).fillna(own).where(frame["caused_by"].notna(), own)


def cause_groups(table: FindingsTable) -> pd.DataFrame:
    """The unwaived findings grouped by root cause, largest first.

    Returns:
        One row per cause: ``rule_id``, ``rule_name``, ``severity``, ``dataset``,
        ``variable``, ``value`` of the root findings, ``records`` (root findings),
        ``following`` (findings of other rules that follow from them) and the first root
        finding's ``message``.
    """
    columns = [
        "rule_id", "rule_name", "severity", "dataset", "variable", "value",
        "records", "following", "message",
    ]  # fmt: skip
    frame = table.frame
    frame = frame[~frame["waived"]]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keyed = frame.assign(_key=_cause_keys(frame), _root=frame["caused_by"].isna())
    roots = keyed[keyed["_root"]]
    grouped = roots.groupby("_key", sort=False).agg(
        rule_id=("rule_id", "first"),
        rule_name=("rule_name", "first"),
        severity=("severity", "first"),
        dataset=("dataset", "first"),
        variable=("variable", "first"),
        value=("value", "first"),
        records=("rule_id", "size"),
        message=("message", "first"),
    )
    following = keyed[~keyed["_root"]].groupby("_key").size()
    grouped["following"] = following.reindex(grouped.index).fillna(0).astype("int64")
    rank = grouped["severity"].map({"error": 0, "warning": 1, "notice": 2}).fillna(3)
    grouped = grouped.assign(_rank=rank).sort_values(
        ["_rank", "records"], ascending=[True, False], kind="mergesort"
    )
    return grouped.reset_index(drop=True).loc[:, columns]


def _json_column(column: pd.Series) -> list[Any]:
    """The values of one column as :func:`_to_python` turns them, converted column-wise."""
    if column.dtype == object:
        return [value if type(value) is str else _to_python(value) for value in column.tolist()]
    return [_to_python(value) for value in column.tolist()]


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dictionaries (the keys in column order)."""
    names = list(frame.columns)
    columns = [_json_column(frame[name]) for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


_JSON_CHUNK_ROWS = 20_000


def _json_record_chunks(frame: pd.DataFrame, size: int) -> ColumnRecords:
    """The rows of ``frame`` as JSON-ready columns, converted ``size`` rows at a time."""
    names = [str(name) for name in frame.columns]

    def chunks() -> Iterator[tuple[list[str], list[list[Any]]]]:
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size]
            yield names, [_json_column(part[name]) for name in frame.columns]

    return ColumnRecords(chunks())


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
