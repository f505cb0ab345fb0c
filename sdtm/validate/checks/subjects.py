"""Checks on subjects: DM uniqueness, reference dates, death, arms and their cross-domain links.

Each ``check_<name>`` implements one rule of ``specs/rules/`` (the id is in the table
:data:`sdtm.validate.checks.CHECKS`). Findings leave severity and the final message to the
registry; ``message`` carries the check's specific detail.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    Detail,
    after,
    collect,
    datasets,
    domain_parts,
    frame_of,
    lookup,
    make_findings,
    subject_map,
    text,
)

Frames = Mapping[str, pd.DataFrame]


def _dm(frames: Frames) -> tuple[str, pd.DataFrame] | None:
    for name, _, frame in datasets(frames, "DM"):
        return name, frame
    return None


def _dm_and(frames: Frames, domain: str) -> tuple[str, pd.DataFrame, pd.DataFrame] | None:
    """Return the DM dataset name, DM and the rows of ``domain``; ``None`` if either is absent.

    Args:
        frames: The datasets of the package.
        domain: Domain code of the other dataset the check compares DM with (``EX``).

    Returns:
        ``(DM dataset name, DM frame, other frame)``, or ``None`` when DM or ``domain``
        is missing (the check then has nothing to judge).
    """
    found = _dm(frames)
    other = frame_of(frames, domain)
    if found is None or other is None:
        return None
    return found[0], found[1], other


def check_usubjid_not_in_dm(frames: Frames, standards: Standards) -> FindingsTable:
    """USUBJID of every subject-level dataset must exist in DM (P21 SD0064)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    subjects = set(text(found[1], "USUBJID").dropna())
    tables = []
    for name, code, frame in (*datasets(frames), *_supp_and_relrec(frames)):
        if code == "DM" or "USUBJID" not in frame.columns:
            continue
        usubjid = text(frame, "USUBJID")
        bad = usubjid.notna() & ~usubjid.isin(subjects)
        tables.append(
            make_findings(name, frame, bad, variable="USUBJID", detail="no DM record", code=code)
        )
    return collect(tables)


def _supp_and_relrec(frames: Frames):
    for name, frame in frames.items():
        upper = name.upper()
        if upper.startswith("SUPP") or upper == "RELREC":
            yield name, upper, frame.reset_index(drop=True)


def _duplicates(frames: Frames, column: str) -> FindingsTable:
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    values = text(dm, column)
    bad = values.notna() & values.duplicated(keep=False)
    return make_findings(name, dm, bad, variable=column, detail="more than one DM record")


def check_duplicate_usubjid_in_dm(frames: Frames, standards: Standards) -> FindingsTable:
    """DM has one record per USUBJID (CORE-000351 / CG0151, P21 SD0083)."""
    return _duplicates(frames, "USUBJID")


def check_duplicate_subjid_in_dm(frames: Frames, standards: Standards) -> FindingsTable:
    """SUBJID is unique within the study (CORE-000186 / CG0150)."""
    return _duplicates(frames, "SUBJID")


def check_duplicate_seq(frames: Frames, standards: Standards) -> FindingsTable:
    """--SEQ is unique per USUBJID across the datasets of a split domain (CORE-000544)."""
    tables = []
    by_domain = domain_parts(
        (name, code, frame)
        for name, code, frame in datasets(frames)
        if code not in ("TS", "DM") and f"{code}SEQ" in frame.columns
    )
    for code, parts in by_domain.items():
        if len(parts) < 2:
            continue  # duplicates inside one dataset are the schema's rule ST0012
        column = f"{code}SEQ"
        keys = pd.concat(
            [
                pd.DataFrame(
                    {
                        "part": i,
                        "pos": frame.index,
                        "subject": text(frame, "USUBJID").fillna(text(frame, "POOLID")),
                        "seq": text(frame, column),
                    }
                )
                for i, (_, frame) in enumerate(parts)
            ],
            ignore_index=True,
        ).dropna(subset=["seq"])
        # A key found in more than one part: the split lost the domain-wide numbering.
        spread = keys.groupby(["subject", "seq"], dropna=False)["part"].transform("nunique")
        for i, (name, frame) in enumerate(parts):
            rows = keys.loc[(spread > 1) & (keys["part"] == i), "pos"]
            mask = pd.Series(frame.index.isin(rows), index=frame.index)
            others = ", ".join(n.upper() for j, (n, _) in enumerate(parts) if j != i)
            tables.append(
                make_findings(
                    name,
                    frame,
                    mask,
                    variable=column,
                    detail=f"also used for the subject in {others}",
                    code=code,
                )
            )
    return collect(tables)


def _dm_rule(frames: Frames, mask_of, variable: str, detail_of) -> FindingsTable:
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    mask = mask_of(dm)
    return make_findings(name, dm, mask, variable=variable, detail=detail_of(dm))


def check_death_date_without_flag(frames: Frames, standards: Standards) -> FindingsTable:
    """DTHDTC populated requires DTHFL = Y (CORE-000007 / CG0435, P21 SD2004)."""
    return _dm_rule(
        frames,
        lambda dm: text(dm, "DTHDTC").notna() & (text(dm, "DTHFL") != "Y").fillna(True),
        "DTHFL",
        lambda dm: "DTHDTC is " + text(dm, "DTHDTC").fillna(""),
    )


def check_death_flag_without_date(frames: Frames, standards: Standards) -> FindingsTable:
    """DTHFL = Y should come with DTHDTC (CORE-000705 / FB0610, P21 SD2005)."""
    return _dm_rule(
        frames,
        lambda dm: (text(dm, "DTHFL") == "Y").fillna(False) & text(dm, "DTHDTC").isna(),
        "DTHDTC",
        lambda dm: "DTHFL is Y",
    )


def _ordered(frames: Frames, first: str, second: str) -> FindingsTable:
    return _dm_rule(
        frames,
        lambda dm: after(text(dm, first), text(dm, second)),
        first,
        lambda dm: (
            f"{first} "
            + text(dm, first).fillna("")
            + f" is after {second} "
            + text(dm, second).fillna("")
        ),
    )


def check_reference_start_after_end(frames: Frames, standards: Standards) -> FindingsTable:
    """RFSTDTC <= RFENDTC (CORE-000711 / FB3404, P21 SD1002)."""
    return _ordered(frames, "RFSTDTC", "RFENDTC")


def check_first_exposure_after_last(frames: Frames, standards: Standards) -> FindingsTable:
    """RFXSTDTC <= RFXENDTC (CORE-000714 / FB3408)."""
    return _ordered(frames, "RFXSTDTC", "RFXENDTC")


def check_consent_after_first_exposure(frames: Frames, standards: Standards) -> FindingsTable:
    """RFICDTC <= RFXSTDTC (CORE-000658 / FB3412)."""
    return _ordered(frames, "RFICDTC", "RFXSTDTC")


def check_consent_after_reference_start(frames: Frames, standards: Standards) -> FindingsTable:
    """RFICDTC <= RFSTDTC (CORE-000713 / FB3411)."""
    return _ordered(frames, "RFICDTC", "RFSTDTC")


def _one_to_one(dataset: str, frame: pd.DataFrame, left: str, right: str, code: str | None):
    """Flag records whose ``left`` maps to several ``right`` values or vice versa."""
    a, b = text(frame, left), text(frame, right)
    both = a.notna() & b.notna()
    pairs = pd.DataFrame({"a": a, "b": b})[both].drop_duplicates()
    multi_a = set(pairs["a"][pairs["a"].duplicated(keep=False)])
    multi_b = set(pairs["b"][pairs["b"].duplicated(keep=False)])
    bad_left = both & a.isin(multi_a)
    bad_right = both & b.isin(multi_b) & ~bad_left
    detail_left = Detail(left, " ", a.fillna(""), " has several ", right, " values")
    detail_right = Detail(right, " ", b.fillna(""), " has several ", left, " values")
    return collect(
        [
            make_findings(dataset, frame, bad_left, variable=right, detail=detail_left, code=code),
            make_findings(dataset, frame, bad_right, variable=left, detail=detail_right, code=code),
        ]
    )


def check_arm_armcd_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """ARMCD and ARM are one-to-one in DM (CORE-000318 / FB0902)."""
    found = _dm(frames)
    return EMPTY if found is None else _one_to_one(*found, "ARMCD", "ARM", "DM")


def check_actarm_actarmcd_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """ACTARMCD and ACTARM are one-to-one in DM (CORE-000791 / FB0903)."""
    found = _dm(frames)
    return EMPTY if found is None else _one_to_one(*found, "ACTARMCD", "ACTARM", "DM")


def check_armnrs_missing_for_null_arm(frames: Frames, standards: Standards) -> FindingsTable:
    """ARMNRS is given when ARMCD or ACTARMCD is null (CORE-000045 / CG0517, CORE-000223)."""
    return _dm_rule(
        frames,
        lambda dm: (
            (text(dm, "ARMCD").isna() | text(dm, "ACTARMCD").isna()) & text(dm, "ARMNRS").isna()
        ),
        "ARMNRS",
        lambda dm: "ARMCD or ACTARMCD is null",
    )


def check_armnrs_with_both_arms(frames: Frames, standards: Standards) -> FindingsTable:
    """ARMNRS is null when ARMCD and ACTARMCD are both populated (CORE-000121 / CG0520)."""
    return _dm_rule(
        frames,
        lambda dm: (
            text(dm, "ARMCD").notna() & text(dm, "ACTARMCD").notna() & text(dm, "ARMNRS").notna()
        ),
        "ARMNRS",
        lambda dm: "ARMCD and ACTARMCD are both populated",
    )


def check_arm_without_reference_end(frames: Frames, standards: Standards) -> FindingsTable:
    """RFENDTC is populated when ARM is (CORE-000191 / CG0529: required for assigned subjects)."""
    return _dm_rule(
        frames,
        lambda dm: text(dm, "ARM").notna() & text(dm, "RFENDTC").isna(),
        "RFENDTC",
        lambda dm: (
            "ARM is "
            + text(dm, "ARM").fillna("")
            + " (ARMNRS "
            + text(dm, "ARMNRS").fillna("null")
            + ")"
        ),
    )


def check_arm_null_reason_with_reference_end(frames: Frames, standards: Standards) -> FindingsTable:
    """RFENDTC is null when ARMNRS is populated (CORE-000192 / CG0530)."""
    return _dm_rule(
        frames,
        lambda dm: text(dm, "ARMNRS").notna() & text(dm, "RFENDTC").notna(),
        "RFENDTC",
        lambda dm: "ARMNRS is " + text(dm, "ARMNRS").fillna(""),
    )


def check_armcd_too_long(frames: Frames, standards: Standards) -> FindingsTable:
    """ARMCD and ACTARMCD are at most 20 characters (CORE-000010, CORE-000185)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    name, dm = found
    return collect(
        [
            make_findings(
                name,
                dm,
                text(dm, column).str.len().fillna(0) > 20,
                variable=column,
                detail="longer than 20 characters",
            )
            for column in ("ARMCD", "ACTARMCD")
        ]
    )


def _arm_in_ta(frames: Frames, column: str) -> FindingsTable:
    found = _dm_and(frames, "TA")
    if found is None:
        return EMPTY
    name, dm, ta = found
    values = text(dm, column)
    # Null arms and the CT null reasons in ARMNRS are not arms of TA.
    bad = values.notna() & ~values.isin(set(text(ta, "ARMCD").dropna()))
    return make_findings(name, dm, bad, variable=column, detail="not an ARMCD of TA")


def check_armcd_not_in_ta(frames: Frames, standards: Standards) -> FindingsTable:
    """DM.ARMCD values exist in TA.ARMCD (CORE-000210 / CG0516; CORE-000155 is scoped to TV)."""
    return _arm_in_ta(frames, "ARMCD")


def check_actarmcd_not_in_ta(frames: Frames, standards: Standards) -> FindingsTable:
    """DM.ACTARMCD values exist in TA.ARMCD (CORE-000208 / CG0512)."""
    return _arm_in_ta(frames, "ACTARMCD")


def _latest(
    frame: pd.DataFrame,
    column: str,
    *,
    earliest: bool = False,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Return each subject's latest (or earliest) date-time, compared as text as CORE does.

    Args:
        frame: A subject-level dataset (EX, DS ...).
        column: The ``--DTC`` column to take the extreme of.
        earliest: Take the minimum instead of the maximum.
        rows: Boolean mask of the records to consider (all when ``None``).

    Returns:
        The extreme value per USUBJID (subjects without a date are absent).
    """
    dates = pd.DataFrame({"USUBJID": text(frame, "USUBJID"), "dtc": text(frame, column)})
    if rows is not None:
        dates = dates[rows]
    return dates.dropna().groupby("USUBJID")["dtc"].agg("min" if earliest else "max")


def check_first_exposure_not_earliest_exstdtc(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """RFXSTDTC equals the subject's earliest EXSTDTC (CORE-000239 / CG0148)."""
    found = _dm_and(frames, "EX")
    if found is None:
        return EMPTY
    name, dm, ex = found
    expected = lookup(text(dm, "USUBJID"), _latest(ex, "EXSTDTC", earliest=True))
    actual = text(dm, "RFXSTDTC")
    bad = expected.notna() & (actual != expected).fillna(True)
    detail = Detail("earliest EXSTDTC is ", expected.fillna(""))
    return make_findings(name, dm, bad, variable="RFXSTDTC", detail=detail)


def check_last_exposure_not_latest_exendtc(frames: Frames, standards: Standards) -> FindingsTable:
    """RFXENDTC equals the subject's latest EXENDTC or latest EXSTDTC (CORE-000238 / CG0147)."""
    found = _dm_and(frames, "EX")
    if found is None:
        return EMPTY
    name, dm, ex = found
    subjects = text(dm, "USUBJID")
    has_ex = subjects.isin(set(text(ex, "USUBJID").dropna()))
    last_start = lookup(subjects, _latest(ex, "EXSTDTC"))
    last_end = lookup(subjects, _latest(ex, "EXENDTC"))
    actual = text(dm, "RFXENDTC")
    # As CORE-000238: a finding only when RFXENDTC matches neither latest value (a null
    # RFXENDTC matches a subject whose EX records have no EXENDTC at all).
    same_end = (actual == last_end).fillna(False) | (actual.isna() & last_end.isna())
    same_start = (actual == last_start).fillna(False)
    bad = has_ex & ~same_end & ~same_start
    detail = Detail(
        "latest EXENDTC is ",
        last_end.fillna("null"),
        ", latest EXSTDTC is ",
        last_start.fillna("null"),
    )
    return make_findings(name, dm, bad, variable="RFXENDTC", detail=detail)


def check_fatal_ae_without_death_flag(frames: Frames, standards: Standards) -> FindingsTable:
    """AEOUT = FATAL or AESDTH = Y requires DM.DTHFL = Y (CORE-000254, CORE-000253)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    flags = subject_map(found[1], "DTHFL")
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        dthfl = lookup(text(ae, "USUBJID"), flags)
        not_dead = (dthfl != "Y").fillna(True) & text(ae, "USUBJID").notna()
        for column, fatal in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
            bad = (text(ae, column) == fatal).fillna(False) & not_dead
            tables.append(
                make_findings(name, ae, bad, variable=column, detail="DM.DTHFL is not Y", code=code)
            )
    return collect(tables)


def check_fatal_ae_end_not_death_date(frames: Frames, standards: Standards) -> FindingsTable:
    """AEENDTC of a fatal AE equals DM.DTHDTC (CORE-000841 / FB0612)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    death = subject_map(found[1], "DTHDTC")
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        dthdtc = lookup(text(ae, "USUBJID"), death)
        end = text(ae, "AEENDTC")
        fatal = (text(ae, "AEOUT") == "FATAL").fillna(False)
        bad = fatal & (end != dthdtc).fillna(end.notna() | dthdtc.notna())
        detail = Detail("DM.DTHDTC is ", dthdtc.fillna("null"))
        tables.append(make_findings(name, ae, bad, variable="AEENDTC", detail=detail, code=code))
    return collect(tables)


NOT_TREATED_ARMS = ("SCRNFAIL", "NOTASSGN", "NOTTRT")
"""Arm codes of SDTMIG 3.2-era packages for subjects never treated (compared ignoring case:
the CDISC pilot writes ``Scrnfail``)."""


def check_treated_subject_without_exposure(frames: Frames, standards: Standards) -> FindingsTable:
    """A subject with an actual arm has at least one EX record (P21 SD0070, CORE-000366).

    The pseudo-arms of never-treated subjects (``SCRNFAIL``, ``NOTASSGN``, ``NOTTRT``, any case)
    are not actual arms (CORE-000366 excludes them; the pilot's 52 screen failures).
    """
    found = _dm_and(frames, "EX")
    if found is None:
        return EMPTY
    name, dm, ex = found
    actual = text(dm, "ACTARMCD")
    treated = actual.notna() & ~actual.str.upper().isin(NOT_TREATED_ARMS).fillna(False)
    bad = treated & ~text(dm, "USUBJID").isin(set(text(ex, "USUBJID").dropna()))
    return make_findings(name, dm, bad, variable="USUBJID", detail="no EX record")


def check_reference_start_after_first_exposure(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """Sponsor rule, off by default: RFSTDTC not after the subject's earliest EXSTDTC."""
    found = _dm_and(frames, "EX")
    if found is None:
        return EMPTY
    name, dm, ex = found
    earliest = lookup(text(dm, "USUBJID"), _latest(ex, "EXSTDTC", earliest=True))
    bad = after(text(dm, "RFSTDTC"), earliest)
    return make_findings(
        name,
        dm,
        bad,
        variable="RFSTDTC",
        detail=Detail("earliest EXSTDTC is ", earliest.fillna("")),
    )


def _ds_records(frames: Frames, decod: str):
    for name, code, ds in datasets(frames, "DS"):
        yield name, code, ds, (text(ds, "DSDECOD") == decod).fillna(False)


def check_death_disposition_without_death_flag(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """A DS record with DSDECOD = DEATH requires DM.DTHFL = Y (CORE-000252 / CG0136)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    flags = subject_map(found[1], "DTHFL")
    tables = []
    for name, code, ds, death in _ds_records(frames, "DEATH"):
        not_dead = (lookup(text(ds, "USUBJID"), flags) != "Y").fillna(True)
        tables.append(
            make_findings(
                name,
                ds,
                death & not_dead,
                variable="DSDECOD",
                detail="DM.DTHFL is not Y",
                code=code,
            )
        )
    return collect(tables)


def check_death_flag_without_death_disposition(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """DM.DTHFL = Y should have a DS record with DSDECOD = DEATH (CORE-000679 / FB0608)."""
    found = _dm_and(frames, "DS")
    if found is None:
        return EMPTY
    name, dm, ds = found
    deaths = set(text(ds, "USUBJID")[(text(ds, "DSDECOD") == "DEATH").fillna(False)].dropna())
    dead = (text(dm, "DTHFL") == "Y").fillna(False)
    bad = dead & ~text(dm, "USUBJID").isin(deaths)
    return make_findings(name, dm, bad, variable="DTHFL", detail="no DS record with DSDECOD DEATH")


def check_disposition_death_date_not_death_date(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """DSSTDTC of the DEATH disposition equals DM.DTHDTC (CORE-000913 / FB0611, CORE-000034)."""
    found = _dm(frames)
    if found is None:
        return EMPTY
    death_dates = subject_map(found[1], "DTHDTC")
    tables = []
    for name, code, ds, death in _ds_records(frames, "DEATH"):
        expected = lookup(text(ds, "USUBJID"), death_dates)
        start = text(ds, "DSSTDTC")
        bad = death & expected.notna() & (start != expected).fillna(True)
        detail = Detail("DM.DTHDTC is ", expected.fillna(""))
        tables.append(make_findings(name, ds, bad, variable="DSSTDTC", detail=detail, code=code))
    return collect(tables)


def check_consent_date_not_earliest_consent_disposition(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """DM.RFICDTC equals the earliest DSSTDTC of INFORMED CONSENT OBTAINED (CORE-000370)."""
    found = _dm_and(frames, "DS")
    if found is None:
        return EMPTY
    name, dm, ds = found
    consent = (text(ds, "DSDECOD") == "INFORMED CONSENT OBTAINED").fillna(False)
    earliest = _latest(ds, "DSSTDTC", earliest=True, rows=consent)
    expected = lookup(text(dm, "USUBJID"), earliest)
    bad = expected.notna() & (text(dm, "RFICDTC") != expected).fillna(True)
    detail = Detail("earliest informed consent DSSTDTC is ", expected.fillna(""))
    return make_findings(name, dm, bad, variable="RFICDTC", detail=detail)


_FINDINGS_CLASSES = ("findings",)


def check_collection_before_consent(frames: Frames, standards: Standards) -> FindingsTable:
    """A Findings record (sample, measurement) is not collected before informed consent.

    Sponsor rule without a CORE id (CORE-000086 checks the same order for DV only): each
    ``--DTC`` of a Findings or Findings About dataset (LB, PC, VS, FA ...) is compared with
    the subject's ``DM.RFICDTC`` at their common precision; earlier is reported. Subjects
    without RFICDTC, and records without a date, are not judged.
    """
    found = _dm(frames)
    if found is None:
        return EMPTY
    consent = subject_map(found[1], "RFICDTC")
    tables = []
    for name, code, frame in datasets(frames):
        spec = standards.domain(code)
        column = f"{code[:2]}DTC"
        if (
            spec is None
            or not spec.observation_class.lower().startswith(_FINDINGS_CLASSES)
            or column not in frame.columns
        ):
            continue
        expected = lookup(text(frame, "USUBJID"), consent)
        bad = after(expected, text(frame, column)) & expected.notna()
        detail = Detail("DM.RFICDTC is ", expected.fillna(""))
        tables.append(make_findings(name, frame, bad, variable=column, detail=detail, code=code))
    return collect(tables)
