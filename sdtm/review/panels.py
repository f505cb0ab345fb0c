"""Numeric panels of a subject timeline: findings results over time, one unit per panel.

A findings dataset is any dataset with ``--TESTCD`` and ``--STRESN`` (LB, PC, VS, EG, ...).
Panels are planned once for the whole study (:func:`plan_panels`), so that every subject shows
the same panels on the same scale type, then filled per subject (:func:`build_panels`).

Censored results are drawn as such, never as numbers: a result whose ``--STRESN`` is null and
whose ``--STRESC`` (else ``--ORRES``) reads ``<x`` is drawn at ``x`` as below-limit; ``>x`` as
above-limit; a non-numeric result such as ``BLQ`` with an ``--LLOQ`` is drawn at the LLOQ.
``--LLOQ`` values are drawn as dashed lines. For PC panels, the PP parameters ``CMAX`` and
``TMAX`` of the analyte mark the peak at ``PPRFTDTC`` + Tmax. The link is ``PPCAT``: SDTMIG
3.4 PP.PPCAT is "the name of the analyte in PCTEST whose profile the parameter is associated
with" (``PCTESTCD`` is accepted too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sdtm.review.config import ReviewConfig
from sdtm.review.days import compute_study_days, study_day
from sdtm.review.model import Panel, PanelPlan, Peak, Point, Series

MAX_SERIES = 8
"""Most tests drawn in one panel; more are split over several panels."""
LOG_SPAN = 100.0
"""``auto`` scale takes log when the positive values of a panel span this ratio (2 decades)."""
_CENSOR_RE = r"^\s*(?P<sign>[<>])=?\s*(?P<number>[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)"
# Tmax units (CDISC UNIT terms) in days.
_DAYS_PER = {"h": 1 / 24, "hr": 1 / 24, "min": 1 / 1440, "day": 1.0, "d": 1.0, "DAYS": 1.0}


def is_findings_frame(domain: str, frame: pd.DataFrame) -> bool:
    """Return whether ``frame`` holds ``--TESTCD`` and ``--STRESN`` of ``domain``."""
    return f"{domain}TESTCD" in frame.columns and f"{domain}STRESN" in frame.columns


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("string").str.strip()
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def add_results(domain: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with ``_v`` (value to draw), ``_c`` (censoring) and ``_u`` (unit).

    Args:
        domain: DOMAIN value, the variable prefix.
        frame: Records of a findings dataset.

    Returns:
        A new frame; ``_v`` is NaN where nothing can be drawn (no result, not done).
    """
    out = frame.copy()
    measured = pd.to_numeric(out[f"{domain}STRESN"], errors="coerce").astype("float64")
    text = _column(out, f"{domain}STRESC").replace("", pd.NA)
    text = text.fillna(_column(out, f"{domain}ORRES").replace("", pd.NA))
    parts = text.str.extract(_CENSOR_RE)
    limit = pd.to_numeric(parts["number"], errors="coerce").astype("float64")
    sign = parts["sign"].astype(object).where(parts["sign"].notna(), "")
    if f"{domain}LLOQ" in out:
        lloq = pd.to_numeric(out[f"{domain}LLOQ"], errors="coerce").astype("float64")
        # "BLQ"-like text (not a number, not "<x") with an LLOQ: below the LLOQ.
        has_text = text.notna().to_numpy(dtype=bool)
        numeric_text = pd.to_numeric(text, errors="coerce").notna().to_numpy(dtype=bool)
        status = _column(out, f"{domain}STAT").fillna("").str.upper()
        not_done = (status == "NOT DONE").to_numpy(dtype=bool)
        below = (
            has_text
            & ~numeric_text
            & (sign == "").to_numpy(dtype=bool)
            & ~not_done
            & lloq.notna().to_numpy(dtype=bool)
            & measured.isna().to_numpy(dtype=bool)
        )
        sign = sign.mask(below, "<")
        limit = limit.mask(below, lloq)
    censored = (measured.isna() & (sign != "")).to_numpy(dtype=bool)
    out["_v"] = measured.mask(censored, limit)
    out["_c"] = sign.where(censored, "")
    out["_u"] = _column(out, f"{domain}STRESU").fillna("")
    return out


def _scale(values: pd.Series, wanted: str) -> str:
    if wanted in ("log", "linear"):
        return wanted
    positive = values[values > 0]
    if positive.empty or len(positive) < len(values):
        return "linear"
    return "log" if positive.max() / positive.min() >= LOG_SPAN else "linear"


def _category_mask(frame: pd.DataFrame, domain: str, category: str | None) -> pd.Series:
    if category is None:
        return pd.Series(True, index=frame.index)
    return _column(frame, f"{domain}CAT").fillna("").str.upper().eq(category.upper())


@dataclass(slots=True)
class _Planner:
    """Collects plans and, per domain, the plan number of every record a plan takes."""

    plans: list[PanelPlan]
    ids: dict[str, pd.Series]

    def add(
        self, title: str, domain: str, rows: pd.DataFrame, tests: Sequence[str], scale: str
    ) -> None:
        """Plan panels for ``rows`` (untaken records): one per unit, at most MAX_SERIES tests."""
        codes = rows[f"{domain}TESTCD"].astype(str)
        for unit in sorted(rows["_u"].unique()):
            in_unit = rows["_u"] == unit
            present = set(codes[in_unit])
            unit_tests = [t for t in tests if t in present]
            chunks = [unit_tests[i : i + MAX_SERIES] for i in range(0, len(unit_tests), MAX_SERIES)]
            for number, chunk in enumerate(chunks, start=1):
                taken = in_unit & codes.isin(chunk)
                part = f" {number}/{len(chunks)}" if len(chunks) > 1 else ""
                self.ids[domain].loc[taken[taken].index] = len(self.plans)
                self.plans.append(
                    PanelPlan(
                        title=f"{title}{part} ({unit or 'no unit'})",
                        domain=domain,
                        tests=tuple(chunk),
                        unit=unit,
                        scale=_scale(rows.loc[taken, "_v"], scale),
                    )
                )


def plan_panels(
    frames: Mapping[str, pd.DataFrame], refs: pd.Series, config: ReviewConfig
) -> tuple[tuple[PanelPlan, ...], dict[str, pd.Series]]:
    """Plan the study's numeric panels: configured ones first, then automatic ones.

    A record goes to the first panel that takes it. Configured panels take the records of their
    domain, category and tests; automatic panels (``other_panels``) take the rest by domain and
    ``--CAT``, except FA, whose results about an event are drawn on the event's row (steps).

    Args:
        frames: Records by DOMAIN value, findings datasets already through
            :func:`add_results` and with axis positions ``_t``.
        refs: Reference midnight per USUBJID (subjects without one are not looked at).
        config: Configured panels and whether to add automatic ones.

    Returns:
        The plans in drawing order, and per findings domain the plan number of each record
        (-1 where no panel takes it).
    """
    usable = {}
    planner = _Planner([], {})
    for domain, frame in frames.items():
        if "_v" in frame.columns and "_t" in frame.columns:
            keep = frame["_v"].notna() & frame["_t"].notna() & frame["USUBJID"].map(refs).notna()
            usable[domain] = keep.to_numpy(dtype=bool)
            planner.ids[domain] = pd.Series(-1, index=frame.index, dtype="int64")
    for spec in config.panels:
        if spec.domain not in usable:
            continue
        frame = frames[spec.domain]
        free = usable[spec.domain] & (planner.ids[spec.domain] < 0)
        chosen = free & _category_mask(frame, spec.domain, spec.category)
        codes = frame[f"{spec.domain}TESTCD"].astype(str)
        if spec.tests:
            chosen &= codes.isin(spec.tests)
            tests = [t for t in spec.tests if t in set(codes[chosen])]
        else:
            tests = sorted(set(codes[chosen]))
        planner.add(spec.title, spec.domain, frame.loc[chosen], tests, spec.scale)
    if config.other_panels:
        for domain in sorted(set(usable) - {"FA"}):
            frame = frames[domain]
            free = usable[domain] & (planner.ids[domain] < 0)
            category = _column(frame, f"{domain}CAT").fillna("")
            for cat in sorted(category[free].unique()):
                rows = frame.loc[free & (category == cat)]
                tests = sorted(set(rows[f"{domain}TESTCD"].astype(str)))
                planner.add(f"{domain} {cat}".strip(), domain, rows, tests, "auto")
    return tuple(planner.plans), planner.ids


def _details(domain: str, frame: pd.DataFrame) -> pd.Series:
    """Tooltip of every record: result as collected, standard result, day, visit, date."""
    result = _column(frame, f"{domain}ORRES").fillna("")
    result = result.mask(result == "", _column(frame, f"{domain}STRESC").fillna(""))
    original_unit = _column(frame, f"{domain}ORRESU").fillna("")
    standard = _column(frame, f"{domain}STRESC").fillna("")
    shown = (result + " " + original_unit).str.strip()
    differs = (standard != "") & ((standard != result) | (frame["_u"] != original_unit))
    shown = shown.mask(differs, shown + " (standard " + standard + " " + frame["_u"] + ")")
    days = compute_study_days(frame["_t"]).astype("string").fillna("?")
    visit = _column(frame, "VISIT").fillna("")
    visit = visit.mask(visit != "", "; " + visit)
    code = _column(frame, f"{domain}TESTCD").fillna("")
    when = _column(frame, f"{domain}DTC").fillna("")
    return code + " " + shown + "; day " + days + visit + "; " + when


PointRow = tuple[int, str, str, float, float, str, float, str]
"""(plan number, TESTCD, TEST, t, value, censor, LLOQ, tooltip) of one drawable record."""


def index_points(
    domain: str, frame: pd.DataFrame, plan_ids: pd.Series
) -> dict[str, list[PointRow]]:
    """Return, per USUBJID, the records some panel takes, ordered by plan, test and time.

    Built once per domain so that drawing a subject only walks its own short list.
    """
    taken = plan_ids >= 0
    rows = frame.loc[taken]
    if rows.empty:
        return {}
    lloq = (
        pd.to_numeric(rows[f"{domain}LLOQ"], errors="coerce")
        if f"{domain}LLOQ" in rows
        else pd.Series(math.nan, index=rows.index)
    )
    compact = pd.DataFrame(
        {
            "usubjid": rows["USUBJID"].astype(str),
            "plan": plan_ids[taken].astype("int64"),
            "testcd": rows[f"{domain}TESTCD"].astype(str),
            "test": _column(rows, f"{domain}TEST").fillna(""),
            "t": rows["_t"].astype(float),
            "value": rows["_v"].astype(float),
            "censor": rows["_c"].astype(str),
            "lloq": lloq.astype(float),
            "detail": _details(domain, rows),
        }
    ).sort_values(["usubjid", "plan", "testcd", "t"], kind="mergesort")
    out: dict[str, list[PointRow]] = {}
    for record in compact.itertuples(index=False, name=None):
        out.setdefault(record[0], []).append(record[1:])
    return out


def _peaks(
    pp: Sequence[Mapping[str, object]], series: list[Series], plan: PanelPlan
) -> tuple[tuple[Peak, ...], tuple[str, ...]]:
    peaks, notes = [], []
    for item in series:
        names = {item.testcd.upper(), item.label.upper()} - {""}
        by_test = {
            str(r.get("PPTESTCD") or "").strip(): r
            for r in pp
            if str(r.get("PPCAT") or "").strip().upper() in names
        }
        cmax, tmax = by_test.get("CMAX"), by_test.get("TMAX")
        if cmax is None or tmax is None:
            continue
        cmax_value = pd.to_numeric(cmax.get("PPSTRESN"), errors="coerce")
        tmax_value = pd.to_numeric(tmax.get("PPSTRESN"), errors="coerce")
        cmax_unit = str(cmax.get("PPSTRESU") or "").strip()
        per_day = _DAYS_PER.get(str(tmax.get("PPSTRESU") or "").strip())
        origin = str(tmax.get("PPRFTDTC") or "").strip()
        start = tmax.get("_origin")
        start = math.nan if start is None or pd.isna(start) else float(start)
        if pd.isna(cmax_value) or pd.isna(tmax_value) or per_day is None or math.isnan(start):
            notes.append(f"{item.testcd}: PP CMAX/TMAX incomplete, peak not marked")
            continue
        if cmax_unit != plan.unit:
            notes.append(f"{item.testcd}: PP CMAX in {cmax_unit}, panel in {plan.unit}: not drawn")
            continue
        t = float(start + tmax_value * per_day)
        detail = (
            f"PP {item.testcd}: Cmax {cmax_value:g} {cmax_unit} at Tmax {tmax_value:g} "
            f"{tmax.get('PPSTRESU')} after {origin} (day {study_day(t)})"
        )
        peaks.append(Peak(item.testcd, t, float(cmax_value), detail))
    return tuple(peaks), tuple(notes)


def build_panels(
    plans: Sequence[PanelPlan],
    points: Sequence[PointRow],
    pp: Sequence[Mapping[str, object]],
) -> tuple[Panel, ...]:
    """Fill the study's panels with one subject's results (panels without data are left out).

    Args:
        plans: From :func:`plan_panels`.
        points: The subject's rows from :func:`index_points` (all findings domains).
        pp: The subject's PP records with ``_origin``, the position of PPRFTDTC (for the
            Cmax/Tmax of PC panels).

    Returns:
        The subject's panels, in plan order.
    """
    by_plan: dict[int, dict[str, list[PointRow]]] = {}
    for row in points:
        by_plan.setdefault(row[0], {}).setdefault(row[1], []).append(row)
    panels = []
    for number in sorted(by_plan):
        plan = plans[number]
        notes: list[str] = []
        series = []
        for test in plan.tests:
            rows = by_plan[number].get(test, [])
            if plan.scale == "log":
                kept = [r for r in rows if r[4] > 0]
                if len(kept) < len(rows):
                    notes.append(f"{test}: {len(rows) - len(kept)} result(s) <= 0 not on log axis")
                rows = kept
            if not rows:
                continue
            lloq = tuple(sorted({r[6] for r in rows if not math.isnan(r[6])}))
            series.append(
                Series(
                    test,
                    rows[0][2] or test,
                    tuple(Point(r[3], r[4], r[5], r[7]) for r in rows),
                    lloq,
                )
            )
        if not series:
            continue
        peaks: tuple[Peak, ...] = ()
        if plan.domain == "PC" and pp:
            peaks, peak_notes = _peaks(pp, series, plan)
            notes += peak_notes
        panels.append(Panel(plan, tuple(series), peaks, tuple(notes)))
    return tuple(panels)


def value_range(panel: Panel) -> tuple[float, float]:
    """Return the smallest and largest value to fit on the panel's axis (LLOQs and peaks too)."""
    values = [p.value for s in panel.series for p in s.points]
    values += [v for s in panel.series for v in s.lloq]
    values += [p.value for p in panel.peaks]
    if panel.plan.scale == "log":
        values = [v for v in values if v > 0]
    array = np.asarray(values, dtype=float)
    return float(array.min()), float(array.max())
