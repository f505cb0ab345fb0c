"""The mapping stage of a run: load and check the spec, map every dataset, account for rows.

``load_mapping`` reads a study's spec and reports every problem at once; ``map_study`` runs
the spec on the raw files and returns the mapped datasets with their findings; after the
derivations, ``account_study`` proves that every raw row is in a record or in a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.mapping.accounting import (
    account_raw_rows,
    build_lineage,
    empty_raw_frame,
    find_columns_not_read,
    find_subjects_not_in_dm,
    lineage_table,
)
from sdtm.mapping.algorithms import MapContext
from sdtm.mapping.check import check_raw_columns, check_spec, missing_raw_columns
from sdtm.mapping.engine import DomainResult, map_domain
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.problems import raise_if_problems
from sdtm.mapping.refuse import refuse_block
from sdtm.mapping.spec import MappingSpec
from sdtm.mapping.withhold import find_required_values_missing, withhold_records
from sdtm.read.raw import RawFile, add_missing_columns
from sdtm.standards import Standards
from sdtm.workers import run_calls


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


UNSCHEDULED_SETTING = "unscheduled_visit_labels"
"""study.yaml setting: comma-separated raw labels (shell patterns) of unscheduled visits."""


def unscheduled_visit_labels(spec: MappingSpec) -> tuple[str, ...]:
    """The study's unscheduled visit labels (upper case), from ``UNSCHEDULED_SETTING``."""
    text = spec.settings.get(UNSCHEDULED_SETTING, "")
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class MapStageResult:
    """What mapping a study produced."""

    results: Mapping[str, DomainResult]
    """Per mapped dataset: records, lineage, SUPP targets, links, findings."""
    findings: FindingsTable
    """Findings of the mapping (including columns missing from transfers, MP0013, MP0017)."""
    notes: tuple[str, ...]
    """Datasets that could not be mapped at all, for the run summary."""

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The mapped datasets by name, in spec order."""
        return {name: result.frame for name, result in self.results.items()}


def map_study(
    raw: Mapping[str, RawFile],
    spec: MappingSpec,
    standards: Standards,
    *,
    keep_invalid_records: bool = False,
    jobs: int = 1,
) -> MapStageResult:
    """Map every dataset of the spec from the raw files read.

    Columns the spec reads that a transfer lacks are data findings (RD0007), and a block
    reading such a column is refused: no record, each of its rows reported (RD0020). A
    lookup file that could not be read joins no row; a dataset none of whose files could be
    read is not mapped and is named in the notes. Records that fail a hard rule (subject not
    in DM, exact duplicate raw row, Required value missing) are withheld and reported
    (``sdtm.mapping.withhold``) unless ``keep_invalid_records``.

    Args:
        raw: Raw files by path relative to the study folder.
        spec: The checked mapping spec.
        standards: SDTMIG metadata and CT.
        keep_invalid_records: Keep records that fail a hard rule in the datasets.
        jobs: Processes that share out the datasets (:func:`sdtm.workers.run_calls`),
            largest first; the result is the same for any number.

    Returns:
        The mapped datasets, their findings and notes.
    """
    findings: list[FindingsTable] = []
    frames_in = {path: f.frame for path, f in raw.items() if f.frame is not None}
    # A file that could not be read at all (RD0001/RD0002) counts as having no columns, so
    # that the columns read from it are known too.
    columns = {path: f.columns for path, f in raw.items()}
    lacking: dict[str, dict[str, str]] = {}
    for item in missing_raw_columns(spec, columns):
        if item.column is not None:
            lacking.setdefault(item.file, {}).setdefault(item.column, str(item.location))
    # A lookup file that could not be read joins no row: its columns are missing values in
    # the records it would have completed (its RD0001/RD0002 finding says why).
    unread = {
        path: empty_raw_frame(needed) for path, needed in lacking.items() if path not in frames_in
    }
    for path, needed in lacking.items():
        if path in frames_in:
            frames_in[path], found = add_missing_columns(raw[path], needed)
            findings.append(found)

    visit_lookup = {
        raw_name.upper(): f"{visit.visitnum:g}"
        for visit in spec.visits
        for raw_name in (*visit.raw_names, visit.visit)
    }
    notes: list[str] = []
    # Each dataset is mapped apart (one call each, shared out among ``jobs`` processes); its
    # findings keep their place among the refused blocks' findings, as one after the other.
    calls: dict[str, Callable[[], DomainResult]] = {}
    costs: list[float] = []
    in_order: list[FindingsTable | str] = []
    for name, mapping in spec.domains.items():
        if any(block.table not in frames_in for block in mapping.blocks):
            readable = tuple(b for b in mapping.blocks if b.table in frames_in)
            if not readable:
                # Every source file of the dataset is missing or unreadable (RD0001/RD0002
                # say which): there is nothing to map, and the later stages run without it.
                files = ", ".join(dict.fromkeys(b.table for b in mapping.blocks))
                notes.append(f"{name} not mapped: its raw file(s) {files} could not be read")
                continue
            mapping = type(mapping)(mapping.domain, readable, mapping.location)
        # A block whose table lacks a column it reads is refused, not mapped with empty
        # values: its rows are reported (RD0020) and the count check shows them as such.
        kept = []
        for block in mapping.blocks:
            refused = refuse_block(block, name, raw, columns)
            if refused is None:
                kept.append(block)
            else:
                in_order.append(refused)
        if not kept:
            notes.append(f"{name} not mapped: its raw file(s) lack columns the spec reads")
            continue
        mapping = type(mapping)(mapping.domain, tuple(kept), mapping.location)
        context = MapContext(
            name,
            standards,
            dict(spec.synonyms),
            visit_lookup,
            unscheduled_visits=unscheduled_visit_labels(spec),
            lookups=dict(spec.lookups),
        )
        calls[name] = partial(map_domain, unread | frames_in, mapping, context)
        costs.append(float(sum(len(frames_in[block.table]) for block in kept)))
        in_order.append(name)
    mapped = run_calls(list(calls.values()), jobs=jobs, costs=costs)
    results: dict[str, DomainResult] = dict(zip(calls, mapped, strict=True))
    findings.extend(
        results[item].findings if isinstance(item, str) else item for item in in_order
    )
    findings.append(find_subjects_not_in_dm(results))
    findings.append(find_required_values_missing(results, standards))
    findings.append(find_columns_not_read(raw, spec))
    read_findings = FindingsTable.concat(f.findings for f in raw.values())
    results, withheld = withhold_records(
        results, read_findings + FindingsTable.concat(findings), keep=keep_invalid_records
    )
    findings.append(withheld)
    return MapStageResult(results, FindingsTable.concat(findings), tuple(notes))


@dataclass(frozen=True, slots=True)
class Accounting:
    """Where every raw row went."""

    lineage: pd.DataFrame
    """``lineage.csv``: one row per (SDTM record, raw row)."""
    counts: pd.DataFrame
    """Per raw file: rows in, rows mapped, rows reported (``COUNTS_COLUMNS``)."""
    findings: FindingsTable
    """MP0001 (row in no record and no finding) and MP0002 (row skipped on purpose)."""


def account_study(
    raw: Mapping[str, RawFile],
    spec: MappingSpec,
    mapped: MapStageResult,
    frames: Mapping[str, pd.DataFrame],
    findings: FindingsTable,
) -> Accounting:
    """Account for every raw row after the derivations (rows in = mapped + reported).

    Args:
        raw: Raw files read.
        spec: The mapping spec (its ``skip`` entries explain rows not submitted).
        mapped: The mapping stage's result (lineage, rows reported while mapping).
        frames: The derived datasets (``_rec`` and ``--SEQ`` of each record).
        findings: Every finding so far (rows they report count as reported).

    Returns:
        The lineage table, the per-file counts and the new findings.
    """
    lineage = build_lineage(mapped.results, frames)
    reported = frozenset().union(*(r.reported_ids for r in mapped.results.values()))
    new, counts = account_raw_rows(raw, spec, lineage, findings, reported)
    return Accounting(lineage=lineage_table(lineage, frames), counts=counts, findings=new)
