"""DM reference dates: RFXSTDTC, RFXENDTC, RFSTDTC, RFENDTC, RFICDTC, RFPENDTC."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.derive.dates import DatePrecision, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity

REFERENCE_START_FALLBACK = DeriveRule(
    "MP0570", "reference-start-from-first-exposure", Severity.NOTICE
)
EXPOSURE_SUBJECT_NOT_IN_DM = DeriveRule("MP0571", "exposure-subject-not-in-dm", Severity.WARNING)
PARTIAL_EXPOSURE_DATE = DeriveRule("MP0572", "reference-date-from-partial-date", Severity.NOTICE)
CONSENT_DATE_MISSING = DeriveRule("MP0573", "informed-consent-date-missing", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (
    REFERENCE_START_FALLBACK.id,
    EXPOSURE_SUBJECT_NOT_IN_DM.id,
    PARTIAL_EXPOSURE_DATE.id,
    CONSENT_DATE_MISSING.id,
)


def _valid(dtc: pd.Series) -> pd.Series:
    """Return ``dtc`` as text with non-ISO and blank values set to null."""
    return dtc.astype("string").str.strip().where(compute_dtc_precision(dtc) >= DatePrecision.YEAR)


def _per_subject(frame: pd.DataFrame, value: pd.Series, how: str) -> pd.Series:
    """Return the lexically smallest (``min``) or largest (``max``) ISO value per subject.

    ISO 8601 text at the same precision orders like time; a less precise value sorts first
    among values sharing its prefix, which makes ``min`` the earliest possible date.
    """
    data = pd.DataFrame({"USUBJID": frame["USUBJID"].astype("object"), "v": value})
    data = data[data["v"].notna()]
    return data.groupby("USUBJID")["v"].agg(how)


def derive_reference_dates(
    dm: pd.DataFrame, ex: pd.DataFrame, *, anchor_treatments: Sequence[str]
) -> DeriveResult:
    """Set RFXSTDTC, RFXENDTC, RFSTDTC and RFENDTC from the exposure records.

    Implements SDTMIG 3.4 §5.2 (DM) with the study decisions of the brief (section 5.1):

    - RFXSTDTC = earliest EXSTDTC of any study treatment (CORE-000239 / CG0148), i.e. the
      first lymphodepletion dose;
    - RFXENDTC = latest EXENDTC (CORE-000238 / CG0147), using EXSTDTC for a record without
      EXENDTC (a single administration ends on its start date);
    - RFSTDTC (sponsor-defined) = earliest EXSTDTC of the ``anchor_treatments`` (the CAR-T
      infusion start); a subject exposed only to other treatments (lymphodepletion but no
      infusion) gets RFXSTDTC instead, with notice MP0570;
    - RFENDTC (sponsor-defined) = latest end of the anchor treatment, else RFXENDTC.

    Subjects without EX records get nulls and no finding (screen failures, assigned but not
    treated). EX subjects absent from DM give MP0571; a reference date taken from a partial
    exposure date gives MP0572.

    Args:
        dm: DM frame with ``USUBJID``.
        ex: EX frame with ``USUBJID``, ``EXTRT``, ``EXSTDTC``, ``EXENDTC``.
        anchor_treatments: EXTRT values of the product that defines RFSTDTC.

    Returns:
        ``DeriveResult``: ``dm`` with the four variables set.
    """
    require_columns(dm, ("USUBJID",), "derive_reference_dates DM")
    require_columns(ex, ("USUBJID", "EXTRT", "EXSTDTC", "EXENDTC"), "derive_reference_dates EX")
    start = _valid(ex["EXSTDTC"])
    end = _valid(ex["EXENDTC"]).fillna(start)
    anchor = ex["EXTRT"].isin(list(anchor_treatments)).fillna(False)
    subject = dm["USUBJID"].astype("object")
    rfxstdtc = subject.map(_per_subject(ex, start, "min")).astype("string")
    rfxendtc = subject.map(_per_subject(ex, end, "max")).astype("string")
    anchor_start = subject.map(_per_subject(ex[anchor], start[anchor], "min")).astype("string")
    anchor_end = subject.map(_per_subject(ex[anchor], end[anchor], "max")).astype("string")
    fallback = anchor_start.isna() & rfxstdtc.notna()

    out = dm.copy()
    out["RFXSTDTC"] = rfxstdtc
    out["RFXENDTC"] = rfxendtc
    out["RFSTDTC"] = anchor_start.fillna(rfxstdtc)
    out["RFENDTC"] = anchor_end.where(anchor_start.notna(), rfxendtc)
    where = where_label(dm)
    partial = pd.Series(False, index=dm.index)
    for name in ("RFXSTDTC", "RFXENDTC", "RFSTDTC", "RFENDTC"):
        partial |= (compute_dtc_precision(out[name]) < DatePrecision.DAY) & out[name].notna()
    orphan = ~ex["USUBJID"].isin(dm["USUBJID"])
    findings = [
        row_findings(
            dm,
            fallback,
            REFERENCE_START_FALLBACK,
            where
            + ": the subject has no record of "
            + ", ".join(anchor_treatments)
            + "; RFSTDTC set to the first exposure RFXSTDTC "
            + rfxstdtc.fillna(""),
            dataset="DM",
            variable="RFSTDTC",
            value=rfxstdtc,
        ),
        row_findings(
            dm,
            partial,
            PARTIAL_EXPOSURE_DATE,
            where
            + ": a reference date of the subject comes from a partial exposure date (RFXSTDTC "
            + rfxstdtc.fillna("")
            + ", RFXENDTC "
            + rfxendtc.fillna("")
            + "); study days will be null",
            dataset="DM",
            variable="RFXSTDTC",
        ),
        row_findings(
            ex,
            orphan,
            EXPOSURE_SUBJECT_NOT_IN_DM,
            where_label(ex)
            + ": the subject of this EX record is not in DM; not used for reference dates",
            dataset="EX",
            variable="USUBJID",
            value=ex["USUBJID"].astype("string"),
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def derive_informed_consent_date(
    dm: pd.DataFrame, ic: pd.DataFrame, *, source_var: str
) -> DeriveResult:
    """Set RFICDTC to the subject's earliest informed consent date.

    Implements the SDTMIG 3.4 DM definition of RFICDTC (date/time of informed consent; with
    re-consents the first one). Every DM subject signed consent, so a subject without a
    consent date gets null and warning MP0573.

    Args:
        dm: DM frame with ``USUBJID``.
        ic: Consent records with ``USUBJID`` and ``source_var`` (ISO 8601).
        source_var: Consent date variable in ``ic``.

    Returns:
        ``DeriveResult``: ``dm`` with ``RFICDTC`` set.
    """
    require_columns(dm, ("USUBJID",), "derive_informed_consent_date DM")
    require_columns(ic, ("USUBJID", source_var), "derive_informed_consent_date")
    first = _per_subject(ic, _valid(ic[source_var]), "min")
    out = dm.copy()
    out["RFICDTC"] = dm["USUBJID"].astype("object").map(first).astype("string")
    findings = row_findings(
        dm,
        out["RFICDTC"].isna(),
        CONSENT_DATE_MISSING,
        where_label(dm) + ": the subject has no informed consent date; RFICDTC left null",
        dataset="DM",
        variable="RFICDTC",
    )
    return DeriveResult(out, findings)


def derive_participation_end(
    dm: pd.DataFrame, sources: Sequence[tuple[pd.DataFrame, str]]
) -> DeriveResult:
    """Set RFPENDTC to the latest date of any record of the subject in ``sources``.

    Implements the SDTMIG 3.4 DM definition of RFPENDTC (end of participation: the last known
    contact, including follow-up and death). ``sources`` lists the frames and date variables
    that count, e.g. ``((ds, "DSSTDTC"), (sv, "SVENDTC"), (dm, "DTHDTC"))``. No finding:
    every subject has at least a consent date if the caller includes it.

    Args:
        dm: DM frame with ``USUBJID``.
        sources: Pairs of (frame with ``USUBJID``, date variable name).

    Returns:
        ``DeriveResult``: ``dm`` with ``RFPENDTC`` set.
    """
    require_columns(dm, ("USUBJID",), "derive_participation_end DM")
    pieces = []
    for frame, var in sources:
        require_columns(frame, ("USUBJID", var), "derive_participation_end")
        pieces.append(
            pd.DataFrame({"USUBJID": frame["USUBJID"].astype("object"), "v": _valid(frame[var])})
        )
    out = dm.copy()
    if pieces:
        data = pd.concat(pieces, ignore_index=True)
        latest = data[data["v"].notna()].groupby("USUBJID")["v"].max()
        out["RFPENDTC"] = dm["USUBJID"].astype("object").map(latest).astype("string")
    else:
        out["RFPENDTC"] = pd.Series(pd.NA, index=dm.index, dtype="string")
    return DeriveResult(out, FindingsTable())
