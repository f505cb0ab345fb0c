"""Checks a reviewer would query (issue 17).

Timing against death, data cut-off and participation end; missing end points and study days;
arms, baselines, consent; MedDRA codes, TS codes, population flags, variable order.

Each ``check_<name>`` implements one rule of ``specs/rules/`` (the id is in
:data:`sdtm.validate.checks.CHECKS`) and returns located findings whose ``message`` is the
check's detail; the registry adds severity and the final message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping

import pandas as pd

from sdtm.derive.study_day import compute_study_day
from sdtm.findings import FindingsTable
from sdtm.read.text import per_distinct
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    Detail,
    after,
    collect,
    complete_date,
    dataset_finding,
    datasets,
    frame_of,
    is_canonical_number,
    lookup,
    make_findings,
    number,
    subject_map,
    supp_datasets,
    text,
)

Frames = Mapping[str, pd.DataFrame]

NOT_TREATED_ARMS = ("SCRNFAIL", "NOTASSGN", "NOTTRT")
"""SDTMIG 3.2-era pseudo arm codes of subjects never treated (compared ignoring case)."""

_TIMING_SUFFIXES = ("DTC", "STDTC", "ENDTC")
_DM_DATES = ("RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFPENDTC", "DMDTC")


def _dm(frames: Frames) -> tuple[str, pd.DataFrame] | None:
    for name, _, frame in datasets(frames, "DM"):
        return name, frame
    return None


def _record_dates(frames: Frames) -> Iterator[tuple[str, str, pd.DataFrame, str]]:
    """Every record date of the subject datasets: ``--DTC``, ``--STDTC``, ``--ENDTC``."""
    for name, code, frame in datasets(frames):
        if code in ("DM", "TA", "TE", "TI", "TS", "TV", "TD", "TM") or "USUBJID" not in frame:
            continue
        for suffix in _TIMING_SUFFIXES:
            column = f"{code}{suffix}"
            if column in frame.columns:
                yield name, code, frame, column


def _dates_after(
    frames: Frames,
    limit: pd.Series | str,
    what: str,
    *,
    dm_dates: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
) -> FindingsTable:
    """Records whose date is after ``limit`` (a per-subject DM date, or one date)."""
    tables = []
    for name, code, frame, column in _record_dates(frames):
        if code in skip:
            continue
        reference = (
            lookup(text(frame, "USUBJID"), limit)
            if isinstance(limit, pd.Series)
            else pd.Series(limit, index=frame.index, dtype="string")
        )
        values = text(frame, column)
        bad = after(values, reference)
        detail = Detail(f"{column} ", values.fillna(""), f" is after {what} ", reference.fillna(""))
        tables.append(make_findings(name, frame, bad, variable=column, detail=detail, code=code))
    found = _dm(frames)
    if found is not None and dm_dates:
        name, dm = found
        reference = (
            lookup(text(dm, "USUBJID"), limit)
            if isinstance(limit, pd.Series)
            else pd.Series(limit, index=dm.index, dtype="string")
        )
        for column in dm_dates:
            if column not in dm.columns:
                continue
            values = text(dm, column)
            bad = after(values, reference)
            detail = Detail(
                f"{column} ", values.fillna(""), f" is after {what} ", reference.fillna("")
            )
            tables.append(make_findings(name, dm, bad, variable=column, detail=detail, code="DM"))
    return collect(tables)


def check_date_after_death(frames: Frames, standards: Standards) -> FindingsTable:
    """No record date (and no DM reference date such as RFPENDTC) is after DM.DTHDTC."""
    found = _dm(frames)
    if found is None or "DTHDTC" not in found[1].columns:
        return EMPTY
    death = subject_map(found[1], "DTHDTC").dropna()
    if death.empty:
        return EMPTY
    return _dates_after(frames, death, "DTHDTC", dm_dates=_DM_DATES)


def data_cutoff_of(frames: Frames) -> str | None:
    """The data cut-off date of TS (TSPARMCD DCUTDTC), when it is an ISO 8601 date."""
    for _, _, ts in datasets(frames, "TS"):
        values = text(ts, "TSVAL")[(text(ts, "TSPARMCD") == "DCUTDTC").fillna(False)]
        values = values.dropna()
        if len(values) and complete_date(values).notna().iloc[0]:
            return str(values.iloc[0])
    return None


def find_dates_after_cutoff(frames: Frames, cutoff: str) -> FindingsTable:
    """Every record date, and DM's reference dates, after the data cut-off ``cutoff``."""
    return _dates_after(frames, cutoff, "the data cut-off", dm_dates=_DM_DATES)


def check_date_after_data_cutoff(frames: Frames, standards: Standards) -> FindingsTable:
    """No date is after the data cut-off of TS DCUTDTC (P21 SD2226 asks for it)."""
    cutoff = data_cutoff_of(frames)
    return EMPTY if cutoff is None else find_dates_after_cutoff(frames, cutoff)


def check_date_after_participation_end(frames: Frames, standards: Standards) -> FindingsTable:
    """Record dates are not after DM.RFPENDTC (CORE-000720 / FB3406, CORE-000952 / FB3407).

    DS is left out, as CORE-000952 leaves it: a disposition may be recorded after the last
    contact.
    """
    found = _dm(frames)
    if found is None or "RFPENDTC" not in found[1].columns:
        return EMPTY
    end = subject_map(found[1], "RFPENDTC").dropna()
    if end.empty:
        return EMPTY
    return _dates_after(frames, end, "RFPENDTC", skip=("DS",))


def check_end_timing_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """An adverse event has an end: AEENDTC, AEENRF or AEENRTPT (P21 SD0021 / FDAC117)."""
    tables = []
    for name, code, frame in datasets(frames, "AE"):
        ends = [c for c in ("AEENDTC", "AEENRF", "AEENRTPT") if c in frame.columns]
        known = (
            pd.concat([text(frame, c).notna() for c in ends], axis=1).any(axis=1)
            if ends
            else (pd.Series(False, index=frame.index))
        )
        not_occurred = (text(frame, "AEOCCUR") == "N").fillna(False)
        bad = ~known & ~not_occurred
        tables.append(
            make_findings(
                name, frame, bad, variable="AEENDTC", detail="AEENRF and AEENRTPT", code=code
            )
        )
    return collect(tables)


def _pseudo_arm(values: pd.Series) -> pd.Series:
    return values.str.upper().isin(NOT_TREATED_ARMS).fillna(False).astype(bool)


def check_actual_arm_differs(frames: Frames, standards: Standards) -> FindingsTable:
    """ACTARMCD equals ARMCD unless ACTARMUD describes the difference (P21 SD2236, FB2501)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    armcd, actual = text(dm, "ARMCD"), text(dm, "ACTARMCD")
    bad = armcd.notna() & actual.notna() & (armcd != actual).fillna(False)
    bad &= text(dm, "ACTARMUD").isna() & ~_pseudo_arm(armcd) & ~_pseudo_arm(actual)
    return make_findings(
        name, dm, bad, variable="ACTARMCD", detail=Detail("ARMCD is ", armcd.fillna(""))
    )


_BASELINE_DOMAINS = ("LB", "VS", "EG", "PC", "MB", "MS")


def _treated(dm: pd.DataFrame) -> pd.Series:
    """Subjects assigned and treated: an arm that is no pseudo arm, and no ARMNRS."""
    armcd, actual = text(dm, "ARMCD"), text(dm, "ACTARMCD")
    return (
        armcd.notna()
        & ~_pseudo_arm(armcd)
        & ~(actual.notna() & _pseudo_arm(actual))
        & text(dm, "ARMNRS").isna()
    )


def check_baseline_result_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A treated subject with results in a domain has a baseline flag there (P21 SD0006).

    Domains EG, LB, MB, MS, PC, VS that carry --BLFL or --LOBXFL; split datasets (LBCH, LBHE)
    count as one domain. Subjects without records in the domain are not reported.
    """
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    treated = _treated(dm)
    subjects = text(dm, "USUBJID")
    tables = []
    for code in _BASELINE_DOMAINS:
        frame = frame_of(frames, code)
        if frame is None:
            continue
        flags = [c for c in (f"{code}BLFL", f"{code}LOBXFL") if c in frame.columns]
        if not flags:
            continue
        flagged = pd.concat([(text(frame, c) == "Y").fillna(False) for c in flags], axis=1)
        with_baseline = set(text(frame, "USUBJID")[flagged.any(axis=1)].dropna())
        with_records = set(text(frame, "USUBJID").dropna())
        bad = treated & subjects.isin(with_records) & ~subjects.isin(with_baseline)
        tables.append(
            make_findings(name, dm, bad, variable="USUBJID", detail=f"no {flags[0]} = Y in {code}")
        )
    return collect(tables)


_MEDDRA_PAIRS = (
    ("LLT", "LLTCD"),
    ("DECOD", "PTCD"),
    ("HLT", "HLTCD"),
    ("HLGT", "HLGTCD"),
    ("BODSYS", "BDSYCD"),
    ("SOC", "SOCCD"),
)


def check_meddra_code_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A MedDRA term has its code (--PTCD for --DECOD, ...) where the code variable exists.

    One finding per record, on the first term without its code, naming every such pair.
    """
    tables = []
    for name, code, frame in datasets(frames):
        pairs = [
            (f"{code}{t}", f"{code}{c}")
            for t, c in _MEDDRA_PAIRS
            if f"{code}{t}" in frame.columns and f"{code}{c}" in frame.columns
        ]
        if not pairs or code not in ("AE", "MH", "CE"):
            continue
        missing = pd.Series("", index=frame.index, dtype="string")
        first = pd.Series(pd.NA, index=frame.index, dtype="string")
        for term, term_code in pairs:
            gap = text(frame, term).notna() & text(frame, term_code).isna()
            missing = missing + pd.Series(term_code + ", ", index=frame.index).where(gap, "")
            first = first.fillna(pd.Series(term_code, index=frame.index).where(gap))
        bad = first.notna()
        if not bad.any():
            continue
        rows = frame.index[bad]
        for term_code in first[bad].unique():
            mask = pd.Series(False, index=frame.index)
            mask.loc[rows[first[bad] == term_code]] = True
            tables.append(
                make_findings(
                    name,
                    frame,
                    mask,
                    variable=str(term_code),
                    detail=Detail("no code for ", missing.str.slice(0, -2)),
                    code=code,
                )
            )
    return collect(tables)


POPULATION_FLAGS = re.compile(r"^(COMPLT\d*|FULLSET|ITT|PPROT|SAFETY)$")
"""QNAMs of the population flags SDTMIG 3.2 named for SUPPDM (appendix C5: COMPLT, FULLSET,
ITT, PPROT, SAFETY; COMPLT with a week number as the CDISC pilot writes it). CORE-000211
reports the same names on the pilot (963 records: not its 234 EFFICACY)."""


def check_population_flag_in_suppdm(frames: Frames, standards: Standards) -> FindingsTable:
    """SUPPDM holds no population flags (CORE-000211 / CG0528)."""
    tables = []
    for name, frame in supp_datasets(frames):
        if name.upper() != "SUPPDM":
            continue
        qnam = text(frame, "QNAM")
        bad = qnam.str.fullmatch(POPULATION_FLAGS.pattern).fillna(False).astype(bool)
        tables.append(make_findings(name, frame, bad, variable="QNAM", detail="a population flag"))
    return collect(tables)


_DAY_PAIRS = (("DTC", "DY"), ("STDTC", "STDY"), ("ENDTC", "ENDY"))
_NOT_SUBJECT_LEVEL = frozenset({"TA", "TE", "TI", "TS", "TV", "TD", "TM"})


def _day_pairs(frames: Frames, standards: Standards):
    """(name, code, frame, dtc, day) for every --DTC, --STDTC, --ENDTC of a subject dataset.

    The FDA business rules (FB3201-FB3203, CORE-000321/-000328/-000776) expect the study day
    of every such date, whether or not the IG's table of the dataset lists it (MHSTDY).
    """
    for name, code, frame in datasets(frames):
        if code in _NOT_SUBJECT_LEVEL or "USUBJID" not in frame.columns:
            continue
        for dtc_suffix, day_suffix in _DAY_PAIRS:
            dtc, day = f"{code}{dtc_suffix}", f"{code}{day_suffix}"
            if dtc in frame.columns:
                yield name, code, frame, dtc, day


def check_study_day_variable_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A subject dataset with --DTC/--STDTC/--ENDTC has the matching study day variable.

    CORE-000321 (FB3201), CORE-000328 (FB3202), CORE-000776 (FB3203); P21 SD1083, SD1087,
    SD1091. One finding per dataset and missing variable.
    """
    tables = [
        dataset_finding(name, variable=day, value=dtc, detail=f"{dtc} is present")
        for name, code, frame, dtc, day in _day_pairs(frames, standards)
        if day not in frame.columns
    ]
    return collect(tables)


def check_study_day_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """--DY is populated where --DTC and DM.RFSTDTC are complete dates (CORE-000853 / FB1602).

    P21 SD1084, SD1088, SD1092. A study day that differs from the one computed is XR0010.
    """
    dm = frame_of(frames, "DM")
    if dm is None or "RFSTDTC" not in dm.columns:
        return EMPTY
    rfstdtc = subject_map(dm, "RFSTDTC")
    tables = []
    for name, code, frame, dtc, day in _day_pairs(frames, standards):
        if day not in frame.columns:
            continue
        reference = lookup(text(frame, "USUBJID"), rfstdtc)
        expected = compute_study_day(text(frame, dtc), reference)
        bad = expected.notna() & number(frame, day).isna()
        detail = Detail(
            f"{dtc} ",
            text(frame, dtc).fillna(""),
            " and RFSTDTC ",
            reference.fillna(""),
            f" give {day} ",
            expected.astype("Int64").astype("string").fillna(""),
        )
        tables.append(make_findings(name, frame, bad, variable=day, detail=detail, code=code))
    return collect(tables)


def check_variable_order(frames: Frames, standards: Standards) -> FindingsTable:
    """Variables follow the IG order of the dataset (CORE-000852 / CG0330, P21 SD1079).

    Variables the IG does not list for the dataset (nor the study declares as model
    additions, placed among the qualifiers) are not judged. One finding per dataset, on the
    first variable found after one the IG puts behind it.
    """
    tables = []
    for name, code, frame in (*datasets(frames), *_supp(frames)):
        domain = standards.domain(code)
        if domain is None:
            continue
        # Declared model additions take their place too (LBLLOQ among the qualifiers).
        position = {v.name: i for i, v in enumerate(domain.declared_variables)}
        known = [c for c in frame.columns if c in position]
        for before, later in itertools.pairwise(known):
            if position[before] > position[later]:
                tables.append(
                    dataset_finding(
                        name,
                        variable=later,
                        value=before,
                        detail=f"{later} follows {before}, but the IG puts it before {before}",
                    )
                )
                break
    return collect(tables)


def _supp(frames: Frames):
    for name, frame in supp_datasets(frames):
        yield name, "SUPPQUAL", frame


def check_reference_end_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A subject assigned to and treated in an arm has RFENDTC (P21 SD0088, CORE-000378)."""
    found = _dm(frames)
    if found is None or "RFENDTC" not in found[1].columns:
        return EMPTY
    name, dm = found
    bad = _treated(dm) & text(dm, "RFENDTC").isna()
    return make_findings(
        name, dm, bad, variable="RFENDTC", detail=Detail("ARMCD is ", text(dm, "ARMCD").fillna(""))
    )


def check_consent_date_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A consented or treated subject has RFICDTC.

    Consented: an arm, a reference start, an EX record, or a DS record INFORMED CONSENT
    OBTAINED.
    """
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    subjects = text(dm, "USUBJID")
    reasons = pd.Series("", index=dm.index, dtype="string")
    for column in ("ARMCD", "RFSTDTC", "RFXSTDTC"):
        reasons = reasons + pd.Series(f"{column} is populated, ", index=dm.index).where(
            text(dm, column).notna(), ""
        )
    ex = frame_of(frames, "EX")
    if ex is not None:
        exposed = subjects.isin(set(text(ex, "USUBJID").dropna()))
        reasons = reasons + pd.Series("EX records, ", index=dm.index).where(exposed, "")
    ds = frame_of(frames, "DS")
    if ds is not None:
        consent = (text(ds, "DSDECOD") == "INFORMED CONSENT OBTAINED").fillna(False)
        consented = subjects.isin(set(text(ds, "USUBJID")[consent].dropna()))
        reasons = reasons + pd.Series("a DS consent record, ", index=dm.index).where(consented, "")
    bad = text(dm, "RFICDTC").isna() & (reasons != "")
    return make_findings(name, dm, bad, variable="RFICDTC", detail=reasons.str.slice(0, -2))


def check_text_result_in_numeric_test(frames: Frames, standards: Standards) -> FindingsTable:
    """A test with numeric results in a unit has no text result without --STAT or --REASND.

    A result such as ``NR`` among numbers of the same --TESTCD (a test with a --STRESU on
    another record) is a result not done written as a value. The standardized result is
    judged where there is one, so a BLQ standardized as ``<50`` is a censored number.
    """
    tables = []
    for name, code, frame in datasets(frames):
        testcd, orres = f"{code}TESTCD", f"{code}ORRES"
        if testcd not in frame.columns or orres not in frame.columns:
            continue
        tests = text(frame, testcd)
        numeric_tests = set(tests[text(frame, f"{code}STRESU").notna()].dropna())
        # The standardized result when there is one: a BLQ written as <50 there is censored.
        values = text(frame, f"{code}STRESC").fillna(text(frame, orres))
        # Results repeat: each distinct one is judged once.
        is_text = values.notna() & per_distinct(values, _not_a_number, False).astype(bool)
        no_status = text(frame, f"{code}STAT").isna() & text(frame, f"{code}REASND").isna()
        bad = is_text & no_status & tests.isin(numeric_tests)
        detail = Detail(testcd, " ", tests.fillna(""), " has numeric results in a unit")
        tables.append(make_findings(name, frame, bad, variable=orres, detail=detail, code=code))
    return collect(tables)


def _not_a_number(values: pd.Series) -> pd.Series:
    """True where a result is no number, censored (``<50``) or not, canonical or not."""
    bare = values.astype("string").str.replace(r"^\s*[<>]=?\s*", "", regex=True)
    number = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
    return ~is_canonical_number(bare) & ~bare.str.match(number).fillna(False).astype(bool)


def _term_codes(standards: Standards) -> dict[str, list[str]]:
    """Submission value (upper) -> the C-codes of the CT terms that have it."""
    codes: dict[str, set[str]] = {}
    for codelist in standards.codelists.values():
        for term in codelist.terms:
            codes.setdefault(term.submission_value.upper(), set()).add(term.code)
    return {value: sorted(found) for value, found in codes.items()}


def check_tsvalcd_not_code_of_tsval(frames: Frames, standards: Standards) -> FindingsTable:
    """TSVALCD is the C-code of TSVAL's CT term when TSVCDREF is CDISC CT (CORE-001080).

    CORE-001080 (CG0288): TSVALCD must be a valid code of the CT version; CORE-000152: TSVAL and
    TSVALCD one-to-one. A TSVAL that is no CT term is left to the codelist checks.
    """
    tables = []
    terms = _term_codes(standards)
    for name, _, ts in datasets(frames, "TS"):
        cdisc = text(ts, "TSVCDREF").str.upper().isin(["CDISC CT", "CDISC"]).fillna(False)
        value, code = text(ts, "TSVAL"), text(ts, "TSVALCD")
        # (row, code of a CT term whose submission value is TSVAL), one line per pair.
        pairs = value.str.upper().map(terms).dropna().explode().rename("term_code").reset_index()
        is_term = ts.index.isin(pairs["index"])
        agrees = pairs.merge(
            pd.DataFrame({"index": ts.index, "term_code": code}), on=["index", "term_code"]
        )
        bad = pd.Series(cdisc & code.notna() & is_term, index=ts.index)
        bad &= ~ts.index.isin(agrees["index"])
        names = pairs.groupby("index")["term_code"].agg(lambda c: "/".join(sorted(c)))
        named = names.reindex(ts.index).astype("string").fillna("")
        detail = Detail("TSVAL ", value.fillna(""), " (", named, ")")
        tables.append(make_findings(name, ts, bad, variable="TSVALCD", detail=detail))
    return collect(tables)
