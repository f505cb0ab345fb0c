"""The mapping engine: runs a ``DomainMapping`` over raw frames, vectorized, keeping lineage.

For each block: join the lookup files, keep the rows its ``where`` selects, then run the steps
in the order written. Several steps for one target fill it in order, first non-null wins.
Every output record keeps the provenance of its main raw row (``_src_file``, ``_src_row``,
``_src_id``) and a record id ``_rec``; ``lineage`` lists every raw row (main and joined) that
fed each record, which is what ``sdtm trace`` and the nothing-lost check read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import (
    ALGORITHMS,
    PROVENANCE,
    SRC_FILE,
    SRC_ID,
    SRC_ROW,
    MapContext,
    compute_ascii,
    condition_columns,
    evaluate,
    step_columns,
    transliteration_findings,
)
from sdtm.mapping.spec import Block, DomainMapping, Join, Step

REC = "_rec"
"""Column holding the record id (``<DOMAIN>.<block>.<raw row id>``) until export."""
SUPP_PREFIX = "_SUPP_"
"""Prefix of the columns holding values bound for SUPP-- (``_SUPP_<QNAM>``)."""
LINK_PREFIX = "_REL_"
"""Prefix of the columns holding raw link values bound for RELREC (``_REL_<n>``)."""
LINEAGE_COLUMNS = ("DOMAIN", REC, SRC_FILE, SRC_ROW, SRC_ID)

ENGINE_RULES = MappingProxyType(
    {
        "MP0014": ("lookup-key-duplicated", "error"),
        "MP0042": ("conditional-source-empty", "warning"),
    }
)
RULE_IDS: tuple[str, ...] = tuple(ENGINE_RULES)


@dataclass(frozen=True, slots=True)
class SuppTarget:
    """A SUPP-- qualifier collected by ``split_to_supp`` steps."""

    qnam: str
    """QNAM."""
    qlabel: str
    """QLABEL."""
    qorig: str
    """QORIG."""
    qeval: str | None
    """QEVAL."""

    @property
    def column(self) -> str:
        """Column of the domain frame that holds the values."""
        return f"{SUPP_PREFIX}{self.qnam}"


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A RELREC link collected by a ``relrec`` step."""

    column: str
    """Column of the domain frame holding the raw link value."""
    relid_prefix: str
    """RELID = prefix + link value."""
    rdomain: str
    """Related dataset."""
    rvariable: str
    """Variable of the related dataset the link value matches."""
    source: str
    """Raw column the link came from (for findings)."""


@dataclass(frozen=True, slots=True)
class DomainResult:
    """What mapping one dataset produced."""

    frame: pd.DataFrame
    """Records: mapped variables, ``DOMAIN``, provenance, ``_rec``, SUPP and link columns."""
    lineage: pd.DataFrame
    """One row per (record, raw row that fed it): ``LINEAGE_COLUMNS``."""
    supp: tuple[SuppTarget, ...]
    """SUPP-- qualifiers whose values are in ``frame``."""
    links: tuple[LinkTarget, ...]
    """RELREC links whose raw values are in ``frame``."""
    findings: FindingsTable
    """Findings raised while mapping."""
    reported_ids: frozenset[str] = frozenset()
    """Raw row ids that were left out on purpose and reported (e.g. duplicated lookup keys)."""


def _key(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column].astype("string").str.strip()
    return values.where(values != "", pd.NA)


def _join(
    frame: pd.DataFrame, lookup: pd.DataFrame, join: Join, domain: str
) -> tuple[pd.DataFrame, pd.DataFrame | None, frozenset[str]]:
    """Left-join ``lookup`` (filtered, prefixed) to ``frame``; report duplicated lookup keys."""
    lookup = lookup.loc[evaluate(lookup, join.where)]
    left_keys = [main for main, _ in join.on]
    right_keys = [other for _, other in join.on]
    keyed = pd.DataFrame({f"_k{i}": _key(lookup, c) for i, c in enumerate(right_keys)})
    duplicated = keyed.duplicated(keep="first") & keyed.notna().all(axis=1)
    findings = None
    reported: frozenset[str] = frozenset()
    if duplicated.any():
        rows = lookup.loc[duplicated]
        name, severity = ENGINE_RULES["MP0014"]
        shown = keyed.loc[duplicated].astype("string").agg("/".join, axis=1)
        findings = pd.DataFrame(
            {
                "rule_id": "MP0014",
                "rule_name": name,
                "severity": severity,
                "stage": Stage.MAP.value,
                "dataset": domain,
                "variable": "/".join(right_keys),
                "value": shown.astype(object),
                "source_file": rows[SRC_FILE].astype(object),
                "source_row": rows[SRC_ROW].astype("Int64"),
                "message": (
                    rows[SRC_FILE].astype("string")
                    + ":"
                    + rows[SRC_ROW].astype("string")
                    + f" {'/'.join(right_keys)}: key '"
                    + shown
                    + f"' appears more than once in {join.file}; only the first row is used for "
                    f"{domain} [MP0014 lookup-key-duplicated]"
                ).astype(object),
            }
        ).reset_index(drop=True)
        reported = frozenset(rows[SRC_ID].astype(str))
    lookup = lookup.loc[~duplicated]
    right = lookup.add_prefix(join.prefix)
    for i, column in enumerate(right_keys):
        right[f"_k{i}"] = _key(lookup, column).to_numpy()
    left = frame.copy()
    for i, column in enumerate(left_keys):
        left[f"_k{i}"] = _key(frame, column)
    key_columns = [f"_k{i}" for i in range(len(left_keys))]
    # Missing keys never match (pandas would otherwise match NA with NA).
    right = right.dropna(subset=key_columns)
    merged = left.reset_index().merge(right, on=key_columns, how="left").set_index("index")
    merged.index.name = None
    return merged.drop(columns=key_columns), findings, reported


def _apply_steps(
    frame: pd.DataFrame, steps: tuple[Step, ...], context: MapContext
) -> tuple[dict[str, pd.Series], list[pd.DataFrame]]:
    values: dict[str, pd.Series] = {}
    findings: list[pd.DataFrame] = []
    earlier: set[str] = set()
    # (step, key, rows) of conditional steps whose condition held but whose source was empty.
    empty_sources: list[tuple[int, str, pd.Series]] = []
    # Per value key, the number of the step that filled each row (to say which one did).
    origin: dict[str, pd.Series] = {}
    for number, step in enumerate(steps):
        algorithm = ALGORITHMS[step.algorithm]
        if number:
            previous = steps[number - 1]
            if ALGORITHMS[previous.algorithm].kind == "variable":
                earlier.add(previous.target)
        # A step may read a target assigned by an earlier step (LBCAT by LBTESTCD, LBTEST
        # from LBTESTCD); raw columns win over targets of the same name.
        computed = {
            c: values[c] for c in step_columns(step) if c in values and c not in frame.columns
        }
        # A target of an earlier step that selected no row (an empty transfer) reads as missing.
        computed |= {
            c: pd.Series(pd.NA, index=frame.index, dtype="string")
            for c in step_columns(step)
            if c in earlier and c not in computed and c not in frame.columns
        }
        view = frame.assign(**computed) if computed else frame
        mask = evaluate(view, step.when)
        key = _value_key(step) if algorithm.kind != "none" else ""
        if is_numbered(step):
            # Each numbered step fills its own slot; slots are numbered per record below.
            key = f"{key}{NUMBER_MARK}{number:04d}"
        if key in values:
            # Rows already filled by an earlier step are not read again (no findings either).
            mask &= values[key].isna()
        if not mask.any():
            continue
        if _names_its_source(number, view, steps):
            empty = mask & view[step.source].astype("string").str.strip().fillna("").eq("")
            if empty.any():
                empty_sources.append((number, key, empty))
        result = algorithm.function(view.loc[mask], step, context)
        if result.findings is not None and len(result.findings):
            findings.append(result.findings)
        if algorithm.kind == "none":
            continue
        produced = result.values
        if step.to_ascii:
            # Declared transliteration: every changed value is reported (MP0015).
            produced = compute_ascii(result.values)
            changed = transliteration_findings(
                view.loc[mask],
                result.values,
                produced,
                dataset=context.domain,
                variable=step.target,
                column=step.source or step.target,
            )
            if changed is not None:
                findings.append(changed)
        new = produced.reindex(frame.index).astype("string")
        # sdtm.oak coalesce: an earlier step's value is never overwritten.
        filled_here = new.notna() & (values[key].isna() if key in values else True)
        origin[key] = origin.get(key, pd.Series(pd.NA, index=frame.index, dtype="Int64")).mask(
            filled_here, number
        )
        values[key] = values[key].fillna(new) if key in values else new
    findings.extend(
        _empty_source_findings(frame, number, empty, origin.get(key), steps, context.domain)
        for number, key, empty in empty_sources
    )
    return _number_slots(values, frame.index), findings


def _names_its_source(number: int, frame: pd.DataFrame, steps: tuple[Step, ...]) -> bool:
    """A variable step copying a raw column under a condition on other columns.

    Its condition, equality tests only, says the value exists (``AECRS = 1`` for the ASTCT
    grade ``AECRSGR``), so an empty source is a data problem (MP0042). A later step of the
    same target under the same condition is a declared fallback (``LBREASND`` from
    ``SPECCOND``, else ``COMMENT``).
    """
    step = steps[number]
    if step.when is None or not step.source or step.source not in frame.columns:
        return False
    if ALGORITHMS[step.algorithm].kind != "variable":
        return False
    if step.source in condition_columns(step.when):
        return False
    # Only a flag or code equal to a value says the value exists (AECRS = 1); a test such as
    # "RESULT not null" only limits where an optional value is copied.
    if not all(str(c.op) in ("eq", "in") for c in step.when.conditions):
        return False
    return not any(
        other.target == step.target and other.when == step.when for other in steps[number + 1 :]
    )


def _empty_source_findings(
    frame: pd.DataFrame,
    number: int,
    empty: pd.Series,
    origin: pd.Series | None,
    steps: tuple[Step, ...],
    domain: str,
) -> pd.DataFrame:
    """MP0042 for rows whose step condition held but whose source column was empty."""
    name, severity = ENGINE_RULES["MP0042"]
    step = steps[number]
    assert step.when is not None and step.source  # _names_its_source checked it
    rows = frame.loc[empty]
    # Which later step filled the row: its source column (or fixed value), by step number.
    described = {
        i: f"{s.source or s.value or s.algorithm} ({s.location})" for i, s in enumerate(steps)
    }
    by = (
        origin.loc[empty].map(described).astype("string")
        if origin is not None
        else pd.Series(pd.NA, index=rows.index, dtype="string")
    )
    outcome = ("; " + step.target + " was taken from " + by + " instead").fillna(
        f"; {step.target} left null"
    )
    condition = ", ".join(
        f"{c.column} {c.op} {c.value!r}" if c.value is not None else f"{c.column} {c.op}"
        for c in step.when.conditions
    )
    return pd.DataFrame(
        {
            "rule_id": "MP0042",
            "rule_name": name,
            "severity": severity,
            "stage": Stage.MAP.value,
            "dataset": domain,
            "variable": step.target,
            "usubjid": rows["USUBJID"].astype(object) if "USUBJID" in rows.columns else None,
            "value": step.source,
            "source_file": rows[SRC_FILE].astype(object),
            "source_row": rows[SRC_ROW].astype("Int64"),
            "message": (
                rows[SRC_FILE].astype("string")
                + ":"
                + rows[SRC_ROW].astype("string")
                + f" {step.source} -> {domain}.{step.target}: the condition of the step "
                f"({step.when.mode} of: {condition}; {step.location}) holds but {step.source} "
                "is empty" + outcome + f"; complete the source [MP0042 {name}]"
            ).astype(object),
        }
    ).reset_index(drop=True)


NUMBERED = "#"
"""``split_to_supp`` target suffix: ``RACE#`` gives RACE1, RACE2, ... per record."""
NUMBER_MARK = "|#"


def is_numbered(step: Step) -> bool:
    """True for a numbered SUPP qualifier step (target ``<stem>#``)."""
    return step.target.endswith(NUMBERED) and ALGORITHMS[step.algorithm].kind == "supp"


def _number_slots(values: dict[str, pd.Series], index: pd.Index) -> dict[str, pd.Series]:
    """Turn the slots of numbered qualifiers into ``<stem>1..<stem>n`` columns per record.

    The k-th non-null slot of a record, in the order the steps are written, becomes QNAM
    ``<stem>k``, so every value is kept however many a record has (SDTMIG 3.4 DM assumption
    for multiple races: RACE1, RACE2, ... in SUPPDM).
    """
    groups: dict[str, list[str]] = {}
    for key in values:
        if NUMBER_MARK in key:
            groups.setdefault(key.split(NUMBER_MARK)[0], []).append(key)
    if not groups:
        return values
    out = {k: v for k, v in values.items() if NUMBER_MARK not in k}
    for stem_key, keys in groups.items():
        slots = pd.DataFrame({k: values[k] for k in sorted(keys)}, index=index)
        filled = slots.notna()
        rank = filled.cumsum(axis=1).where(filled)
        stem = stem_key[: -len(NUMBERED)]
        most = int(filled.sum(axis=1).max()) if len(slots) else 0
        for k in range(1, most + 1):
            # First (only) slot whose rank is k, per row.
            out[f"{stem}{k}"] = slots.where(rank == k).bfill(axis=1).iloc[:, 0].astype("string")
    return out


def _value_key(step: Step) -> str:
    kind = ALGORITHMS[step.algorithm].kind
    if kind == "supp":
        return f"{SUPP_PREFIX}{step.target}"
    if kind == "relrec":
        return f"{LINK_PREFIX}{step.target}|{step.rdomain}|{step.rvariable}|{step.source}"
    return step.target


def _block(
    raw: Mapping[str, pd.DataFrame],
    block: Block,
    number: int,
    mapping: DomainMapping,
    context: MapContext,
) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame], frozenset[str]]:
    frame = raw[block.table]
    findings: list[pd.DataFrame] = []
    reported: set[str] = set()
    join_id_columns = []
    for join in block.joins:
        frame, join_findings, join_reported = _join(frame, raw[join.table], join, mapping.domain)
        if join_findings is not None:
            findings.append(join_findings)
        reported |= join_reported
        join_id_columns.append(f"{join.prefix}{SRC_ID}")
    frame = frame.loc[evaluate(frame, block.where)]
    values, step_findings = _apply_steps(frame, block.steps, context)
    findings.extend(step_findings)
    rec = f"{mapping.domain}.{number}." + frame[SRC_ID].astype("string")
    out = pd.DataFrame(values, index=frame.index)
    out["DOMAIN"] = mapping.domain
    for column in PROVENANCE:
        out[column] = frame[column]
    out[REC] = rec
    lineage_parts = [
        pd.DataFrame({REC: rec, SRC_ID: frame[SRC_ID], SRC_FILE: frame[SRC_FILE]}),
    ]
    lineage_parts[0][SRC_ROW] = frame[SRC_ROW]
    for join, id_column in zip(block.joins, join_id_columns, strict=True):
        joined = frame[id_column].notna()
        part = pd.DataFrame(
            {
                REC: rec[joined],
                SRC_ID: frame.loc[joined, id_column],
                SRC_FILE: frame.loc[joined, f"{join.prefix}{SRC_FILE}"],
                SRC_ROW: frame.loc[joined, f"{join.prefix}{SRC_ROW}"],
            }
        )
        lineage_parts.append(part)
    lineage = pd.concat(lineage_parts, ignore_index=True)
    lineage["DOMAIN"] = mapping.domain
    if "USUBJID" in out.columns and findings:
        subjects = out.set_index(SRC_ROW)["USUBJID"]
        subjects = subjects[~subjects.index.duplicated()]
        for i, found in enumerate(findings):
            if "usubjid" not in found.columns:
                same_file = found["source_file"] == block.table
                found = found.assign(
                    usubjid=found["source_row"].map(subjects).where(same_file).astype(object)
                )
                findings[i] = found
    return out.reset_index(drop=True), lineage, findings, frozenset(reported)


def map_domain(
    raw: Mapping[str, pd.DataFrame], mapping: DomainMapping, context: MapContext
) -> DomainResult:
    """Build one dataset's records from raw frames by running its mapping spec.

    Args:
        raw: Raw frames with provenance columns, by path relative to the study folder. Every
            file the mapping reads must be present (``check_raw_columns`` checks this first).
        mapping: The dataset's mapping.
        context: Standards, synonyms and dataset name for the algorithms.

    Returns:
        The records, their lineage, the SUPP and RELREC targets, and the findings raised.
    """
    frames, lineages, findings = [], [], []
    reported: set[str] = set()
    for number, block in enumerate(mapping.blocks, start=1):
        out, lineage, block_findings, block_reported = _block(raw, block, number, mapping, context)
        frames.append(out)
        lineages.append(lineage)
        findings.extend(block_findings)
        reported |= block_reported
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for column in frame.columns:
        if column not in PROVENANCE and column != SRC_ROW:
            frame[column] = frame[column].astype("string")
    lineage = (
        pd.concat(lineages, ignore_index=True)
        if lineages
        else pd.DataFrame(columns=list(LINEAGE_COLUMNS))
    )
    supp: dict[str, SuppTarget] = {}
    links: dict[str, LinkTarget] = {}
    for block in mapping.blocks:
        for step in block.steps:
            kind = ALGORITHMS[step.algorithm].kind
            if kind == "supp" and is_numbered(step):
                stem = step.target[: -len(NUMBERED)]
                numbers = sorted(
                    int(c[len(SUPP_PREFIX) + len(stem) :])
                    for c in frame.columns
                    if c.startswith(f"{SUPP_PREFIX}{stem}")
                    and c[len(SUPP_PREFIX) + len(stem) :].isdigit()
                )
                for n in numbers:
                    supp.setdefault(
                        f"{stem}{n}",
                        SuppTarget(
                            f"{stem}{n}", f"{step.qlabel or stem} {n}", step.qorig or "", step.qeval
                        ),
                    )
            elif kind == "supp":
                supp.setdefault(
                    step.target,
                    SuppTarget(step.target, step.qlabel or "", step.qorig or "", step.qeval),
                )
            elif kind == "relrec":
                key = _value_key(step)
                links.setdefault(
                    key,
                    LinkTarget(
                        key,
                        step.target,
                        step.rdomain or "",
                        step.rvariable or "",
                        step.source or "",
                    ),
                )
    table = (
        FindingsTable.from_frame(pd.concat(findings, ignore_index=True))
        if findings
        else (FindingsTable())
    )
    return DomainResult(
        frame=frame,
        lineage=lineage.loc[:, list(LINEAGE_COLUMNS)],
        supp=tuple(supp.values()),
        links=tuple(links.values()),
        findings=table,
        reported_ids=frozenset(reported),
    )
