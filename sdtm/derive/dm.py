"""DM subject-level derivations: death, arms, age."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.derive.dates import DatePrecision, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity
from sdtm.mapping.design import StudyDesign

DEATH_DATE_CONFLICT = DeriveRule("MP0580", "death-dates-conflict", Severity.WARNING)
DEATH_DATE_MISSING = DeriveRule("MP0581", "fatal-event-without-death-date", Severity.WARNING)
ARM_NOT_IN_DESIGN = DeriveRule("MP0582", "arm-not-in-design", Severity.WARNING)
AGE_FROM_PARTIAL_DATE = DeriveRule("MP0583", "age-from-partial-date", Severity.NOTICE)
AGE_NOT_DERIVED = DeriveRule("MP0584", "age-not-derived", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (
    DEATH_DATE_CONFLICT.id,
    DEATH_DATE_MISSING.id,
    ARM_NOT_IN_DESIGN.id,
    AGE_FROM_PARTIAL_DATE.id,
    AGE_NOT_DERIVED.id,
)


def derive_death(
    dm: pd.DataFrame,
    *,
    deaths: pd.DataFrame | None = None,
    ae: pd.DataFrame | None = None,
    source_var: str = "DTHDTC",
) -> DeriveResult:
    """Set DTHDTC and DTHFL from collected death dates and fatal adverse events.

    Implements the SDTMIG 3.4 DM definitions: DTHDTC is the collected date of death; DTHFL is
    "Y" when the subject died and null otherwise (never "N"), consistent with DTHDTC
    (CORE-000007 / CG0435) and with fatal AEs (AEOUT "FATAL" or AESDTH "Y" ->
    DTHFL "Y", CORE-000254 / CG0134). Several different death dates for one subject give
    null DTHDTC and MP0580; a fatal AE without a death date gives DTHFL "Y", null DTHDTC and
    MP0581.

    Args:
        dm: DM frame with ``USUBJID``.
        deaths: Death records with ``USUBJID`` and ``source_var`` (ISO 8601), if collected.
        ae: AE frame with ``USUBJID`` and ``AEOUT`` and/or ``AESDTH``, if available.
        source_var: Date variable of ``deaths``.

    Returns:
        ``DeriveResult``: ``dm`` with ``DTHDTC`` and ``DTHFL`` set.
    """
    require_columns(dm, ("USUBJID",), "derive_death DM")
    subject = dm["USUBJID"].astype("object")
    dthdtc = pd.Series(pd.NA, index=dm.index, dtype="string")
    conflict = pd.Series(False, index=dm.index)
    if deaths is not None:
        require_columns(deaths, ("USUBJID", source_var), "derive_death")
        dates = pd.DataFrame(
            {
                "USUBJID": deaths["USUBJID"].astype("object"),
                "v": deaths[source_var].astype("string").str.strip().replace("", pd.NA),
            }
        ).dropna()
        distinct = dates.groupby("USUBJID")["v"].nunique()
        conflict = subject.map(distinct).fillna(0).gt(1)
        dthdtc = subject.map(dates.groupby("USUBJID")["v"].first()).astype("string")
        dthdtc = dthdtc.where(~conflict)
    fatal = pd.Series(False, index=dm.index)
    if ae is not None:
        require_columns(ae, ("USUBJID",), "derive_death AE")
        is_fatal = pd.Series(False, index=ae.index)
        if "AEOUT" in ae.columns:
            is_fatal |= ae["AEOUT"].astype("string").eq("FATAL").fillna(False)
        if "AESDTH" in ae.columns:
            is_fatal |= ae["AESDTH"].astype("string").eq("Y").fillna(False)
        fatal = subject.isin(ae.loc[is_fatal, "USUBJID"].astype("object"))
    died = dthdtc.notna() | fatal | conflict
    out = dm.copy()
    out["DTHDTC"] = dthdtc
    out["DTHFL"] = pd.Series(pd.NA, index=dm.index, dtype="string").mask(died, "Y")
    where = where_label(dm)
    findings = [
        row_findings(
            dm,
            conflict,
            DEATH_DATE_CONFLICT,
            where + ": the subject has different death dates in the source; DTHDTC left null",
            dataset="DM",
            variable="DTHDTC",
        ),
        row_findings(
            dm,
            fatal & dthdtc.isna() & ~conflict,
            DEATH_DATE_MISSING,
            where
            + ": the subject has a fatal adverse event but no death date; DTHFL set, "
            + "DTHDTC left null",
            dataset="DM",
            variable="DTHDTC",
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def derive_arms(
    dm: pd.DataFrame,
    ex: pd.DataFrame,
    design: StudyDesign,
    *,
    actarmcd_var: str | None = None,
) -> DeriveResult:
    """Set ARM, ACTARMCD, ACTARM, ARMNRS and ACTARMUD from the assigned ARMCD and exposure.

    Implements SDTMIG 3.4 §5.2 (DM arm variables; ARMNRS codelist C142179) with the study's
    rules (brief 2.2, ``StudyDesign.arm_rules``):

    - ARMCD null (never assigned): ARM, ACTARMCD, ACTARM null; ARMNRS "SCREEN FAILURE";
    - assigned, no EX record: ACTARMCD/ACTARM null; ARMNRS "ASSIGNED, NOT TREATED";
    - assigned, exposed but never to an anchor treatment (lymphodepletion only):
      ACTARMCD/ACTARM null; ARMNRS "UNPLANNED TREATMENT"; ACTARMUD describes what was given;
    - treated: ACTARMCD = ``actarmcd_var`` when given and filled (e.g. the dose level actually
      received), else ARMCD; ACTARM from the design.

    An ARMCD or actual arm code not in the design gives null ARM/ACTARM and MP0582.

    Args:
        dm: DM frame with ``USUBJID`` and ``ARMCD`` (assigned arm, null if none).
        ex: EX frame with ``USUBJID`` and ``EXTRT``.
        design: Study design with ``arms`` and ``arm_rules``.
        actarmcd_var: Column of ``dm`` holding the actual arm code, if collected.

    Returns:
        ``DeriveResult``: ``dm`` with ``ARM``, ``ACTARMCD``, ``ACTARM``, ``ARMNRS``,
        ``ACTARMUD`` set.

    Raises:
        MappingError: If ``design.arm_rules`` is not set (a spec defect).
    """
    from sdtm.errors import MappingError

    require_columns(dm, ("USUBJID", "ARMCD"), "derive_arms DM")
    require_columns(ex, ("USUBJID", "EXTRT"), "derive_arms EX")
    rules = design.arm_rules
    if rules is None:
        raise MappingError("derive_arms needs StudyDesign.arm_rules (the study's arm rules)")
    names = pd.Series({a.armcd: a.arm for a in design.arms}, dtype="string")
    armcd = dm["ARMCD"].astype("string").str.strip().replace("", pd.NA)
    assigned = armcd.notna()
    exposed = dm["USUBJID"].isin(ex["USUBJID"])
    anchor_subjects = ex.loc[ex["EXTRT"].isin(list(rules.anchor_treatments)), "USUBJID"]
    treated = dm["USUBJID"].isin(anchor_subjects)
    actual = armcd
    if actarmcd_var is not None:
        require_columns(dm, (actarmcd_var,), "derive_arms DM")
        actual = dm[actarmcd_var].astype("string").str.strip().replace("", pd.NA).fillna(armcd)
    actarmcd = actual.where(assigned & treated)
    arm = armcd.map(names).astype("string")
    actarm = actarmcd.map(names).astype("string")
    armnrs = pd.Series(pd.NA, index=dm.index, dtype="string")
    armnrs = armnrs.mask(~assigned, rules.screen_failure)
    armnrs = armnrs.mask(assigned & ~exposed, rules.not_treated)
    unplanned = assigned & exposed & ~treated
    armnrs = armnrs.mask(unplanned, rules.unplanned_treatment)
    out = dm.copy()
    out["ARM"] = arm
    out["ACTARMCD"] = actarmcd
    out["ACTARM"] = actarm
    out["ARMNRS"] = armnrs
    out["ACTARMUD"] = pd.Series(pd.NA, index=dm.index, dtype="string").mask(
        unplanned, rules.unplanned_description
    )
    unknown = (assigned & arm.isna()) | (actarmcd.notna() & actarm.isna())
    bad_code = armcd.where(arm.isna(), actarmcd)
    findings = row_findings(
        dm,
        unknown,
        ARM_NOT_IN_DESIGN,
        where_label(dm)
        + ": arm code "
        + bad_code.fillna("")
        + " is not an arm of the study design; ARM/ACTARM left null",
        dataset="DM",
        variable="ARMCD",
        value=bad_code,
    )
    return DeriveResult(out, findings)


def derive_age(
    dm: pd.DataFrame, *, birth_var: str = "BRTHDTC", ref_var: str = "RFICDTC"
) -> DeriveResult:
    """Set AGE (completed years at ``ref_var``) and AGEU "YEARS" from the birth date.

    Implements the SDTMIG 3.4 DM definition of AGE (age at RFSTDTC or, as here by default,
    at informed consent; the reference used is stated in define.xml) using the precision
    collected: dates are compared at their common precision. When that precision cannot say
    whether the birthday had passed (a year-only birth date, or the same month without days)
    the age is one of two values; AGE takes the lower one (completed years that are certain)
    and notice MP0583 names both. A missing or non-ISO birth or reference date gives null
    AGE and MP0584.

    Args:
        dm: DM frame with ``USUBJID``, ``birth_var`` and ``ref_var``.
        birth_var: Birth date variable (ISO 8601, possibly partial).
        ref_var: Reference date variable.

    Returns:
        ``DeriveResult``: ``dm`` with ``AGE`` (float) and ``AGEU`` set.
    """
    require_columns(dm, ("USUBJID", birth_var, ref_var), "derive_age")
    birth = dm[birth_var].astype("string").str.strip()
    ref = dm[ref_var].astype("string").str.strip()
    common = np.minimum(
        np.minimum(compute_dtc_precision(birth), compute_dtc_precision(ref)), DatePrecision.DAY
    )
    common = pd.Series(common, index=dm.index)

    def part(text: pd.Series, start: int, stop: int) -> pd.Series:
        return pd.to_numeric(text.str.slice(start, stop), errors="coerce")

    years = part(ref, 0, 4) - part(birth, 0, 4)
    month_diff = part(ref, 5, 7) - part(birth, 5, 7)
    day_diff = part(ref, 8, 10) - part(birth, 8, 10)
    before_birthday = (month_diff < 0) | ((month_diff == 0) & (day_diff < 0))
    age = years.where(~((common >= DatePrecision.DAY) & before_birthday.fillna(False)), years - 1)
    month_known = common == DatePrecision.MONTH
    age = age.mask(month_known & (month_diff < 0), years - 1)
    ambiguous = (common == DatePrecision.YEAR) | (month_known & (month_diff == 0))
    age = age.mask(ambiguous, years - 1)
    valid = common >= DatePrecision.YEAR
    age = age.where(valid).astype("float64")
    out = dm.copy()
    out["AGE"] = age
    out["AGEU"] = pd.Series(pd.NA, index=dm.index, dtype="string").mask(age.notna(), "YEARS")
    where = where_label(dm)
    findings = [
        row_findings(
            dm,
            ambiguous & valid,
            AGE_FROM_PARTIAL_DATE,
            where
            + f": {birth_var} "
            + birth.fillna("")
            + f" and {ref_var} "
            + ref.fillna("")
            + " give an age of "
            + (years - 1).astype("Int64").astype("string").fillna("")
            + " or "
            + years.astype("Int64").astype("string").fillna("")
            + "; AGE set to the lower value",
            dataset="DM",
            variable="AGE",
            value=birth,
        ),
        row_findings(
            dm,
            ~valid,
            AGE_NOT_DERIVED,
            where
            + ": AGE not derived: "
            + birth_var
            + " "
            + birth.fillna("(null)")
            + " / "
            + ref_var
            + " "
            + ref.fillna("(null)")
            + " is missing or not ISO 8601",
            dataset="DM",
            variable="AGE",
            value=birth,
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
