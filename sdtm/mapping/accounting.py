"""Raw-row accounting next to lineage: every raw row lands in a record or in a finding.

After mapping and deriving, each raw row id (``_src_id``) is either behind an SDTM record
(``lineage``) or explained by a finding: skipped on purpose (MP0002), or unaccounted (MP0001).
The same module reports what the mapping could not place: raw columns no step reads
(MP0017), records of subjects missing from DM (MP0013), and values of numeric variables
that are not numbers (MP0016).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ID, SRC_ROW, evaluate
from sdtm.mapping.check import missing_raw_columns
from sdtm.mapping.engine import REC, DomainResult
from sdtm.mapping.spec import MappingSpec
from sdtm.read.raw import RawFile
from sdtm.read.text import per_distinct
from sdtm.standards import Standards

ACCOUNTING_RULES = MappingProxyType(
    {
        "MP0001": ("raw-record-unaccounted", "error"),
        "MP0002": ("raw-record-not-submitted", "notice"),
        "MP0013": ("subject-missing-from-dm", "error"),
        "MP0016": ("numeric-value-not-a-number", "error"),
        "MP0017": ("raw-column-not-mapped", "notice"),
    }
)
RULE_IDS: tuple[str, ...] = tuple(ACCOUNTING_RULES)

COUNTS_COLUMNS = ("file", "rows_in", "rows_mapped", "rows_reported")
"""Columns of the per-file count table (``counts.csv``)."""
LINEAGE_COLUMNS = ("DOMAIN", "USUBJID", "SEQ", SRC_FILE, SRC_ROW)
"""Columns of the lineage table (``lineage.csv``): one row per (SDTM record, raw row)."""


def _frame_findings(
    rule_id: str, rows: pd.DataFrame, message: pd.Series, **fixed: Any
) -> pd.DataFrame:
    name, severity = ACCOUNTING_RULES[rule_id]
    return pd.DataFrame(
        {
            "rule_id": rule_id,
            "rule_name": name,
            "severity": severity,
            "stage": Stage.MAP.value,
            "source_file": rows[SRC_FILE].astype(object),
            "source_row": rows[SRC_ROW].astype("Int64"),
            "message": message.astype(object),
            **fixed,
        }
    ).reset_index(drop=True)



def empty_raw_frame(columns: Iterable[str]) -> pd.DataFrame:
    """An empty raw frame with the given text columns and the provenance columns."""
    names = dict.fromkeys([*columns, SRC_FILE, SRC_ROW, SRC_ID])
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in names})
    frame[SRC_ROW] = frame[SRC_ROW].astype("int64")
    return frame



def find_columns_not_read(raw: Mapping[str, RawFile], spec: MappingSpec) -> FindingsTable:
    """MP0017: raw columns holding values that no step, condition, join or skip reads.

    A column the transfer added after the spec was written would otherwise be dropped
    without a trace. One notice per file and column, with an example value; a column named by
    a ``not_submitted`` step (``source``/``sources``) counts as read. Files the spec does not
    read at all, or only under ``skip``, are left out: each of their rows is already
    reported (MP0001, MP0002).
    """
    # Listing the columns the spec reads against empty headers gives every column read, each
    # attributed to its file (join prefixes resolved to the lookup file).
    read: dict[str, set[str]] = {}
    for item in missing_raw_columns(spec, dict.fromkeys(raw, ())):
        if item.column is not None:
            read.setdefault(item.file, set()).add(item.column)
    # Files only named under skip are not submitted as a whole (MP0002 says why per row).
    used_files = {
        path
        for mapping in spec.domains.values()
        for block in mapping.blocks
        for path in (block.table, *(join.table for join in block.joins))
    }
    rows = []
    name, severity = ACCOUNTING_RULES["MP0017"]
    for path, raw_file in raw.items():
        if raw_file.frame is None or path not in used_files:
            continue
        frame = raw_file.frame
        for column in raw_file.columns:
            if column in read.get(path, ()):
                continue
            text = frame[column].astype("string").str.strip()
            filled = text.notna() & (text != "")
            if not filled.any():
                continue
            first = filled.idxmax()
            example = str(frame.at[first, column])
            line = int(frame.at[first, SRC_ROW])
            rows.append(
                {
                    "rule_id": "MP0017",
                    "rule_name": name,
                    "severity": severity,
                    "stage": Stage.MAP.value,
                    "dataset": path,
                    "variable": column,
                    "value": example,
                    "source_file": path,
                    "source_row": 1,
                    "message": (
                        f"{path}:1 {column}: raw column holds values ({int(filled.sum())} "
                        f"row(s), e.g. {example!r} on row {line}) but no step of the mapping "
                        "spec reads it, so they are in no dataset; map the column, or declare "
                        "it with a not_submitted step naming it as source "
                        f"[MP0017 {name}]"
                    ),
                }
            )
    if not rows:
        return FindingsTable()
    return FindingsTable.from_frame(pd.DataFrame(rows))


def find_subjects_not_in_dm(results: Mapping[str, DomainResult]) -> FindingsTable:
    """MP0013: records of subjects that DM does not have (``withhold`` decides their fate)."""
    if "DM" not in results:
        return FindingsTable()
    known = set(results["DM"].frame["USUBJID"].dropna())
    parts = []
    for name, result in results.items():
        frame = result.frame
        if name == "DM" or "USUBJID" not in frame.columns:
            continue
        orphan = frame.loc[frame["USUBJID"].notna() & ~frame["USUBJID"].isin(known)]
        if orphan.empty:
            continue
        message = (
            orphan[SRC_FILE].astype("string")
            + ":"
            + orphan[SRC_ROW].astype("string")
            + f": {name} record of subject "
            + orphan["USUBJID"].astype("string")
            + ", who is not in DM (no demographics); check the subject id with the data "
            "provider [MP0013 subject-missing-from-dm]"
        )
        parts.append(
            _frame_findings(
                "MP0013",
                orphan,
                message,
                dataset=name,
                variable="USUBJID",
                usubjid=orphan["USUBJID"].astype(object).to_numpy(),
                value=orphan["USUBJID"].astype(object).to_numpy(),
            )
        )
    if not parts:
        return FindingsTable()
    return FindingsTable.from_frame(pd.concat(parts, ignore_index=True))



def account_raw_rows(
    raw: Mapping[str, RawFile],
    spec: MappingSpec,
    lineage: pd.DataFrame,
    findings: FindingsTable,
    reported_ids: frozenset[str],
) -> tuple[FindingsTable, pd.DataFrame]:
    """Report raw rows in no SDTM record (MP0002 when skipped on purpose, else MP0001).

    Returns:
        The new findings and the per-file counts.
    """
    # One hash table per id set, built once and looked up per file (``Index.get_indexer``):
    # ``isin`` built its table again for every file, and a Python set of the ids cost
    # seconds per file at 1,000 subjects.
    mapped_values = _id_index(lineage[SRC_ID].astype(str))
    frame_findings = findings.frame
    # Rows of a refused block (RD0020) are reported already, each by its own finding.
    refused = frame_findings.loc[frame_findings["rule_id"] == "RD0020"]
    refused_ids = (
        refused["source_file"].astype(str) + ":" + refused["source_row"].astype("Int64").astype(str)
    )
    reported_values = _id_index(pd.Series([*reported_ids, *refused_ids], dtype=object))
    parts = []
    mapped_per_file: dict[str, int] = {}
    for path, raw_file in raw.items():
        if raw_file.frame is None:
            continue
        frame = raw_file.frame
        ids = frame[SRC_ID].to_numpy(dtype=object)
        is_mapped = mapped_values.get_indexer(ids) >= 0
        mapped_per_file[path] = len(pd.unique(ids[is_mapped]))
        unmapped = pd.Series(~is_mapped, index=frame.index)
        already = pd.Series(reported_values.get_indexer(ids) >= 0, index=frame.index)
        skipped = pd.Series(False, index=frame.index)
        reasons = pd.Series(pd.NA, index=frame.index, dtype="string")
        for skip in spec.skips:
            if skip.table != path:
                continue
            hit = evaluate(frame, skip.where) & unmapped & ~already & ~skipped
            reasons = reasons.where(~hit, skip.reason)
            skipped |= hit
        if skipped.any():
            rows = frame.loc[skipped]
            message = (
                rows[SRC_FILE].astype("string")
                + ":"
                + rows[SRC_ROW].astype("string")
                + ": row not submitted on purpose: "
                + reasons[skipped]
                + " [MP0002 raw-record-not-submitted]"
            )
            parts.append(
                _frame_findings(
                    "MP0002",
                    rows,
                    message,
                    dataset=path,
                    value=reasons[skipped].astype(object).to_numpy(),
                )
            )
        lost = unmapped & ~skipped & ~already
        if lost.any():
            rows = frame.loc[lost]
            message = (
                rows[SRC_FILE].astype("string")
                + ":"
                + rows[SRC_ROW].astype("string")
                + ": raw row is in no SDTM record and no finding explains why; map it or "
                "declare it under skip in study.yaml [MP0001 raw-record-unaccounted]"
            )
            parts.append(_frame_findings("MP0001", rows, message, dataset=path))
    new = (
        FindingsTable.from_frame(pd.concat(parts, ignore_index=True)) if parts else FindingsTable()
    )
    everything = pd.concat([frame_findings, new.frame], ignore_index=True)
    row_level = everything.loc[
        everything["rule_id"].isin(
            ["MP0001", "MP0002", "RD0004", "RD0009", "MP0014", "MP0040", "RD0020"]
        )
    ]
    counts = []
    for path, raw_file in raw.items():
        mapped_here = mapped_per_file.get(path, 0)
        reported_rows = row_level.loc[row_level["source_file"] == path, "source_row"]
        reported_ids_here = pd.Index(
            [f"{path}:{int(r)}" for r in reported_rows.dropna().unique()], dtype=object
        )
        # Rows of extra worksheets are reported per sheet (RD0008), not per row.
        reported_here = int((mapped_values.get_indexer(reported_ids_here) < 0).sum())
        reported_here += raw_file.rows_ignored
        counts.append((path, raw_file.rows_in, mapped_here, reported_here))
    return new, pd.DataFrame(counts, columns=list(COUNTS_COLUMNS))



def _id_index(ids: pd.Series) -> pd.Index:
    """The distinct row ids as an index, whose hash table lookups reuse (``get_indexer``)."""
    return pd.Index(pd.unique(ids.to_numpy(dtype=object)), dtype=object)


def raw_sources(spec: MappingSpec) -> Mapping[tuple[str, str, str], str]:
    """(dataset, raw file, variable) -> raw column a step copies into the variable."""
    return MappingProxyType(
        {
            (name, block.table, step.target): step.source
            for name, mapping in spec.domains.items()
            for block in mapping.blocks
            for step in block.steps
            if step.source
        }
    )


def _not_numbers(values: pd.Series) -> pd.Series:
    """True where a value is not blank and cannot be read as a number (once per distinct)."""

    def lost(distinct: pd.Series) -> pd.Series:
        text = distinct.astype("string").str.strip()
        unread = text.notna() & (text != "") & pd.to_numeric(distinct, errors="coerce").isna()
        return unread.fillna(False).astype(bool)

    return per_distinct(values, lost, False).astype(bool)


def find_values_not_numbers(
    frame: pd.DataFrame,
    name: str,
    standards: Standards,
    sources: Mapping[tuple[str, str, str], str],
) -> FindingsTable:
    """MP0016: values of numeric (``Num``) variables that are not numbers.

    ``_finalize`` types these variables; a value it cannot read as a number would become
    null without a trace, so each one is reported with the raw file, row and column it came
    from (the record keeps a null).
    """
    domain = standards.domain(name)
    if domain is None or frame.empty:
        return FindingsTable()
    parts = []
    for variable in domain.variables:
        if variable.data_type != "Num" or variable.name not in frame.columns:
            continue
        values = frame[variable.name]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue  # already numbers: nothing can be lost typing them
        lost = _not_numbers(values)
        if not lost.any():
            continue
        text = values[lost].astype("string").str.strip()
        rows = frame.loc[lost]
        if SRC_FILE in rows.columns:
            files = rows[SRC_FILE].astype("string")
            lines = rows[SRC_ROW].astype("Int64")
        else:
            files = pd.Series(pd.NA, index=rows.index, dtype="string")
            lines = pd.Series(pd.NA, index=rows.index, dtype="Int64")
        column = files.map(
            lambda f, v=variable.name: sources.get((name, f, v), v) if isinstance(f, str) else v
        ).astype("string")
        where = (files + ":" + lines.astype("string") + " ").fillna("")
        message = (
            where
            + column
            + ": value '"
            + text
            + f"' is not a number; {name}.{variable.name} is left null (correct the value at "
            "the source, e.g. a decimal comma or a word for a number) "
            "[MP0016 numeric-value-not-a-number]"
        )
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": "MP0016",
                    "rule_name": ACCOUNTING_RULES["MP0016"][0],
                    "severity": ACCOUNTING_RULES["MP0016"][1],
                    "stage": Stage.MAP.value,
                    "dataset": name,
                    "variable": variable.name,
                    "usubjid": (
                        rows["USUBJID"].astype(object) if "USUBJID" in rows.columns else None
                    ),
                    "value": text.astype(object),
                    "source_file": files.astype(object),
                    "source_row": lines,
                    "message": message.astype(object),
                }
            ).reset_index(drop=True)
        )
    if not parts:
        return FindingsTable()
    return FindingsTable.from_frame(pd.concat(parts, ignore_index=True))




def build_lineage(
    results: Mapping[str, DomainResult], frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """Join the mapping's record-to-raw-row lineage with each record's subject and --SEQ.

    Args:
        results: What mapping each dataset produced (its ``lineage`` table).
        frames: The derived datasets, holding ``_rec`` and ``--SEQ``.

    Returns:
        One row per (record, raw row): ``DOMAIN``, ``_rec``, provenance, ``USUBJID``, ``SEQ``.
    """
    lineage = pd.concat(
        [pd.DataFrame(columns=["DOMAIN", REC, SRC_FILE, SRC_ROW, SRC_ID])]
        + [r.lineage for r in results.values()],
        ignore_index=True,
    )
    keys = []
    for name, frame in frames.items():
        if REC in frame.columns and name in results:
            seq_var = f"{name}SEQ"
            keys.append(
                pd.DataFrame(
                    {
                        REC: frame[REC],
                        "USUBJID": frame.get("USUBJID"),
                        "SEQ": frame[seq_var] if seq_var in frame.columns else pd.NA,
                    }
                )
            )
    keys.append(pd.DataFrame(columns=[REC, "USUBJID", "SEQ"]))
    return lineage.merge(pd.concat(keys, ignore_index=True), on=REC, how="left")


def lineage_table(lineage: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The lineage written to ``lineage.csv``: mapped records plus derived PP records.

    A PP record has no mapped raw row of its own; it traces to the PC raw row it was computed
    from (e.g. the Cmax sample), which ``derive_pp`` keeps as its provenance.

    Args:
        lineage: ``build_lineage`` output.
        frames: The derived datasets.

    Returns:
        ``LINEAGE_COLUMNS``, sorted.
    """
    out = lineage.loc[:, list(LINEAGE_COLUMNS)]
    if "PP" in frames and "PPSEQ" in frames["PP"]:
        pp = frames["PP"]
        pp_lineage = pd.DataFrame(
            {
                "DOMAIN": "PP",
                "USUBJID": pp["USUBJID"],
                "SEQ": pp["PPSEQ"],
                SRC_FILE: pp[SRC_FILE],
                SRC_ROW: pp[SRC_ROW],
            }
        )
        out = pd.concat([out, pp_lineage], ignore_index=True)
    return out.sort_values(list(LINEAGE_COLUMNS), kind="mergesort").reset_index(drop=True)
