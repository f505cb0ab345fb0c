"""Clinical plausibility of the raw files (domain brief 4.5): tests on the data, not SDTM rules."""

import datetime as dt

import pandas as pd
import pytest

SEED = "101-011"
IECHS = "101-012"


def _infusion_starts(frames, edc_dt) -> dict[str, dt.datetime]:
    cart = frames["cart"]
    first = cart[cart["LINE"] == "1"]
    return {r.SUBJID: edc_dt(r.INFDAT, r.BAGSTTIM) for r in first.itertuples()}


def _crs_events(frames, edc_dt) -> pd.DataFrame:
    ae = frames["ae"]
    crs = ae[ae["AECRS"] == "1"].copy()
    crs["start"] = [edc_dt(d, t) for d, t in zip(crs["AESTDAT"], crs["AESTTIM"], strict=True)]
    crs["end"] = [edc_dt(d) for d in crs["AEENDAT"]]
    return crs


def _numeric(result: str) -> float | None:
    try:
        return float(result)
    except ValueError:
        return None


def test_crs_onset_is_after_infusion(any_study, edc_dt):
    starts = _infusion_starts(any_study, edc_dt)
    crs = _crs_events(any_study, edc_dt)
    assert len(crs) > 10
    late = [(r.SUBJID, r.start) for r in crs.itertuples() if not r.start > starts[r.SUBJID]]
    assert late == []


def test_tocilizumab_only_after_crs_onset(any_study, edc_dt):
    crs = _crs_events(any_study, edc_dt).set_index("SUBJID")
    cm = any_study["cm"]
    toci = cm[cm["CMTRT"] == "TOCILIZUMAB"]
    assert len(toci) >= 5
    early = [r.SUBJID for r in toci.itertuples()
             if not edc_dt(r.CMSTDAT, r.CMSTTIM) > crs.loc[r.SUBJID, "start"]]
    assert early == []


def test_vasopressors_only_while_crs_is_at_least_grade_2(any_study, edc_dt):
    """Each interval lies inside the CRS AE, every date it covers has a logged ASTCT grade >= 2,
    and the grade current when it starts is >= 3 (one vasopressor = ASTCT grade 3)."""
    crs = _crs_events(any_study, edc_dt).set_index("SUBJID")
    log = any_study["crs"]
    log = log[log["SYNDROME"] == "CRS"].copy()
    log["when"] = [edc_dt(d, t) for d, t in zip(log["ASMDAT"], log["ASMTIM"], strict=True)]
    log["grade"] = log["ASTCTGR"].astype(int)
    problems = []
    for r in any_study["vp"].itertuples():
        start, stop = edc_dt(r.VPSTDAT, r.VPSTTIM), edc_dt(r.VPENDAT, r.VPENTIM)
        event = crs.loc[r.SUBJID]
        if int(r.VPAENO) != int(event["LINE"]) or start < event["start"] or stop.date() > event[
                "end"].date():
            problems.append((r.SUBJID, r.VPTRT, "outside CRS AE"))
        own = log[log["SUBJID"] == r.SUBJID]
        day = start.date()
        while day <= stop.date():
            if own[own["when"].dt.date == day]["grade"].max() < 2:
                problems.append((r.SUBJID, r.VPTRT, day))
            day += dt.timedelta(days=1)
        current = own[own["when"] <= start].sort_values("when")["grade"]
        if current.empty or current.iloc[-1] < 3:
            problems.append((r.SUBJID, r.VPTRT, "start grade < 3"))
    assert len(any_study["vp"]) >= 5
    assert problems == []


def test_grade_4_crs_assessments_have_two_non_vasopressin_pressors(any_study):
    log = any_study["crs"]
    grade4 = log[(log["SYNDROME"] == "CRS") & (log["ASTCTGR"] == "4")]
    assert not grade4.empty
    assert ((grade4["NVASO"].astype(int) >= 2) | (grade4["O2SUP_CD"] == "3")).all()


def test_ld_doses_on_protocol_days_minus5_to_minus3(any_study, edc_dt):
    ld = any_study["ld"]
    starts = _infusion_starts(any_study, edc_dt)
    assert set(ld["LDDAY"]) == {"-5", "-4", "-3"}
    per_subject = ld.groupby("SUBJID").apply(
        lambda g: sorted(zip(g["LDDAY"], g["LDTRT"], strict=True)), include_groups=False)
    expected = sorted((d, t) for d in ("-5", "-4", "-3") for t in ("FLUDARABINE",
                                                                   "CYCLOPHOSPHAMIDE"))
    assert all(v == expected for v in per_subject)
    offsets = [(edc_dt(r.LDDAT).date() - starts[r.SUBJID].date()).days - int(r.LDDAY)
               for r in ld.itertuples() if r.SUBJID in starts]
    assert offsets and set(offsets) == {0}


def test_ld_dose_in_mg_matches_protocol_dose_times_bsa(any_study):
    ld = any_study["ld"]
    planned = ld["PLDOSE"].astype(float) * ld["BSA"].astype(float)
    ratio = ld["ACTDOSE"].astype(float) / planned
    modified = ld["LDMOD"] == "1"
    assert ratio[~modified].between(0.99, 1.01).all()
    assert ratio[modified].between(0.74, 0.76).all()


def test_kinetics_cmax_between_day_7_and_14_for_responders(any_study):
    ck = any_study["ck"]
    qpcr = ck[ck["ASSAY"] == "qPCR"].copy()
    qpcr["value"] = [_numeric(v) for v in qpcr["RESULT"]]
    responders = qpcr.dropna(subset=["value"])
    peaks = responders.loc[responders.groupby("SUBJECT")["value"].idxmax(), "NOMDAY"]
    assert len(peaks) >= 15
    assert set(peaks) <= {"7", "10", "14"}


def test_pre_infusion_kinetics_are_blq(any_study):
    ck = any_study["ck"]
    pre = ck[ck["NOMTPT"] == "D0 PRE"]
    assert set(pre["RESULT"]) == {"BLQ", "<0.5"}


def _seed_lab(frames, iso_dt, code):
    lab = frames["lab_a"]
    rows = lab[(lab["SUBJECT"] == SEED) & (lab["TESTCODE"] == code)].copy()
    rows["when"] = [iso_dt(d, t) for d, t in zip(rows["COLLDATE"], rows["COLLTIME"],
                                                  strict=True)]  # fmt: skip
    rows["value"] = [_numeric(v) for v in rows["RESULT"]]
    return rows.sort_values("when")


def _first_emapalumab(frames, edc_dt) -> dt.datetime:
    cm = frames["cm"]
    ema = cm[(cm["SUBJID"] == SEED) & (cm["CMTRT"] == "EMAPALUMAB")]
    return min(edc_dt(d, t) for d, t in zip(ema["CMSTDAT"], ema["CMSTTIM"], strict=True))


@pytest.mark.parametrize(("code", "falls"), [("IFNG", True), ("IP-10", True), ("IL-6", False),
                                             ("IL-10", False)],
                         ids=["ifng-falls", "cxcl10-falls", "il6-does-not", "il10-does-not"])
def test_seed_cytokines_within_24h_of_emapalumab(study, edc_dt, iso_dt, code, falls):
    ema = _first_emapalumab(study, edc_dt)
    rows = _seed_lab(study, iso_dt, code)
    before = rows[rows["when"] < ema]["value"].dropna().iloc[-1]
    after = rows[(rows["when"] > ema) & (rows["when"] <= ema + dt.timedelta(hours=24))]
    lowest = after["value"].dropna().min()
    assert not after.empty
    assert bool(lowest <= 0.5 * before) == falls


def test_seed_il6_does_not_fall_after_tocilizumab(study, edc_dt, iso_dt):
    cm = study["cm"]
    toci = cm[(cm["SUBJID"] == SEED) & (cm["CMTRT"] == "TOCILIZUMAB")]
    first = min(edc_dt(d, t) for d, t in zip(toci["CMSTDAT"], toci["CMSTTIM"], strict=True))
    rows = _seed_lab(study, iso_dt, "IL-6")
    before = rows[rows["when"] < first]["value"].iloc[-1]
    after = rows[(rows["when"] > first) & (rows["when"] <= first + dt.timedelta(days=3))]
    assert (after["value"] > before).all()


def test_seed_all_four_vasopressors_off_within_12h_of_emapalumab(study, edc_dt):
    ema = _first_emapalumab(study, edc_dt)
    vp = study["vp"][study["vp"]["SUBJID"] == SEED]
    assert sorted(vp["VPTRT"]) == ["EPINEPHRINE", "NOREPINEPHRINE", "PHENYLEPHRINE",
                                   "VASOPRESSIN"]
    starts = [edc_dt(d, t) for d, t in zip(vp["VPSTDAT"], vp["VPSTTIM"], strict=True)]
    stops = [edc_dt(d, t) for d, t in zip(vp["VPENDAT"], vp["VPENTIM"], strict=True)]
    assert max(starts) < ema
    assert all(ema < stop <= ema + dt.timedelta(hours=12) for stop in stops)


def test_seed_crs_is_grade_4_refractory_and_resolved(study):
    ae = study["ae"]
    crs = ae[(ae["SUBJID"] == SEED) & (ae["AECRS"] == "1")].iloc[0]
    assert (crs["AECRSGR"], crs["AESER"], crs["AESLIFE"], crs["AEOUT"]) == (
        "4", "Yes", "1", "RECOVERED/RESOLVED")
    cm = study["cm"]
    given = cm[(cm["SUBJID"] == SEED) & (cm["CMAENO"] == crs["LINE"])]["CMTRT"]
    assert {"TOCILIZUMAB", "DEXAMETHASONE", "METHYLPREDNISOLONE", "ANAKINRA",
            "EMAPALUMAB"} <= set(given)


def test_seed_transgene_persists_beyond_day_28(study):
    ck = study["ck"]
    late = ck[(ck["SUBJECT"] == SEED) & (ck["ASSAY"] == "qPCR")
              & (ck["NOMDAY"].astype(int) > 28)]  # fmt: skip
    assert len(late) == 3
    assert all(float(r.RESULT) >= float(r.LLOQ) for r in late.itertuples())


def test_seed_psa_stays_low(study, iso_dt):
    rows = _seed_lab(study, iso_dt, "PSA")
    baseline = rows[rows["VISIT"] == "DAY -5"]["value"].iloc[0]
    late = rows[rows["VISIT"].isin(["DAY 28", "MONTH 2", "MONTH 3", "MONTH 6"])]["value"]
    assert len(late) == 4
    assert (late <= 0.1 * baseline).all()
    assert (late <= 4.0).all()


def test_iechs_subject_has_the_lab_signature_and_dies(study, iso_dt, edc_dt):
    lab = study["lab_a"]
    own = lab[lab["SUBJECT"] == IECHS]

    def values(code):
        return [v for v in (_numeric(x) for x in own[own["TESTCODE"] == code]["RESULT"]) if v]

    assert max(values("FERR")) > 20000
    assert min(values("FIB")) < 150
    assert max(values("ALT")) > 5 * 45
    plt = values("PLT")
    assert plt[-1] < 0.5 * max(plt)
    death = edc_dt(study["dd"].set_index("SUBJID").loc[IECHS, "DTHDAT"]).date()
    assert max(iso_dt(d).date() for d in own["COLLDATE"]) <= death


def test_no_sample_after_last_contact_death_or_cutoff(any_study, edc_dt, iso_dt):
    last = {r.SUBJID: edc_dt(r.LSTCONDAT).date() for r in any_study["ds"].itertuples()}
    cutoff = dt.date(2024, 10, 31)
    late = []
    for key, subject in (("lab_a", "SUBJECT"), ("lab_b", "SUBJECT"), ("ck", "SUBJECT")):
        frame = any_study[key]
        for r in frame[frame[subject].isin(last)].itertuples():
            day = iso_dt(r.COLLDATE).date()
            if day > last[getattr(r, subject)] or day > cutoff:
                late.append((key, getattr(r, subject), day))
    assert late == []


def test_events_of_the_dead_subject_end_by_death(study, edc_dt):
    death = edc_dt(study["dd"]["DTHDAT"].iloc[0])
    subject = study["dd"]["SUBJID"].iloc[0]
    ae = study["ae"][study["ae"]["SUBJID"] == subject]
    cm = study["cm"][study["cm"]["SUBJID"] == subject]
    ends = [edc_dt(v) for v in [*ae["AEENDAT"], *cm["CMENDAT"]] if v]
    assert all(end is None or end <= death for end in ends)
    assert (cm["CMONGO"] == "0").all()


def test_ferritin_peaks_accompany_crs_or_iechs(any_study, edc_dt, iso_dt):
    ae = any_study["ae"]
    events = ae[((ae["AECRS"] == "1") & (ae["AECRSGR"].isin(["2", "3", "4"])))
                | (ae["AEIECHS"] == "1")]  # fmt: skip
    windows: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for r in events.itertuples():
        end = edc_dt(r.AEENDAT).date() if r.AEENDAT else dt.date(2024, 10, 31)
        windows.setdefault(r.SUBJID, []).append((edc_dt(r.AESTDAT).date() - dt.timedelta(days=1),
                                                 end + dt.timedelta(days=7)))  # fmt: skip
    labs = pd.concat([any_study["lab_a"], any_study["lab_b"]], ignore_index=True)
    ferritin = labs[labs["TESTCODE"].isin(["FERR", "B2010"]) & labs["SUBJECT"].isin(windows)]
    ferritin = ferritin.assign(value=[_numeric(v) for v in ferritin["RESULT"]]).dropna(
        subset=["value"])
    peaks = ferritin.loc[ferritin.groupby("SUBJECT")["value"].idxmax()]
    assert len(peaks) >= 8
    outside = [r.SUBJECT for r in peaks.itertuples()
               if not any(lo <= iso_dt(r.COLLDATE).date() <= hi for lo, hi in windows[r.SUBJECT])]
    assert outside == []
