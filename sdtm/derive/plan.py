"""The derivation plan: which derivation runs on which dataset, in which order, as a table.

``DERIVATION_PLAN`` is read top to bottom by ``run_derivations``. A row names the datasets it
writes (``EACH``: every dataset it applies to), the ``derive_*``/``build_*`` function,
the variables it reads and writes, and one sentence on its method; ``docs/derive.md`` holds
the table rendered by ``render_plan_markdown`` (a test keeps the two equal), and the same rows
can give Define-XML its MethodDefs. Adding a derivation is one function and one row.

Consecutive rows of one named pass run over the datasets: every row of the pass is applied to
one dataset before the next dataset, in the order the datasets entered the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from sdtm.derive import steps
from sdtm.derive.base import DeriveResult, DeriveRule, key_text, row_findings, where_label
from sdtm.derive.steps import BuiltDatasets, DeriveInputs, Frames
from sdtm.errors import MappingError
from sdtm.findings import FindingsTable, Severity, Stage
from sdtm.stage import one_finding
from sdtm.workers import run_calls

EACH = "*"
"""``Derivation.datasets`` value: every dataset the row applies to."""

Applies = Callable[[Frames, DeriveInputs, str], bool]
Run = Callable[[Frames, DeriveInputs, str], "DeriveResult | BuiltDatasets"]


def _present(*names: str) -> Applies:
    def applies(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
        return steps.has(frames, *names)

    return applies


def _with_column(name: str, column: str) -> Applies:
    def applies(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
        return name in frames and column in frames[name]

    return applies


def _design_has(*parts: str, datasets: tuple[str, ...] = ("DM",)) -> Applies:
    def applies(frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
        design = inputs.config.design
        return steps.has(frames, *datasets) and all(getattr(design, part) for part in parts)

    return applies


@dataclass(frozen=True, slots=True)
class Derivation:
    """One row of the derivation plan."""

    datasets: tuple[str, ...]
    """Datasets the row writes; ``(EACH,)`` for every dataset ``applies`` accepts."""
    function: str
    """Name of the ``derive_*``/``build_*`` function that does the work."""
    inputs: tuple[str, ...]
    """What it reads (``DM.RFSTDTC``, ``--DTC``, ``design.yaml elements``)."""
    outputs: tuple[str, ...]
    """Variables or datasets it writes (``--DY``, ``TE``)."""
    method: str
    """One sentence on the method, for the docs and Define-XML MethodDefs."""
    run: Run = field(repr=False)
    """Adapter calling the function with what the run holds."""
    applies: Applies = field(repr=False, default=lambda frames, inputs, dataset: True)
    """Whether the row has what it needs for this dataset."""
    keep_empty: bool = True
    """Add the built dataset even when it has no records."""
    pass_over: str = ""
    """Name of the pass over the datasets the row belongs to (empty: the row runs once);
    consecutive rows of one pass run dataset by dataset."""

    def accepts(self, frames: Frames, inputs: DeriveInputs, dataset: str) -> bool:
        """Whether the row runs on ``dataset``: named by the row (or EACH) and applicable."""
        named = self.datasets == (EACH,) or dataset in self.datasets
        return named and self.applies(frames, inputs, dataset)


def _subject_row(
    function: str,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
    method: str,
    run: Run,
    applies: Applies = steps.is_subject_dataset,
    datasets: tuple[str, ...] = (EACH,),
) -> Derivation:
    """A row of the pass over the subject-level datasets (``steps.is_subject_dataset``)."""
    return Derivation(
        datasets, function, inputs, outputs, method, run, applies, pass_over="subject datasets"
    )


DERIVATION_PLAN: tuple[Derivation, ...] = (
    Derivation(("EX",), "derive_dose_per_bsa", ("EX._ACTDOSE", "EX._BSA"), ("EXDOSE",),
               "Collected total dose divided by the body surface area.",
               steps.run_dose_per_bsa, _with_column("EX", "_ACTDOSE")),
    Derivation(("EX",), "derive_weight_based_dose", ("EX._TOTDOSE", "EX._WEIGHT"), ("EXDOSE",),
               "Collected total dose divided by the body weight.",
               steps.run_weight_based_dose, _with_column("EX", "_TOTDOSE")),
    Derivation(("DM",), "derive_reference_dates", ("EX.EXSTDTC", "EX.EXENDTC", "EX.EXTRT"),
               ("RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC"),
               "First and last exposure to the anchor treatment (RFSTDTC/RFENDTC) and to any "
               "study treatment (RFXSTDTC/RFXENDTC).",
               steps.run_reference_dates, _present("DM", "EX")),
    Derivation(("DM",), "derive_death", ("DM.DTHDTC", "AE.AEOUT", "AE.AESDTH"),
               ("DTHDTC", "DTHFL"),
               "DTHDTC is the collected death date; DTHFL is Y when it is present or an AE "
               "was fatal.",
               steps.run_death, _present("DM")),
    Derivation(("DM",), "derive_arms", ("DM.ARMCD", "EX.EXTRT", "design.yaml arm_rules"),
               ("ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"),
               "Actual arm from exposure to the anchor treatment; null arms get their reason.",
               steps.run_arms, _present("DM", "EX")),
    Derivation(("DM",), "derive_age", ("DM.BRTHDTC", "DM.RFICDTC"), ("AGE", "AGEU"),
               "Completed years between birth date and informed consent, compared at their common "
               "precision (the certain, lower age when the precision leaves two).",
               steps.run_age, _present("DM")),
    Derivation(("DM",), "derive_participation_end",
               ("DS.DSSTDTC", "LB.LBDTC", "PC.PCDTC", "FA.FADTC", "EX.EXENDTC", "AE.AESTDTC",
                "AE.AEENDTC", "CM.CMSTDTC", "CM.CMENDTC", "DM.DTHDTC", "DM._LSTCON"),
               ("RFPENDTC",),
               "Latest date of any contact: last contact, death, disposition, dated "
               "assessments, exposure, adverse events and medications.",
               steps.run_participation_end, _present("DM")),
    Derivation(("DM",), "derive_study_day", ("DM.DMDTC", "DM.RFSTDTC"), ("DMDY",),
               "Days from RFSTDTC to the collection date of DM, day 1 being RFSTDTC; there is "
               "no day 0.",
               steps.run_study_day, _present("DM")),
    Derivation(("TE",), "build_te", ("design.yaml elements",), ("TE",),
               "One record per trial element of the design.",
               steps.run_build_te, _design_has("elements", "arms")),
    Derivation(("TA",), "build_ta", ("design.yaml arms", "design.yaml arm_elements"), ("TA",),
               "One record per element of each planned arm.",
               steps.run_build_ta, _design_has("elements", "arms")),
    Derivation(("TV",), "build_tv", ("visits.yaml",), ("TV",),
               "One record per planned visit.",
               steps.run_build_tv, _design_has("visits")),
    Derivation(("TS",), "build_ts", ("design.yaml ts",), ("TS",),
               "One record per trial summary parameter value.",
               steps.run_build_ts, _design_has("ts_parameters")),
    Derivation(("TS",), "derive_ts_actual_subjects", ("DM.RFXSTDTC",),
               ("TSVAL where TSPARMCD = ACTSUB",),
               "Number of DM subjects exposed to any study treatment (RFXSTDTC populated); "
               "the other parameters' values are the protocol's (design.yaml ts).",
               steps.run_ts_actual_subjects, _present("TS", "DM")),
    Derivation(("SE",), "build_se", ("design.yaml anchors", "DM", "EX"), ("SE", "SESEQ"),
               "Each subject's elements start on their anchor dates; each ends where the "
               "next starts, the last on RFPENDTC; SESEQ follows the element order.",
               steps.run_build_se, _design_has("elements", "arms", datasets=("DM", "EX"))),
    Derivation(("SE",), "derive_study_day", ("SE.SESTDTC", "SE.SEENDTC", "DM.RFSTDTC"),
               ("SESTDY", "SEENDY"),
               "Days from RFSTDTC to the element's start and end, day 1 being RFSTDTC; there "
               "is no day 0.",
               steps.run_study_day, _present("SE", "DM")),
    Derivation(("FA",), "derive_findings_about_object",
               ("FA link to its parent", "AE.AEDECOD", "AE.AETERM"), ("FAOBJ",),
               "The parent record's dictionary or CT term (--DECOD), else its --TERM/--TRT "
               "(SDTMIG 3.4 section 6.4.3).",
               steps.run_findings_about_object, steps.applies_findings_about_object),
    Derivation(("AE",), "derive_worst_grade", ("AE.AETOXGR", "FA.FAORRES (TOXGR)"),
               ("AETOXGR",),
               "The worst of the collected grade and the daily grades recorded in FA.",
               steps.run_worst_grade, steps.applies_worst_grade),
    _subject_row("derive_study_day", ("--DTC", "DM.RFSTDTC"), ("--DY", "--STDY", "--ENDY"),
                 "Days from RFSTDTC, day 1 being RFSTDTC; there is no day 0.",
                 steps.run_study_day, steps.applies_study_day),
    _subject_row("derive_end_reference", ("--ENRTPT", "DM.DTHDTC", "DM.RFPENDTC"),
                 ("--ENTPT",),
                 "Records with --ENRTPT end relative to the subject's own end of observation: "
                 "the death date, else RFPENDTC (last contact).",
                 steps.run_end_reference, steps.applies_end_reference),
    _subject_row("derive_visit", ("--DY", "visits.yaml"), ("VISITNUM", "VISIT", "VISITDY"),
                 "Planned visits take VISIT and VISITDY from the visit schedule; a record "
                 "without VISITNUM is an unscheduled visit numbered after the planned visit "
                 "before it.",
                 steps.run_visit, steps.applies_visit),
    _subject_row("derive_timepoints", ("_TPT", "design.yaml timepoints", "DM.RFSTDTC"),
                 ("--TPT", "--TPTNUM", "--ELTM", "--TPTREF", "--RFTDTC"),
                 "Planned time point of the collected nominal label, relative to its reference.",
                 steps.run_timepoints, steps.applies_timepoints),
    _subject_row("derive_standard_results",
                 ("--ORRES", "--ORRESU", "--ORNRLO", "--ORNRHI", "_LLOQ",
                  "design.yaml standard_units", "units.yaml"),
                 ("--STRESC", "--STRESN", "--STRESU", "--STNRLO", "--STNRHI", "--LLOQ"),
                 "Original result converted to the test's standard unit with the declared "
                 "factor and rounded to its decimals.",
                 steps.run_standard_results, steps.applies_standard_results,
                 datasets=("LB", "PC")),
    _subject_row("derive_reference_range_indicator", ("--STRESN", "--STNRLO", "--STNRHI"),
                 ("--NRIND",),
                 "LOW, NORMAL or HIGH against the standard reference range.",
                 steps.run_reference_range_indicator, datasets=("LB",)),
    _subject_row("derive_last_obs_before_exposure_flag", ("--DTC", "DM.RFXSTDTC"),
                 ("--LOBXFL",),
                 "Y on the last non-missing result per test before the first exposure.",
                 steps.run_last_obs_before_exposure_flag, datasets=("LB", "VS")),
    _subject_row("derive_treatment_emergent_flag", ("AESTDTC", "DM.RFXSTDTC"),
                 ("SUPPAE.AETRTEM",),
                 "Y when the AE starts on or after the first dose of any study treatment "
                 "(RFXSTDTC), compared at their common precision; N otherwise and for subjects "
                 "never dosed.",
                 steps.run_treatment_emergent_flag, datasets=("AE",)),
    Derivation((EACH,), "derive_epoch", ("primary --DTC", "SE"), ("EPOCH",),
               "EPOCH of the subject's element in SE that holds the record's date.",
               steps.run_epoch, steps.applies_epoch, pass_over="epoch"),
    Derivation(("PC",), "derive_pk_profile_group", ("PC", "study.yaml pp settings"),
               ("PCGRPID",),
               "The profile's group id (<PCTESTCD>-<n>) on the timed post-reference samples "
               "each PP profile is computed from.",
               steps.run_pk_profile_group, _present("PC")),
    Derivation(("PP",), "derive_pp", ("PC",), ("PP",),
               "Non-compartmental parameters of each concentration-time profile; PPGRPID is "
               "the profile's group id, as PCGRPID on its PC records.",
               steps.run_pp, _present("PC"), keep_empty=False),
    Derivation(("PP",), "derive_epoch", ("PP.PPRFTDTC", "SE"), ("EPOCH",),
               "EPOCH of the profile's reference time point.",
               steps.run_pp_epoch, _present("PP", "SE")),
    Derivation((EACH,), "derive_seq", ("natural keys", "primary --DTC"), ("--SEQ",),
               "Sequence per subject in time order for events and interventions, then by "
               "the natural key.",
               steps.run_seq, steps.applies_seq, pass_over="sequence numbers"),
    Derivation(("RELREC",), "build_relrec", ("relrec steps", "--SEQ", "PCGRPID", "PPGRPID"),
               ("RELREC",),
               "One RELREC group per link value declared by the mapping (records by --SEQ), "
               "and one per PP profile relating its PPGRPID and PCGRPID groups.",
               steps.run_relrec, steps.applies_relrec),
    Derivation(("SUPP--",), "build_supp", ("split_to_supp steps", "AETRTEM"), ("SUPP--",),
               "One SUPP-- record per non-null qualifier value, keyed by the parent --SEQ.",
               steps.run_supp),
)
"""The derivations of a run, in the order they run."""


@dataclass(frozen=True, slots=True)
class DeriveStageResult:
    """What the derive stage returns."""

    frames: Mapping[str, pd.DataFrame]
    """Every dataset after the derivations, in the order they entered the run."""
    findings: FindingsTable
    """Findings of every derivation, and MP0003/MP0004 for those that could not run."""


def _passes(plan: tuple[Derivation, ...]) -> Iterator[tuple[Derivation, ...]]:
    """Group consecutive per-dataset rows into one pass; every other row is its own pass."""
    group: list[Derivation] = []
    for row in plan:
        if group and row.pass_over != group[0].pass_over:
            yield tuple(group)
            group = []
        if row.pass_over:
            group.append(row)
        else:
            yield (row,)
    if group:
        yield tuple(group)


def _failed(dataset: str, what: str, error: Exception) -> FindingsTable:
    if isinstance(error, MappingError):
        # The study does not collect what this derivation needs: skipped, and said so.
        return one_finding(
            "MP0004",
            Stage.DERIVE,
            dataset,
            f"{dataset}: {what} skipped: {error}; the variables it derives stay empty "
            "[MP0004 derivation-skipped]",
        )
    return one_finding(
        "MP0003",
        Stage.DERIVE,
        dataset,
        f"{dataset}: {what} could not run ({type(error).__name__}: {error}); the "
        "variables it derives are empty [MP0003 derivation-failed]",
    )


COLLECTED_KEPT = DeriveRule("MP0660", "collected-value-differs-from-derived", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (COLLECTED_KEPT.id,)


def output_columns(row: Derivation, dataset: str, columns: Iterable[str]) -> list[str]:
    """The columns of ``dataset`` that ``row`` writes, from its ``outputs``.

    ``--`` stands for the dataset's prefix and any qualifier before the rest (``--DY`` is
    ``AESTDY`` and ``AEENDY`` in AE); an output naming another dataset (``SUPPAE.AETRTEM``)
    or a whole dataset (``TE``) is not a column of ``dataset``.
    """
    patterns = []
    for output in row.outputs:
        if "." in output:
            continue
        if output.startswith("--"):
            patterns.append(re.compile(rf"^{re.escape(dataset)}[A-Z0-9]*{re.escape(output[2:])}$"))
        else:
            patterns.append(re.compile(rf"^{re.escape(output)}$"))
    return [c for c in columns if not c.startswith("_") and any(p.match(c) for p in patterns)]


def keep_collected(
    before: pd.DataFrame, after: pd.DataFrame, columns: list[str], *, dataset: str, function: str
) -> DeriveResult:
    """Put back the mapped (collected) values a derivation replaced, and report each one.

    A derivation never overwrites a value the mapping filled (DESIGN section 10, issue 17):
    where a column the row writes already held a value and the derivation produced another
    one (or none), the mapped value is kept; where the derived value differs, finding
    MP0660 names both (collected AGE 61 kept, derived 65). Values are compared as text with
    numbers canonical (``61`` = ``61.0``).

    Args:
        before: The dataset as the derivation received it.
        after: The dataset the derivation returned (same index).
        columns: The columns the derivation writes that ``before`` already had.
        dataset: Dataset name for findings.
        function: The derivation, for the message.

    Returns:
        ``after`` with the mapped values restored, and the MP0660 findings.
    """
    if not columns or not after.index.equals(before.index):
        return DeriveResult(after, FindingsTable())
    out = after
    found = []
    for column in columns:
        collected = before[column]
        if not collected.notna().any():
            continue  # nothing collected to keep (the common case: a column only derived)
        collected_text = key_text(collected)
        has_collected = collected_text.notna() & (collected_text != "")
        if not has_collected.any():
            continue
        derived_text = key_text(after[column])
        replaced = has_collected & (derived_text.fillna("") != collected_text.fillna(""))
        if not replaced.any():
            continue
        if out is after:
            out = after.copy()
        restored = out[column].astype("object").where(~replaced, collected.astype("object"))
        out[column] = restored
        differs = replaced & derived_text.notna() & (derived_text != "")
        found.append(
            row_findings(
                before,
                differs,
                COLLECTED_KEPT,
                lambda rows, c=column, d=derived_text, v=collected_text: (
                    where_label(rows)
                    + f": {c} collected "
                    + v.loc[rows.index].fillna("")
                    + " kept; "
                    + f"{function} gives "
                    + d.loc[rows.index].fillna("")
                    + "; check the collected value or the data it is derived from"
                ),
                dataset=dataset,
                variable=column,
                value=collected_text,
            )
        )
    return DeriveResult(out, FindingsTable.concat(found))


def run_derivations(
    frames: Mapping[str, pd.DataFrame],
    inputs: DeriveInputs,
    plan: tuple[Derivation, ...] = DERIVATION_PLAN,
    *,
    jobs: int = 1,
) -> DeriveStageResult:
    """Run the derivation plan on the mapped datasets.

    A derivation that raises ``MappingError`` (the study lacks what it needs) is skipped with
    MP0004; any other failure gives MP0003 and leaves its dataset as it was, so that one
    broken derivation never stops the others. A value the mapping filled in a variable a
    row derives is kept, and a derived value that differs is reported (``keep_collected``).

    Args:
        frames: Mapped datasets by name (with provenance and working columns).
        inputs: Study configuration, standards, and the mapping's links and SUPP targets.
        plan: The rows to run, in order.
        jobs: With more than one, the largest dataset's passes run in this process while a
            worker runs the rest of the plan beside them (:func:`sdtm.workers.run_calls`);
            the result is the same for any number.

    Returns:
        The derived datasets and every finding of the derivations.
    """
    current: dict[str, pd.DataFrame] = dict(frames)
    found: list[FindingsTable | _Placeholder] = []

    def apply(row: Derivation, dataset: str, current: Frames, found: list[Any]) -> None:
        try:
            result = row.run(current, inputs, dataset)
        except Exception as error:  # a broken derivation must not stop the other datasets
            found.append(_failed(dataset, row.function, error))
            return
        found.append(result.findings)
        if isinstance(result, BuiltDatasets):
            current.update(result.frames)
            return
        frame = result.frame
        before = current.get(dataset)
        if before is not None:
            kept = keep_collected(
                before,
                frame,
                output_columns(row, dataset, before.columns),
                dataset=dataset,
                function=row.function,
            )
            frame = kept.frame
            found.append(kept.findings)
        if row.keep_empty or dataset in current or not frame.empty:
            current[dataset] = frame

    def run_rows(
        rows: tuple[Derivation, ...], current: Frames, found: list[Any], apart: str | None
    ) -> None:
        """One pass (or one row); a pass leaves ``apart`` out and marks its place."""
        if not rows[0].pass_over:
            if rows[0].accepts(current, inputs, rows[0].datasets[0]):
                apply(rows[0], rows[0].datasets[0], current, found)
            return
        for dataset in list(current):
            if dataset == apart:
                found.append(_Placeholder())
                continue
            for row in rows:
                if row.accepts(current, inputs, dataset):
                    apply(row, dataset, current, found)

    def the_others(span: list[tuple[Derivation, ...]], apart: str) -> _OthersOutcome:
        """Every row of ``span`` but the passes on ``apart``, on a copy of the datasets."""
        seen = dict(current)
        out: list[FindingsTable | _Placeholder] = []
        for rows in span:
            run_rows(rows, seen, out, apart)
        changed = {name: frame for name, frame in seen.items() if current.get(name) is not frame}
        return changed, out

    def passes_of(span: list[tuple[Derivation, ...]], apart: str, per_pass: list[Any]) -> None:
        """The passes of ``span`` on ``apart`` alone, here; findings kept pass by pass."""
        for rows in span:
            if rows[0].pass_over:
                out: list[FindingsTable] = []
                for row in rows:
                    if row.accepts(current, inputs, apart):
                        apply(row, apart, current, out)
                per_pass.append(out)

    passes = list(_passes(plan))
    index = 0
    while index < len(passes):
        stop = _span_apart(passes, index, current) if jobs > 1 else None
        if stop is None:
            run_rows(passes[index], current, found, None)
            index += 1
            continue
        # This process runs the largest dataset's passes while a worker runs everything
        # else of the span (no row of which reads that dataset); the worker's frames come
        # back, and the largest dataset's findings take their place in each pass, as if the
        # datasets had run one after the other.
        span = passes[index:stop]
        apart = max(current, key=lambda name: current[name].size)
        per_pass: list[list[FindingsTable]] = []
        [(changed, out)] = run_calls(
            [partial(the_others, span, apart)],
            jobs=jobs,
            alongside=partial(passes_of, span, apart, per_pass),
        )
        current.update(changed)
        slots = iter(per_pass)
        found.extend(
            item
            for entry in out
            for item in (next(slots) if isinstance(entry, _Placeholder) else [entry])
        )
        index = stop
    return DeriveStageResult(frames=current, findings=FindingsTable.concat(found))


class _Placeholder:
    """Where the findings of the dataset run apart go among a pass's findings."""


_OthersOutcome = tuple[dict[str, pd.DataFrame], list[Any]]
"""The datasets the rest of a span changed or built, and its findings (with placeholders)."""


def _span_apart(
    passes: list[tuple[Derivation, ...]], index: int, frames: Mapping[str, pd.DataFrame]
) -> int | None:
    """Where a span of passes that can run the largest dataset apart ends, or ``None``.

    A pass's rows read their own dataset and DM, SE and the design, which no pass changes
    (``steps.is_subject_dataset``, ``steps.applies_epoch``). The span starts at a pass and
    ends before the first single row that may read the largest dataset (named by its
    ``inputs`` as ``LB``, ``LB.<variable>`` or any dataset's ``--<variable>``) or write it.
    """
    if not passes[index][0].pass_over or len(frames) < 2:
        return None
    largest = max(frames, key=lambda name: frames[name].size)
    stop = index
    for position in range(index, len(passes)):
        row = passes[position][0]
        if not row.pass_over and _may_touch(row, largest):
            break
        stop = position + 1
    return stop


def _may_touch(row: Derivation, dataset: str) -> bool:
    """Whether a single row may read or write ``dataset``, by its declared datasets and inputs."""
    if dataset in row.datasets or EACH in row.datasets:
        return True
    return any(item == dataset or item.startswith((f"{dataset}.", "--")) for item in row.inputs)


def render_plan_markdown(plan: tuple[Derivation, ...] = DERIVATION_PLAN) -> str:
    """The plan as a Markdown table (the one ``docs/derive.md`` holds)."""
    lines = [
        "| # | pass | dataset | derivation | reads | writes | method |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(plan, start=1):
        where = "each" if row.datasets == (EACH,) else ", ".join(row.datasets)
        lines.append(
            f"| {number} | {row.pass_over} | {where} | `{row.function}` | "
            f"{', '.join(row.inputs)} | {', '.join(row.outputs)} | {row.method} |"
        )
    return "\n".join(lines) + "\n"


PLAN_BLOCK = ("<!-- plan-table -->\n", "<!-- /plan-table -->")
"""Markers around the plan table in a Markdown page."""


def with_plan_table(page: str, plan: tuple[Derivation, ...] = DERIVATION_PLAN) -> str:
    """Return ``page`` with the text between the ``PLAN_BLOCK`` markers set to the plan table.

    Raises:
        ValueError: when the page lacks the markers.
    """
    start, end = PLAN_BLOCK
    if start not in page or end not in page:
        raise ValueError(f"the page has no {start.strip()} ... {end} block for the plan table")
    head, rest = page.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + render_plan_markdown(plan) + end + tail
