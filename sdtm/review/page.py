"""Assemble the review page: header, findings, subject timelines, dataset profiles.

One HTML file with its CSS, script and data inline. Its Content-Security-Policy forbids every
network request, so the page works, and can only work, offline. Subject pages are packed
(gzip + base64) and unpacked by the script when a subject is picked: the file holds every
subject, while the browser draws one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sdtm.errors import InputError
from sdtm.review.config import ReviewConfig
from sdtm.review.findings_section import render_findings_section
from sdtm.review.html import data_block, esc, number, table
from sdtm.review.inputs import ReviewInputs
from sdtm.review.profiles import render_profiles_section
from sdtm.review.svg import axis_day_range, render_timeline_svg
from sdtm.review.timeline import (
    SubjectTimeline,
    TimelineData,
    build_subject_timeline,
    prepare_timelines,
)
from sdtm.standards import Standards
from sdtm.validate.registry import Rule

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'"
)
_GRADES = (
    ("g1", "grade 1 / mild"), ("g2", "grade 2 / moderate"), ("g3", "grade 3 / severe"),
    ("g4", "grade 4"), ("g5", "grade 5"), ("g0", "grade unknown"),
)  # fmt: skip
_GRADE_COLOURS = {
    "g0": "#d0d5dd", "g1": "#a6d96a", "g2": "#fee08b", "g3": "#fc8d59", "g4": "#d73027",
    "g5": "#3f0d12",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """The page and what it holds, for the caller's summary."""

    html: str
    """The whole document."""
    subjects: tuple[str, ...]
    """Subjects with a timeline page, in picker order."""
    findings: int
    """Findings listed (0 when the package has none)."""


def _asset(name: str) -> str:
    return (resources.files("sdtm.review") / "assets" / name).read_text(encoding="utf-8")


def _subject_page(timeline: SubjectTimeline, data: TimelineData) -> str:
    svg = render_timeline_svg(timeline)
    head = f'<h3>{esc(timeline.usubjid)}</h3><p class="subject-head">{esc(timeline.heading)}</p>'
    if not svg:
        return (
            f'<div class="subject" data-usubjid="{esc(timeline.usubjid)}">{head}'
            '<p class="muted">No full RFSTDTC (not treated, or not in DM): there is no study-day '
            "axis to draw this subject on.</p></div>"
        )
    notes = []
    days = axis_day_range(timeline)
    if timeline.focus is not None and days is not None:
        notes.append(
            f"Drawn from day {days[0]} to day {days[1]}; the widest part is the focus window "
            "(the day before the first dose to the end of the element holding RFSTDTC, "
            "or review.yaml focus_days); earlier and later days are compressed (grey gaps "
            "mark where the scale changes)."
        )
    if timeline.not_drawn:
        skipped = ", ".join(f"{d} {n}" for d, n in sorted(timeline.not_drawn.items()))
        notes.append(f"Records not drawn (partial or missing start date): {skipped}.")
    if data.config.source:
        notes.append(f"Panels and highlights from {data.config.source}.")
    return (
        f'<div class="subject" data-usubjid="{esc(timeline.usubjid)}">{head}'
        + "".join(f'<p class="muted">{esc(n)}</p>' for n in notes)
        + svg
        + "</div>"
    )


def _subject_row(timeline: SubjectTimeline) -> list[str]:
    link = f'<a href="#subject={esc(timeline.usubjid)}">{esc(timeline.usubjid)}</a>'
    graded = [row.grade for row in timeline.events if row.grade is not None]
    highlighted = "; ".join(
        f"{row.label} G{row.grade}" if row.grade is not None else row.label
        for row in timeline.events
        if row.highlight
    )
    death = next((m for m in timeline.marks if m.death), None)
    return [
        link,
        esc(timeline.heading),
        number(len(timeline.events)),
        number(max(graded)) if graded else "",
        esc(highlighted),
        number(sum(len(row.spans) for row in timeline.treatments)),
        "death" if death is not None else "",
    ]


def _subjects_section(data: TimelineData, subjects: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    blocks, options, rows = [], [], []
    chosen = tuple(subjects)
    for index, usubjid in enumerate(chosen):
        timeline = build_subject_timeline(data, usubjid)
        block = f"subject-{index}"
        blocks.append(data_block(block, _subject_page(timeline, data)))
        options.append(
            f'<option value="{esc(usubjid)}" data-block="{block}">{esc(usubjid)}</option>'
        )
        rows.append(_subject_row(timeline))
    legend = "".join(
        f'<span><i style="background:{_GRADE_COLOURS[css]}"></i>{esc(text)}</span>'
        for css, text in _GRADES
    )
    heading = ["subject", "arm · sex age · reference", "AEs", "worst", "highlighted AEs",
               "treatments drawn", "death"]  # fmt: skip
    html = (
        '<section id="subjects"><h2>Subjects</h2>'
        '<div class="picker"><button type="button" id="subject-prev">◀</button>'
        f'<select id="subject-select" aria-label="subject">{"".join(options)}</select>'
        '<button type="button" id="subject-next">▶</button>'
        f'<span class="muted">{len(chosen)} subject(s); the address ends in '
        "#subject=USUBJID, so a subject's page can be linked.</span></div>"
        f'<div class="legend-row">AE bars: {legend}<span>◆ dose at RFSTDTC</span>'
        "<span>▽ censored below limit (LLOQ)</span><span>◇ PP Cmax at Tmax</span>"
        "<span>dashed: LLOQ</span></div>"
        '<div id="subject-view"><p class="muted">The subject timeline needs JavaScript (it is '
        "unpacked in the browser).</p></div>"
        "<details><summary>All subjects</summary>"
        + table(heading, rows, numeric=(2, 3, 5))
        + "</details>"
        + "".join(blocks)
        + "</section>"
    )
    return html, chosen


def _study_id(inputs: ReviewInputs) -> str:
    dm = inputs.frames.get("DM")
    if dm is not None and "STUDYID" in dm.columns and len(dm):
        return str(dm["STUDYID"].dropna().astype(str).iloc[0])
    return inputs.name


def select_subjects(data: TimelineData, wanted: Iterable[str]) -> tuple[str, ...]:
    """Return the subjects to draw: ``wanted`` in the order given, else every DM subject.

    Raises:
        InputError: naming every wanted subject that is not in DM.
    """
    known = [str(s) for s in data.dm.index]
    wanted = tuple(wanted)
    if not wanted:
        return tuple(sorted(known))
    missing = [s for s in wanted if s not in set(known)]
    if missing:
        raise InputError(f"not in DM: {', '.join(missing)} (USUBJID as in DM, e.g. {known[:1]})")
    return tuple(dict.fromkeys(wanted))


def build_review(
    inputs: ReviewInputs,
    *,
    config: ReviewConfig | None = None,
    standards: Standards | None = None,
    rules: Mapping[str, Rule] | None = None,
    subjects: Iterable[str] = (),
    tool_version: str = "",
) -> ReviewPage:
    """Build the review page of a package.

    Args:
        inputs: The package as read (:func:`sdtm.review.inputs.read_review_inputs`).
        config: Timeline settings (default: everything derived from the data).
        standards: SDTMIG and CT metadata for the profiles' CT column.
        rules: Rule metadata for the findings' documentation links.
        subjects: USUBJIDs to draw (default: every subject in DM).
        tool_version: Version of sdtm, written in the header.

    Returns:
        The page.

    Raises:
        InputError: when a subject asked for is not in DM.
    """
    wanted = tuple(subjects)
    data = prepare_timelines(inputs.frames, config, subjects=wanted or None)
    chosen = select_subjects(data, wanted)
    findings_html = render_findings_section(inputs, rules or {})
    subjects_html, drawn = _subjects_section(data, chosen)
    profiles_html = render_profiles_section(inputs, standards)
    study = _study_id(inputs)
    created = inputs.run_info.get("creation_datetime")
    produced_by = inputs.tool.get("name")
    facts = [f"package {inputs.name}"]
    if produced_by:
        facts.append(f"findings by {produced_by} {inputs.tool.get('version', '')}".strip())
    if created:
        facts.append(f"created {created}")
    facts.append(f"report by sdtm {tool_version}".strip())
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SDTM review: {esc(study)}</title><style>{_asset('review.css')}</style></head>"
        f"<body><header><h1>SDTM review: {esc(study)}</h1><p>{esc(' · '.join(facts))}</p>"
        '</header><nav><a href="#findings">Findings</a><a href="#subjects">Subjects</a>'
        '<a href="#datasets">Datasets</a></nav><main>'
        + findings_html
        + subjects_html
        + profiles_html
        + f"</main><script>{_asset('review.js')}</script></body></html>\n"
    )
    findings = 0 if inputs.findings is None else len(inputs.findings)
    return ReviewPage(html=html, subjects=drawn, findings=findings)


def write_review_file(page: ReviewPage, out: Path) -> Path:
    """Write the page atomically (a partial file never replaces a good one)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(page.html, encoding="utf-8")
    partial.replace(out)
    return out


__all__ = ["ReviewPage", "build_review", "select_subjects", "write_review_file"]
