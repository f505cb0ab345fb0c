"""Central-lab transfers (vendor A for site 101, vendor B for site 102) for one subject.

Values are drawn in canonical (lab A) units from a simple model: a per-subject baseline, a CRS
inflammation pulse scaled by the worst CRS grade, the lymphodepletion nadir for blood counts,
an IEC-HS ramp, and PSA kinetics; then each vendor converts to its own units, censors at its
LLOQ/ULOQ and attaches its reference ranges. The seed-case subject uses the published-shape
values of :mod:`sdtm.sample.seedcase` for the analytes the case report talks about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sdtm.sample.course import Course
from sdtm.sample.formats import iso_date, number
from sdtm.sample.layout import STUDY_ID
from sdtm.sample.seedcase import SEED_LAB_VALUES

Row = tuple[str, ...]

LAB_B_IL6_SWITCH = dt.date(2024, 4, 1)
"""From this collection date lab B reports IL-6 in ng/mL instead of ng/L (assay change)."""


@dataclass(frozen=True, slots=True)
class VendorTest:
    """How one vendor reports one analyte."""

    code: str
    """Vendor test code."""
    name: str
    """Vendor test name."""
    unit: str
    """Reported unit."""
    factor: float
    """Multiplier from the canonical (lab A) unit to ``unit``."""
    decimals: int
    """Decimals reported."""
    reflo: str
    """Reference range low as text (empty if none)."""
    refhi: str
    """Reference range high as text (empty if none)."""
    lloq: str
    """LLOQ as text in ``unit`` (empty if none)."""
    uloq: str
    """ULOQ as text in ``unit`` (empty if none)."""
    method: str
    """Method as the vendor names it."""


@dataclass(frozen=True, slots=True)
class Analyte:
    """Model of one analyte in canonical units."""

    key: str
    """Internal key (the SDTM LBTESTCD it maps to)."""
    specimen: str
    """Specimen type."""
    base: float
    """Population median baseline."""
    sdlog: float
    """Between-subject spread of the baseline (log scale)."""
    folds: tuple[float, float, float, float, float]
    """Peak fold change over baseline by worst CRS grade 0-4."""
    fall_days: float
    """Width (days) of the decline after the CRS peak."""
    iechs: float
    """Fold change at the height of IEC-HS (1 = none; <1 = falls)."""
    lab_a: VendorTest
    """Lab A reporting."""
    lab_b: VendorTest | None
    """Lab B reporting (``None``: lab B does not run it)."""


def _t(code: str, name: str, unit: str, factor: float, decimals: int, ref: tuple[str, str],
       lloq: str, uloq: str, method: str) -> VendorTest:  # fmt: skip
    return VendorTest(code, name, unit, factor, decimals, ref[0], ref[1], lloq, uloq, method)


_NO_RANGE = ("", "")
_MBI = "MULTIPLEX BEAD IMMUNOASSAY"

ANALYTES: tuple[Analyte, ...] = (
    Analyte("INTLK6", "SERUM", 2.2, 0.7, (1, 15, 80, 400, 1200), 1.6, 1.0,
            _t("IL-6", "Interleukin-6", "pg/mL", 1, 1, ("0.0", "7.0"), "1.5", "5000", "ECLIA"),
            _t("B1106", "IL6", "ng/L", 1, 1, _NO_RANGE, "2.0", "10000", _MBI)),
    Analyte("IFNG", "SERUM", 0.9, 0.6, (1, 10, 60, 300, 900), 1.6, 1.0,
            _t("IFNG", "Interferon gamma", "pg/mL", 1, 1, _NO_RANGE, "0.4", "5000", _MBI),
            _t("B1120", "IFN-GAMMA", "ng/mL", 0.001, 4, _NO_RANGE, "0.001", "5", _MBI)),
    Analyte("CXCL10", "SERUM", 180.0, 0.3, (1, 4, 12, 40, 90), 2.0, 1.0,
            _t("IP-10", "IP-10 (CXCL10)", "pg/mL", 1, 0, _NO_RANGE, "10", "20000", _MBI),
            _t("B1130", "CXCL10", "ng/L", 1, 0, _NO_RANGE, "15", "20000", _MBI)),
    Analyte("INTLK2", "SERUM", 1.5, 0.3, (1, 1.5, 3, 6, 9), 1.6, 1.0,
            _t("IL-2", "Interleukin-2", "pg/mL", 1, 1, _NO_RANGE, "2.5", "5000", _MBI),
            _t("B1102", "IL2", "ng/L", 1, 1, _NO_RANGE, "3.0", "5000", _MBI)),
    Analyte("INTLK10", "SERUM", 4.0, 0.4, (1, 3, 10, 30, 55), 1.6, 1.0,
            _t("IL-10", "Interleukin-10", "pg/mL", 1, 1, _NO_RANGE, "1.0", "5000", _MBI),
            _t("B1110", "IL10", "ng/L", 1, 1, _NO_RANGE, "1.5", "5000", _MBI)),
    Analyte("TNF", "SERUM", 5.0, 0.3, (1, 1.5, 3, 6, 10), 1.6, 1.0,
            _t("TNF-a", "TNF-alpha", "pg/mL", 1, 1, _NO_RANGE, "1.2", "5000", _MBI),
            _t("B1140", "TNF ALPHA", "ng/L", 1, 1, _NO_RANGE, "2.0", "5000", _MBI)),
    Analyte("GMCSF", "SERUM", 1.5, 0.3, (1, 1.2, 2, 4, 6), 1.6, 1.0,
            _t("GM-CSF", "GM-CSF", "pg/mL", 1, 1, _NO_RANGE, "3.0", "5000", _MBI),
            _t("B1150", "GMCSF", "ng/L", 1, 1, _NO_RANGE, "2.5", "5000", _MBI)),
    Analyte("IL6SR", "SERUM", 45.0, 0.2, (1, 1, 1.1, 1.2, 1.3), 4.0, 1.0,
            _t("IL6S", "Soluble IL-6 Receptor", "ng/mL", 1, 1, _NO_RANGE, "1.0", "", "ELISA"),
            None),
    Analyte("FERRITIN", "SERUM", 300.0, 0.5, (1, 2, 5, 15, 35), 5.0, 150.0,
            _t("FERR", "Ferritin", "ng/mL", 1, 0, ("30", "400"), "", "", "ECLIA"),
            _t("B2010", "FERRITIN", "ug/L", 1, 0, ("22", "322"), "", "", "ECLIA")),
    Analyte("CRP", "SERUM", 5.0, 0.5, (1, 10, 25, 40, 55), 2.0, 4.0,
            _t("CRP", "C-Reactive Protein", "mg/L", 1, 1, ("0.0", "8.0"), "0.3", "",
               "IMMUNOTURBIDIMETRY"),
            _t("B2020", "CRP", "mg/dL", 0.1, 2, ("0.00", "0.50"), "0.03", "",
               "IMMUNOTURBIDIMETRY")),
    Analyte("FIBRINO", "PLASMA", 330.0, 0.12, (1, 1.15, 1.3, 0.7, 0.45), 3.0, 0.3,
            _t("FIB", "Fibrinogen", "mg/dL", 1, 0, ("200", "400"), "", "", "CLAUSS"),
            _t("B3010", "FIBRINOGEN", "mg/dL", 1, 0, ("180", "350"), "", "", "CLAUSS")),
    Analyte("TRIG", "SERUM", 140.0, 0.3, (1, 1, 1.1, 1.2, 1.4), 4.0, 2.7,
            _t("TRIG", "Triglycerides", "mg/dL", 1, 0, ("0", "150"), "", "", "ENZYMATIC"),
            _t("B2030", "TRIGLYCERIDES", "mg/dL", 1, 0, ("0", "200"), "", "", "ENZYMATIC")),
    Analyte("PSA", "SERUM", 35.0, 0.0, (1, 1, 1, 1, 1), 1.0, 1.0,
            _t("PSA", "PSA, Total", "ng/mL", 1, 2, ("0.00", "4.00"), "0.01", "", "ECLIA"),
            _t("B2040", "PSA TOTAL", "ug/L", 1, 2, ("0.00", "4.00"), "0.02", "", "ECLIA")),
    Analyte("NEUT", "WHOLE BLOOD", 4.0, 0.25, (1, 1, 1, 1, 1), 1.0, 0.4,
            _t("ANC", "Absolute Neutrophil Count", "10^3/uL", 1, 2, ("1.80", "7.70"), "0.01",
               "", "FLOW CYTOMETRY"),
            _t("B4010", "NEUTROPHILS ABS", "10^9/L", 1, 2, ("2.00", "7.50"), "0.01", "",
               "FLOW CYTOMETRY")),
    Analyte("PLAT", "WHOLE BLOOD", 230.0, 0.2, (1, 1, 0.95, 0.85, 0.75), 3.0, 0.1,
            _t("PLT", "Platelet Count", "10^3/uL", 1, 0, ("150", "400"), "", "", "IMPEDANCE"),
            _t("B4020", "PLATELETS", "10^9/L", 1, 0, ("140", "400"), "", "", "IMPEDANCE")),
    Analyte("ALT", "SERUM", 22.0, 0.3, (1, 1.1, 1.5, 2.5, 3.5), 3.0, 12.0,
            _t("ALT", "ALT (SGPT)", "U/L", 1, 0, ("7", "45"), "", "", "SPECTROPHOTOMETRY"),
            _t("B2050", "ALT", "U/L", 1, 0, ("0", "41"), "", "", "SPECTROPHOTOMETRY")),
    Analyte("AST", "SERUM", 24.0, 0.3, (1, 1.1, 1.6, 2.8, 4.0), 3.0, 15.0,
            _t("AST", "AST (SGOT)", "U/L", 1, 0, ("8", "40"), "", "", "SPECTROPHOTOMETRY"),
            _t("B2060", "AST", "U/L", 1, 0, ("0", "40"), "", "", "SPECTROPHOTOMETRY")),
    Analyte("BILI", "SERUM", 0.6, 0.3, (1, 1, 1.1, 1.3, 1.6), 3.0, 5.0,
            _t("TBIL", "Bilirubin, Total", "mg/dL", 1, 1, ("0.2", "1.2"), "", "",
               "COLORIMETRY"),
            _t("B2070", "BILIRUBIN TOTAL", "umol/L", 17.1, 0, ("3", "21"), "", "",
               "COLORIMETRY")),
    Analyte("LDH", "SERUM", 190.0, 0.2, (1, 1.2, 1.6, 2.2, 3.0), 3.0, 5.0,
            _t("LDH", "Lactate Dehydrogenase", "U/L", 1, 0, ("120", "250"), "", "",
               "SPECTROPHOTOMETRY"),
            _t("B2080", "LDH", "U/L", 1, 0, ("135", "225"), "", "", "SPECTROPHOTOMETRY")),
)  # fmt: skip
"""Every analyte the central labs report, in the order rows are written per draw."""

_INDEX = MappingProxyType({a.key: i for i, a in enumerate(ANALYTES)})
_IL6_NGML = _t("B1106", "IL6", "ng/mL", 0.001, 4, _NO_RANGE, "0.002", "10", _MBI)

CYTOKINES = ("INTLK6", "IFNG", "CXCL10", "INTLK2", "INTLK10", "TNF", "GMCSF")
SAFETY = ("NEUT", "PLAT", "ALT", "AST", "BILI", "LDH", "CRP", "FERRITIN", "FIBRINO", "TRIG")
PANELS = MappingProxyType({
    "SCREEN": (*SAFETY, "PSA"),
    "FULL": (*CYTOKINES, *SAFETY),
    "FULL_PSA": (*CYTOKINES, *SAFETY, "PSA"),
    "MONTH": ("NEUT", "PLAT", "ALT", "AST", "BILI", "LDH", "CRP", "FERRITIN", "PSA"),
    "UNS_CRS": (*CYTOKINES, "CRP", "FERRITIN", "FIBRINO"),
    "UNS_IEC": ("NEUT", "PLAT", "ALT", "AST", "BILI", "LDH", "CRP", "FERRITIN", "FIBRINO",
                "TRIG"),
    "REDRAW_CRP": ("CRP",),
})  # fmt: skip
"""Analytes drawn per panel."""

# Blood-count factors after Flu/Cy lymphodepletion: (protocol day, fraction of baseline).
_ANC_KNOTS = ((-40.0, 1.0), (-5.0, 1.0), (-3.0, 0.8), (0.0, 0.15), (7.0, 0.05), (14.0, 0.3),
              (28.0, 0.7), (56.0, 0.85), (400.0, 0.95))  # fmt: skip
_PLT_KNOTS = ((-40.0, 1.0), (-5.0, 1.0), (0.0, 0.8), (7.0, 0.5), (14.0, 0.55), (28.0, 0.8),
              (400.0, 0.95))  # fmt: skip
_PSA_RESPONSE = ((-40.0, 0.93), (-5.0, 1.0), (14.0, 0.5), (28.0, 0.25), (56.0, 0.15),
                 (84.0, 0.12), (400.0, 0.15))  # fmt: skip
_PSA_PROGRESS = ((-40.0, 0.9), (-5.0, 1.0), (28.0, 1.15), (84.0, 1.4), (400.0, 2.2))


@dataclass(frozen=True, slots=True)
class Draw:
    """One blood collection."""

    visit: str
    """Vendor visit name."""
    visitcd: str
    """Vendor visit code."""
    when: dt.datetime
    """Collection date-time."""
    panel: str
    """Key of :data:`PANELS`."""
    seed_label: str = ""
    """Label into the seed-case value table (seed subject only)."""


def _interp(knots: tuple[tuple[float, float], ...], t: np.ndarray) -> np.ndarray:
    xs = np.array([k[0] for k in knots])
    ys = np.log(np.array([k[1] for k in knots]))
    return np.exp(np.interp(t, xs, ys))


def schedule(course: Course, rng: np.random.Generator) -> list[Draw]:
    """Blood draws of one subject, in collection order, up to death / cut-off."""
    plan = course.plan
    kind = plan.archetype.kind
    seed_case = "SEED" in plan.archetype.features

    def morning(day: int) -> dt.datetime:
        return course.at(day, int(rng.integers(7, 10)), int(rng.integers(0, 12)) * 5)

    screen = dt.datetime.combine(plan.screen_date, dt.time(int(rng.integers(8, 11)), 15))
    draws = [Draw("SCREENING", "SCR", screen, "SCREEN", "SCR")]
    if kind in ("TREATED", "LD_ONLY"):
        draws.append(Draw("DAY -5", "DM5", course.at(-5, 7, 40), "FULL_PSA", "DM5"))
    if kind == "TREATED" and course.infusion is not None:
        pre = course.infusion - dt.timedelta(minutes=int(rng.integers(60, 100)))
        if seed_case:
            pre = course.at(0, 8, 30)
        draws.append(Draw("DAY 0", "D0", pre, "FULL", "D0"))
        seed_times = {1: (7, 30), 2: (7, 30), 3: (7, 0), 4: (7, 0)}
        for day in (1, 2, 3, 4):
            when = course.at(day, *seed_times[day]) if seed_case else morning(day)
            draws.append(Draw(f"DAY {day}", f"D{day}", when, "FULL", f"D{day}"))
        for day in (7, 10, 14, 21, 28):
            panel = "FULL_PSA" if day in (14, 28) else "FULL"
            draws.append(Draw(f"DAY {day}", f"D{day}", morning(day), panel, f"D{day}"))
        for month, day in ((2, 56), (3, 84), (6, 168)):
            when = course.at(course.visit_day(day), int(rng.integers(8, 10)), 0)
            draws.append(Draw(f"MONTH {month}", f"M{month}", when, "MONTH", f"M{month}"))
        if seed_case:
            for label, (day, hour) in (("U4", (4, 16)), ("U5", (5, 6)), ("U6", (6, 6))):
                draws.append(Draw("UNSCHEDULED", "UNS", course.at(day, hour, 0), "UNS_CRS",
                                  label))  # fmt: skip
        else:
            for item in course.crs:
                if item.grade >= 2:
                    draws.append(Draw("UNSCHEDULED", "UNS", item.when + dt.timedelta(hours=4),
                                      "UNS_CRS"))  # fmt: skip
        if "IECHS" in plan.archetype.features:
            for day in (12, 16, 19):
                draws.append(Draw("UNSCHEDULED", "UNS", course.at(day, 6, 0), "UNS_IEC"))
        if plan.has_edge(22) and plan.subjid == "101-006":
            d2 = next(d for d in draws if d.visit == "DAY 2")
            draws.append(Draw("UNSCHEDULED", "UNS", d2.when + dt.timedelta(hours=6),
                              "REDRAW_CRP"))  # fmt: skip
    end = course.end_of_data
    draws = [d for d in draws if d.when.date() <= end]
    draws.sort(key=lambda d: d.when)
    return draws


def _values(course: Course, draws: list[Draw], rng: np.random.Generator) -> np.ndarray:
    """Canonical-unit values, shape (len(draws), len(ANALYTES))."""
    plan = course.plan
    n = len(draws)
    t = np.array([(d.when - dt.datetime.combine(course.day0, dt.time(0))).total_seconds()
                  / 86400.0 for d in draws])  # fmt: skip
    base = np.array([a.base for a in ANALYTES]) * np.exp(
        rng.normal(0.0, 1.0, len(ANALYTES)) * np.array([a.sdlog for a in ANALYTES]))
    grade = max((a.grade for a in course.crs), default=0)
    folds = np.array([a.folds[grade] for a in ANALYTES])
    fall = np.array([a.fall_days for a in ANALYTES])
    peak = course.peak_crs_time
    if peak is None or course.infusion is None:
        pulse = np.zeros((n, len(ANALYTES)))
    else:
        tp = (peak - dt.datetime.combine(course.day0, dt.time(0))).total_seconds() / 86400.0
        dtp = (t - tp)[:, None]
        width = np.where(dtp < 0, 0.9, fall[None, :])
        pulse = np.exp(-0.5 * (dtp / width) ** 2)
    values = base[None, :] * (1.0 + (folds[None, :] - 1.0) * pulse)
    if "IECHS" in plan.archetype.features:
        ramp = np.clip((t - 8.0) / 11.0, 0.0, 1.0) ** 1.2
        iechs = np.array([a.iechs for a in ANALYTES])
        values *= 1.0 + (iechs[None, :] - 1.0) * ramp[:, None]
    treated = course.ld_start is not None
    if treated:
        values[:, _INDEX["NEUT"]] *= _interp(_ANC_KNOTS, t)
        values[:, _INDEX["PLAT"]] *= _interp(_PLT_KNOTS, t)
    psa_knots = _PSA_RESPONSE if course.psa_response else _PSA_PROGRESS
    values[:, _INDEX["PSA"]] = course.psa_base * _interp(psa_knots, t)
    values *= np.exp(rng.normal(0.0, 0.08, values.shape))
    if plan.has_edge(19):
        # Planted edge case 19: pre-LD IL-6 and IFN-gamma below lab A's LLOQs (1.5, 0.4).
        for row, draw in enumerate(draws):
            if draw.visitcd == "DM5":
                values[row, _INDEX["INTLK6"]], values[row, _INDEX["IFNG"]] = 1.1, 0.3
    if "SEED" in plan.archetype.features:
        for row, draw in enumerate(draws):
            for key, value in SEED_LAB_VALUES.get(draw.seed_label, {}).items():
                values[row, _INDEX[key]] = value
    return values


def _flag(value: float, test: VendorTest) -> str:
    if test.refhi and value > float(test.refhi):
        return "HH" if value > 5 * float(test.refhi) else "H"
    if test.reflo and float(test.reflo) > 0 and value < float(test.reflo):
        return "LL" if value < 0.5 * float(test.reflo) else "L"
    return ""


def lab_rows(course: Course, rng: np.random.Generator) -> tuple[str, list[Row]]:
    """Rows of the subject's central-lab transfer and the key of the file they go to."""
    plan = course.plan
    lab_b = plan.site == "102"
    draws = schedule(course, rng)
    values = _values(course, draws, rng)
    rows: list[Row] = []
    il6s = plan.has_edge(24)
    for row, draw in enumerate(draws):
        day = draw.when.date()
        coll_time = f"{draw.when.hour:02d}:{draw.when.minute:02d}"
        if plan.has_edge(4) and draw.visit == "DAY 0":
            coll_time = "UNK"
        if lab_b:
            accession = f"B-{plan.index:05d}-{row + 1:03d}"
        else:
            accession = f"A{day:%y%m%d}{plan.index:05d}{row + 1:02d}"
        head = (STUDY_ID, plan.site, plan.subjid, draw.visit, draw.visitcd, accession,
                iso_date(day), coll_time, iso_date(day + dt.timedelta(days=1)))  # fmt: skip
        keys = list(PANELS[draw.panel])
        if il6s and draw.visitcd in ("D0", "D3", "D7"):
            keys.insert(len(CYTOKINES), "IL6SR")
        for key in keys:
            analyte = ANALYTES[_INDEX[key]]
            test = analyte.lab_b if lab_b else analyte.lab_a
            if test is None:
                continue
            if lab_b and key == "INTLK6" and day >= LAB_B_IL6_SWITCH:
                test = _IL6_NGML
            value = float(values[row, _INDEX[key]]) * test.factor
            result = number(value, test.decimals)
            unit, status, cond, comment = test.unit, "FINAL", "", ""
            if key == "INTLK6" and plan.has_edge(19) and draw.visitcd == "D3":
                value = float(test.uloq) + 1200.0
                result, comment = f">{test.uloq}", "ABOVE ULOQ, NOT DILUTED"
            elif test.lloq and value < float(test.lloq):
                result = f"<{test.lloq}"
            elif test.uloq and value > float(test.uloq):
                comment = "DILUTED 1:10"
            flag = _flag(value, test) if result[0] not in "<>" else ""
            if key == "INTLK6" and plan.has_edge(18) and draw.visit == "UNSCHEDULED" and (
                    not any(r[9] == test.code and r[13] == "pg/dL" for r in rows)):
                result, unit, flag = number(value * 100.0 / test.factor, 0), "pg/dL", ""
            if key == "CXCL10" and plan.has_edge(20) and draw.visitcd == "D10":
                result, status, cond, flag = "", "NOT DONE", "HEMOLYZED", ""
                comment = "SAMPLE HEMOLYZED, NOT REPORTED"
            if key == "LDH" and plan.has_edge(21) and draw.visitcd == "D7":
                result, status, flag = "", "", ""
            if draw.panel == "REDRAW_CRP":
                comment = "REDRAW, FIRST SAMPLE CLOTTED"
            line = (*head, test.code, test.name, analyte.specimen, result, unit, test.reflo,
                    test.refhi, flag, test.lloq, test.uloq, test.method,
                    "LAB B" if lab_b else "LAB A", status, cond, comment)  # fmt: skip
            rows.append(line)
            if key == "ALT" and plan.has_edge(22) and plan.subjid == "101-004" and (
                    draw.visitcd == "D7"):
                rows.append(line)
    return ("lab_b" if lab_b else "lab_a"), rows
