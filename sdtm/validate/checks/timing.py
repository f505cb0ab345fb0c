"""Checks on timing variables: start/end order, study days, visits, time points and EPOCH."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.derive.study_day import compute_study_day
from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    SUBJECT_CLASSES_EXCLUDED,
    Detail,
    after,
    collect,
    dataset_finding,
    datasets,
    frame_of,
    is_partial_date,
    lookup,
    make_findings,
    number,
    subject_map,
    text,
)
from sdtm.validate.checks.subjects import _one_to_one

Frames = Mapping[str, pd.DataFrame]

# (date-time suffix, study-day suffix) pairs that SDTMIG 3.4 section 4.4.4 defines.
_DAY_PAIRS = (("DTC", "DY"), ("STDTC", "STDY"), ("ENDTC", "ENDY"))


def _order(frames: Frames, first: str, second: str, *, findings_only: bool) -> FindingsTable:
    tables = []
    for name, code, frame in datasets(frames):
        if findings_only and f"{code}TESTCD" not in frame.columns:
            continue
        a, b = f"{code}{first}", f"{code}{second}"
        if a not in frame.columns or b not in frame.columns:
            continue
        start, end = text(frame, a), text(frame, b)
        bad = after(start, end)
        detail = Detail(f"{a} ", start.fillna(""), f" is after {b} ", end.fillna(""))
        tables.append(make_findings(name, frame, bad, variable=a, detail=detail, code=code))
    return collect(tables)


def check_start_after_end(frames: Frames, standards: Standards) -> FindingsTable:
    """--STDTC <= --ENDTC, partial dates compared at common precision (CORE-000718)."""
    return _order(frames, "STDTC", "ENDTC", findings_only=False)


def check_collection_after_end(frames: Frames, standards: Standards) -> FindingsTable:
    """Findings: --DTC <= --ENDTC (CORE-000866 / FB3210, P21 SD0025).

    In Events and Interventions --DTC is the date the record was collected, which may follow
    the end of the event, so only Findings (datasets with --TESTCD) are checked.
    """
    return _order(frames, "DTC", "ENDTC", findings_only=True)


def _study_day_frames(frames: Frames):
    dm = frame_of(frames, "DM")
    if dm is None:
        return
    rfstdtc = subject_map(dm, "RFSTDTC")
    for name, code, frame in datasets(frames):
        if code in SUBJECT_CLASSES_EXCLUDED:
            continue
        reference = lookup(text(frame, "USUBJID"), rfstdtc)
        for dtc_suffix, day_suffix in _DAY_PAIRS:
            dtc, day = f"{code}{dtc_suffix}", f"{code}{day_suffix}"
            if dtc in frame.columns and day in frame.columns:
                yield name, code, frame, dtc, day, reference


def check_study_day_mismatch(frames: Frames, standards: Standards) -> FindingsTable:
    """--DY/--STDY/--ENDY match --DTC and DM.RFSTDTC (CORE-000529, CORE-000552, CORE-000553)."""
    tables = []
    for name, code, frame, dtc, day, reference in _study_day_frames(frames):
        expected = compute_study_day(text(frame, dtc), reference)
        actual = number(frame, day)
        bad = expected.notna() & actual.notna() & (expected != actual)
        detail = Detail(
            f"expected {day} ",
            expected.astype("Int64").astype("string").fillna(""),
            f" from {dtc} ",
            text(frame, dtc).fillna(""),
            " and RFSTDTC ",
            reference.fillna(""),
        )
        tables.append(make_findings(name, frame, bad, variable=day, detail=detail, code=code))
    return collect(tables)


def check_study_day_with_partial_date(frames: Frames, standards: Standards) -> FindingsTable:
    """--DY is null when --DTC or RFSTDTC has an incomplete date (CORE-000354, -000138, -000139)."""
    tables = []
    for name, code, frame, dtc, day, reference in _study_day_frames(frames):
        partial = is_partial_date(text(frame, dtc)) | is_partial_date(reference)
        bad = partial & number(frame, day).notna()
        detail = Detail(f"{dtc} ", text(frame, dtc).fillna(""), ", RFSTDTC ", reference.fillna(""))
        tables.append(make_findings(name, frame, bad, variable=day, detail=detail, code=code))
    return collect(tables)


def check_study_day_zero(frames: Frames, standards: Standards) -> FindingsTable:
    """No study day variable is 0: SDTM has no day 0 (P21 SD0038)."""
    tables = []
    for name, code, frame in datasets(frames):
        for column in frame.columns:
            if (column.startswith(code) and column.endswith("DY")) or column == "VISITDY":
                bad = (number(frame, column) == 0).fillna(False)
                tables.append(
                    make_findings(name, frame, bad, variable=column, detail="day 0", code=code)
                )
    return collect(tables)


def check_visit_visitnum_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """VISIT and VISITNUM are one-to-one in each dataset (CORE-000361, P21 SD0051/SD0052)."""
    return collect(
        [
            _one_to_one(name, frame, "VISITNUM", "VISIT", code)
            for name, code, frame in datasets(frames)
            if "VISIT" in frame.columns and "VISITNUM" in frame.columns
        ]
    )


def check_tpt_tptnum_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """--TPT and --TPTNUM are one-to-one within VISITNUM and --TPTREF (CORE-000689 family)."""
    tables = []
    for name, code, frame in datasets(frames):
        tpt, tptnum = f"{code}TPT", f"{code}TPTNUM"
        if tpt not in frame.columns or tptnum not in frame.columns:
            continue
        scope = text(frame, "VISITNUM").fillna("") + "|" + text(frame, f"{code}TPTREF").fillna("")
        keyed = pd.DataFrame(
            {"scope": scope, "tpt": text(frame, tpt), "num": text(frame, tptnum)}
        ).dropna()
        pairs = keyed.drop_duplicates()
        multi_num = pairs[pairs.duplicated(["scope", "num"], keep=False)][["scope", "num"]]
        multi_tpt = pairs[pairs.duplicated(["scope", "tpt"], keep=False)][["scope", "tpt"]]
        bad_num = pd.MultiIndex.from_frame(keyed[["scope", "num"]]).isin(
            pd.MultiIndex.from_frame(multi_num)
        )
        bad_tpt = pd.MultiIndex.from_frame(keyed[["scope", "tpt"]]).isin(
            pd.MultiIndex.from_frame(multi_tpt)
        )
        mask = pd.Series(False, index=frame.index)
        mask.loc[keyed.index[bad_num | bad_tpt]] = True
        detail = Detail(tptnum, " ", text(frame, tptnum).fillna(""), " / ", tpt, " ")
        detail = Detail(detail, text(frame, tpt).fillna(""))
        tables.append(make_findings(name, frame, mask, variable=tpt, detail=detail, code=code))
    return collect(tables)


def check_elapsed_time_varies_within_timepoint(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """--ELTM is constant per VISITNUM, --TPTREF and --TPTNUM (CORE-000142 / CG0241)."""
    tables = []
    for name, code, frame in datasets(frames):
        eltm, tptnum = f"{code}ELTM", f"{code}TPTNUM"
        if eltm not in frame.columns or tptnum not in frame.columns:
            continue
        keyed = pd.DataFrame(
            {
                "visit": text(frame, "VISITNUM").fillna(""),
                "ref": text(frame, f"{code}TPTREF").fillna(""),
                "num": text(frame, tptnum),
                "eltm": text(frame, eltm),
            }
        ).dropna()
        counts = keyed.groupby(["visit", "ref", "num"])["eltm"].transform("nunique")
        mask = pd.Series(False, index=frame.index)
        mask.loc[counts.index[counts > 1]] = True
        tables.append(
            make_findings(
                name, frame, mask, variable=eltm, detail="differs within the time point", code=code
            )
        )
    return collect(tables)


def check_tptref_missing_with_elapsed_time(frames: Frames, standards: Standards) -> FindingsTable:
    """--TPTREF is populated when --ELTM or --RFTDTC is (CORE-000865, CORE-000248, SD0034)."""
    tables = []
    for name, code, frame in datasets(frames):
        tptref = text(frame, f"{code}TPTREF")
        for column in (f"{code}ELTM", f"{code}RFTDTC"):
            if column not in frame.columns:
                continue
            bad = text(frame, column).notna() & tptref.isna()
            detail = Detail(f"{column} is ", text(frame, column).fillna(""))
            tables.append(
                make_findings(name, frame, bad, variable=f"{code}TPTREF", detail=detail, code=code)
            )
    return collect(tables)


def check_epoch_not_in_ta(frames: Frames, standards: Standards) -> FindingsTable:
    """EPOCH values exist in TA.EPOCH (CORE-000271 / CG0009, P21 SD1015)."""
    ta = frame_of(frames, "TA")
    if ta is None:
        return EMPTY
    epochs = set(text(ta, "EPOCH").dropna())
    tables = []
    for name, code, frame in datasets(frames):
        if code == "TA" or "EPOCH" not in frame.columns:
            continue
        epoch = text(frame, "EPOCH")
        bad = epoch.notna() & ~epoch.isin(epochs)
        tables.append(
            make_findings(name, frame, bad, variable="EPOCH", detail="not in TA.EPOCH", code=code)
        )
    return collect(tables)


_OBSERVATION_CLASSES = ("events", "interventions", "findings")


def check_epoch_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """EPOCH is present and populated in subject-level observation datasets (CORE-000701).

    A record whose subject is absent from DM is not reported here: its EPOCH cannot be known,
    and the cause is reported once, by XR0001 (subject not in DM).
    """
    dm = frame_of(frames, "DM")
    subjects = set(text(dm, "USUBJID").dropna()) if dm is not None else None
    tables = []
    for name, code, frame in datasets(frames):
        spec = standards.domain(code)
        if spec is None or not spec.observation_class.lower().startswith(_OBSERVATION_CLASSES):
            continue
        if "EPOCH" not in frame.columns:
            tables.append(dataset_finding(name, variable="EPOCH", detail="variable absent"))
            continue
        bad = text(frame, "EPOCH").isna()
        if subjects is not None:
            bad &= text(frame, "USUBJID").isin(subjects).fillna(False).astype(bool)
        tables.append(
            make_findings(name, frame, bad, variable="EPOCH", detail="EPOCH is null", code=code)
        )
    return collect(tables)


def check_visit_day_for_unplanned_visit(frames: Frames, standards: Standards) -> FindingsTable:
    """VISITDY is null for visits that are not planned in TV (CORE-000140 / CG0225)."""
    tv = frame_of(frames, "TV")
    if tv is None:
        return EMPTY
    planned = set(number(tv, "VISITNUM").dropna())
    tables = []
    for name, code, frame in datasets(frames):
        if code == "TV" or "VISITDY" not in frame.columns:
            continue
        visitnum = number(frame, "VISITNUM")
        bad = number(frame, "VISITDY").notna() & visitnum.notna() & ~visitnum.isin(planned)
        detail = Detail("VISITNUM ", text(frame, "VISITNUM").fillna(""), " is not in TV")
        tables.append(make_findings(name, frame, bad, variable="VISITDY", detail=detail, code=code))
    return collect(tables)
