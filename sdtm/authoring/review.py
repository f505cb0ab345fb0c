"""``sdtm spec review``: a reviewer's queue of uncertain steps, and their decisions applied.

``write_review_workbook`` lists every step whose ``confidence`` is below a threshold (the steps
``sdtm propose`` was not sure of, and its TODOs) on one sheet, one row per step, with the step's
cells, its rationale and where it is written (``file:line``). The reviewer writes a Decision per
row: ``approve`` (the step stays, confidence 1), ``change`` (the edited cells replace the step,
confidence 1) or ``reject`` (the step is removed), with a Note (the reason of a ``not_submitted``
step, or why). ``apply_review`` checks every decision (each problem named with workbook, sheet
and row, or with the spec's ``file:line``), and only when all are sound rewrites the files of the
datasets that changed; when no step below the threshold is left undecided, ``study.yaml`` gets
``status: reviewed``. Hand-written specs work too: their steps have no confidence and are never
queued. Rewritten files do not keep YAML comments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from sdtm.errors import SpecError
from sdtm.mapping.check import check_spec
from sdtm.mapping.load_excel import LIST_SEPARATOR
from sdtm.mapping.load_yaml import read_step_cells, read_yaml_spec
from sdtm.mapping.problems import SpecProblem
from sdtm.mapping.spec import Block, DomainMapping, Location, MappingSpec, Step
from sdtm.mapping.status import REVIEW_THRESHOLD
from sdtm.mapping.write_yaml import domain_document, study_document, when_text, write_document
from sdtm.standards.model import Standards

DEFAULT_THRESHOLD = REVIEW_THRESHOLD
"""Steps with a confidence below this are queued for review."""
DECISIONS = ("approve", "change", "reject")
"""What a reviewer can decide for a step."""
SHEET = "Review"
REVIEWED = "reviewed"

_CELLS = (
    ("Variable", "target"),
    ("Algorithm", "algorithm"),
    ("Source", "source"),
    ("Sources", "sources"),
    ("Value", "value"),
    ("Codelist", "codelist"),
    ("Date", "date"),
    ("Time", "time"),
    ("Format", "format"),
    ("When", "when"),
    ("Reason", "reason"),
)
"""Editable step cells: column title -> key as written in YAML."""
HEADER = (
    "Step",
    "Was",
    "Spec Line",
    "Raw File",
    *(title for title, _ in _CELLS),
    "Confidence",
    "Rationale",
    "Decision",
    "Note",
)


def _step_id(dataset: str, block: int, order: int) -> str:
    return f"{dataset}/{block}/{order}"


def _was(step: Step) -> str:
    return f"{step.target} {step.algorithm}"


def queued_steps(
    spec: MappingSpec, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[str, Block, Step]]:
    """Return (step id, block, step) for every step whose confidence is below ``threshold``."""
    out = []
    for name, mapping in spec.domains.items():
        for b, block in enumerate(mapping.blocks, start=1):
            for s, step in enumerate(block.steps, start=1):
                if step.confidence is not None and step.confidence < threshold:
                    out.append((_step_id(name, b, s), block, step))
    return out


def _cell(step: Step, key: str) -> str | None:
    if key == "sources":
        return LIST_SEPARATOR.join(step.sources) or None
    if key == "when":
        return None if step.when is None else when_text(step.when)
    if key == "format":
        return step.date_format
    value = getattr(step, key)
    return None if value is None else str(value)


def write_review_workbook(
    spec: MappingSpec, path: Path, threshold: float = DEFAULT_THRESHOLD
) -> int:
    """Write the review queue of ``spec`` as a workbook.

    Args:
        spec: A loaded spec (its step locations give the Spec Line column).
        path: The ``.xlsx`` to write.
        threshold: Steps with a confidence below it are listed.

    Returns:
        The number of steps listed.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(list(HEADER))
    rows = queued_steps(spec, threshold)
    for step_id, block, step in rows:
        sheet.append(
            [
                step_id,
                _was(step),
                str(step.location),
                block.file,
                *(_cell(step, key) for _, key in _CELLS),
                None if step.confidence is None else f"{step.confidence:g}",
                step.rationale,
                None,
                None,
            ]
        )
    bold = Font(bold=True)
    editable = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[1]:
        cell.font = bold
        if cell.value in ("Decision", "Note") or cell.value in dict(_CELLS):
            cell.fill = editable
    sheet.freeze_panes = "E2"
    help_sheet = workbook.create_sheet("Help")
    for line in (
        ("Decision", "approve: keep the step as it is (confidence becomes 1)"),
        ("", "change: replace the step by the edited cells (Variable ... Reason)"),
        ("", "reject: remove the step"),
        ("", "empty: not decided yet (the spec stays a draft)"),
        ("Note", "why; for a not_submitted step whose Reason starts with TODO, the reason"),
        ("Apply", f"sdtm spec review MAPPING_DIR --apply {path.name}"),
        ("Threshold", f"steps with a confidence below {threshold:g}"),
    ):
        help_sheet.append(list(line))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return len(rows)


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What applying a review did."""

    approved: int
    """Steps approved."""
    changed: int
    """Steps replaced by the reviewer's cells."""
    rejected: int
    """Steps removed."""
    pending: int
    """Steps still below the threshold and undecided."""
    status: str | None
    """``study.status`` after the review (``reviewed`` once nothing is pending)."""
    written: tuple[Path, ...]
    """Spec files rewritten."""


def _note(text: str | None, reviewer: str | None) -> str:
    who = f" by {reviewer}" if reviewer else ""
    return f"reviewed{who}" + (f": {text}" if text else "")


def _decide(
    step: Step,
    decision: str,
    row: dict[str, str | None],
    location: Location,
    domain: str,
    reviewer: str | None,
) -> tuple[Step | None, list[SpecProblem]]:
    note = row.get("Note")
    if decision == "reject":
        return None, []
    if decision == "approve":
        reason = step.reason
        if step.algorithm == "not_submitted" and (reason or "").startswith("TODO"):
            if not note:
                return step, [
                    SpecProblem(
                        "MP0106",
                        location,
                        f"{domain}.{step.target}: approving a TODO not_submitted step needs the "
                        "reason in Note (or reject it, or change it)",
                    )
                ]
            reason = note
        rationale = "; ".join(p for p in (step.rationale, _note(note, reviewer)) if p)
        return replace(step, reason=reason, confidence=1.0, rationale=rationale), []
    cells: dict[str, str | tuple[str, ...] | None] = {}
    for title, key in _CELLS:
        if key == "when":
            continue
        value = row.get(title)
        if key == "sources":
            cells[key] = tuple(value.split(LIST_SEPARATOR)) if value else None
        else:
            cells[key] = value
    for key in ("qlabel", "qorig", "qeval", "rdomain", "rvariable", "separator"):
        cells[key] = getattr(step, key)
    if step.to_ascii:
        cells["to_ascii"] = "true"
    cells["confidence"] = "1"
    cells["rationale"] = _note(note, reviewer) + f" (was: {_was(step)})"
    changed, problems = read_step_cells(cells, row.get("When"), location, domain)
    return changed, list(problems)


def _read_rows(path: Path) -> list[tuple[Location, dict[str, str | None]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise SpecError(f"{path.name}: cannot read the review workbook ({error})") from error
    if SHEET not in workbook.sheetnames:
        raise SpecError(f"{path.name}: no sheet {SHEET!r} (write one with --out)")
    rows = list(workbook[SHEET].iter_rows(values_only=True))
    workbook.close()
    if not rows:
        return []
    header = [str(h) if h is not None else "" for h in rows[0]]
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise SpecError(f"{path.name}:{SHEET}:1: missing column(s) {', '.join(missing)}")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        values = {
            name: (None if cell is None or str(cell).strip() == "" else str(cell).strip())
            for name, cell in zip(header, row, strict=False)
        }
        if any(values.values()):
            out.append((Location(f"{path.name}:{SHEET}", number), values))
    return out


def apply_review(
    mapping_dir: Path,
    workbook: Path,
    standards: Standards,
    *,
    reviewer: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ReviewOutcome:
    """Apply a reviewer's decisions to the YAML spec of ``mapping_dir``.

    Args:
        mapping_dir: ``mappings/<study>``.
        workbook: The review workbook with decisions.
        standards: SDTMIG metadata and CT, to check the reviewed spec.
        reviewer: Name recorded in the rationale of every decided step.
        threshold: The threshold the workbook was written with (decides the status).

    Returns:
        Counts, the resulting status and the files rewritten.

    Raises:
        SpecError: listing every problem (bad decision, a step that changed since the workbook
            was written, a changed step that does not load, a spec that no longer checks), each
            with workbook:sheet:row or the spec's file:line; nothing is written then.
    """
    loaded = read_yaml_spec(mapping_dir)
    if loaded.problems:
        raise SpecError(
            "the mapping spec has problems; fix them first:\n"
            + "\n".join(f"  {p}" for p in loaded.problems)
        )
    spec = loaded.spec
    positions: dict[str, tuple[str, int, int]] = {}
    for name, mapping in spec.domains.items():
        for b, block in enumerate(mapping.blocks, start=1):
            for s, _ in enumerate(block.steps, start=1):
                positions[_step_id(name, b, s)] = (name, b - 1, s - 1)
    problems: list[SpecProblem] = []
    decided: dict[tuple[str, int, int], Step | None] = {}
    counts = dict.fromkeys(DECISIONS, 0)
    for location, row in _read_rows(workbook):
        decision = (row.get("Decision") or "").lower()
        if not decision:
            continue
        step_id = row.get("Step") or ""
        if decision not in DECISIONS:
            problems.append(
                SpecProblem(
                    "MP0106",
                    location,
                    f"Decision must be one of {', '.join(DECISIONS)}, not {row.get('Decision')!r}",
                )
            )
            continue
        position = positions.get(step_id)
        step = None
        if position is not None:
            name, b, s = position
            step = spec.domains[name].blocks[b].steps[s]
        if step is None or _was(step) != row.get("Was"):
            now = f"now {_was(step)}" if step is not None else "no such step"
            problems.append(
                SpecProblem(
                    "MP0106",
                    location,
                    f"step {step_id} ({row.get('Was')}): {now}; the spec changed since the "
                    "workbook was written, write a new one",
                )
            )
            continue
        if position in decided:
            problems.append(SpecProblem("MP0106", location, f"step {step_id} is decided twice"))
            continue
        result, found = _decide(step, decision, row, location, position[0], reviewer)
        problems.extend(found)
        decided[position] = result
        counts[decision] += 1
    domains = dict(spec.domains)
    changed_domains = sorted({position[0] for position in decided})
    for name in changed_domains:
        mapping = domains[name]
        blocks = []
        for b, block in enumerate(mapping.blocks):
            steps = []
            for s, step in enumerate(block.steps):
                if (name, b, s) in decided:
                    new = decided[(name, b, s)]
                    if new is not None:
                        steps.append(new)
                else:
                    steps.append(step)
            blocks.append(replace(block, steps=tuple(steps)))
        domains[name] = DomainMapping(mapping.domain, tuple(blocks), mapping.location)
    reviewed = replace(spec, domains=domains)
    problems.extend(check_spec(reviewed, standards, loaded.synonym_lines))
    if problems:
        listing = "\n".join(f"  {p}" for p in sorted(problems, key=lambda p: p.location))
        raise SpecError(
            f"the review cannot be applied, {len(problems)} problem(s) (nothing written):\n"
            + listing
        )
    pending = len(queued_steps(reviewed, threshold))
    status = spec.status
    if status is not None and not pending:
        status = REVIEWED
    reviewed = replace(reviewed, status=status)
    written = []
    for name in changed_domains:
        path = mapping_dir / Path(domains[name].location.file).name
        write_document(path, domain_document(domains[name]))
        written.append(path)
    if status != spec.status:
        path = mapping_dir / "study.yaml"
        write_document(path, study_document(reviewed))
        written.append(path)
    return ReviewOutcome(
        approved=counts["approve"],
        changed=counts["change"],
        rejected=counts["reject"],
        pending=pending,
        status=status,
        written=tuple(written),
    )
