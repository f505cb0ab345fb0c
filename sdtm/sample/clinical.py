"""EDC exports of one subject: demographics to death, one list of rows per form.

Every function here reads a :class:`~sdtm.sample.course.Course` and returns rows as tuples of
strings in the column order of :data:`sdtm.sample.layout.RAW_FILES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from sdtm.sample.archetypes import DATA_CUTOFF, SubjectPlan
from sdtm.sample.course import Course, target_dose
from sdtm.sample.formats import edc_date, edc_partial_date, hhmm, trim_number
from sdtm.sample.layout import RAW_FILES, STUDY_ID
from sdtm.sample.meddra import CODING, MEDDRA_VERSION

_COLUMNS = MappingProxyType({f.key: f.columns for f in RAW_FILES})
_FORMS = MappingProxyType({f.key: f.form for f in RAW_FILES})

Row = tuple[str, ...]

FOLLOW_UP_DAYS = (7, 10, 14, 21, 28, 56, 84, 168)
"""Protocol days of the follow-up visits after the daily Day 1-4 visits."""

_HYPOTEN = ("None", "Fluids only", "One vasopressor", "Multiple vasopressors")
_O2 = ("None", "Low-flow nasal cannula", "High-flow / mask", "Positive pressure")
_LOC = ("Awakens spontaneously", "Awakens to voice", "Awakens only to tactile stimulus",
        "Unarousable")  # fmt: skip


def edc_row(plan: SubjectPlan, key: str, folder: str, instance: int, line: int,
            values: dict[str, str]) -> Row:  # fmt: skip
    """Build one EDC row: record keys plus form fields, in the file's column order.

    Args:
        plan: The subject.
        key: Raw file key (``"ae"``).
        folder: EDC folder name.
        instance: Form instance number.
        line: Record position.
        values: Form fields by column name; missing columns are written empty.

    Returns:
        The row as a tuple of strings.
    """
    base = {"STUDYID": STUDY_ID, "SITEID": plan.site, "SUBJID": plan.subjid, "FOLDER": folder,
            "FORM": _FORMS[key], "INSTANCE": str(instance), "LINE": str(line)}  # fmt: skip
    base.update(values)
    return tuple(base.get(column, "") for column in _COLUMNS[key])


def last_contact(course: Course) -> dt.date:
    """Date of the last visit on or before death / cut-off (used for LSTCONDAT)."""
    plan = course.plan
    kind = plan.archetype.kind
    if kind == "SCREEN_FAILURE":
        return plan.screen_date + dt.timedelta(days=5)
    if kind == "MFG_FAILURE":
        return plan.screen_date + dt.timedelta(days=38)
    if kind == "LD_ONLY":
        return course.pday(12)
    end = course.end_of_data
    days = [course.visit_day(d) for d in FOLLOW_UP_DAYS if course.pday(course.visit_day(d)) <= end]
    candidates = [course.pday(days[-1]) if days else course.pday(4)]
    if course.death is not None:
        candidates.append(course.death)
    return max(candidates)


def demographics(course: Course, rng: np.random.Generator) -> dict[str, list[Row]]:
    """Rows of DM, IC, ENR, APH for one subject."""
    plan = course.plan
    arch = plan.archetype
    out: dict[str, list[Row]] = {"dm": [], "ic": [], "enr": [], "aph": []}
    year = int(rng.integers(1944, 1966))
    month = int(rng.integers(1, 13))
    day = int(rng.integers(1, 29))
    birth = (edc_partial_date(year) if plan.has_edge(32) and plan.subjid == "102-001"
             else edc_date(dt.date(year, month, day)))  # fmt: skip
    race_draw = float(rng.random())
    races = {"RACE_AMIND": "0", "RACE_ASIAN": "0", "RACE_BLACK": "0", "RACE_NHPI": "0",
             "RACE_WHITE": "0", "RACE_NR": "0"}  # fmt: skip
    if plan.has_edge(32) and plan.subjid == "101-002":
        races.update(RACE_ASIAN="1", RACE_WHITE="1")
    elif race_draw < 0.72:
        races["RACE_WHITE"] = "1"
    elif race_draw < 0.88:
        races["RACE_BLACK"] = "1"
    elif race_draw < 0.96:
        races["RACE_ASIAN"] = "1"
    else:
        races["RACE_NR"] = "1"
    ethnic_cd = 1 if float(rng.random()) < 0.1 else 2
    ethnic = ("Hispanic or Latino", "Not Hispanic or Latino")[ethnic_cd - 1]
    out["dm"].append(edc_row(plan, "dm", "SCREENING", 1, 1, {
        "BRTHDAT": birth, "SEX": "Male", "SEX_CD": "1", "ETHNIC": ethnic,
        "ETHNIC_CD": str(ethnic_cd), **races, "COUNTRY": "USA"}))  # fmt: skip
    out["ic"].append(edc_row(plan, "ic", "SCREENING", 1, 1, {
        "ICDAT": edc_date(course.consent.date()), "ICTIM": hhmm(course.consent),
        "ICFVER": "1.0", "RECONS": "0"}))  # fmt: skip
    amendment = dt.date(2024, 1, 15)
    if arch.kind == "TREATED" and plan.day0 < amendment and course.end_of_data > amendment:
        recons = dt.datetime.combine(amendment + dt.timedelta(days=int(rng.integers(3, 20))),
                                     dt.time(10, 30))  # fmt: skip
    else:
        recons = None
    if recons is not None and recons.date() <= course.end_of_data:
        out["ic"].append(edc_row(plan, "ic", "SCREENING", 2, 1, {
            "ICDAT": edc_date(recons.date()), "ICTIM": hhmm(recons), "ICFVER": "2.0",
            "RECONS": "1"}))  # fmt: skip
    if arch.kind == "SCREEN_FAILURE":
        reasons = (("IN04", "PSCA EXPRESSION BELOW 2+ IN ARCHIVAL TUMOUR TISSUE"),
                   ("EX07", "CREATININE CLEARANCE BELOW 50 ML/MIN"))  # fmt: skip
        code, text = reasons[plan.index % 2]
        out["enr"].append(edc_row(plan, "enr", "SCREENING", 1, 1, {
            "ELIGYN": "No", "IENOTMET": code, "SFREASON": text}))  # fmt: skip
        return out
    level = arch.dose_level
    out["enr"].append(edc_row(plan, "enr", "SCREENING", 1, 1, {
        "ELIGYN": "Yes", "ENRDAT": edc_date(plan.screen_date + dt.timedelta(days=5)),
        "COHORT": level[-1], "DOSELVL": level,
        "DOSELVL_TXT": f"{level}: {target_dose(plan):.1f} x10^6 CAR+ viable T cells/kg"}))
    failed = arch.kind == "MFG_FAILURE"
    out["aph"].append(edc_row(plan, "aph", "APHERESIS", 1, 1, {
        "APHDAT": edc_date(plan.screen_date + dt.timedelta(days=8)),
        "APHVOL": trim_number(float(rng.uniform(10.0, 18.0)), 1),
        "MFGSTAT": "Failed" if failed else "Released",
        "MFGFAILRSN": "INSUFFICIENT T-CELL EXPANSION" if failed else "",
        "LOTNO": "" if failed else lot_number(plan)}))  # fmt: skip
    return out


def lot_number(plan: SubjectPlan) -> str:
    """Product lot of the subject's CAR-T batch (chain of identity)."""
    return f"PSCA-{plan.day0.year % 100:02d}-{plan.index + 101:04d}"


def lymphodepletion(course: Course) -> list[Row]:
    """Rows of the LD form: fludarabine and cyclophosphamide on protocol Days -5, -4, -3."""
    plan = course.plan
    if course.ld_start is None:
        return []
    bsa = round((course.height_cm * course.weight_kg / 3600.0) ** 0.5, 2)
    renal = "RENAL" in plan.archetype.features
    rows = []
    for day in (-5, -4, -3):
        start = course.at(day, 9, 0)
        for line, (drug, planned, minutes) in enumerate(
            (("FLUDARABINE", 30.0, 30), ("CYCLOPHOSPHAMIDE", 500.0, 60)), start=1
        ):
            reduced = renal and drug == "FLUDARABINE"
            given = planned * bsa * (0.75 if reduced else 1.0)
            end = start + dt.timedelta(minutes=minutes)
            rows.append(edc_row(plan, "ld", f"DAY {day}", 1, line, {
                "LDDAY": str(day), "LDTRT": drug, "LDDAT": edc_date(start.date()),
                "LDSTTIM": hhmm(start), "LDENTIM": hhmm(end),
                "HEIGHT": trim_number(course.height_cm, 1),
                "WEIGHT": trim_number(course.weight_kg, 1), "BSA": f"{bsa:.2f}",
                "PLDOSE": trim_number(planned, 1),
                "ACTDOSE": trim_number(given, 1 if drug == "FLUDARABINE" else 0),
                "ACTDOSU": "mg", "ROUTE": "INTRAVENOUS", "LDMOD": "1" if reduced else "0",
                "LDMODRSN": "RENAL IMPAIRMENT" if reduced else ""}))  # fmt: skip
            start = end + dt.timedelta(minutes=15)
    return rows


def infusion(course: Course, rng: np.random.Generator) -> list[Row]:
    """Rows of the CART form, one per bag."""
    plan = course.plan
    if course.infusion is None:
        return []
    features = plan.archetype.features
    target = target_dose(plan)
    factor = 0.6 if "SHORTFALL" in features else 1.0
    weight = course.weight_kg
    if "DOSEMISMATCH" in features:
        total = round(2.5 * weight, 1)
        reported = "3.0"
    else:
        total = round(target * factor * weight, 1)
        reported = f"{total / weight:.2f}"
    n_bags = 2 if "TWOBAG" in features else 1
    lot = lot_number(plan)
    rows = []
    start = course.infusion
    for bag in range(1, n_bags + 1):
        minutes = 12 if n_bags == 2 else int(rng.integers(10, 25))
        end = start + dt.timedelta(minutes=minutes)
        end_text = "" if plan.has_edge(3) and bag == 2 else hhmm(end)
        rows.append(edc_row(plan, "cart", "DAY 0", 1, bag, {
            "INFDAT": edc_date(start.date()), "WEIGHT": trim_number(weight, 1),
            "TGTDOSE": f"{target:.1f}", "CARTOT": trim_number(total, 1), "CARDOSKG": reported,
            "NBAGS": str(n_bags), "BAGID": f"{lot}-B{bag}", "LOTNO": lot,
            "BAGVOL": trim_number(float(rng.uniform(30.0, 70.0)), 1),
            "BAGSTTIM": hhmm(start), "BAGENTIM": end_text, "INTERR": "0", "PREMED": "1",
            "DOSEADJ": "1" if "SHORTFALL" in features else "0",
            "DOSEADJRSN": "MANUFACTURING SHORTFALL" if "SHORTFALL" in features else ""}))
        start = end + dt.timedelta(minutes=3)
    return rows


@dataclass(frozen=True)
class _Event:
    """An AE before line numbers are assigned."""

    ident: str
    coding_key: str
    term: str
    start: dt.datetime | dt.date
    start_text: str = ""
    start_time: str = ""
    end: dt.date | None = None
    end_text: str | None = None
    end_time: str = ""
    grade: int = 1
    crs_grade: int = 0
    icans_grade: int = 0
    iechs_grade: int = 0
    dlt: bool = False
    criteria: dict[str, str] = field(default_factory=dict)
    serious: bool | None = None
    outcome: str = ""
    acn: str = "NOT APPLICABLE"
    rel: str = "NOT RELATED"
    relld: str = "NOT RELATED"
    contrt: bool = False
    coded: bool = True

    @property
    def sort_key(self) -> tuple[dt.date, str]:
        moment = self.start
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return (day, self.ident)


_OTHER_AES = (
    ("FATIGUE", "FATIGUE", (1, 2)), ("NAUSEA", "NAUSEA", (1, 1)),
    ("HYPOKALAEMIA", "LOW POTASSIUM", (1, 2)), ("HEADACHE", "HEADACHE", (1, 1)),
    ("ANAEMIA", "ANEMIA", (2, 3)), ("THROMBOCYTOPENIA", "LOW PLATELETS", (2, 3)),
    ("HYPOPHOS", "HYPOPHOSPHATEMIA", (2, 2)), ("ALT", "ALT INCREASED", (1, 2)),
)  # fmt: skip
_RELS = ("NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "RELATED")


def _events(course: Course, rng: np.random.Generator) -> list[_Event]:
    plan = course.plan
    arch = plan.archetype
    events: list[_Event] = []
    if arch.kind not in ("TREATED", "LD_ONLY"):
        return events
    neut_end = course.pday(int(rng.integers(10, 22)))
    events.append(_Event("NEUTROPENIA", "NEUTROPENIA", "NEUTROPENIA", course.pday(-1),
                         end=neut_end, grade=int(rng.integers(3, 5)), rel="POSSIBLY RELATED",
                         relld="RELATED",
                         outcome="RESOLVED" if plan.has_edge(10) else "RECOVERED/RESOLVED"))
    if arch.kind == "LD_ONLY":
        events.append(_Event("DETERIORATION", "DETERIORATION", "CLINICAL DETERIORATION",
                             course.at(-2, 7, 30), start_time="07:30", end=course.pday(12),
                             grade=3, criteria={"AESHOSP": "1"}, outcome="RECOVERED/RESOLVED",
                             acn="DRUG WITHDRAWN", relld="POSSIBLY RELATED", contrt=False))
        return events
    if course.crs:
        worst = max(a.grade for a in course.crs)
        seed = "SEED" in arch.features
        criteria = {}
        if worst >= 3:
            criteria = {"AESHOSP": "1", "AESLIFE": "1" if worst >= 4 else "0"}
        terms = ("CYTOKINE RELEASE SYNDROME", "CRS", "Cytokine release syndrome")
        term = terms[0] if seed else terms[int(rng.integers(0, 3))]
        events.append(_Event("CRS", "CRS", term, course.crs_onset,
                             start_time=hhmm(course.crs_onset), end=course.crs_end,
                             grade=worst, crs_grade=worst, criteria=criteria,
                             serious=worst >= 3, outcome="RECOVERED/RESOLVED", rel="RELATED",
                             contrt=worst >= 2))  # fmt: skip
    if course.icans:
        worst = max(a.grade for a in course.icans)
        events.append(_Event("ICANS", "ICANS", "ICANS", course.icans_onset,
                             start_time=hhmm(course.icans_onset), end=course.icans_end,
                             grade=worst, icans_grade=worst,
                             criteria={"AESHOSP": "1"} if worst >= 3 else {},
                             serious=worst >= 3, outcome="RECOVERED/RESOLVED", rel="RELATED",
                             contrt=worst >= 2))  # fmt: skip
    if "CYSTITIS" in arch.features:
        events.append(_Event("CYSTITIS", "CYSTITIS", "NON-INFECTIOUS CYSTITIS WITH HEMATURIA",
                             course.at(10, 14, 0), start_time="14:00", end=course.pday(22),
                             grade=3, dlt=True, criteria={"AESHOSP": "1"}, serious=True,
                             outcome="RECOVERED/RESOLVED", rel="RELATED", contrt=True))
    if "IECHS" in arch.features and course.death is not None:
        events.append(_Event("IECHS", "HLH", "IEC-HS (HLH-LIKE SYNDROME)", course.at(9, 11, 0),
                             start_time="11:00", end=course.death, grade=5, iechs_grade=5,
                             criteria={"AESDTH": "1", "AESLIFE": "1", "AESHOSP": "1"},
                             serious=True, outcome="FATAL", rel="RELATED", contrt=True))
    if plan.has_edge(11):
        fever = course.at(0, 21, 10)
        events.append(_Event("FEVER", "PYREXIA", "Fièvre", fever, start_time=hhmm(fever),
                             end=course.pday(1), grade=1, outcome="RECOVERED/RESOLVED",
                             rel="POSSIBLY RELATED"))  # fmt: skip
    if plan.has_edge(9):
        events.append(_Event("FEBNEUT", "FEBNEUT", "FEBRILE NEUTROPENIA", course.at(5, 3, 40),
                             start_time="03:40", end=course.pday(8), grade=3, serious=True,
                             outcome="RECOVERED/RESOLVED", rel="POSSIBLY RELATED",
                             relld="RELATED", contrt=True))  # fmt: skip
    if plan.has_edge(1):
        events.append(_Event("FATIGUE1", "FATIGUE", "FATIGUE", dt.date(2024, 1, 1),
                             start_text=edc_partial_date(2024, 1), end=dt.date(2024, 12, 31),
                             end_text=edc_partial_date(2024, unknown_day="UNK"), grade=1,
                             outcome="RECOVERED/RESOLVED", rel="UNLIKELY RELATED"))
    if plan.has_edge(5):
        events.append(_Event("HEADACHE1", "HEADACHE", "HEADACHE", course.pday(9),
                             start_time="14:UN", end=course.pday(10), grade=1,
                             outcome="RECOVERED/RESOLVED"))  # fmt: skip
    if plan.has_edge(6):
        start = course.pday(15)
        events.append(_Event("NAUSEA1", "NAUSEA", "NAUSEA", start,
                             end=start - dt.timedelta(days=3), grade=1,
                             outcome="RECOVERED/RESOLVED"))  # fmt: skip
    if plan.has_edge(7):
        events.append(_Event("ANAEMIA1", "ANAEMIA", "ANEMIA", course.pday(30), end=None,
                             grade=2, outcome="NOT RECOVERED/NOT RESOLVED",
                             rel="POSSIBLY RELATED"))  # fmt: skip
    if plan.has_edge(12):
        events.append(_Event("BLANK", "NAUSEA", "", course.pday(6), end=course.pday(7),
                             grade=1, outcome="RECOVERED/RESOLVED", coded=False))
    n_other = int(rng.integers(0, 3))
    picks = rng.choice(len(_OTHER_AES), size=n_other, replace=False)
    for pick in sorted(int(p) for p in picks):
        key, term, (low, high) = _OTHER_AES[pick]
        start = course.pday(int(rng.integers(1, 60)))
        end = start + dt.timedelta(days=int(rng.integers(2, 40)))
        events.append(_Event(f"OTHER{pick}", key, term, start, end=end,
                             grade=int(rng.integers(low, high + 1)),
                             outcome="RECOVERED/RESOLVED",
                             rel=_RELS[int(rng.integers(0, 4))]))  # fmt: skip
    return events


def adverse_events(course: Course, rng: np.random.Generator) -> tuple[list[Row], dict[str, int]]:
    """Rows of the AE log and the AE line number of each event id (``CRS`` -> 2)."""
    plan = course.plan
    end_of_data = course.end_of_data
    events = [e for e in _events(course, rng) if e.sort_key[0] <= end_of_data]
    events.sort(key=lambda e: e.sort_key)
    lines = {event.ident: line for line, event in enumerate(events, start=1)}
    rows = []
    for line, event in enumerate(events, start=1):
        start = event.start
        start_day = start.date() if isinstance(start, dt.datetime) else start
        start_text = event.start_text or edc_date(start_day)
        end, end_text, outcome = event.end, event.end_text, event.outcome
        # An event still present at the cut-off (or at death) has no end date.
        ongoing = end is None or (end > end_of_data and end_text is None)
        if ongoing:
            end_text, outcome = "", "NOT RECOVERED/NOT RESOLVED"
        elif end_text is None:
            end_text = edc_date(end)
        serious = event.serious if event.serious is not None else bool(event.criteria)
        criteria = {name: event.criteria.get(name, "0") for name in
                    ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")}
        coding = CODING[event.coding_key]
        coded = dict(zip(
            ("AELLT", "AEPT", "AEHLT", "AEHLGT", "AESOC"),
            (coding.llt, coding.pt, coding.hlt, coding.hlgt, coding.soc), strict=True))
        coded.update(zip(("AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AESOCCD"), coding.codes,
                         strict=True))  # fmt: skip
        coded["MEDDRAV"] = MEDDRA_VERSION
        if not event.coded:
            coded = {}
        rows.append(edc_row(plan, "ae", "LOGS", 1, line, {
            "AETERM": event.term, "AESTDAT": start_text, "AESTTIM": event.start_time,
            "AEENDAT": end_text, "AEENTIM": "" if ongoing else event.end_time,
            "AEONGO": "1" if ongoing else "0",
            # CTCAE v5.0 has no ICANS term: sites leave the CTCAE grade empty for ICANS.
            "AEGRADE": "" if event.icans_grade else str(event.grade),
            "AECRS": "1" if event.crs_grade else "0",
            "AECRSGR": str(event.crs_grade) if event.crs_grade else "",
            "AEICANS": "1" if event.icans_grade else "0",
            "AEICANSGR": str(event.icans_grade) if event.icans_grade else "",
            "AEIECHS": "1" if event.iechs_grade else "0",
            "AEIECHSGR": str(event.iechs_grade) if event.iechs_grade else "",
            "AEDLT": "1" if event.dlt else "0", "AESER": "Yes" if serious else "No",
            **criteria, "AEOUT": outcome, "AEACN": event.acn, "AEREL": event.rel,
            "AERELLD": event.relld, "AECONTRT": "Yes" if event.contrt else "No", **coded}))
    return rows, lines


def grade_log(course: Course, ae_lines: dict[str, int]) -> list[Row]:
    """Rows of the daily CRS / ICANS assessment log."""
    plan = course.plan
    rows = []
    line = 0
    for ident, items in (("CRS", course.crs), ("ICANS", course.icans)):
        if ident not in ae_lines:
            continue
        for item in items:
            if item.when.date() > course.end_of_data:
                continue
            line += 1
            values = {"CRSAENO": str(ae_lines[ident]), "SYNDROME": item.syndrome,
                      "ASMDAT": edc_date(item.when.date()), "ASMTIM": hhmm(item.when),
                      "ASTCTGR": str(item.grade)}  # fmt: skip
            if item.syndrome == "CRS":
                hypo = 0 if item.grade < 2 else 1
                if item.n_vaso == 1:
                    hypo = 2
                elif item.n_vaso > 1:
                    hypo = 3
                values.update(TMAX=f"{item.tmax:.1f}", HYPOTEN=_HYPOTEN[hypo],
                              HYPOTEN_CD=str(hypo), NVASO=str(item.n_vaso),
                              VASOPRSN="1" if item.vasopressin else "0",
                              O2SUP=_O2[item.o2_code], O2SUP_CD=str(item.o2_code))
            else:
                loc = 0 if item.grade < 2 else item.grade - 1
                values.update(ICE=str(item.ice), LOC=_LOC[loc], SEIZURE="0")
            rows.append(edc_row(plan, "crs", "LOGS", 1, line, values))
    return rows


@dataclass(frozen=True, slots=True)
class _Med:
    """A CM line before formatting."""

    trt: str
    cat: str
    indc: str
    dose: str
    unit: str
    route: str
    freq: str
    start: dt.datetime | dt.date | str
    end: dt.datetime | dt.date | str | None = None
    ae: str = ""


def _date_text(value: dt.datetime | dt.date | str | None) -> tuple[str, str]:
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dt.datetime):
        return edc_date(value.date()), hhmm(value)
    return edc_date(value), ""


def _crs_management(course: Course) -> tuple[list[_Med], list[tuple]]:
    """CM lines and vasopressor intervals for CRS / ICANS / IEC-HS management."""
    arch = course.plan.archetype
    meds: list[_Med] = []
    vaso: list[tuple] = []
    at = course.at
    if "SEED" in arch.features:
        crs = "CYTOKINE RELEASE SYNDROME"
        for day, hour, minute in ((2, 15, 0), (2, 23, 0), (3, 7, 30)):
            start = at(day, hour, minute)
            meds.append(_Med("TOCILIZUMAB", "CRS/ICANS MANAGEMENT", crs, "8", "mg/kg",
                             "INTRAVENOUS", "ONCE", start, start + dt.timedelta(hours=1), "CRS"))
        meds += [
            _Med("DEXAMETHASONE", "CRS/ICANS MANAGEMENT", crs, "10", "mg", "INTRAVENOUS", "Q6H",
                 at(3, 7, 0), at(6, 13, 0), "CRS"),
            _Med("METHYLPREDNISOLONE", "CRS/ICANS MANAGEMENT", crs, "1000", "mg", "INTRAVENOUS",
                 "QD", at(4, 9, 0), at(6, 10, 0), "CRS"),
            _Med("ANAKINRA", "CRS/ICANS MANAGEMENT", crs, "100", "mg", "SUBCUTANEOUS", "Q6H",
                 at(4, 10, 0), at(7, 22, 0), "CRS"),
            _Med("EMAPALUMAB", "CRS/ICANS MANAGEMENT", crs, "1", "mg/kg", "INTRAVENOUS", "ONCE",
                 at(4, 18, 0), at(4, 19, 0), "CRS"),
            _Med("EMAPALUMAB", "CRS/ICANS MANAGEMENT", crs, "1", "mg/kg", "INTRAVENOUS", "ONCE",
                 at(7, 18, 0), at(7, 19, 0), "CRS"),
        ]  # fmt: skip
        vaso = [
            ("NOREPINEPHRINE", "0.3", "mcg/kg/min", at(3, 6, 0), at(5, 5, 45)),
            ("VASOPRESSIN", "0.04", "units/min", at(3, 20, 0), at(5, 2, 0)),
            ("EPINEPHRINE", "0.1", "mcg/kg/min", at(4, 2, 0), at(4, 23, 30)),
            ("PHENYLEPHRINE", "200", "mcg/min", at(4, 8, 0), at(4, 22, 0)),
        ]
        return meds, vaso
    route = "IV" if course.plan.has_edge(13) else "INTRAVENOUS"
    if course.crs:
        worst = max(a.grade for a in course.crs)
        first2 = next((a.when for a in course.crs if a.grade >= 2), None)
        if first2 is not None:
            n_doses = 2 if worst >= 3 or course.plan.has_edge(13) else 1
            for dose in range(n_doses):
                start = first2 + dt.timedelta(hours=1 + 8 * dose)
                meds.append(_Med("TOCILIZUMAB", "CRS/ICANS MANAGEMENT",
                                 "CYTOKINE RELEASE SYNDROME", "8", "mg/kg", route, "ONCE",
                                 start, start + dt.timedelta(hours=1), "CRS"))  # fmt: skip
        for item in course.crs:
            if item.grade >= 3:
                # One vasopressor while grade 3, stopped before the next (grade 2) assessment.
                stop = dt.datetime.combine(item.when.date() + dt.timedelta(days=1),
                                           dt.time(5, 30))  # fmt: skip
                vaso.append(("NOREPINEPHRINE", "0.08", "mcg/kg/min", item.when, stop))
        grade3 = next((a.when for a in course.crs if a.grade >= 3), None)
        if grade3 is not None:
            meds.append(_Med("DEXAMETHASONE", "CRS/ICANS MANAGEMENT",
                             "CYTOKINE RELEASE SYNDROME", "10", "mg", "INTRAVENOUS", "Q6H",
                             grade3 + dt.timedelta(hours=2),
                             grade3 + dt.timedelta(days=2), "CRS"))  # fmt: skip
    if course.icans and max(a.grade for a in course.icans) >= 2:
        start = course.icans_onset + dt.timedelta(hours=1)
        meds.append(_Med("DEXAMETHASONE", "CRS/ICANS MANAGEMENT", "ICANS", "10", "mg",
                         "INTRAVENOUS", "Q6H", start, start + dt.timedelta(days=3), "ICANS"))
        meds.append(_Med("LEVETIRACETAM", "CRS/ICANS MANAGEMENT", "SEIZURE PROPHYLAXIS", "500",
                         "mg", "ORAL", "BID", start, start + dt.timedelta(days=14), "ICANS"))
    if "IECHS" in arch.features and course.death is not None:
        start = at(10, 9, 0)
        meds.append(_Med("ANAKINRA", "CRS/ICANS MANAGEMENT", "IEC-HS", "100", "mg",
                         "SUBCUTANEOUS", "Q6H", start, course.death, "IECHS"))
        meds.append(_Med("DEXAMETHASONE", "CRS/ICANS MANAGEMENT", "IEC-HS", "20", "mg",
                         "INTRAVENOUS", "Q6H", start, course.death, "IECHS"))
    if "CYSTITIS" in arch.features:
        meds.append(_Med("OXYBUTYNIN", "CONCOMITANT MEDICATION", "BLADDER SPASM", "5", "mg",
                         "ORAL", "BID", at(10, 18, 0), course.pday(24), "CYSTITIS"))
    return meds, vaso


def medications(course: Course, rng: np.random.Generator,
                ae_lines: dict[str, int]) -> tuple[list[Row], list[Row]]:  # fmt: skip
    """Rows of the CM log and the vasopressor log."""
    plan = course.plan
    kind = plan.archetype.kind
    if kind == "SCREEN_FAILURE":
        return [], []
    meds: list[_Med] = []
    adt_year = int(rng.integers(2018, 2023))
    meds.append(_Med("LEUPROLIDE", "PRIOR ANTI-CANCER THERAPY", "PROSTATE CANCER", "22.5", "mg",
                     "INTRAMUSCULAR", "EVERY 12 WEEKS", edc_partial_date(adt_year)))
    enza_start = int(rng.integers(adt_year, 2023)) if adt_year < 2023 else 2022
    meds.append(_Med("ENZALUTAMIDE", "PRIOR ANTI-CANCER THERAPY", "MCRPC", "160", "mg", "ORAL",
                     "QD", edc_partial_date(enza_start, int(rng.integers(1, 13))),
                     edc_partial_date(2023, int(rng.integers(1, 7)))))  # fmt: skip
    if float(rng.random()) < 0.5:
        meds.append(_Med("DOCETAXEL", "PRIOR ANTI-CANCER THERAPY", "MCRPC", "75", "mg/m2",
                         "INTRAVENOUS", "EVERY 3 WEEKS", edc_partial_date(2022, 3),
                         edc_partial_date(2022, 9)))  # fmt: skip
    if float(rng.random()) < 0.6:
        meds.append(_Med("ATORVASTATIN", "PRIOR MEDICATION", "HYPERLIPIDEMIA", "20", "mg",
                         "ORAL", "QD", edc_partial_date(int(rng.integers(2010, 2020)),
                                                        unknown_day="UNK")))  # fmt: skip
    if plan.has_edge(11):
        meds.append(_Med("CYANOCOBALAMIN", "PRIOR MEDICATION", "VITAMIN B12 DEFICIENCY", "1000",
                         "µg", "INTRAMUSCULAR", "EVERY 4 WEEKS", edc_partial_date(2023, 2)))
    if kind in ("TREATED", "LD_ONLY") and float(rng.random()) < 0.2:
        meds.append(_Med("ABIRATERONE", "BRIDGING THERAPY", "MCRPC", "1000", "mg", "ORAL", "QD",
                         plan.screen_date + dt.timedelta(days=10), course.pday(-7)))
    if kind in ("TREATED", "LD_ONLY"):
        meds.append(_Med("ACYCLOVIR", "CONCOMITANT MEDICATION", "ANTIVIRAL PROPHYLAXIS", "400",
                         "mg", "ORAL", "BID", course.at(-5, 8, 0), course.death))
    if course.infusion is not None:
        pre = course.infusion - dt.timedelta(minutes=30)
        meds.append(_Med("ACETAMINOPHEN", "PREMEDICATION", "PREMEDICATION FOR CAR-T INFUSION",
                         "650", "mg", "ORAL", "ONCE", pre, pre))
        meds.append(_Med("DIPHENHYDRAMINE", "PREMEDICATION", "PREMEDICATION FOR CAR-T INFUSION",
                         "25", "mg", "INTRAVENOUS", "ONCE", pre, pre))
    if plan.has_edge(15):
        start = course.at(15, 9, 0)
        meds.append(_Med("ONDANSETRON", "CONCOMITANT MEDICATION", "NAUSEA", "8", "mg", "ORAL",
                         "PRN", start, start + dt.timedelta(days=2), "MISSING9"))
    crs_meds, vaso = _crs_management(course)
    meds += crs_meds
    end_of_data = course.end_of_data
    cm_rows = []
    line = 0
    for med in meds:
        start_text, start_time = _date_text(med.start)
        start_day = med.start.date() if isinstance(med.start, dt.datetime) else med.start
        if isinstance(start_day, dt.date) and start_day > end_of_data:
            continue
        end_value = med.end
        if end_value is None and course.death is not None:
            end_value = course.death  # treatment stops at death; "ongoing" means at cut-off
        end_day = end_value.date() if isinstance(end_value, dt.datetime) else end_value
        ongoing = end_value is None or (isinstance(end_day, dt.date) and end_day > DATA_CUTOFF)
        end_text, end_time = ("", "") if ongoing else _date_text(end_value)
        ae_no = "9" if med.ae == "MISSING9" else str(ae_lines.get(med.ae, "")) if med.ae else ""
        line += 1
        cm_rows.append(edc_row(plan, "cm", "LOGS", 1, line, {
            "CMTRT": med.trt, "CMCAT": med.cat, "CMINDC": med.indc, "CMAENO": ae_no,
            "CMDOSE": med.dose, "CMDOSU": med.unit, "CMROUTE": med.route, "CMFREQ": med.freq,
            "CMSTDAT": start_text, "CMSTTIM": start_time, "CMENDAT": end_text,
            "CMENTIM": end_time, "CMONGO": "1" if ongoing else "0"}))  # fmt: skip
    vp_rows = []
    for line, (drug, rate, unit, start, stop) in enumerate(vaso, start=1):
        vp_rows.append(edc_row(plan, "vp", "LOGS", 1, line, {
            "VPTRT": drug, "VPAENO": str(ae_lines.get("CRS", "")), "VPRATE": rate,
            "VPRATEU": unit, "VPSTDAT": edc_date(start.date()), "VPSTTIM": hhmm(start),
            "VPENDAT": edc_date(stop.date()), "VPENTIM": hhmm(stop)}))  # fmt: skip
    return cm_rows, vp_rows


def disposition(course: Course, ae_lines: dict[str, int]) -> tuple[list[Row], list[Row]]:
    """Rows of the end-of-study form and the death form."""
    plan = course.plan
    kind = plan.archetype.kind
    contact = last_contact(course)
    status, reason, code, when = "ONGOING", "", "", None
    if kind == "SCREEN_FAILURE":
        status, reason, code, when = "SCREEN FAILURE", "SCREEN FAILURE", "5", contact
    elif kind == "MFG_FAILURE":
        status, reason, code, when = "DISCONTINUED", "MANUFACTURING FAILURE", "3", contact
    elif kind == "LD_ONLY":
        status, reason, code, when = "DISCONTINUED", "ADVERSE EVENT", "2", contact
    elif course.death is not None:
        status, reason, code, when = "DISCONTINUED", "DEATH", "1", course.death
    elif course.pday(course.visit_day(168)) <= DATA_CUTOFF:
        status, when = "COMPLETED", course.pday(course.visit_day(168))
    ds = [edc_row(plan, "ds", "END OF STUDY", 1, 1, {
        "DSSTAT": status, "DSREAS": reason, "DSREAS_CD": code, "DSDAT": edc_date(when),
        "LSTCONDAT": edc_date(contact)})]  # fmt: skip
    dd = []
    if course.death is not None:
        dd.append(edc_row(plan, "dd", "END OF STUDY", 1, 1, {
            "DTHDAT": edc_date(course.death),
            "DTHCAUSE": "IMMUNE EFFECTOR CELL-ASSOCIATED HLH-LIKE SYNDROME",
            "DTHAENO": str(ae_lines.get("IECHS", "")), "AUTOPSY": "No"}))  # fmt: skip
    return ds, dd
