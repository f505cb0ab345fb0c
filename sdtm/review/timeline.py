"""Build each subject's timeline from the package: what is drawn, where, and why.

:func:`prepare_timelines` indexes the package once: datasets joined by ``DOMAIN`` value (split
datasets such as LBCH/LBHE become one LB), axis positions computed per domain in one
vectorised pass, numeric panels planned for the whole study, and the records of each subject
collected in short lists. :func:`build_subject_timeline` then walks one subject's lists.

The selection rules are those of :mod:`sdtm.review.config`; the code names only SDTM
variables and CDISC terms (``DEATH``, the ``AESEV`` terms), never a study or a therapy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from sdtm.review.config import ReviewConfig
from sdtm.review.days import Anchor, compute_days, compute_reference_date, day_start, study_day
from sdtm.review.model import EventRow, Mark, PanelPlan, Span, SubjectTimeline
from sdtm.review.panels import (
    PointRow,
    add_results,
    build_panels,
    index_points,
    is_findings_frame,
    plan_panels,
)

Record = Mapping[str, object]
"""One SDTM record as a mapping of variable to value (with ``_t``/``_t0``/``_t1``)."""

# Domains drawn as bars, with the variables holding each record's start and end.
_SPAN_DATES = MappingProxyType(
    {
        "EX": ("EXSTDTC", "EXENDTC"),
        "AE": ("AESTDTC", "AEENDTC"),
        "CM": ("CMSTDTC", "CMENDTC"),
        "SE": ("SESTDTC", "SEENDTC"),
    }
)
# Domains whose records the timeline reads one by one (findings go through index_points).
_RECORD_DOMAINS = ("EX", "AE", "CM", "SE", "DS", "FA", "PP")
# Moments take --DTC, except DS whose event date is DSSTDTC.
_POINT_DATES = MappingProxyType({"DS": "DSSTDTC"})
# AESEV (CDISC codelist C66769) when no AETOXGR was collected: drawn on grade colours 1-3.
_SEVERITY_GRADE = MappingProxyType({"MILD": 1, "MODERATE": 2, "SEVERE": 3})
_DEATH = "DEATH"
_AE_TERMS = ("AEDECOD", "AETERM", "AELLT")


@dataclass(frozen=True, slots=True)
class TimelineData:
    """The package indexed for timelines."""

    records: Mapping[str, Mapping[str, Sequence[Record]]]
    """Domain -> USUBJID -> records in time order (EX, AE, CM, SE, DS, FA, PP)."""
    points: Mapping[str, Sequence[PointRow]]
    """USUBJID -> findings results taken by a panel (every findings domain)."""
    dm: pd.DataFrame
    """DM indexed by USUBJID, with ``_ref`` (reference midnight)."""
    panel_plans: tuple[PanelPlan, ...]
    """Numeric panels planned for the whole study (same panels for every subject)."""
    config: ReviewConfig
    """Selection rules."""


def _text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def _number(value: object) -> str:
    """Format a dose as written (``30``, ``0.04``); empty for a null."""
    text = _text(value)
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def _position(value: object) -> float:
    """Return an axis position from a record (NaN when missing)."""
    return math.nan if value is None or value is pd.NA else float(value)  # type: ignore[arg-type]


def join_domains(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return one frame per ``DOMAIN`` value (split datasets such as LBCH + LBHE joined).

    SUPP--, RELREC and datasets without ``USUBJID`` (trial design) are left out.
    """
    parts: dict[str, list[pd.DataFrame]] = {}
    for name in sorted(frames):
        frame = frames[name]
        if name.startswith("SUPP") or name == "RELREC" or "USUBJID" not in frame.columns:
            continue
        domain = name
        if "DOMAIN" in frame.columns and len(frame):
            values = frame["DOMAIN"].dropna().astype(str).str.strip().unique()
            if len(values) == 1 and values[0]:
                domain = values[0].upper()
        plain = frame.copy()
        # Frame attrs (labels) would be deep-copied by every later pandas operation.
        plain.attrs = {}
        parts.setdefault(domain, []).append(plain)
    return {
        domain: pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
        for domain, pieces in parts.items()
    }


def _with_positions(domain: str, frame: pd.DataFrame, refs: pd.Series) -> pd.DataFrame:
    """Add axis positions (and, for findings, drawable results) to every record of a domain."""
    out = frame.copy()
    ref = out["USUBJID"].map(refs)
    if domain in _SPAN_DATES:
        start, end = _SPAN_DATES[domain]
        out["_t0"] = (
            compute_days(out[start], ref, anchor=Anchor.START) if start in out else math.nan
        )
        # An SE element ends where the next one starts (same instant), not at day's end.
        end_anchor = Anchor.START if domain == "SE" else Anchor.END
        out["_t1"] = compute_days(out[end], ref, anchor=end_anchor) if end in out else math.nan
        return out
    if domain == "PP" and "PPRFTDTC" in out:
        out["_origin"] = compute_days(out["PPRFTDTC"], ref, anchor=Anchor.START)
    column = _POINT_DATES.get(domain, f"{domain}DTC")
    out["_t"] = compute_days(out[column], ref, anchor=Anchor.MIDDLE) if column in out else math.nan
    if is_findings_frame(domain, out):
        out = add_results(domain, out)
    return out


def _by_subject(frame: pd.DataFrame) -> Mapping[str, Sequence[Record]]:
    order = "_t0" if "_t0" in frame.columns else "_t"
    ordered = frame.sort_values(["USUBJID", order], kind="mergesort", na_position="last")
    out: dict[str, list[Record]] = {}
    for record in ordered.to_dict("records"):
        out.setdefault(str(record["USUBJID"]), []).append(record)
    return MappingProxyType(out)


def prepare_timelines(
    frames: Mapping[str, pd.DataFrame],
    config: ReviewConfig | None = None,
    *,
    subjects: Iterable[str] | None = None,
) -> TimelineData:
    """Index a package for :func:`build_subject_timeline`.

    Args:
        frames: Datasets by name (``sdtm.read.read_sdtm_package``).
        config: Selection rules; default :class:`ReviewConfig()`, everything from the data.
        subjects: Index only these subjects' records (``None``: every subject). Panels are
            still planned on the whole study, so a subject is drawn the same either way.

    Returns:
        The indexed package. Without DM no subject has an axis (every timeline says so).
    """
    config = config or ReviewConfig()
    domains = join_domains(frames)
    dm = domains.get("DM", pd.DataFrame(columns=["USUBJID", "RFSTDTC"]))
    dm = dm.assign(USUBJID=dm["USUBJID"].astype(str)).drop_duplicates("USUBJID")
    dm = dm.set_index("USUBJID", drop=False)
    rfstdtc = dm["RFSTDTC"] if "RFSTDTC" in dm else pd.Series(pd.NA, index=dm.index)
    dthdtc = dm["DTHDTC"] if "DTHDTC" in dm else pd.Series(pd.NA, index=dm.index)
    ref = compute_reference_date(rfstdtc.astype("string"))
    dm = dm.assign(
        _ref=ref,
        _reference_t=compute_days(rfstdtc.astype("string"), ref, anchor=Anchor.START),
        _death_t=compute_days(dthdtc.astype("string"), ref, anchor=Anchor.MIDDLE),
    )
    positioned = {
        domain: _with_positions(domain, frame, dm["_ref"])
        for domain, frame in domains.items()
        if domain != "DM"
    }
    plans, plan_ids = plan_panels(positioned, dm["_ref"], config)
    if subjects is not None:
        wanted = set(subjects)
        for domain, frame in positioned.items():
            keep = frame["USUBJID"].astype(str).isin(wanted).to_numpy(dtype=bool)
            positioned[domain] = frame.loc[keep]
            if domain in plan_ids:
                plan_ids[domain] = plan_ids[domain].loc[keep]
    points: dict[str, list[PointRow]] = {}
    for domain, ids in plan_ids.items():
        for usubjid, rows in index_points(domain, positioned[domain], ids).items():
            points.setdefault(usubjid, []).extend(rows)
    records = {
        domain: _by_subject(positioned[domain])
        for domain in _RECORD_DOMAINS
        if domain in positioned
    }
    return TimelineData(
        records=MappingProxyType(records),
        points=MappingProxyType(points),
        dm=dm,
        panel_plans=plans,
        config=config,
    )


def _records(data: TimelineData, domain: str, usubjid: str) -> Sequence[Record]:
    return data.records.get(domain, {}).get(usubjid, ())


def _drawable(records: Sequence[Record]) -> tuple[list[Record], int]:
    drawable = [r for r in records if not math.isnan(_position(r.get("_t0")))]
    return drawable, len(records) - len(drawable)


def _exposure(records: Sequence[Record], rfstdtc: str) -> tuple[tuple[EventRow, ...], int]:
    drawable, skipped = _drawable(records)
    rows: dict[str, list[Span]] = {}
    groups: dict[str, str] = {}
    for values in drawable:
        treatment = _text(values.get("EXTRT")) or "(EXTRT missing)"
        dose = f"{_number(values.get('EXDOSE'))} {_text(values.get('EXDOSU'))}".strip()
        start, end = _position(values["_t0"]), _position(values.get("_t1"))
        end = start if math.isnan(end) or end < start else end
        detail = (
            f"{treatment} {dose} {_text(values.get('EXROUTE'))}; "
            f"{_text(values.get('EXSTDTC'))} to {_text(values.get('EXENDTC'))}"
        )
        reference = bool(rfstdtc) and _text(values.get("EXSTDTC")) == rfstdtc
        rows.setdefault(treatment, []).append(
            Span(start, end, detail, reference=reference, text=dose)
        )
        groups.setdefault(treatment, _text(values.get("EXCAT")))
    exposure = tuple(
        EventRow("ex", name, tuple(spans), group=groups[name]) for name, spans in rows.items()
    )
    return exposure, skipped


def _terms(values: Record) -> set[str]:
    return {_text(values.get(c)).upper() for c in _AE_TERMS} - {""}


def _grade(values: Record) -> tuple[int | None, str]:
    text = _text(values.get("AETOXGR"))
    try:
        return int(float(text)), "AETOXGR"
    except ValueError:
        pass
    severity = _SEVERITY_GRADE.get(_text(values.get("AESEV")).upper())
    return (severity, "AESEV") if severity is not None else (None, "")


def _fa_steps(records: Sequence[Record]) -> dict[str, tuple[str, list[tuple[float, float]]]]:
    """Numeric FA results per FAOBJ (upper case): the test code and (position, value) points.

    One step line per object: when several tests were collected about one object, the first
    test code in sort order is drawn.
    """
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for values in records:
        t = _position(values.get("_t"))
        try:
            value = float(_text(values.get("FASTRESN")))
        except ValueError:
            continue
        obj = _text(values.get("FAOBJ")).upper()
        if math.isnan(t) or math.isnan(value) or not obj:
            continue
        found.setdefault((obj, _text(values.get("FATESTCD"))), []).append((t, value))
    out: dict[str, tuple[str, list[tuple[float, float]]]] = {}
    for (obj, test), points in sorted(found.items()):
        out.setdefault(obj, (test, sorted(points)))
    return out


def _adverse_events(
    records: Sequence[Record], fa: Sequence[Record], config: ReviewConfig, end_t: float
) -> tuple[tuple[EventRow, ...], int]:
    """AE rows, highlighted first then by start, and the number of records not drawn."""
    steps_by_object = _fa_steps(fa)
    configured = {t.strip().upper() for t in config.highlight_terms}
    rows: list[tuple[int, float, EventRow]] = []
    used: set[str] = set()
    drawable, skipped = _drawable(records)
    for values in drawable:
        names = _terms(values)
        objects = sorted(names & set(steps_by_object))
        start, end = _position(values["_t0"]), _position(values.get("_t1"))
        open_end = math.isnan(end)
        end = end_t if open_end else max(end, start)
        steps: tuple[tuple[float, float], ...] = ()
        step_test = ""
        if objects:
            used.add(objects[0])
            step_test, points = steps_by_object[objects[0]]
            # A grade belongs to this episode when it falls within a day of the bar.
            steps = tuple((t, v) for t, v in points if start - 1 <= t <= end + 1)
        grade, source = _grade(values)
        label = _text(values.get("AEDECOD")) or _text(values.get("AETERM")) or "(no term)"
        detail = (
            f"{label} (verbatim {_text(values.get('AETERM'))}); "
            f"{source or 'grade'} {grade if grade is not None else 'missing'}; "
            f"serious {_text(values.get('AESER')) or '-'}; "
            f"{_text(values.get('AESTDTC'))} to {_text(values.get('AEENDTC')) or 'ongoing'}; "
            f"outcome {_text(values.get('AEOUT')) or '-'}"
        )
        highlight = bool(objects) or bool(names & configured)
        row = EventRow(
            "ae",
            label,
            (Span(start, end, detail, open_end=open_end),),
            grade=grade,
            grade_source=source,
            highlight=highlight,
            steps=steps,
            step_test=step_test,
        )
        rows.append((0 if highlight else 1, start, row))
    # FA grades about an object no AE of the subject names: drawn alone, so the gap shows.
    for obj, (test, points) in sorted(steps_by_object.items()):
        if obj in used:
            continue
        detail = f"FA {test} about {obj}: no AE of this subject has this term"
        row = EventRow(
            "ae",
            f"{obj.capitalize()} (FA only)",
            (Span(points[0][0], points[-1][0], detail),),
            highlight=True,
            steps=tuple(points),
            step_test=test,
        )
        rows.append((0, points[0][0], row))
    rows.sort(key=lambda item: (item[0], item[1]))
    return tuple(row for _, _, row in rows), skipped


def _chosen_treatments(
    records: Sequence[Record], ae_terms: set[str], config: ReviewConfig
) -> list[Record]:
    """CM records given for one of the subject's AEs, or of a configured category/indication."""
    indications = ae_terms | {i.strip().upper() for i in config.treatment_indications}
    categories = {c.strip().upper() for c in config.treatment_categories}
    return [
        r
        for r in records
        if _text(r.get("CMINDC")).upper() in indications
        or _text(r.get("CMCAT")).upper() in categories
    ]


def _treatments(records: Sequence[Record], end_t: float) -> tuple[tuple[EventRow, ...], int]:
    drawable, skipped = _drawable(records)
    rows: dict[str, list[Span]] = {}
    groups: dict[str, str] = {}
    for values in drawable:
        treatment = _text(values.get("CMTRT")) or "(CMTRT missing)"
        start, end = _position(values["_t0"]), _position(values.get("_t1"))
        open_end = math.isnan(end)
        end = end_t if open_end else max(end, start)
        dose = " ".join(
            p
            for p in (
                _number(values.get("CMDOSE")),
                _text(values.get("CMDOSU")),
                _text(values.get("CMDOSFRQ")),
            )
            if p
        )
        detail = (
            f"{treatment} {dose} {_text(values.get('CMROUTE'))}; for "
            f"{_text(values.get('CMINDC')) or '-'}; {_text(values.get('CMSTDTC'))} to "
            f"{_text(values.get('CMENDTC')) or 'ongoing'}"
        )
        rows.setdefault(treatment, []).append(Span(start, end, detail, open_end=open_end))
        groups.setdefault(treatment, _text(values.get("CMCAT")))
    treatments = tuple(
        EventRow("cm", name, tuple(spans), group=groups[name]) for name, spans in rows.items()
    )
    return treatments, skipped


def _elements(records: Sequence[Record]) -> tuple[EventRow, ...]:
    spans = []
    for values in _drawable(records)[0]:
        start, end = _position(values["_t0"]), _position(values.get("_t1"))
        label = _text(values.get("ELEMENT")) or _text(values.get("ETCD"))
        spans.append(
            Span(
                start,
                start if math.isnan(end) else end,
                f"{label} ({_text(values.get('EPOCH'))}): {_text(values.get('SESTDTC'))} to "
                f"{_text(values.get('SEENDTC'))}",
                open_end=math.isnan(end),
                text=label,
            )
        )
    return (EventRow("se", "Elements (SE)", tuple(spans)),) if spans else ()


def _marks(records: Sequence[Record], dm_row: Record) -> tuple[Mark, ...]:
    marks = []
    death_days = set()
    for values in records:
        t = _position(values.get("_t"))
        if math.isnan(t):
            continue
        decod = _text(values.get("DSDECOD")) or _text(values.get("DSTERM"))
        death = decod.upper() == _DEATH
        if death:
            death_days.add(study_day(t))
        detail = f"{decod} ({_text(values.get('DSCAT'))}) {_text(values.get('DSSTDTC'))}"
        marks.append(Mark(t, decod, detail, death=death))
    t = _position(dm_row.get("_death_t"))
    if not math.isnan(t) and study_day(t) not in death_days:
        marks.append(Mark(t, _DEATH, f"DM.DTHDTC {_text(dm_row.get('DTHDTC'))}", death=True))
    return tuple(marks)


def _heading(dm_row: Record) -> str:
    arm = _text(dm_row.get("ACTARM")) or _text(dm_row.get("ARM"))
    sex_age = " ".join(p for p in (_text(dm_row.get("SEX")), _number(dm_row.get("AGE"))) if p)
    reference = f"RFSTDTC {_text(dm_row.get('RFSTDTC')) or 'missing'}"
    return " · ".join(p for p in (arm, sex_age, reference) if p)


def _focus(
    config: ReviewConfig,
    exposure: tuple[EventRow, ...],
    elements: tuple[EventRow, ...],
    reference_t: float,
    extent: tuple[float, float],
) -> tuple[float, float]:
    """Return the focus window.

    Configured ``focus_days`` win; otherwise the window runs from the day before the first
    dose to the end of the SE element holding RFSTDTC (the extent where those are missing).
    """
    if config.focus_days is not None:
        first, last = config.focus_days
        start, end = day_start(first), day_start(last) + 1.0
    else:
        starts = [span.start for row in exposure for span in row.spans]
        start = math.floor(min(starts)) - 1.0 if starts else extent[0]
        end = extent[1]
        for row in elements:
            for span in row.spans:
                if span.start <= reference_t < span.end:
                    end = math.ceil(span.end)
    start = max(extent[0], min(start, reference_t))
    end = min(extent[1], max(end, reference_t + 1.0))
    return start, end


def build_subject_timeline(data: TimelineData, usubjid: str) -> SubjectTimeline:
    """Assemble one subject's timeline.

    Args:
        data: The indexed package (:func:`prepare_timelines`).
        usubjid: The subject.

    Returns:
        The subject's rows, panels and marks. A subject without a full ``RFSTDTC`` gets no
        axis (``reference_t`` is ``None``): study days cannot be computed for it.
    """
    dm_row: Record = data.dm.loc[usubjid].to_dict() if usubjid in data.dm.index else {}
    ref = dm_row.get("_ref")
    heading = _heading(dm_row) if dm_row else "not in DM"
    if ref is None or pd.isna(ref):
        return SubjectTimeline(usubjid, heading, None)
    rfstdtc = _text(dm_row.get("RFSTDTC"))
    reference_t = _position(dm_row.get("_reference_t"))
    not_drawn: dict[str, int] = {}
    exposure, not_drawn["EX"] = _exposure(_records(data, "EX", usubjid), rfstdtc)
    elements = _elements(_records(data, "SE", usubjid))
    panels = build_panels(
        data.panel_plans, data.points.get(usubjid, ()), _records(data, "PP", usubjid)
    )
    marks = _marks(_records(data, "DS", usubjid), dm_row)
    ae = _records(data, "AE", usubjid)
    fa = _records(data, "FA", usubjid)
    terms = set().union(*(_terms(r) for r in ae)) if ae else set()
    cm = _chosen_treatments(_records(data, "CM", usubjid), terms, data.config)
    # The open end of an ongoing bar is the last thing known of the subject.
    known = [reference_t, *(m.t for m in marks)]
    known += [t for panel in panels for t in panel.positions()]
    known += [t for row in (*exposure, *elements) for s in row.spans for t in (s.start, s.end)]
    for records, columns in ((ae, ("_t0", "_t1")), (cm, ("_t0", "_t1")), (fa, ("_t",))):
        for record in records:
            known += [t for c in columns if not math.isnan(t := _position(record.get(c)))]
    end_t = max(known)
    events, not_drawn["AE"] = _adverse_events(ae, fa, data.config, end_t)
    treatments, not_drawn["CM"] = _treatments(cm, end_t)
    extent = (float(math.floor(min(known))), float(math.ceil(end_t)))
    return SubjectTimeline(
        usubjid=usubjid,
        heading=heading,
        reference_t=reference_t,
        elements=elements,
        exposure=exposure,
        events=events,
        treatments=treatments,
        panels=panels,
        marks=marks,
        focus=_focus(data.config, exposure, elements, reference_t, extent),
        extent=extent,
        not_drawn=MappingProxyType({k: v for k, v in not_drawn.items() if v}),
    )
