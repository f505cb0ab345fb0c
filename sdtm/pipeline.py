"""``run_study``: read -> map -> derive -> validate -> export one study, collecting findings.

The one function both ``sdtm run`` and library users call. Each stage takes frames plus typed
metadata and returns frames plus findings; nothing is kept between runs. Stages of other
areas (derivations, validation, export) are called when the installed package provides them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from sdtm import __version__
from sdtm.config import default_specs_dir
from sdtm.derive.design import (
    Arm,
    ArmElement,
    ArmRules,
    Element,
    StudyDesign,
    TimePoint,
    TsParameter,
    Visit,
)
from sdtm.derive.standard_results import ResultStandards, StandardUnit, UnitConversion
from sdtm.errors import InputError, MappingError, SdtmError, SpecError
from sdtm.findings import FindingsTable, Severity, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ID, SRC_ROW, MapContext
from sdtm.mapping.check import check_raw_columns, check_spec, missing_raw_columns
from sdtm.mapping.engine import (
    LINK_PREFIX,
    REC,
    SUPP_PREFIX,
    DomainResult,
    LinkTarget,
    SuppTarget,
    map_domain,
)
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.problems import raise_if_problems
from sdtm.mapping.spec import MappingSpec
from sdtm.read.raw import RawFile, add_missing_columns, list_raw_files, read_raw_files
from sdtm.standards import Standards, load_standards

DEFAULT_STUDY_DIR = Path("sample_data") / "cart-psca-001"
"""Bundled sample study, relative to the current directory (the repository root)."""
DEFAULT_MAPPINGS_DIR = Path("mappings")
DEFAULT_OUT_DIR = Path("out")

PIPELINE_RULES = MappingProxyType(
    {
        "MP0001": ("raw-record-unaccounted", "error"),
        "MP0002": ("raw-record-not-submitted", "notice"),
        "MP0013": ("subject-missing-from-dm", "error"),
        "MP0016": ("numeric-value-not-a-number", "error"),
        "MP0017": ("raw-column-not-mapped", "notice"),
        "MP0018": ("output-folder-has-foreign-files", "warning"),
    }
)
RULE_IDS: tuple[str, ...] = (*PIPELINE_RULES, "MP0003", "MP0004")

LINEAGE_FILE = "lineage.csv"
FINDINGS_FILE = "findings.json"
COUNTS_COLUMNS = ("file", "rows_in", "rows_mapped", "rows_reported")

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything one run produced."""

    study: str
    """Study folder name."""
    frames: Mapping[str, pd.DataFrame]
    """SDTM datasets by name, final columns only."""
    findings: FindingsTable
    """Every finding of every stage."""
    counts: pd.DataFrame
    """Per raw file: rows in, rows mapped, rows reported (``COUNTS_COLUMNS``)."""
    lineage: pd.DataFrame
    """One row per (SDTM record, raw row): DOMAIN, USUBJID, SEQ, _src_file, _src_row."""
    out_dir: Path | None = None
    """Where outputs were written (``None`` when not written)."""
    outputs: tuple[str, ...] = ()
    """Files written, relative to ``out_dir``."""
    notes: tuple[str, ...] = field(default=())
    """Stages skipped or degraded, for the summary."""
    creation_datetime: datetime | None = None
    """Time stamped into the written files (``None`` when nothing was written)."""
    creation_source: str = ""
    """Where ``creation_datetime`` came from: ``given``, ``study.yaml <setting>`` or ``clock``."""


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _frame_findings(
    rule_id: str, rows: pd.DataFrame, message: pd.Series, **fixed: Any
) -> pd.DataFrame:
    name, severity = PIPELINE_RULES[rule_id]
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


def load_mapping(
    mapping_dir: Path, standards: Standards, raw: Mapping[str, RawFile] | None = None
) -> MappingSpec:
    """Read and check a study's mapping spec; raise one error listing every problem.

    Args:
        mapping_dir: ``mappings/<study>``.
        standards: SDTMIG metadata and CT to check the spec against.
        raw: Raw files read so far; when given, every raw column the spec reads must exist.

    Returns:
        The checked spec.

    Raises:
        SpecError: listing every problem with its ``file:line``.
    """
    loaded = read_yaml_spec(mapping_dir)
    problems = list(loaded.problems)
    problems.extend(check_spec(loaded.spec, standards, loaded.synonym_lines))
    if raw is not None:
        columns = {path: f.columns for path, f in raw.items() if f.frame is not None}
        problems.extend(check_raw_columns(loaded.spec, columns))
    raise_if_problems(problems)
    return loaded.spec


def _no_rows(columns: Iterable[str]) -> pd.DataFrame:
    """An empty raw frame with the given text columns and the provenance columns."""
    names = dict.fromkeys([*columns, SRC_FILE, SRC_ROW, SRC_ID])
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in names})
    frame[SRC_ROW] = frame[SRC_ROW].astype("int64")
    return frame


def _columns_not_read(raw: Mapping[str, RawFile], spec: MappingSpec) -> FindingsTable:
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
        for path in (block.file, *(join.file for join in block.joins))
    }
    rows = []
    name, severity = PIPELINE_RULES["MP0017"]
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


def _subjects_not_in_dm(results: Mapping[str, DomainResult]) -> FindingsTable:
    """MP0013: records of subjects that DM does not have (the record is kept)."""
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


def _seq(frames: dict[str, pd.DataFrame], standards: Standards) -> FindingsTable:
    """Add --SEQ to every subject-level dataset, ordered by the dataset's natural keys."""
    from sdtm.derive.seq import derive_seq

    found = []
    for name, frame in list(frames.items()):
        domain = standards.domain(name)
        if (
            name == "DM"
            or domain is None
            or frame.empty
            or f"{name}SEQ" not in domain.variable_names
            or f"{name}SEQ" in frame.columns
            or "USUBJID" not in frame.columns
        ):
            continue
        order = [
            k
            for k in domain.keys
            if k in frame.columns and k not in ("STUDYID", "USUBJID", f"{name}SEQ")
        ]
        date_var = PRIMARY_DATE.get(name)
        if domain.observation_class in CHRONOLOGICAL_CLASSES and date_var in frame.columns:
            # Events and interventions are numbered in time order, then by their keys.
            order = [date_var, *(k for k in order if k != date_var)]
        result = derive_seq(frame, by=("USUBJID",), order=tuple(order), new_var=f"{name}SEQ")
        frames[name] = result.frame
        found.append(result.findings)
    return FindingsTable.concat(found)


def _account(
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
    from sdtm.mapping.algorithms import evaluate

    mapped = set(lineage[SRC_ID].astype(str))
    # Membership on object arrays uses pandas' hash table; isin on an Arrow string column
    # with a Python set converts the whole set on every call (seconds per file at 1,000
    # subjects).
    mapped_values = pd.Index(list(mapped), dtype=object)
    reported_values = pd.Index(list(reported_ids), dtype=object)
    frame_findings = findings.frame
    parts = []
    for path, raw_file in raw.items():
        if raw_file.frame is None:
            continue
        frame = raw_file.frame
        ids = frame[SRC_ID].astype(object)
        unmapped = ~ids.isin(mapped_values)
        already = ids.isin(reported_values)
        skipped = pd.Series(False, index=frame.index)
        reasons = pd.Series(pd.NA, index=frame.index, dtype="string")
        for skip in spec.skips:
            if skip.file != path:
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
        everything["rule_id"].isin(["MP0001", "MP0002", "RD0004", "RD0009", "MP0014"])
    ]
    counts = []
    for path, raw_file in raw.items():
        ids = set() if raw_file.frame is None else set(raw_file.frame[SRC_ID])
        mapped_here = len(ids & mapped)
        reported_rows = row_level.loc[row_level["source_file"] == path, "source_row"]
        reported_ids_here = {f"{path}:{int(r)}" for r in reported_rows.dropna().unique()}
        # Rows of extra worksheets are reported per sheet (RD0008), not per row.
        reported_here = len(reported_ids_here - mapped) + raw_file.rows_ignored
        counts.append((path, raw_file.rows_in, mapped_here, reported_here))
    return new, pd.DataFrame(counts, columns=list(COUNTS_COLUMNS))


def _supp(
    frames: Mapping[str, pd.DataFrame], results: Mapping[str, DomainResult]
) -> tuple[dict[str, pd.DataFrame], FindingsTable]:
    """SUPP-- of every mapped dataset (``sdtm.derive.supp.build_supp``), after --SEQ.

    The qualifiers are the mapping's ``split_to_supp`` targets plus AETRTEM, which the
    pipeline derives. Rows are ordered by subject, parent ``--SEQ`` and QNAM.
    """
    from sdtm.derive.supp import SuppQualifier, build_supp

    out: dict[str, pd.DataFrame] = {}
    found = []
    for name, result in results.items():
        targets = result.supp
        if name == "AE" and f"{SUPP_PREFIX}AETRTEM" in frames[name]:
            targets += (SuppTarget("AETRTEM", "Treatment Emergent Flag", "Derived", None),)
        qualifiers = tuple(
            SuppQualifier(t.qnam, t.qlabel, t.column, t.qorig, t.qeval)
            for t in targets
            if t.column in frames[name].columns
        )
        if not qualifiers:
            continue
        built = build_supp(frames[name], qualifiers, domain=name, keep_columns=SUPP_KEEP)
        found.append(built.findings)
        frame = built.frame
        order = frame.assign(_n=pd.to_numeric(frame["IDVARVAL"], errors="coerce"))
        out[f"SUPP{name}"] = (
            order.sort_values(["USUBJID", "_n", "QNAM"], kind="mergesort")
            .drop(columns="_n")
            .reset_index(drop=True)
        )
    return out, FindingsTable.concat(found)


def _relrec(
    frames: Mapping[str, pd.DataFrame], results: Mapping[str, DomainResult]
) -> tuple[pd.DataFrame | None, FindingsTable]:
    """RELREC from the mapping's ``relrec`` links (``sdtm.derive.relrec``), after --SEQ.

    Each child record is identified by its ``--SEQ``; the related record by the link's
    variable (e.g. AESPID). ``None`` when the spec declares no links.
    """
    from sdtm.derive.relrec import build_relrec, derive_relrec_links

    parts = []
    found = []
    for name, result in results.items():
        for target in result.links:
            if target.column not in frames[name].columns:
                continue
            links = derive_relrec_links(
                frames[name],
                domain=name,
                keyvar=f"{name}SEQ",
                source_var=target.column,
                target_domain=target.rdomain,
                target_keyvar=target.rvariable,
                relid_prefix=target.relid_prefix,
                source_name=target.source,
            )
            parts.append(links.frame)
            found.append(links.findings)
    if not any(result.links for result in results.values()):
        return None, FindingsTable()
    if not parts:
        from sdtm.derive.relrec import RELREC_COLUMNS

        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in RELREC_COLUMNS})
        return empty, FindingsTable.concat(found)
    built = build_relrec(pd.concat(parts, ignore_index=True), frames)
    return built.frame, FindingsTable.concat([*found, built.findings])


SUPP_KEEP = (SRC_FILE, SRC_ROW, SRC_ID, REC)
"""Parent columns carried onto SUPP-- rows: provenance, so findings name the raw row."""


def _raw_sources(spec: MappingSpec) -> Mapping[tuple[str, str, str], str]:
    """(dataset, raw file, variable) -> raw column a step copies into the variable."""
    return MappingProxyType(
        {
            (name, block.file, step.target): step.source
            for name, mapping in spec.domains.items()
            for block in mapping.blocks
            for step in block.steps
            if step.source
        }
    )


def _not_numeric(
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
        text = values.astype("string").str.strip()
        lost = text.notna() & (text != "") & pd.to_numeric(values, errors="coerce").isna()
        if not lost.any():
            continue
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
            + text[lost]
            + f"' is not a number; {name}.{variable.name} is left null (correct the value at "
            "the source, e.g. a decimal comma or a word for a number) "
            "[MP0016 numeric-value-not-a-number]"
        )
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": "MP0016",
                    "rule_name": PIPELINE_RULES["MP0016"][0],
                    "severity": PIPELINE_RULES["MP0016"][1],
                    "stage": Stage.MAP.value,
                    "dataset": name,
                    "variable": variable.name,
                    "usubjid": (
                        rows["USUBJID"].astype(object) if "USUBJID" in rows.columns else None
                    ),
                    "value": text[lost].astype(object),
                    "source_file": files.astype(object),
                    "source_row": lines,
                    "message": message.astype(object),
                }
            ).reset_index(drop=True)
        )
    if not parts:
        return FindingsTable()
    return FindingsTable.from_frame(pd.concat(parts, ignore_index=True))


def _finalize(frame: pd.DataFrame, name: str, standards: Standards) -> pd.DataFrame:
    """Keep SDTM variables only, in IG order (Req/Exp added when missing), typed per the IG."""
    internal = [c for c in frame.columns if c.startswith(("_", SUPP_PREFIX, LINK_PREFIX))]
    out = frame.drop(columns=internal)
    domain = standards.domain(name)
    if domain is None:
        return out.reset_index(drop=True)
    for variable in domain.variables:
        if variable.name not in out.columns and variable.core in ("Req", "Exp"):
            if name.startswith("SUPP") and variable.name == "RDOMAIN":
                continue
            out[variable.name] = pd.Series(pd.NA, index=out.index, dtype="string")
    order = [v for v in domain.variable_names if v in out.columns]
    extra = [c for c in out.columns if c not in order]
    out = out.loc[:, order + extra]
    for variable in domain.variables:
        if variable.name in out.columns and variable.data_type == "Num":
            out[variable.name] = pd.to_numeric(out[variable.name], errors="coerce")
    return out.reset_index(drop=True)


def run_study(
    study_dir: Path | str | None = None,
    mapping_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    *,
    specs_dir: Path | None = None,
    ct_version: str | None = None,
    write: bool = True,
    validate: bool = True,
    export: bool = True,
    creation_datetime: datetime | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run read -> map -> derive -> validate -> export on one study.

    Args:
        study_dir: Raw data folder; default ``sample_data/cart-psca-001`` (relative to the
            current directory).
        mapping_dir: Mapping spec folder; default ``mappings/<study folder name>``.
        out_dir: Output folder; default ``out/<study folder name>``.
        specs_dir: Standards folder; default the package's ``specs/``.
        ct_version: CT package date; default the newest.
        write: Write datasets, findings and lineage to ``out_dir``.
        validate: Run the conformance checks on the datasets.
        export: Export XPT, Define-XML and Dataset-JSON (else the datasets are written as CSV).
        creation_datetime: Time stamped into exported files; default the study setting
            ``creation_datetime`` or ``data_cutoff`` of ``study.yaml``
            (:func:`study_creation_datetime`), else the clock (then a rerun is not
            byte-identical; ``RunResult.creation_source`` is ``clock``).
        progress: Called with a short message at each stage.

    Returns:
        The datasets, findings, per-file counts and lineage.

    Raises:
        SdtmError: when the run cannot continue (standards or spec unreadable, spec problems).
    """
    study_dir = Path(study_dir) if study_dir is not None else DEFAULT_STUDY_DIR
    study = study_dir.resolve().name
    mapping_dir = Path(mapping_dir) if mapping_dir is not None else DEFAULT_MAPPINGS_DIR / study
    out_dir = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR / study

    _say(progress, "loading standards")
    standards = load_standards(specs_dir or default_specs_dir(), ct_version)

    if not study_dir.is_dir():
        hint = (
            " (the default is the bundled study: run from the repository root, or pass STUDY_DIR)"
            if study_dir == DEFAULT_STUDY_DIR
            else ""
        )
        raise InputError(f"study folder not found: {study_dir}{hint}")
    if not mapping_dir.is_dir():
        raise InputError(f"mapping folder not found: {mapping_dir} (pass --mapping DIR)")
    _say(progress, f"reading raw files in {study_dir}")
    raw = read_raw_files(study_dir, list_raw_files(study_dir))
    findings = [f.findings for f in raw.values()]

    _say(progress, f"loading mapping spec {mapping_dir}")
    spec = load_mapping(mapping_dir, standards)
    for path in spec.raw_files:
        if path not in raw:
            raw |= read_raw_files(study_dir, [path])
            findings.append(raw[path].findings)
    frames_in = {path: f.frame for path, f in raw.items() if f.frame is not None}
    # Columns the spec reads that a transfer lacks: data findings, values missing (RD0007).
    # A file that could not be read at all (RD0001/RD0002) counts as having no columns, so
    # that the columns read from it are known too.
    columns = {path: f.columns for path, f in raw.items()}
    lacking: dict[str, dict[str, str]] = {}
    for item in missing_raw_columns(spec, columns):
        if item.column is not None:
            lacking.setdefault(item.file, {}).setdefault(item.column, str(item.location))
    # A lookup file that could not be read joins no row: its columns are missing values in
    # the records it would have completed (its RD0001/RD0002 finding says why).
    unread = {path: _no_rows(needed) for path, needed in lacking.items() if path not in frames_in}
    for path, needed in lacking.items():
        if path in frames_in:
            frames_in[path], found = add_missing_columns(raw[path], needed)
            findings.append(found)

    _say(progress, "mapping")
    context_synonyms = dict(spec.synonyms)
    visit_lookup = {
        raw_name.upper(): f"{visit.visitnum:g}"
        for visit in spec.visits
        for raw_name in (*visit.raw_names, visit.visit)
    }
    results: dict[str, DomainResult] = {}
    notes: list[str] = []
    for name, mapping in spec.domains.items():
        if any(block.file not in frames_in for block in mapping.blocks):
            readable = tuple(b for b in mapping.blocks if b.file in frames_in)
            if not readable:
                # Every source file of the dataset is missing or unreadable (RD0001/RD0002
                # say which): there is nothing to map, and the later stages run without it.
                files = ", ".join(dict.fromkeys(b.file for b in mapping.blocks))
                notes.append(f"{name} not mapped: its raw file(s) {files} could not be read")
                continue
            mapping = type(mapping)(mapping.domain, readable, mapping.location)
        context = MapContext(name, standards, context_synonyms, visit_lookup)
        results[name] = map_domain(unread | frames_in, mapping, context)
        findings.append(results[name].findings)
    findings.append(_subjects_not_in_dm(results))
    findings.append(_columns_not_read(raw, spec))
    frames = {name: result.frame for name, result in results.items()}

    _say(progress, "deriving")
    links = {name: result.links for name, result in results.items() if result.links}
    frames, derive_findings, derive_notes = _derive(frames, spec, standards, links)
    notes.extend(derive_notes)
    findings.append(derive_findings)
    findings.append(_seq(frames, standards))

    supp_frames, supp_findings = _supp(frames, results)
    findings.append(supp_findings)
    relrec, relrec_findings = _relrec(frames, results)
    findings.append(relrec_findings)
    if relrec is not None:
        frames["RELREC"] = relrec
    frames |= supp_frames

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
    lineage = lineage.merge(pd.concat(keys, ignore_index=True), on=REC, how="left")
    reported = frozenset().union(*(r.reported_ids for r in results.values()))
    table = FindingsTable.concat(findings)
    accounted, counts = _account(raw, spec, lineage, table, reported)
    table = table + accounted

    # Values of numeric variables that are not numbers would become null when typed: each
    # is reported with its raw file, row and column before the frames are finalized.
    sources = _raw_sources(spec)
    table = table + FindingsTable.concat(
        [_not_numeric(frame, name, standards, sources) for name, frame in frames.items()]
    )
    final = {name: _finalize(frame, name, standards) for name, frame in frames.items()}
    provenance = {
        name: frame[[SRC_FILE, SRC_ROW]].reset_index(drop=True)
        for name, frame in frames.items()
        if SRC_FILE in frame.columns
    }
    # The rule registry is built once per run, from the standards folder's rules, and passed
    # to every stage that needs rule metadata (DESIGN section 1).
    registry, failed = _guarded(Stage.VALIDATE, "rule registry", lambda: _build_registry(specs_dir))
    table = table + failed
    if validate and registry is not None:
        _say(progress, "validating")
        table = table + _locate(_validate(final, standards, registry), provenance)
    table = _apply_waivers(table, mapping_dir, registry)
    lineage_out = lineage.loc[:, ["DOMAIN", "USUBJID", "SEQ", SRC_FILE, SRC_ROW]]
    if "PP" in frames and "PPSEQ" in frames["PP"]:
        # Derived PP rows trace to the PC raw row they were computed from (e.g. the Cmax one).
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
        lineage_out = pd.concat([lineage_out, pp_lineage], ignore_index=True)
    lineage_out = lineage_out.sort_values(
        ["DOMAIN", "USUBJID", "SEQ", SRC_FILE, SRC_ROW], kind="mergesort"
    )
    outputs: list[str] = []
    if write:
        _say(progress, f"exporting to {out_dir}")
        created, created_from = _creation_datetime(creation_datetime, spec)
        # Outputs of an earlier run must not pass for this run's (e.g. an old ae.xpt when AE
        # cannot be exported now): the earlier run's files go, other files are reported.
        foreign = _clear_output_folder(out_dir)
        table = table + foreign
        if len(foreign):
            listed = foreign.frame["value"].astype(str).tolist()
            shown = ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")
            notes.append(
                f"output folder holds {len(listed)} file(s) this tool did not write, left in "
                f"place (warning MP0018): {shown}"
            )
        for name in final:
            for suffix in (".xpt", ".csv"):
                (out_dir / f"{name.lower()}{suffix}").unlink(missing_ok=True)
        export_findings, exported = (
            _export(final, standards, out_dir, spec, created, specs_dir)
            if export
            else (FindingsTable(), False)
        )
        table = table + _locate(export_findings, provenance)
        if not exported:
            notes.append("datasets written as CSV (export to XPT/Define-XML not available)")
        # Datasets the exporter could not write as XPT (findings say why) are still delivered
        # as CSV, so that nothing mapped is lost from the outputs.
        csv_names = tuple(name for name in final if not (out_dir / f"{name.lower()}.xpt").is_file())
        if exported and csv_names:
            notes.append(
                f"not exported as XPT (see findings), written as CSV: {', '.join(csv_names)}"
            )
        outputs = _write(
            out_dir,
            final,
            table,
            lineage_out,
            counts,
            standards,
            csv_names=csv_names,
            created=(created, created_from),
        )
    return RunResult(
        study=study,
        frames=MappingProxyType(final),
        findings=table,
        counts=counts,
        lineage=lineage_out.reset_index(drop=True),
        out_dir=out_dir if write else None,
        outputs=tuple(outputs),
        notes=tuple(notes),
        creation_datetime=created if write else None,
        creation_source=created_from if write else "",
    )


STUDY_TIMESTAMP_SETTINGS = ("creation_datetime", "data_cutoff")
"""``study.yaml`` settings that fix the time stamped into the outputs, first match wins."""


def study_creation_datetime(spec: MappingSpec) -> tuple[datetime, str] | None:
    """The output time stamp a study fixes in ``study.yaml``, and the setting it came from.

    ``creation_datetime`` (ISO 8601 datetime) wins over ``data_cutoff`` (ISO date or
    datetime; a date means midnight): a data cut-off fixes what the package holds, so it is
    a stable stamp for every rerun of the same cut.

    Raises:
        SpecError: when the setting is not an ISO 8601 date or datetime.
    """
    for key in STUDY_TIMESTAMP_SETTINGS:
        text = str(spec.settings.get(key) or "").strip()
        if not text:
            continue
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise SpecError(
                f"study.yaml settings: {key} {text!r} is not an ISO 8601 date or datetime"
            ) from error
        return moment.replace(tzinfo=None), f"study.yaml {key}"
    return None


def _creation_datetime(given: datetime | None, spec: MappingSpec) -> tuple[datetime, str]:
    """The time stamped into the outputs: given, else the study setting, else the clock."""
    if given is not None:
        return given, "given"
    fixed = study_creation_datetime(spec)
    if fixed is not None:
        return fixed
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0), "clock"


RUN_FILES = (LINEAGE_FILE, "counts.csv", FINDINGS_FILE, "run.json", "manifest.json")
"""Files every written run puts in the output folder, besides the datasets."""
OUTPUT_SUBFOLDERS = ("json", "ndjson")
"""Subfolders of the output folder the exporter writes (Dataset-JSON, NDJSON)."""


def _previous_outputs(out_dir: Path) -> set[str]:
    """Files (relative, ``/`` separators) an earlier run of the tool wrote into ``out_dir``.

    They are the files its ``manifest.json`` lists, the datasets its ``run.json`` names (a
    dataset not exported as XPT is written as CSV) and the run files. An unreadable record
    gives only the run files: a file is never taken for the tool's without a record of it.
    """
    owned = set(RUN_FILES)
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        owned.update(str(entry["file"]) for entry in manifest.get("files", ()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    try:
        run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        for name in run.get("datasets", {}):
            owned.update({f"{str(name).lower()}.csv", f"{str(name).lower()}.xpt"})
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    # Only plain relative paths inside the folder: a tampered manifest must not delete
    # anything elsewhere.
    return {
        path
        for path in owned
        if path and not Path(path).is_absolute() and ".." not in Path(path).parts
    }


def _clear_output_folder(out_dir: Path) -> FindingsTable:
    """Remove an earlier run's outputs; report every other file left in the folder (MP0018).

    Outputs of an earlier run must not pass for this run's (a dataset not produced now, e.g.
    an old ``mh.xpt``, would be validated with the package), so the files the tool wrote
    before are deleted; this run writes its own afresh. A file the tool did not write is
    never deleted, but it is reported, since ``sdtm validate`` would read it as part of the
    package.
    """
    if not out_dir.is_dir():
        return FindingsTable()
    for relative in sorted(_previous_outputs(out_dir)):
        target = out_dir / relative
        if target.is_file():
            target.unlink()
    found = sorted(
        path.relative_to(out_dir).as_posix()
        for folder in (out_dir, *(out_dir / sub for sub in OUTPUT_SUBFOLDERS))
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file()
    )
    if not found:
        return FindingsTable()
    name, severity = PIPELINE_RULES["MP0018"]
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": "MP0018",
                "rule_name": name,
                "severity": severity,
                "stage": Stage.EXPORT.value,
                "value": found,
                "message": [
                    f"{out_dir.as_posix()}/{path}: file in the output folder that the tool did "
                    "not write (not listed by the previous run's manifest.json); it is left in "
                    "place but is not part of this run's outputs, and `sdtm validate` on the "
                    f"folder would check it with the package: move it out [MP0018 {name}]"
                    for path in found
                ],
            }
        )
    )


def _write(
    out_dir: Path,
    frames: Mapping[str, pd.DataFrame],
    findings: FindingsTable,
    lineage: pd.DataFrame,
    counts: pd.DataFrame,
    standards: Standards,
    *,
    csv_names: tuple[str, ...],
    created: tuple[datetime, str],
) -> list[str]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SdtmError(f"cannot create the output folder {out_dir}: {error}") from error
    written = []
    for name, frame in frames.items():
        if name not in csv_names:
            continue
        target = out_dir / f"{name.lower()}.csv"
        frame.to_csv(target, index=False)
        written.append(target.name)
    lineage.to_csv(out_dir / LINEAGE_FILE, index=False)
    written.append(LINEAGE_FILE)
    counts.to_csv(out_dir / "counts.csv", index=False)
    written.append("counts.csv")
    findings.write_json(
        out_dir / FINDINGS_FILE,
        tool={"name": "sdtm", "version": __version__},
        standards={"sdtmig": standards.sdtmig_version, "ct": standards.ct_version},
    )
    written.append(FINDINGS_FILE)
    (out_dir / "run.json").write_text(
        json.dumps(
            {
                # The stamp of the files, never the wall clock of this run (unless the
                # clock is that stamp): reruns must give the same bytes.
                "creation_datetime": created[0].strftime("%Y-%m-%dT%H:%M:%S"),
                "creation_source": created[1],
                "datasets": {name: len(frame) for name, frame in frames.items()},
                "severity": findings.count_by_severity(),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    written.append("run.json")
    return written


def fails(findings: FindingsTable, fail_on: Severity | str | None) -> bool:
    """True when there are unwaived findings at or above ``fail_on`` (never when ``None``)."""
    return fail_on is not None and len(findings.at_or_above(fail_on)) > 0


DESIGN_TABLES = (
    "elements",
    "arms",
    "arm_elements",
    "arm_rules",
    "timepoints",
    "standard_units",
    "ts",
)
"""Tables ``design.yaml`` may hold."""


def _rows(spec: MappingSpec, table: str) -> tuple[Mapping[str, str], ...]:
    return tuple(spec.design.get(table, ()))


def _number(row: Mapping[str, str], key: str, table: str) -> float | None:
    text = row.get(key)
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError as error:
        raise SpecError(f"design.yaml {table}: {key} {text!r} is not a number") from error


def _required(row: Mapping[str, str], key: str, table: str) -> str:
    value = row.get(key)
    if not value:
        raise SpecError(f"design.yaml {table}: a row has no {key!r}: {dict(row)}")
    return value


def study_design(spec: MappingSpec) -> StudyDesign:
    """Build the ``StudyDesign`` the trial-design builders and DM derivations read.

    Every arm follows the ``arm_elements`` sequence (the design of a dose-escalation study:
    the arms differ by dose, not by element order).

    Raises:
        SpecError: when a design row misses a required field or holds a bad number.
    """
    unknown = sorted(set(spec.design) - set(DESIGN_TABLES))
    if unknown:
        raise SpecError(
            f"design.yaml: unknown table(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(DESIGN_TABLES)})"
        )
    elements = tuple(
        Element(
            etcd=_required(row, "etcd", "elements"),
            element=_required(row, "element", "elements"),
            testrl=row.get("testrl", ""),
            teenrl=row.get("teenrl", ""),
            tedur=row.get("tedur"),
            start_anchor=row.get("start_anchor"),
            start_offset_days=int(_number(row, "start_offset_days", "elements") or 0),
        )
        for row in _rows(spec, "elements")
    )
    sequence = tuple(
        ArmElement(
            etcd=_required(row, "etcd", "arm_elements"),
            epoch=_required(row, "epoch", "arm_elements"),
            tabranch=row.get("tabranch"),
            tatrans=row.get("tatrans"),
        )
        for row in _rows(spec, "arm_elements")
    )
    arms = tuple(
        Arm(_required(row, "armcd", "arms"), _required(row, "arm", "arms"), sequence)
        for row in _rows(spec, "arms")
    )
    visits = tuple(
        Visit(
            v.visitnum,
            v.visit,
            v.visitdy,
            tvstrl=(
                f"Planned on study day {v.visitdy}"
                if v.visitdy is not None
                else f"{v.visit.capitalize()} visit, before lymphodepletion"
            ),
        )
        for v in spec.visits
    )
    timepoints = tuple(
        TimePoint(
            label=_required(row, "label", "timepoints"),
            tpt=_required(row, "tpt", "timepoints"),
            tptnum=_number(row, "tptnum", "timepoints") or 0.0,
            tptref=_required(row, "tptref", "timepoints"),
            eltm_hours=_number(row, "eltm_hours", "timepoints"),
        )
        for row in _rows(spec, "timepoints")
    )
    ts = tuple(
        TsParameter(
            tsparmcd=_required(row, "tsparmcd", "ts"),
            tsparm=_required(row, "tsparm", "ts"),
            tsval=row.get("tsval"),
            tsvalnf=row.get("tsvalnf"),
            tsvalcd=row.get("tsvalcd"),
            tsvcdref=row.get("tsvcdref"),
            tsvcdver=row.get("tsvcdver"),
        )
        for row in _rows(spec, "ts")
    )
    rules = _rows(spec, "arm_rules")
    arm_rules = None
    if rules:
        row = rules[0]
        anchors = tuple(
            t.strip() for t in _required(row, "anchor_treatments", "arm_rules").split("|")
        )
        arm_rules = ArmRules(anchor_treatments=anchors)
    return StudyDesign(
        studyid=spec.studyid,
        arms=arms,
        elements=elements,
        visits=visits,
        timepoints=timepoints,
        ts_parameters=ts,
        arm_rules=arm_rules,
    )


def result_standards(spec: MappingSpec) -> ResultStandards:
    """Build the standard units and unit conversions ``derive_standard_results`` reads.

    Raises:
        SpecError: when a standard-unit row misses a field or holds a bad number.
    """
    units = tuple(
        StandardUnit(
            testcd=_required(row, "testcd", "standard_units"),
            unit=row.get("unit"),
            decimals=int(_number(row, "decimals", "standard_units") or 0),
        )
        for row in _rows(spec, "standard_units")
    )
    conversions = tuple(
        UnitConversion(
            from_unit=c.from_unit,
            to_unit=c.to_unit,
            factor=c.factor,
            testcd=None if c.testcd == "*" else c.testcd,
        )
        for c in spec.unit_conversions
    )
    return ResultStandards(standard_units=units, conversions=conversions)


def pp_settings(spec: MappingSpec) -> Any:
    """Build the ``PpSettings`` of ``derive_pp`` from ``study.yaml`` settings.

    Keys (all optional): ``pp_time_unit`` (``h`` or ``day``), ``pp_parameters`` (PPTESTCDs
    separated by commas or spaces), ``pp_auc_interval`` (``PT0H/P28D``).

    Raises:
        SpecError: when a setting is not usable (unknown unit or parameter, bad interval).
    """
    from sdtm.derive.pp import PpSettings

    settings = spec.settings
    options: dict[str, Any] = {}
    if settings.get("pp_time_unit"):
        options["time_unit"] = settings["pp_time_unit"].strip()
    if settings.get("pp_parameters"):
        options["parameters"] = tuple(settings["pp_parameters"].replace(",", " ").split())
    if settings.get("pp_auc_interval"):
        start, _, end = settings["pp_auc_interval"].partition("/")
        options["auc_interval_start"] = start.strip()
        options["auc_interval_end"] = end.strip()
    return PpSettings(**options)


FOLLOW_UP_DAY = 28
"""Days after the CAR-T infusion at which the follow-up element starts (design.yaml FU)."""

DERIVE_RULES = MappingProxyType(
    {
        "MP0003": ("derivation-failed", "error"),
        "MP0004": ("derivation-skipped", "notice"),
    }
)
"""Rule raised when a derivation cannot run at all (its exception text is the message)."""

CHRONOLOGICAL_CLASSES = ("Events", "Interventions")
"""Observation classes whose --SEQ follows the start date."""

PRIMARY_DATE = MappingProxyType(
    {
        "AE": "AESTDTC",
        "CM": "CMSTDTC",
        "EX": "EXSTDTC",
        "LB": "LBDTC",
        "PC": "PCDTC",
        "FA": "FADTC",
        "DS": "DSSTDTC",
        "MH": "MHSTDTC",
    }
)
"""Date that places a record in time (EPOCH, visit windows), per dataset."""


@dataclass
class _Derivation:
    """Collects frames and findings while the derivations run; one instance per run."""

    frames: dict[str, pd.DataFrame]
    findings: list[FindingsTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def apply(self, dataset: str, what: str, call: Callable[[], Any]) -> Any:
        """Run one derivation; a failure becomes an MP0003 finding instead of a crash."""
        try:
            result = call()
        except MappingError as error:
            # The study does not collect what this derivation needs: skipped, and said so.
            self.findings.append(_skipped(dataset, what, str(error)))
            return None
        except Exception as error:  # a broken derivation must not stop the other datasets
            self.findings.append(
                _one_finding(
                    "MP0003",
                    Stage.DERIVE,
                    dataset,
                    f"{dataset}: {what} could not run ({type(error).__name__}: {error}); the "
                    "variables it derives are empty [MP0003 derivation-failed]",
                )
            )
            return None
        self.findings.append(result.findings)
        return result.frame


def _skipped(dataset: str, what: str, reason: str) -> FindingsTable:
    return _one_finding(
        "MP0004",
        Stage.DERIVE,
        dataset,
        f"{dataset}: {what} skipped: {reason}; the variables it derives stay empty "
        "[MP0004 derivation-skipped]",
    )


def _anchors(dm: pd.DataFrame, ex: pd.DataFrame | None, anchor_treatments: tuple[str, ...]):
    """Per-subject element start dates: consent, first LD dose, CAR-T infusion start."""
    from sdtm.derive.dates import compute_datetime

    anchors = dm[["USUBJID"]].copy()
    anchors["RFICDTC"] = dm.get("RFICDTC")
    if ex is None or ex.empty:
        anchors["LDSTDTC"] = pd.NA
        anchors["CARTSTDTC"] = pd.NA
        return anchors
    product = ex["EXTRT"].isin(anchor_treatments)
    ordered = ex.assign(_when=compute_datetime(ex["EXSTDTC"]))
    ordered = ordered.sort_values(["USUBJID", "_when"], kind="mergesort")
    first_other = ordered.loc[~product].drop_duplicates("USUBJID").set_index("USUBJID")
    first_product = ordered.loc[product].drop_duplicates("USUBJID").set_index("USUBJID")
    anchors["LDSTDTC"] = anchors["USUBJID"].map(first_other["EXSTDTC"])
    anchors["CARTSTDTC"] = anchors["USUBJID"].map(first_product["EXSTDTC"])
    # Follow-up starts 28 days after the infusion, unless participation ended before that
    # (e.g. death in the DLT window): then the subject never entered follow-up.
    from sdtm.derive.dates import compute_date

    follow_up = compute_date(anchors["CARTSTDTC"]) + pd.Timedelta(days=FOLLOW_UP_DAY)
    end = compute_date(dm["RFPENDTC"]) if "RFPENDTC" in dm else follow_up
    reached = (follow_up <= end.to_numpy()) | pd.isna(end.to_numpy())
    anchors["FUSTDTC"] = (
        follow_up.dt.strftime("%Y-%m-%d").astype("string").where(reached & follow_up.notna())
    )
    return anchors


def _grade_log(fa: pd.DataFrame, links: tuple[LinkTarget, ...]) -> pd.DataFrame | None:
    """FA TOXGR records as the daily grade log of their AE (keyed by the AE link to AESPID).

    ``None`` when FA holds no grades linked to AESPID (then AETOXGR stays as collected).
    """
    column = next((t.column for t in links if t.rdomain == "AE" and t.rvariable == "AESPID"), None)
    if column is None or column not in fa or "FATESTCD" not in fa or "FAORRES" not in fa:
        return None
    grades = fa.loc[fa["FATESTCD"] == "TOXGR"]
    return pd.DataFrame(
        {
            "USUBJID": grades["USUBJID"],
            "AESPID": grades[column],
            "GRADE": grades["FAORRES"],
            SRC_FILE: grades[SRC_FILE],
            SRC_ROW: grades[SRC_ROW],
        }
    )


def _derive(
    frames: dict[str, pd.DataFrame],
    spec: MappingSpec,
    standards: Standards,
    links: Mapping[str, tuple[LinkTarget, ...]],
) -> tuple[dict[str, pd.DataFrame], FindingsTable, list[str]]:
    """Run the derivations in dependency order (docs/derive.md): DM, trial design, domains."""
    from sdtm.derive import trial_design, ts
    from sdtm.derive.ae import derive_treatment_emergent_flag, derive_worst_grade
    from sdtm.derive.baseline import derive_last_obs_before_exposure_flag
    from sdtm.derive.dm import derive_age, derive_arms, derive_death
    from sdtm.derive.epoch import derive_epoch
    from sdtm.derive.ex import derive_dose_per_bsa, derive_weight_based_dose
    from sdtm.derive.reference_dates import derive_participation_end, derive_reference_dates
    from sdtm.derive.standard_results import (
        derive_reference_range_indicator,
        derive_standard_results,
    )
    from sdtm.derive.study_day import derive_study_day
    from sdtm.derive.timepoints import derive_timepoints
    from sdtm.derive.visit import derive_visit

    run = _Derivation(dict(frames))
    f = run.frames
    design = study_design(spec)
    results = result_standards(spec)
    anchor_treatments = design.arm_rules.anchor_treatments if design.arm_rules else ()

    if "EX" in f:
        if "_ACTDOSE" in f["EX"]:
            out = run.apply(
                "EX",
                "derive_dose_per_bsa",
                lambda: derive_dose_per_bsa(f["EX"], source_var="_ACTDOSE", bsa_var="_BSA"),
            )
            f["EX"] = out if out is not None else f["EX"]
        if "_CARTOT" in f["EX"]:
            out = run.apply(
                "EX",
                "derive_weight_based_dose",
                lambda: derive_weight_based_dose(
                    f["EX"], source_var="_CARTOT", weight_var="_WEIGHT"
                ),
            )
            f["EX"] = out if out is not None else f["EX"]

    if "DM" in f:
        steps = []
        if "EX" in f:
            steps.append(
                (
                    "derive_reference_dates",
                    lambda: derive_reference_dates(
                        f["DM"], f["EX"], anchor_treatments=anchor_treatments
                    ),
                )
            )
        steps.append(
            (
                "derive_death",
                lambda: derive_death(
                    f["DM"],
                    deaths=f["DM"][["USUBJID", "DTHDTC"]] if "DTHDTC" in f["DM"] else None,
                    ae=f.get("AE"),
                ),
            )
        )
        if "EX" in f:
            steps.append(("derive_arms", lambda: derive_arms(f["DM"], f["EX"], design)))
        steps.append(("derive_age", lambda: derive_age(f["DM"])))
        # RFPENDTC: the last known contact (SDTMIG DM): last-contact date, death, disposition
        # and any dated assessment or exposure.
        contacts = (
            ("DS", "DSSTDTC"),
            ("LB", "LBDTC"),
            ("PC", "PCDTC"),
            ("FA", "FADTC"),
            ("EX", "EXENDTC"),
        )
        ends = [(f[name], var) for name, var in contacts if name in f and var in f[name]]
        ends += [(f["DM"], var) for var in ("DTHDTC", "_LSTCON") if var in f["DM"]]
        steps.append(("derive_participation_end", lambda: derive_participation_end(f["DM"], ends)))
        for what, call in steps:
            out = run.apply("DM", what, call)
            if out is not None:
                f["DM"] = out

        builders = []
        if design.elements and design.arms:
            builders += [
                ("TE", lambda: trial_design.build_te(design)),
                ("TA", lambda: trial_design.build_ta(design)),
            ]
        if design.visits:
            builders.append(("TV", lambda: trial_design.build_tv(design)))
        if design.ts_parameters:
            builders.append(("TS", lambda: ts.build_ts(design)))
        if design.elements and design.arms and "EX" in f:
            builders.append(
                (
                    "SE",
                    lambda: trial_design.build_se(
                        _anchors(f["DM"], f.get("EX"), anchor_treatments), f["DM"], design
                    ),
                )
            )
        for name, build in builders:
            out = run.apply(name, f"build_{name.lower()}", build)
            if out is not None:
                f[name] = out

    # One AE per CRS/ICANS episode at its worst grade (brief decision 5.3): the daily grades
    # mapped to FA count too, and grades of events missing from AE are reported (MP0601).
    grade_log = _grade_log(f["FA"], links.get("FA", ())) if "FA" in f else None
    if "AE" in f and "AESPID" in f["AE"] and grade_log is not None:
        out = run.apply(
            "AE",
            "derive_worst_grade",
            lambda: derive_worst_grade(f["AE"], grade_log, by=("USUBJID", "AESPID")),
        )
        if out is not None:
            f["AE"] = out

    dm = f.get("DM")
    for name in list(f):
        domain = standards.domain(name)
        if name in ("DM", "SE") or domain is None or dm is None or "USUBJID" not in f[name]:
            continue
        for variable in [c for c in f[name].columns if c.endswith("DTC")]:
            day_var = variable[:-3] + "DY"
            if domain.variable(day_var) is None or variable in ("RFSTDTC",):
                continue
            out = run.apply(
                name,
                f"derive_study_day({day_var})",
                lambda v=variable, d=day_var, n=name: derive_study_day(
                    f[n], dm, source_var=v, new_var=d, dataset=n
                ),
            )
            if out is not None:
                f[name] = out
        date_var = PRIMARY_DATE.get(name)
        if "VISITNUM" in f[name] and date_var in f[name]:
            out = run.apply(
                name,
                "derive_visit",
                lambda n=name, v=date_var: derive_visit(
                    f[n], design.visits, dy_var=v[:-3] + "DY", source_var=v, dataset=n
                ),
            )
            if out is not None:
                f[name] = out
        if "_TPT" in f[name]:
            out = run.apply(
                name,
                "derive_timepoints",
                lambda n=name: derive_timepoints(
                    f[n], design.timepoints, dm, domain=n, source_var="_TPT"
                ),
            )
            if out is not None:
                f[name] = out
        if f"{name}ORRES" in f[name] and name in ("LB", "PC"):
            out = run.apply(
                name,
                "derive_standard_results",
                lambda n=name: derive_standard_results(
                    f[n], results, domain=n, lloq_var="_LLOQ" if "_LLOQ" in f[n] else None
                ),
            )
            if out is not None:
                f[name] = out
        if name == "LB":
            for what, call in (
                (
                    "derive_reference_range_indicator",
                    lambda: derive_reference_range_indicator(f["LB"], domain="LB"),
                ),
                (
                    "derive_last_obs_before_exposure_flag",
                    lambda: derive_last_obs_before_exposure_flag(f["LB"], dm, domain="LB"),
                ),
            ):
                out = run.apply("LB", what, call)
                if out is not None:
                    f["LB"] = out
        if name == "AE":
            out = run.apply(
                "AE",
                "derive_treatment_emergent_flag",
                lambda: derive_treatment_emergent_flag(f["AE"], dm),
            )
            if out is not None:
                f["AE"] = out.rename(columns={"AETRTEM": f"{SUPP_PREFIX}AETRTEM"})
    if "SE" in f:
        for name in list(f):
            domain = standards.domain(name)
            date_var = PRIMARY_DATE.get(name)
            if (
                domain is None
                or domain.variable("EPOCH") is None
                or date_var not in f[name]
                or name == "SE"
            ):
                continue
            out = run.apply(
                name,
                "derive_epoch",
                lambda n=name, v=date_var: derive_epoch(f[n], f["SE"], source_var=v, dataset=n),
            )
            if out is not None:
                f[name] = out
    # PP from the final PC (concentrations, reference times); PPSEQ comes with the other
    # --SEQs in _seq.
    if "PC" in f:
        from sdtm.derive.pp import derive_pp

        out = run.apply("PP", "derive_pp", lambda: derive_pp(f["PC"], settings=pp_settings(spec)))
        if out is not None and not out.empty:
            f["PP"] = out
            if "SE" in f:
                # A profile's epoch is the one of its reference time point (the infusion).
                out = run.apply(
                    "PP",
                    "derive_epoch",
                    lambda: derive_epoch(f["PP"], f["SE"], source_var="PPRFTDTC", dataset="PP"),
                )
                if out is not None:
                    f["PP"] = out
    return f, FindingsTable.concat(run.findings), run.notes


def _guarded(stage: Stage, what: str, call: Callable[[], Any]) -> tuple[Any, FindingsTable]:
    """Run a stage provided by another package; a failure is a finding, not a crash."""
    try:
        return call(), FindingsTable()
    except ImportError as error:
        return None, _stage_failed(stage, what, f"not available ({error})")
    except SdtmError as error:
        return None, _stage_failed(stage, what, str(error))
    except Exception as error:  # other stages' defects must not hide this run's outputs
        return None, _stage_failed(stage, what, f"{type(error).__name__}: {error}")


def _stage_failed(stage: Stage, what: str, detail: str) -> FindingsTable:
    return _one_finding(
        "MP0003", stage, None, f"{what} could not run: {detail} [MP0003 derivation-failed]"
    )


def _one_finding(rule_id: str, stage: Stage, dataset: str | None, message: str) -> FindingsTable:
    """A single stage-level finding of ``DERIVE_RULES`` (no record to point at)."""
    name, severity = DERIVE_RULES[rule_id]
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": [rule_id],
                "rule_name": [name],
                "severity": [severity],
                "stage": [stage.value],
                "dataset": [dataset],
                "message": [message],
            }
        )
    )


def _build_registry(specs_dir: Path | None) -> Any:
    """The conformance rule registry of the standards folder in use (``specs/rules``)."""
    from sdtm.validate.registry import build_registry

    return build_registry((specs_dir or default_specs_dir()) / "rules")


def _validate(
    frames: Mapping[str, pd.DataFrame], standards: Standards, registry: Any
) -> FindingsTable:
    """Validate the datasets: per-dataset schemas, then the rule registry's checks."""

    def schemas() -> FindingsTable:
        from sdtm.validate.package import validate_frames

        return validate_frames(frames, standards)

    def rules() -> FindingsTable:
        from sdtm.validate.registry import run_rules

        return run_rules(frames, standards, registry)

    found = []
    for what, call in (("validation (schemas)", schemas), ("validation (rules)", rules)):
        value, failed = _guarded(Stage.VALIDATE, what, call)
        found.extend([value, failed] if value is not None else [failed])
    return FindingsTable.concat(found)


def _apply_waivers(findings: FindingsTable, mapping_dir: Path, registry: Any) -> FindingsTable:
    """Mark findings the study's ``waivers.yaml`` waives; unused waivers give ST0900.

    ``registry`` (``None`` when it could not be built) gives ST0900 its YAML name, severity
    and message.
    """
    path = mapping_dir / "waivers.yaml"
    if not path.is_file():
        return findings

    def call() -> FindingsTable:
        from sdtm.validate.waivers import apply_waivers, load_waivers

        return apply_waivers(findings, load_waivers(path), registry=registry)

    value, failed = _guarded(Stage.VALIDATE, "waivers", call)
    return value if value is not None else findings + failed


def _locate(findings: FindingsTable, provenance: Mapping[str, pd.DataFrame]) -> FindingsTable:
    """Give findings about SDTM records the raw file and row the record came from.

    Validation reports dataset rows (``row``, 1-based) or subject and sequence number; the
    provenance of each final dataset row is known, so the raw location is added where missing.
    """
    frame = findings.frame
    missing = frame["source_file"].isna() & frame["dataset"].notna()
    if not missing.any():
        return findings
    parts = []
    for name, prov in provenance.items():
        parts.append(
            pd.DataFrame(
                {
                    "dataset": name,
                    "row": range(1, len(prov) + 1),
                    "_file": prov[SRC_FILE].to_numpy(),
                    "_line": prov[SRC_ROW].to_numpy(),
                }
            )
        )
    if not parts:
        return findings
    lookup = pd.concat(parts, ignore_index=True)
    lookup["row"] = lookup["row"].astype("Int64")
    keyed = frame.loc[missing, ["dataset", "row"]].reset_index()
    keyed["row"] = keyed["row"].astype("Int64")
    located = keyed.merge(lookup, on=["dataset", "row"], how="left").set_index("index")
    frame.loc[located.index, "source_file"] = located["_file"].astype(object)
    frame.loc[located.index, "source_row"] = located["_line"]
    return FindingsTable.from_frame(frame)


def _define_metadata(spec: MappingSpec) -> Any:
    """Origins of mapped variables for define.xml: collected, assigned, or derived."""
    from sdtm.export.define_metadata import DefineMetadata, StudyInfo, VariableOrigin

    origins = {}
    for name, mapping in spec.domains.items():
        for block in mapping.blocks:
            for step in block.steps:
                if step.target.startswith("_") or step.algorithm in (
                    "split_to_supp",
                    "relrec",
                    "not_submitted",
                ):
                    continue
                if step.algorithm.startswith("hardcode"):
                    origin = VariableOrigin(name, step.target, "Assigned")
                elif step.algorithm == "assign_concat":
                    continue
                else:
                    columns = ", ".join(c for c in (step.source, step.date, step.time) if c)
                    origin = VariableOrigin(
                        name,
                        step.target,
                        "Collected",
                        source="Investigator" if block.file.startswith("edc/") else "Vendor",
                        comment=f"{block.file}: {columns}",
                    )
                origins.setdefault((name, step.target), origin)
    # SUPPAE.AETRTEM is derived by the pipeline, not mapped: its method is stated here.
    origins.setdefault(
        ("SUPPAE", "AETRTEM"),
        VariableOrigin(
            "SUPPAE",
            "AETRTEM",
            "Derived",
            method_id="AETRTEM",
            method_text="Y when AESTDTC is on or after DM.RFXSTDTC (first dose of any study "
            "treatment, here the first lymphodepletion dose), compared at their common "
            "precision; N when it starts before, and for subjects never dosed.",
        ),
    )
    study = StudyInfo(
        study_oid=spec.studyid or spec.study,
        name=spec.studyid or spec.study,
        description=f"SDTM datasets of {spec.studyid or spec.study}",
        protocol=spec.studyid or spec.study,
    )
    return DefineMetadata(study=study, origins=tuple(origins.values()))


def _export(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    out_dir: Path,
    spec: MappingSpec,
    creation_datetime: datetime,
    specs_dir: Path | None = None,
) -> tuple[FindingsTable, bool]:
    """Export XPT / Define-XML / Dataset-JSON when the export package provides it.

    The Dataset-JSON and Define-XML schemas come from the standards folder of the run
    (``specs_dir``; default the bundled one), like the standards and the rules.
    """

    def call() -> FindingsTable:
        from sdtm.export.define_xml import SCHEMA_FILE
        from sdtm.export.submission import DEFINE_SCHEMA_DIR, ExportSettings, export_submission

        settings = None
        if specs_dir is not None:
            json_dir = specs_dir / "dataset-json-1.1"
            define_dir = specs_dir / DEFINE_SCHEMA_DIR
            settings = ExportSettings(
                dataset_json_schema_dir=json_dir if json_dir.is_dir() else None,
                define_schema_dir=define_dir if (define_dir / SCHEMA_FILE).is_file() else None,
            )
        return export_submission(
            frames,
            standards,
            out_dir,
            define_metadata=_define_metadata(spec),
            creation_datetime=creation_datetime,
            settings=settings,
        )

    value, failed = _guarded(Stage.EXPORT, "export", call)
    return (value, True) if value is not None else (failed, False)
