"""Draw a :class:`~sdtm.review.timeline.SubjectTimeline` as one inline SVG element.

Static SVG built in Python (see docs/architecture.md): every mark carries a ``<title>`` (the
browser's own tooltip, no script) and ``data-*`` attributes naming what it is (``data-kind``,
``data-term``, ``data-grade``, ``data-trt``), which the browser test and a reader's own
scripts can query. Colours and fonts come from classes styled by the page's CSS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from sdtm.review.days import study_day
from sdtm.review.model import EventRow, Mark, Panel, Span, SubjectTimeline
from sdtm.review.panels import value_range
from sdtm.review.scale import TimeScale, ValueScale, format_value

WIDTH = 1100
"""Width of the drawing in pixels."""
PLOT_LEFT = 230.0
PLOT_RIGHT = 1080.0
ROW = 16.0
HIGHLIGHT_ROW = 46.0
PANEL = 118.0
PANEL_PLOT = 92.0
SECTION = 18.0
MAX_GRADE = 5
SERIES_COLOURS = 8
"""Series colour classes ``s0``..``s7`` (the page CSS defines them)."""
GROUP_COLOURS = 6
"""Category colour classes ``c0``..``c5`` for EXCAT/CMCAT/EPOCH groups."""
_LABEL_CHARS = 36


def _n(value: float) -> str:
    """Pixel coordinate with one decimal, no trailing ``.0`` (keeps the file small)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attr(**attributes: object) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None or value == "":
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{escape(str(value))}"')
    return " ".join(parts)


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Drawing:
    """Collects SVG fragments while tracking the next free vertical position."""

    def __init__(
        self, timeline: SubjectTimeline, extent: tuple[float, float], focus: tuple[float, float]
    ) -> None:
        self.timeline = timeline
        self.scale = TimeScale.build(extent, focus, PLOT_LEFT, PLOT_RIGHT)
        self.parts: list[str] = []
        self.y = 4.0
        self.groups: dict[str, int] = {}

    def x(self, t: float) -> float:
        return self.scale.x(t)

    def group_class(self, group: str) -> str:
        number = self.groups.setdefault(group, len(self.groups) % GROUP_COLOURS)
        return f"c{number}"

    def text(self, x: float, y: float, content: str, css: str = "", anchor: str = "") -> None:
        self.parts.append(
            f"<text {_attr(x=_n(x), y=_n(y), class_=css, text_anchor=anchor)}>"
            f"{escape(content)}</text>"
        )

    def section(self, title: str) -> None:
        self.y += 4
        self.text(6, self.y + 11, title, "sec")
        self.parts.append(
            f'<line class="secline" x1="6" x2="{_n(PLOT_RIGHT)}" y1="{_n(self.y + 15)}" '
            f'y2="{_n(self.y + 15)}"/>'
        )
        self.y += SECTION

    def bar(self, span: Span, top: float, height: float, css: str) -> None:
        x0 = self.x(span.start)
        x1 = max(self.x(span.end), x0 + 3)
        self.parts.append(
            f'<rect class="{css}" x="{_n(x0)}" y="{_n(top)}" width="{_n(x1 - x0)}" '
            f'height="{_n(height)}">{_title(span.detail)}</rect>'
        )
        if span.open_end:
            self.parts.append(
                f'<path class="open" d="M{_n(x1)} {_n(top)}l5 {_n(height / 2)}l-5 '
                f'{_n(height / 2)}z"/>'
            )


def _group_legend(drawing: _Drawing, prefix: str, groups: Iterable[str], y: float) -> None:
    """Write colour swatches of ``groups`` on the section line, right-aligned."""
    names = [g for g in dict.fromkeys(groups) if g]
    # 10px text: about 6.6px per character of upper-case text.
    widths = [18 + 6.6 * len(name) for name in names]
    x = PLOT_RIGHT - sum(widths)
    for name, width in zip(names, widths, strict=True):
        css = drawing.group_class(prefix + name)
        drawing.parts.append(
            f'<rect class="{css}" x="{_n(x)}" y="{_n(y - 8)}" width="9" height="9"/>'
        )
        drawing.text(x + 12, y, name, "note")
        x += width


def _axis(drawing: _Drawing, top: float, bottom: float, *, labels_at: float) -> None:
    for x, day, major in drawing.scale.ticks():
        css = "grid" if major else "grid minor"
        drawing.parts.append(
            f'<line class="{css}" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top)}" y2="{_n(bottom)}"/>'
        )
        drawing.text(x, labels_at, str(day), "tick", "middle")
    # Where the axis changes scale (focus window to compressed context), a shaded gap.
    for left, right in zip(drawing.scale.segments, drawing.scale.segments[1:], strict=False):
        drawing.parts.append(
            f'<rect class="gap" x="{_n(left.x1 + 1)}" y="{_n(top)}" '
            f'width="{_n(max(right.x0 - left.x1 - 2, 1))}" height="{_n(bottom - top)}">'
            f"{_title('axis break: the scale changes here')}</rect>"
        )


def _elements(drawing: _Drawing, rows: Iterable[EventRow]) -> None:
    for row in rows:
        top = drawing.y
        drawing.text(6, top + 11, "Elements (SE)", "lbl")
        for span in row.spans:
            x0, x1 = drawing.x(span.start), drawing.x(span.end)
            css = "band " + drawing.group_class(span.text)
            drawing.parts.append(
                f'<rect class="{css}" x="{_n(x0)}" y="{_n(top)}" width="{_n(max(x1 - x0, 1))}" '
                f'height="{_n(ROW)}">{_title(span.detail)}</rect>'
            )
            if x1 - x0 > 7 * len(span.text):
                drawing.text((x0 + x1) / 2, top + 11.5, span.text, "bandtxt", "middle")
        drawing.y += ROW + 4


def _dose_summary(row: EventRow) -> str:
    doses = {span.text for span in row.spans}
    if len(doses) == 1 and next(iter(doses)):
        return f"{row.label} {next(iter(doses))}" + (
            f" ×{len(row.spans)}" if len(row.spans) > 1 else ""
        )
    return f"{row.label} ({len(row.spans)} records)"


def _exposure(drawing: _Drawing, rows: tuple[EventRow, ...]) -> None:
    if not rows:
        return
    drawing.section("Exposure (EX)")
    _group_legend(drawing, "EX ", (row.group for row in rows), drawing.y - 6)
    for row in rows:
        top = drawing.y
        label = _dose_summary(row)
        drawing.parts.append(f"<g {_attr(data_kind='ex', data_trt=row.label)}>")
        drawing.parts.append(f"{_title(label)}")
        drawing.text(6, top + 11, _short(label), "lbl")
        css = "ex " + drawing.group_class("EX " + row.group)
        for span in row.spans:
            drawing.bar(span, top + 2, ROW - 4, css)
            if span.reference:
                x = drawing.x(span.start)
                drawing.parts.append(
                    f'<path class="ref" d="M{_n(x)} {_n(top)}l6 8l-6 8l-6-8z">'
                    f"{_title('dose at RFSTDTC: ' + span.detail)}</path>"
                )
                drawing.text(x + 9, top + 12, span.text, "dose")
        drawing.parts.append("</g>")
        drawing.y += ROW


def _steps(drawing: _Drawing, row: EventRow, top: float, height: float, end: float) -> None:
    def y(grade: float) -> float:
        return top + height - min(grade, MAX_GRADE) / MAX_GRADE * (height - 4)

    points = list(row.steps)
    path = []
    for index, (t, grade) in enumerate(points):
        # Horizontal to this grade's time (previous step), then vertical to the new grade.
        path.append(f"V{_n(y(grade))}" if index else f"M{_n(drawing.x(t))} {_n(y(grade))}")
        following = points[index + 1][0] if index + 1 < len(points) else max(end, t)
        path.append(f"H{_n(drawing.x(following))}")
    drawing.parts.append(f'<path class="steps" d="{"".join(path)}"/>')
    for t, grade in points:
        drawing.parts.append(
            f'<circle class="step g{min(int(grade), MAX_GRADE)}" cx="{_n(drawing.x(t))}" '
            f'cy="{_n(y(grade))}" r="2.6">'
            f"{_title(f'{row.step_test} {format_value(grade)} on day {study_day(t)}')}</circle>"
        )


def _events(drawing: _Drawing, rows: tuple[EventRow, ...]) -> None:
    if not rows:
        return
    drawing.section("Adverse events (AE): colour = grade; outlined = highlighted, with FA grades")
    for row in rows:
        top = drawing.y
        height = HIGHLIGHT_ROW if row.highlight else ROW
        grade = (
            f"G{row.grade}"
            if row.grade_source == "AETOXGR"
            else (f"sev {row.grade}" if row.grade is not None else "grade ?")
        )
        label = f"{row.label} · {grade}"
        attributes = _attr(
            data_kind="ae",
            data_term=row.label,
            data_grade=row.grade if row.grade is not None else "",
            data_highlight="1" if row.highlight else "0",
        )
        drawing.parts.append(f"<g {attributes}>")
        drawing.text(6, top + 11, _short(label), "lbl hl" if row.highlight else "lbl")
        css = f"ae g{row.grade if row.grade is not None else 0}" + (" hl" if row.highlight else "")
        for span in row.spans:
            drawing.bar(span, top + 2, height - 4, css)
        if row.steps:
            _steps(drawing, row, top + 2, height - 4, row.spans[-1].end)
            drawing.text(6, top + 25, f"steps: FA {row.step_test}", "note")
        drawing.parts.append("</g>")
        drawing.y += height


def _treatments(drawing: _Drawing, rows: tuple[EventRow, ...]) -> None:
    if not rows:
        return
    drawing.section("Treatments (CM) for the AEs above, or of the configured categories")
    _group_legend(drawing, "CM ", (row.group for row in rows), drawing.y - 6)
    for row in rows:
        top = drawing.y
        drawing.parts.append(f"<g {_attr(data_kind='cm', data_trt=row.label, data_cat=row.group)}>")
        drawing.text(6, top + 11, _short(row.label), "lbl")
        css = "cm " + drawing.group_class("CM " + row.group)
        for span in row.spans:
            drawing.bar(span, top + 2, ROW - 4, css)
        drawing.parts.append("</g>")
        drawing.y += ROW


def _panel(drawing: _Drawing, panel: Panel) -> None:
    drawing.y += 4
    top = drawing.y + 14
    bottom = top + PANEL_PLOT
    low, high = value_range(panel)
    log = panel.plan.scale == "log"
    scale = ValueScale.build(low, high, bottom, top, log=log)
    plan = panel.plan
    drawing.parts.append(
        f"<g {_attr(data_kind='panel', data_domain=plan.domain, data_title=plan.title)}>"
    )
    drawing.text(6, drawing.y + 10, _short(panel.plan.title, 48), "ptitle")
    drawing.text(PLOT_RIGHT, drawing.y + 10, "log scale" if log else "linear scale", "note", "end")
    drawing.parts.append(
        f'<rect class="pbox" x="{_n(PLOT_LEFT)}" y="{_n(top)}" '
        f'width="{_n(PLOT_RIGHT - PLOT_LEFT)}" height="{_n(PANEL_PLOT)}"/>'
    )
    for value in scale.ticks():
        y = scale.y(value)
        drawing.parts.append(
            f'<line class="hgrid" x1="{_n(PLOT_LEFT)}" x2="{_n(PLOT_RIGHT)}" '
            f'y1="{_n(y)}" y2="{_n(y)}"/>'
        )
        drawing.text(PLOT_LEFT - 4, y + 3, format_value(value), "tick", "end")
    for number, series in enumerate(panel.series):
        colour = f"s{number % SERIES_COLOURS}"
        legend_y = top + 9 + number * 11
        drawing.parts.append(f"<g {_attr(class_=colour, data_test=series.testcd)}>")
        drawing.parts.append(
            f'<rect class="swatch" x="8" y="{_n(legend_y - 7)}" width="8" height="8"/>'
        )
        drawing.text(20, legend_y, _short(f"{series.testcd} {series.label}", 28), "legend")
        for lloq in series.lloq:
            if log and lloq <= 0:
                continue
            y = scale.y(lloq)
            drawing.parts.append(
                f'<line class="lloq" x1="{_n(PLOT_LEFT)}" x2="{_n(PLOT_RIGHT)}" y1="{_n(y)}" '
                f'y2="{_n(y)}">{_title(f"{series.testcd} LLOQ {format_value(lloq)}")}</line>'
            )
        coordinates = [(drawing.x(p.t), scale.y(p.value)) for p in series.points]
        if len(coordinates) > 1:
            line = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
            drawing.parts.append(f'<polyline class="series" points="{line}"/>')
        for point, (x, y) in zip(series.points, coordinates, strict=True):
            if point.censor == "<":
                shape = f'<path class="cens" d="M{_n(x - 3.5)} {_n(y - 3)}h7l-3.5 6z">'
            elif point.censor == ">":
                shape = f'<path class="cens" d="M{_n(x - 3.5)} {_n(y + 3)}h7l-3.5-6z">'
            else:
                shape = f'<circle class="pt" cx="{_n(x)}" cy="{_n(y)}" r="2.4">'
            closing = "</path>" if point.censor else "</circle>"
            drawing.parts.append(f"{shape}{_title(point.detail)}{closing}")
        for peak in panel.peaks:
            if peak.testcd != series.testcd:
                continue
            x, y = drawing.x(peak.t), scale.y(peak.value)
            drawing.parts.append(
                f'<path class="peak" data-kind="cmax" d="M{_n(x)} {_n(y - 6)}l6 6l-6 6l-6-6z">'
                f"{_title(peak.detail)}</path>"
            )
            drawing.text(x + 8, y - 4, "Cmax/Tmax", "note")
        drawing.parts.append("</g>")
    if panel.notes:
        drawing.text(PLOT_LEFT + 4, bottom - 4, "; ".join(panel.notes), "note")
    drawing.parts.append("</g>")
    drawing.y = bottom + 8


def _marks(drawing: _Drawing, marks: tuple[Mark, ...], top_of_rows: float) -> None:
    if not marks:
        return
    drawing.section("Disposition (DS) and death")
    top = drawing.y
    for index, mark in enumerate(marks):
        x = drawing.x(mark.t)
        y = top + 8 + (index % 2) * 12
        if mark.death:
            drawing.parts.append(
                f'<line class="death" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top_of_rows)}" '
                f'y2="{_n(top + 20)}"/>'
            )
        if mark.death:
            shape = f'<path class="dth" d="M{_n(x - 4)} {_n(y - 4)}l8 8m0-8l-8 8"/>'
        else:
            shape = f'<circle class="ds" cx="{_n(x)}" cy="{_n(y)}" r="3.5"/>'
        drawing.parts.append(f"<g {_attr(data_kind='ds', data_term=mark.label)}>{shape}")
        drawing.parts.append(_title(mark.detail))
        anchor = "end" if x > PLOT_RIGHT - 120 else ""
        drawing.text(x + (-6 if anchor else 6), y + 3.5, mark.label, "dstxt", anchor)
        drawing.parts.append("</g>")
    drawing.y += 30


def render_timeline_svg(timeline: SubjectTimeline) -> str:
    """Return the subject's timeline as an ``<svg>`` element (empty string without an axis).

    Args:
        timeline: From :func:`sdtm.review.timeline.build_subject_timeline`.

    Returns:
        SVG markup sized :data:`WIDTH` wide and as tall as its rows.
    """
    if timeline.reference_t is None or timeline.extent is None or timeline.focus is None:
        return ""
    drawing = _Drawing(timeline, timeline.extent, timeline.focus)
    drawing.y = 22.0
    rows_top = drawing.y
    _elements(drawing, timeline.elements)
    _exposure(drawing, timeline.exposure)
    _events(drawing, timeline.events)
    _treatments(drawing, timeline.treatments)
    if timeline.panels:
        drawing.section("Results over time (findings domains); open triangles: censored at limit")
    for panel in timeline.panels:
        _panel(drawing, panel)
    _marks(drawing, timeline.marks, rows_top)
    bottom = drawing.y + 4
    height = bottom + 20
    grid: list[str] = []
    body = drawing.parts
    drawing.parts = grid
    _axis(drawing, rows_top - 6, bottom, labels_at=14)
    drawing.text(6, 14, "study day", "tick")
    _axis_labels_bottom(drawing, bottom + 14)
    x_ref = drawing.x(timeline.reference_t)
    grid.append(
        f'<line class="refline" x1="{_n(x_ref)}" x2="{_n(x_ref)}" y1="{_n(rows_top - 6)}" '
        f'y2="{_n(bottom)}">{_title("RFSTDTC (study day 1)")}</line>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" '
        f'height="{_n(height)}" viewBox="0 0 {WIDTH} {_n(height)}" '
        f"{_attr(data_usubjid=timeline.usubjid)}>" + "".join(grid) + "".join(body) + "</svg>"
    )


def _axis_labels_bottom(drawing: _Drawing, y: float) -> None:
    for x, day, _ in drawing.scale.ticks():
        drawing.text(x, y, str(day), "tick", "middle")


def axis_day_range(timeline: SubjectTimeline) -> tuple[int, int] | None:
    """Return the first and last study day the drawing covers (``None`` without an axis)."""
    if timeline.extent is None:
        return None
    return study_day(timeline.extent[0]), study_day(math.nextafter(timeline.extent[1], -math.inf))
