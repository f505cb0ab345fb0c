"""``sdtm propose``: draft a mapping spec from a raw study folder, deterministically.

Each raw file is profiled (``sdtm.authoring.profile``), given the dataset its columns, values
and name support best (``sdtm.authoring.matching``; a file no dataset fits is left out and
listed), and drafted into a block of steps (``sdtm.authoring.propose_steps``) that each carry a
``confidence`` and a ``rationale``. Files with one row per subject that hold DM variables (a
death form) are joined to DM. The spec is marked ``status: draft`` in ``study.yaml`` until a
reviewer has decided every step below the review threshold (``sdtm spec review``).

The same folder always gives the same spec: files, columns, candidates and ties are processed
in sorted order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sdtm.authoring.drafts import BlockSource, Draft
from sdtm.authoring.matching import (
    IDENTIFIERS,
    DomainScore,
    candidate_domains,
    date_variable,
    name_candidates,
    score_domain,
)
from sdtm.authoring.names import RawNames, normalize_name
from sdtm.authoring.profile import FileProfile, StudyProfile, profile_file
from sdtm.authoring.propose_steps import BlockBuilder
from sdtm.errors import InputError
from sdtm.mapping.spec import (
    Block,
    Condition,
    DomainMapping,
    Join,
    MappingSpec,
    Operator,
    Step,
    When,
)
from sdtm.mapping.status import DRAFT
from sdtm.read.raw import list_raw_files, read_raw_files
from sdtm.standards.model import DomainSpec, Standards
from sdtm.standards.search import TermIndex

MIN_SCORE = 2.0
"""Least evidence for a file to be proposed as a block of a dataset."""


@dataclass(frozen=True, slots=True)
class FileDecision:
    """Where the proposal put one raw file, and why."""

    file: str
    """Raw file, relative to the study folder."""
    domain: str | None
    """Dataset it feeds; ``None`` when no dataset fits."""
    role: str
    """``block`` (its rows become records), ``lookup`` (joined to a block) or ``not placed``."""
    score: float
    """Evidence for the dataset (0 when not placed)."""
    reasons: tuple[str, ...]
    """The evidence, or why the file was not placed."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A drafted spec with the decisions behind it."""

    spec: MappingSpec
    """The draft spec (``status: draft``)."""
    decisions: tuple[FileDecision, ...]
    """One decision per raw file, sorted by file."""
    profile: StudyProfile
    """The profile the proposal was drafted from."""


def _stem(path: str) -> str:
    return normalize_name(path.rsplit("/", 1)[-1].rsplit(".", 1)[0])


def _studyid(files: tuple[FileProfile, ...], names: RawNames, fallback: str) -> str:
    counts: Counter[str] = Counter()
    for item in files:
        for column in item.columns:
            if normalize_name(column.name) in names.identifiers.get("STUDYID", ()):
                counts.update(dict(column.counts))
    if not counts:
        return fallback.upper()
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _best_domain(
    item: FileProfile, domains: tuple[DomainSpec, ...], names: RawNames
) -> DomainScore | None:
    scores = []
    for domain in domains:
        candidates = {c.name: name_candidates(c.name, domain, names) for c in item.columns}
        scores.append(score_domain(item, domain, names, candidates))
    fitting = [s for s in scores if s.topic and s.score >= MIN_SCORE]
    if not fitting:
        return None
    order = {d.name: i for i, d in enumerate(domains)}
    return max(fitting, key=lambda s: (s.score, -order[s.domain]))


def _dm_evidence(item: FileProfile, dm: DomainSpec, names: RawNames) -> list[str]:
    """Columns of a one-row-per-subject file that fit DM variables (not identifiers)."""
    found = []
    for column in item.columns:
        if not column.filled:
            continue
        variable = date_variable(column, dm, names)
        if variable is None:
            strong = [
                c.variable
                for c in name_candidates(column.name, dm, names)
                if c.variable not in IDENTIFIERS and c.strength >= 0.8
            ]
            variable = strong[0] if strong else None
        if variable is not None:
            found.append(f"{column.name} -> {variable}")
    return found


def _one_row_selector(
    item: FileProfile, frame: pd.DataFrame, names: RawNames
) -> tuple[str, str] | None:
    """A yes/no column whose one value keeps exactly one row of every subject, if any.

    A form filled again for some subjects (a re-consent) usually flags the repeat; keeping the
    rows of the value that leaves every subject exactly once makes the file a lookup.
    """
    subject = item.subject_column
    if subject is None:
        return None
    subjects = frame[subject].astype("string").str.strip()
    everyone = subjects.nunique()
    for column in item.columns:
        if column.name == subject or len(column.counts) != 2:
            continue
        if not all(v.upper() in (*names.true_values, "0", "N", "NO") for v in column.counts):
            continue
        values = frame[column.name].astype("string").str.strip()
        for value in sorted(column.counts):
            kept = subjects[values == value]
            if kept.nunique() == everyone and len(kept) == everyone:
                return column.name, value
    return None


def _condition(data: Mapping[str, object]) -> Condition:
    value = data.get("value")
    if isinstance(value, list | tuple):
        value = tuple(str(v) for v in value)
    elif value is not None:
        value = str(value)
    return Condition(str(data["column"]), Operator(str(data["op"])), value)


def _when(data: Mapping[str, object]) -> When:
    for mode in ("all", "any"):
        if mode in data:
            items = data[mode]
            return When(mode, tuple(_condition(c) for c in items))  # type: ignore[attr-defined]
    return When("all", (_condition(data),))


def _step(draft: Draft) -> Step:
    fields = dict(draft.fields)
    when = fields.pop("when", None)
    sources = fields.pop("sources", ())
    date_format = fields.pop("format", None)
    return Step(
        target=draft.target,
        algorithm=draft.algorithm,
        sources=tuple(str(s) for s in sources),  # type: ignore[attr-defined]
        date_format=None if date_format is None else str(date_format),
        when=None if when is None else _when(when),  # type: ignore[arg-type]
        confidence=draft.confidence,
        rationale=draft.rationale,
        **fields,  # type: ignore[arg-type]
    )


def propose_spec(
    study_dir: Path,
    standards: Standards,
    names: RawNames,
    *,
    study: str | None = None,
) -> Proposal:
    """Draft a mapping spec for the raw files of ``study_dir``.

    Args:
        study_dir: The raw study folder.
        standards: SDTMIG metadata and CT.
        names: Raw naming conventions (``specs/propose/raw-names.yaml``).
        study: Name of the spec (the mapping folder); default the study folder's name.

    Returns:
        The draft spec and the decision taken for every raw file.

    Raises:
        InputError: when the study folder does not exist or holds no raw file.
    """
    files = list_raw_files(study_dir)  # raises InputError for a missing folder via read
    raw = read_raw_files(study_dir, files)
    if not raw:
        raise InputError(f"no raw file (.csv, .xlsx) under {study_dir}")
    index = TermIndex.build(standards.codelists.values())
    profiles = tuple(profile_file(f, index, names) for f in raw.values())
    profile = StudyProfile(str(study_dir), profiles, standards.ct_version)
    name = study or study_dir.resolve().name
    studyid = _studyid(profiles, names, name)
    domains = candidate_domains(standards, names)

    decisions: dict[str, FileDecision] = {}
    blocks: dict[str, list[tuple[DomainScore, FileProfile]]] = {}
    no_domain: list[FileProfile] = []
    for item in profiles:
        if item.subject_column is None or not item.rows:
            why = "no subject identifier column" if item.rows else "no data rows"
            decisions[item.path] = FileDecision(item.path, None, "not placed", 0.0, (why,))
            continue
        best = _best_domain(item, domains, names)
        if best is None:
            no_domain.append(item)
        else:
            blocks.setdefault(best.domain, []).append((best, item))

    lookups: list[tuple[FileProfile, str, tuple[str, str] | None]] = []
    dm = standards.domains.get("DM")
    extra = list(no_domain)
    if "DM" in blocks and dm is not None:
        ranked = sorted(blocks["DM"], key=lambda pair: (-pair[0].score, pair[1].path))
        blocks["DM"] = ranked[:1]
        extra += [item for _, item in ranked[1:]]
    for item in sorted(extra, key=lambda i: i.path):
        evidence = _dm_evidence(item, dm, names) if dm is not None and "DM" in blocks else []
        selector = None
        if evidence and item.rows_per_subject > 1:
            frame = raw[item.path].frame
            selector = None if frame is None else _one_row_selector(item, frame, names)
        if evidence and (item.rows_per_subject == 1 or selector is not None):
            lookups.append((item, f"{_stem(item.path)}_", selector))
            how = "one row per subject" if selector is None else (
                f"one row per subject where {selector[0]} = {selector[1]}"
            )
            decisions[item.path] = FileDecision(
                item.path, "DM", "lookup", 0.0,
                (f"{how}, with DM variables: {', '.join(evidence)}",),
            )
        else:
            decisions[item.path] = FileDecision(
                item.path, None, "not placed", 0.0,
                ("no dataset's topic variables are recognized in its columns",),
            )

    synonyms: dict[str, dict[str, str]] = {}
    mappings: dict[str, DomainMapping] = {}
    for domain in domains:
        pairs = sorted(blocks.get(domain.name, ()), key=lambda p: (-p[0].score, p[1].path))
        built = []
        for number, (score, item) in enumerate(pairs):
            decisions[item.path] = FileDecision(
                item.path, domain.name, "block", score.score, score.reasons
            )
            own_lookups = tuple(lookups) if domain.name == "DM" else ()
            source = BlockSource(
                item,
                tuple((lookup, prefix) for lookup, prefix, _ in own_lookups),
                {p: f.frame for p, f in raw.items() if f.frame is not None},
            )
            builder = BlockBuilder(
                source, domain, standards, index, names,
                studyid=studyid, block_number=number, synonyms=synonyms,
            )
            steps = tuple(_step(d) for d in builder.build())
            joins = tuple(
                Join(
                    lookup.path,
                    ((item.subject_column or "", lookup.subject_column or ""),),
                    prefix,
                    None
                    if selector is None
                    else When("all", (Condition(selector[0], Operator.EQ, selector[1]),)),
                )
                for lookup, prefix, selector in own_lookups
            )
            built.append(Block(item.path, steps, None, joins))
        if built:
            mappings[domain.name] = DomainMapping(domain.name, tuple(built))
    spec = MappingSpec(
        study=name,
        studyid=studyid,
        # In file-name order, as read_yaml_spec reads them back (<dataset>.yaml).
        domains=dict(sorted(mappings.items(), key=lambda item: item[0].lower())),
        synonyms={k: dict(sorted(v.items())) for k, v in sorted(synonyms.items()) if v},
        status=DRAFT,
    )
    return Proposal(spec, tuple(decisions[p] for p in sorted(decisions)), profile)
