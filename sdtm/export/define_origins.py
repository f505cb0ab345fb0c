"""Define-XML metadata of a study's package from its mapping spec and the derivation plan.

``define_metadata_for_package`` says, for every variable of every dataset, what produced it:

* a row of the derivation plan (``sdtm.derive.plan.DERIVATION_PLAN``) that writes it ->
  ``Derived``, with a ``MethodDef`` named after the row's ``derive_*``/``build_*`` function and
  described by the row's method sentence; trial design datasets built from the design tables
  only (TE, TA, TV, TS) -> ``Protocol``; identifiers copied from the records a dataset is
  built from (USUBJID of SE, PP, RELREC, SUPP--) -> ``Predecessor``;
* mapping steps that read a raw column -> ``Collected`` (``Source`` from the study setting
  ``origin_sources``), fixed values -> ``Assigned``, joined identifiers (``assign_concat``) ->
  ``Derived`` with their concatenation as method;
* nothing -> ``Not Available`` (an Expected variable the study did not collect, submitted empty).

Every item's comment lists all its sources: the raw file and columns of each mapping step (with
its condition) and the inputs of the derivation. The same function serves ``sdtm run`` and
``sdtm export --mapping``, so both write the same define.xml for the same package.

Which plan rows write a variable is read from the rows themselves, in this order of precedence:
a row naming the dataset and the variable (``AE`` / ``AETOXGR``); a row for every dataset
(``EACH``) naming the variable, on subject-level datasets it applies to (its working-column
inputs such as ``_TPT`` are mapped for the dataset; rows of the subject pass skip DM and SE);
a row building the whole dataset (``TE``, ``PP``, ``SUPP--``), which owns the dataset's other
variables, except the ``--SEQ`` of a built subject dataset that the builder does not name
(numbered later by ``derive_seq``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from sdtm.derive.plan import DERIVATION_PLAN, EACH, Derivation
from sdtm.export.define_metadata import (
    DefineMetadata,
    ExternalDictionary,
    StudyInfo,
    ValueLevel,
    ValueLevelEntry,
    VariableOrigin,
)
from sdtm.mapping.algorithms import ALGORITHMS
from sdtm.mapping.spec import Join, MappingSpec, Step, When
from sdtm.standards import Standards

SUPP_OUTPUT = "SUPP--"
"""Plan output naming every SUPP-- dataset."""
DESIGN_INPUT = re.compile(r"^(design\.yaml|visits\.yaml)\b")
"""Inputs of a building row that make its dataset protocol-defined (TE, TA, TV, TS)."""
ASSIGNED = frozenset({"STUDYID", "DOMAIN", "RDOMAIN", "IDVAR", "QNAM", "QLABEL", "QORIG", "QEVAL"})
"""Variables of built datasets that hold fixed or structural values."""
MEDDRA_SUFFIXES = (
    "DECOD", "LLT", "HLT", "HLGT", "BODSYS", "SOC",
)  # fmt: skip
"""Text variables of an Events dataset that MedDRA codes (SDTMIG 3.4 AE/MH/CE: PT, LLT, HLT,
HLGT, primary SOC)."""
MEDDRA_CODE_SUFFIXES = ("PTCD", "LLTCD", "HLTCD", "HLGTCD", "BDSYCD", "SOCCD")
"""Their MedDRA codes."""
QORIG_TYPES = {"CRF": "Collected", "EDT": "Collected", "COLLECTED": "Collected"}


@dataclass(frozen=True, slots=True)
class _Source:
    """One mapping step feeding a variable."""

    file: str
    """Raw file of the block (joined files are named in ``text``)."""
    algorithm: str
    """The step's algorithm."""
    text: str
    """What the step reads or assigns, with its condition."""
    reads_raw: bool
    """Whether the value comes from raw data: a raw column read, or a fixed value assigned
    under a condition on raw columns (a ticked box, a coded answer)."""


def _raw_name(column: str, joins: tuple[Join, ...]) -> str:
    """A raw column as the reader sees it: ``IC_ICDAT`` -> ``edc/ic.csv ICDAT``."""
    for join in joins:
        if column.startswith(join.prefix):
            return f"{join.file} {column[len(join.prefix):]}"
    return column


def _when_text(when: When | None, joins: tuple[Join, ...] = ()) -> str:
    if when is None:
        return ""
    parts = []
    for condition in when.conditions:
        value = condition.value
        shown = "" if value is None else (
            "(" + ", ".join(value) + ")" if isinstance(value, tuple) else str(value)
        )
        column = _raw_name(condition.column, joins)
        parts.append(f"{column} {condition.op.value} {shown}".strip())
    joiner = " and " if when.mode == "all" else " or "
    return f" when {joiner.join(parts)}"


def _step_text(step: Step, joins: tuple[Join, ...]) -> str:
    if step.algorithm.startswith("hardcode") or (step.value and not step.source):
        what = repr(step.value)
    elif step.algorithm == "assign_concat":
        separator = step.separator if step.separator is not None else "-"
        parts = ([repr(step.value)] if step.value else []) + [
            _raw_name(c, joins) for c in step.sources
        ]
        what = f"{' + '.join(parts)} joined by {separator!r}"
    else:
        what = " + ".join(_raw_name(c, joins) for c in (step.source, step.date, step.time) if c)
    return what + _when_text(step.when, joins)


def _reads_raw(step: Step, earlier: set[str]) -> bool:
    """Whether a step's value comes from raw columns (``earlier``: targets set before it).

    A step reads an earlier target of its block only when it names a column that an earlier
    step assigned (LBTEST from LBTESTCD); any other column is raw.
    """
    if step.algorithm.startswith("hardcode") or (step.value and not step.source):
        columns = [c.column for c in step.when.conditions] if step.when else []
    else:
        columns = [c for c in (step.source, step.date, step.time, *step.sources) if c]
    return any(c not in earlier - {step.target} for c in columns)


def mapped_sources(spec: MappingSpec) -> dict[tuple[str, str], list[_Source]]:
    """Mapping steps per (dataset, variable); SUPP qualifiers as (``SUPPxx``, QNAM)."""
    found: dict[tuple[str, str], list[_Source]] = {}
    for name, mapping in spec.domains.items():
        for block in mapping.blocks:
            earlier: set[str] = set()
            for step in block.steps:
                kind = ALGORITHMS[step.algorithm].kind if step.algorithm in ALGORITHMS else ""
                if kind == "variable":
                    key = (name, step.target)
                elif kind == "supp":
                    key = (f"SUPP{name}", step.target.rstrip("#"))
                else:
                    continue
                found.setdefault(key, []).append(
                    _Source(
                        block.file,
                        step.algorithm,
                        _step_text(step, block.joins),
                        _reads_raw(step, earlier),
                    )
                )
                earlier.add(step.target)
    return found


def _sources_comment(sources: Iterable[_Source]) -> str:
    by_file: dict[str, list[str]] = {}
    for source in sources:
        by_file.setdefault(source.file, [])
        if source.text not in by_file[source.file]:
            by_file[source.file].append(source.text)
    return "; ".join(f"{file}: {', '.join(texts)}" for file, texts in by_file.items())


def origin_sources(spec: MappingSpec) -> tuple[tuple[str, str], ...]:
    """(raw path prefix, Define-XML origin source) from the setting ``origin_sources``.

    The setting reads ``edc/: Investigator; lab/: Vendor``; files it does not cover are
    ``Sponsor``.
    """
    text = str(spec.settings.get("origin_sources") or "")
    pairs = []
    for part in text.split(";"):
        prefix, _, source = part.partition(":")
        if prefix.strip() and source.strip():
            pairs.append((prefix.strip(), source.strip()))
    return tuple(pairs)


def _source_of(file: str, pairs: tuple[tuple[str, str], ...]) -> str:
    return next((source for prefix, source in pairs if file.startswith(prefix)), "Sponsor")


def _is_builder(row: Derivation) -> bool:
    return row.datasets != (EACH,) and row.datasets[0] in row.outputs


def _builds(row: Derivation, dataset: str) -> bool:
    if not _is_builder(row):
        return False
    if row.datasets[0] == SUPP_OUTPUT:
        return dataset.startswith("SUPP") and len(dataset) > 4
    return row.datasets[0] == dataset


def _text(values: pd.Series) -> pd.Series:
    """Values as text, blank as missing (a package read back from XPT holds '' for null)."""
    text = values.astype("string").str.strip()
    return text.where(text != "", pd.NA)


def _prefix(dataset: str) -> str:
    return dataset[:2] if len(dataset) > 2 else dataset


CONDITIONAL = re.compile(r"^(?P<variable>\w+) where (?P<key>\w+) = (?P<value>\S+)$")
"""A plan output that writes a variable only where a key has a value
(``TSVAL where TSPARMCD = ACTSUB``): value-level metadata, not the variable's origin."""


def _names(row: Derivation, dataset: str, variable: str) -> bool:
    """Whether a row's outputs name ``variable`` of ``dataset`` (``--X`` patterns included)."""
    for output in row.outputs:
        if output == variable:
            return True
        if output.startswith("--") and variable == _prefix(dataset) + output[2:]:
            return True
        if output == f"{dataset}.{variable}":
            return True
    return False


def _row_applies(row: Derivation, dataset: str, spec: MappingSpec | None) -> bool:
    """Whether an EACH row applies to ``dataset`` (static reading of the plan row)."""
    if row.pass_over == "subject datasets" and dataset in ("DM", "SE"):
        return False
    working = [i for i in row.inputs if i.startswith("_")]
    if working:
        mapping = spec.domains.get(dataset) if spec is not None else None
        targets = set(mapping.targets) if mapping is not None else set()
        return all(w in targets for w in working)
    return True


def plan_rows_for(
    dataset: str,
    variable: str,
    frame: pd.DataFrame,
    spec: MappingSpec | None,
    plan: tuple[Derivation, ...],
) -> tuple[Derivation, ...]:
    """The plan rows that write ``dataset.variable`` (precedence in the module docstring).

    Several rows come back only when several rows name the dataset and the variable (EXDOSE
    per BSA for one treatment, per kg for another); otherwise at most one.
    """
    specific = [r for r in plan if dataset in r.datasets and _names(r, dataset, variable)]
    if specific:
        return tuple(specific)
    builders = [r for r in plan if _builds(r, dataset)]
    seq_var = f"{_prefix(dataset)}SEQ"
    numbered_later = (
        variable == seq_var
        and "USUBJID" in frame.columns
        and not _names(builders[-1], dataset, variable)
        if builders
        else False
    )
    if builders and not numbered_later:
        return (builders[-1],)
    if "USUBJID" not in frame.columns:
        return ()
    each = [
        r
        for r in plan
        if r.datasets == (EACH,)
        and _names(r, dataset, variable)
        and (not builders or variable == seq_var)
        and _row_applies(r, dataset, spec)
    ]
    return (each[-1],) if each else ()


def method_ids(plan: tuple[Derivation, ...]) -> dict[int, str]:
    """A MethodDef id per plan row: its function name, made unique by its datasets."""
    counts: dict[str, int] = {}
    for row in plan:
        counts[row.function] = counts.get(row.function, 0) + 1
    ids = {}
    for number, row in enumerate(plan):
        if counts[row.function] == 1 or row.datasets == (EACH,):
            ids[number] = row.function
        else:
            ids[number] = f"{row.function}.{'.'.join(row.datasets).replace('--', '')}"
    return ids


def _derived(
    dataset: str,
    variable: str,
    rows: tuple[Derivation, ...],
    method_id: str,
    sources: list[_Source],
) -> VariableOrigin:
    comment = "; ".join(f"Derived by {r.function} from {', '.join(r.inputs)}" for r in rows)
    if sources:
        comment += f"; collected values: {_sources_comment(sources)}"
    method = (
        rows[0].method
        if len(rows) == 1
        else " ".join(f"{r.function}: {r.method}" for r in rows)
    )
    return VariableOrigin(
        dataset,
        variable,
        "Derived",
        source="Sponsor",
        method_id=method_id,
        method_text=method,
        comment=comment,
    )


def _from_builder(
    dataset: str, variable: str, row: Derivation, method_id: str
) -> VariableOrigin:
    inputs = ", ".join(row.inputs)
    if variable in ASSIGNED:
        return VariableOrigin(dataset, variable, "Assigned", comment=f"Set by {row.function}")
    if variable in ("USUBJID", "IDVARVAL") and not all(DESIGN_INPUT.match(i) for i in row.inputs):
        what = (
            "--SEQ of the related record" if variable == "IDVARVAL" else "USUBJID of the records"
        )
        return VariableOrigin(
            dataset,
            variable,
            "Predecessor",
            description=f"{what} {row.function} builds {dataset} from ({inputs})",
            comment=f"Copied by {row.function} from {inputs}",
        )
    if all(DESIGN_INPUT.match(i) for i in row.inputs):
        return VariableOrigin(
            dataset, variable, "Protocol", comment=f"Trial design: {inputs} ({row.function})"
        )
    return _derived(dataset, variable, (row,), method_id, [])


def _mapped(
    dataset: str,
    variable: str,
    sources: list[_Source],
    pairs: tuple[tuple[str, str], ...],
) -> VariableOrigin:
    comment = _sources_comment(sources)
    collected = [s for s in sources if s.reads_raw]
    if any(s.algorithm == "assign_concat" for s in sources):
        texts = sorted({s.text for s in sources})
        return VariableOrigin(
            dataset,
            variable,
            "Derived",
            method_id=f"assign_concat.{variable}",
            method_text=f"{variable}: raw identifiers joined ({'; '.join(texts)})",
            comment=comment,
        )
    if collected:
        return VariableOrigin(
            dataset,
            variable,
            "Collected",
            source=_source_of(collected[0].file, pairs),
            comment=comment,
        )
    return VariableOrigin(dataset, variable, "Assigned", comment=f"Assigned: {comment}")


def _qualifier_origin(
    dataset: str, qnam: str, frame: pd.DataFrame, sources: list[_Source], pairs
) -> VariableOrigin:
    qorig = _text(frame.loc[_text(frame["QNAM"]) == qnam, "QORIG"]).dropna()
    text = qorig.iloc[0].strip().upper() if len(qorig) else ""
    origin_type = QORIG_TYPES.get(text) or next(
        (t for t in ("Derived", "Assigned", "Protocol", "Predecessor") if t.upper() == text),
        "Collected",
    )
    comment = _sources_comment(sources)
    collected = bool(sources) and origin_type == "Collected"
    source = _source_of(sources[0].file, pairs) if collected else "Sponsor"
    return VariableOrigin(dataset, qnam, origin_type, source=source, comment=comment)


def _variable_origins(
    name: str,
    frame: pd.DataFrame,
    spec: MappingSpec | None,
    plan: tuple[Derivation, ...],
    ids: dict[int, str],
    sources: Mapping[tuple[str, str], list[_Source]],
    pairs: tuple[tuple[str, str], ...],
) -> list[VariableOrigin]:
    origins = []
    for variable in frame.columns:
        variable = str(variable)
        mapped = list(sources.get((name, variable), []))
        rows = plan_rows_for(name, variable, frame, spec, plan)
        if rows:
            method_id = (
                ids[plan.index(rows[0])] if len(rows) == 1 else f"{name}.{variable}"
            )
            if _builds(rows[0], name):
                origins.append(_from_builder(name, variable, rows[0], method_id))
            else:
                origins.append(_derived(name, variable, rows, method_id, mapped))
        elif mapped:
            origins.append(_mapped(name, variable, mapped, pairs))
        elif variable in ("STUDYID", "DOMAIN"):
            origins.append(VariableOrigin(name, variable, "Assigned"))
        else:
            origins.append(
                VariableOrigin(
                    name,
                    variable,
                    "Not Available",
                    comment="Not collected in this study; submitted empty as the IG expects it",
                )
            )
    if name.startswith("SUPP") and "QNAM" in frame.columns:
        qualifiers = []
        for qnam in sorted(_text(frame["QNAM"]).dropna().unique()):
            row = next(
                (r for r in plan if any(o == f"{name}.{qnam}" for o in r.outputs)), None
            )
            if row is not None:
                qualifiers.append(_derived(name, qnam, (row,), ids[plan.index(row)], []))
            else:
                # RACE1, RACE2 ... come from the numbered step RACE#.
                found = sources.get((name, qnam)) or sources.get((name, qnam.rstrip("0123456789")))
                qualifiers.append(_qualifier_origin(name, qnam, frame, found or [], pairs))
        origins.extend(qualifiers)
        # QVAL's own origin summarises its qualifiers (each has its own in the value level).
        collected = [q for q in qualifiers if q.origin_type == "Collected"]
        summary = collected[0] if collected else (qualifiers[0] if qualifiers else None)
        if summary is not None:
            origins = [o for o in origins if o.variable != "QVAL"]
            origins.append(
                VariableOrigin(
                    name,
                    "QVAL",
                    summary.origin_type,
                    source=summary.source,
                    method_id=summary.method_id,
                    method_text=summary.method_text,
                    comment="Origin per QNAM in the value-level metadata",
                )
            )
    return origins


def dictionaries(
    frames: Mapping[str, pd.DataFrame], spec: MappingSpec | None, standards: Standards
) -> tuple[ExternalDictionary, ...]:
    """MedDRA ExternalCodeLists (version from the setting ``meddra_version``)."""
    version = str(spec.settings.get("meddra_version") or "").strip() if spec else ""
    if not version:
        return ()
    text: list[tuple[str, str]] = []
    codes: list[tuple[str, str]] = []
    for name, frame in sorted(frames.items()):
        domain = standards.domain(name)
        if domain is None or domain.observation_class != "Events":
            continue
        for suffixes, bucket in ((MEDDRA_SUFFIXES, text), (MEDDRA_CODE_SUFFIXES, codes)):
            for suffix in suffixes:
                variable = _prefix(name) + suffix
                spec_variable = domain.variable(variable)
                if (
                    variable in frame.columns
                    and spec_variable is not None
                    and not spec_variable.codelists
                    and _text(frame[variable]).notna().any()
                ):
                    bucket.append((name, variable))
    found = []
    if text:
        found.append(
            ExternalDictionary("CL.MEDDRA", "MedDRA", "MedDRA", version, "text", tuple(text))
        )
    if codes:
        found.append(
            ExternalDictionary(
                "CL.MEDDRA.CODE", "MedDRA codes", "MedDRA", version, "integer", tuple(codes)
            )
        )
    return tuple(found)


def toxicity_grade_levels(
    frames: Mapping[str, pd.DataFrame],
    spec: MappingSpec | None,
    origins: Mapping[tuple[str, str], VariableOrigin],
) -> tuple[ValueLevel, ...]:
    """AETOXGR value-level metadata by AEDECOD: one entry per grading scale.

    The scale of each AE record is its SUPPAE qualifier named by the setting
    ``aetoxgr_scale_qnam``; each scale's entry lists the AEDECOD values graded on it.
    """
    qnam = str(spec.settings.get("aetoxgr_scale_qnam") or "").strip() if spec else ""
    ae, supp = frames.get("AE"), frames.get("SUPPAE")
    if not qnam or ae is None or supp is None or "AETOXGR" not in ae or "AEDECOD" not in ae:
        return ()
    selected = supp.loc[_text(supp["QNAM"]) == qnam]
    scales = pd.DataFrame({c: _text(selected[c]) for c in ("USUBJID", "IDVARVAL", "QVAL")})
    records = pd.DataFrame(
        {
            "USUBJID": _text(ae["USUBJID"]),
            "IDVARVAL": (
                pd.to_numeric(ae["AESEQ"], errors="coerce").astype("Int64").astype("string")
            ),
            "AEDECOD": _text(ae["AEDECOD"]),
            "graded": _text(ae["AETOXGR"]).notna(),
        }
    )
    graded = records.loc[records["graded"] & records["AEDECOD"].notna()].merge(
        scales, on=["USUBJID", "IDVARVAL"], how="left"
    )
    base = origins.get(("AE", "AETOXGR"))
    entries = []
    for scale, group in graded.dropna(subset=["QVAL"]).groupby("QVAL", sort=True):
        terms = tuple(sorted(group["AEDECOD"].astype(str).unique()))
        slug = re.sub(r"[^A-Za-z0-9]+", "", str(scale)).upper()
        origin = VariableOrigin(
            "AE",
            f"AETOXGR.{slug}",
            base.origin_type if base else "Collected",
            source=base.source if base else "Investigator",
            method_id=base.method_id if base else None,
            method_text=base.method_text if base else "",
            comment=f"Toxicity grade on the {scale} scale (SUPPAE {qnam} = {scale!r})",
        )
        entries.append(ValueLevelEntry(terms, slug, f"Standard Toxicity Grade, {scale}", origin))
    return (ValueLevel("AE", "AETOXGR", "AEDECOD", tuple(entries)),) if entries else ()


def conditional_levels(
    frames: Mapping[str, pd.DataFrame],
    plan: tuple[Derivation, ...],
    ids: dict[int, str],
    origins: Mapping[tuple[str, str], VariableOrigin],
) -> tuple[ValueLevel, ...]:
    """Value levels of plan outputs written only where a key has a value.

    ``TSVAL where TSPARMCD = ACTSUB`` of ``derive_ts_actual_subjects`` gives TS.TSVAL two
    entries: TSPARMCD ACTSUB, derived by the row, and every other TSPARMCD, with the origin the
    variable has otherwise (the protocol's values).
    """
    levels = []
    for number, row in enumerate(plan):
        for output in row.outputs:
            match = CONDITIONAL.match(output)
            if match is None:
                continue
            variable, key, value = match["variable"], match["key"], match["value"]
            for dataset in row.datasets:
                frame = frames.get(dataset)
                base = origins.get((dataset, variable))
                if frame is None or key not in frame.columns or base is None:
                    continue
                derived = _derived(dataset, f"{variable}.{value}", (row,), ids[number], [])
                other = VariableOrigin(
                    dataset,
                    f"{variable}.OTHER",
                    base.origin_type,
                    source=base.source,
                    method_id=base.method_id,
                    method_text=base.method_text,
                    comment=base.comment,
                )
                levels.append(
                    ValueLevel(
                        dataset,
                        variable,
                        key,
                        (
                            ValueLevelEntry((value,), value, f"{variable} of {value}", derived),
                            ValueLevelEntry(
                                (value,),
                                "OTHER",
                                f"{variable} of the other {key} values",
                                other,
                                comparator="NOTIN",
                            ),
                        ),
                    )
                )
    return tuple(levels)


def define_metadata_for_package(
    frames: Mapping[str, pd.DataFrame],
    spec: MappingSpec | None,
    standards: Standards,
    *,
    plan: tuple[Derivation, ...] = DERIVATION_PLAN,
    study: StudyInfo | None = None,
) -> DefineMetadata:
    """Origins, methods, comments, dictionaries and value levels for a package's define.xml.

    Args:
        frames: The final datasets (as written, or as read back from the package).
        spec: The study's mapping spec (``None``: origins from the plan and defaults only).
        standards: SDTMIG metadata (dataset classes, codelists of variables).
        plan: The derivation plan the package was made with.
        study: Study facts; default from the spec's STUDYID.

    Returns:
        The ``DefineMetadata`` ``build_define`` writes.
    """
    studyid = (spec.studyid or spec.study) if spec is not None else None
    if study is None:
        study = (
            StudyInfo(
                study_oid=studyid,
                name=studyid,
                description=f"SDTM datasets of {studyid}",
                protocol=studyid,
            )
            if studyid
            else StudyInfo()
        )
    sources = mapped_sources(spec) if spec is not None else {}
    pairs = origin_sources(spec) if spec is not None else ()
    ids = method_ids(plan)
    origins: list[VariableOrigin] = []
    for name in sorted(frames):
        origins.extend(_variable_origins(name, frames[name], spec, plan, ids, sources, pairs))
    index = {(o.dataset, o.variable): o for o in origins}
    return DefineMetadata(
        study=study,
        origins=tuple(origins),
        external_codelists=dictionaries(frames, spec, standards),
        value_levels=toxicity_grade_levels(frames, spec, index)
        + conditional_levels(frames, plan, ids, index),
    )
