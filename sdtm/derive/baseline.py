"""``--LOBXFL``: last observation before exposure (SDTMIG 3.4)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    located_message,
    require_columns,
    row_findings,
)
from sdtm.derive.dates import DatePrecision, compute_dtc_compare, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity

TIME_UNKNOWN_ON_FIRST_DOSE_DAY = DeriveRule(
    "MP0550", "baseline-candidate-time-unknown-on-first-dose-day", Severity.NOTICE
)
BASELINE_TIE = DeriveRule("MP0551", "baseline-tie-same-date-time", Severity.NOTICE)
RULE_IDS: tuple[str, ...] = (TIME_UNKNOWN_ON_FIRST_DOSE_DAY.id, BASELINE_TIE.id)

_KEY_SUFFIXES = ("TESTCD", "CAT", "SCAT", "SPEC", "METHOD")
_PROVENANCE = ("_src_file", "_src_row")


def derive_last_obs_before_exposure_flag(
    df: pd.DataFrame,
    dm: pd.DataFrame,
    *,
    domain: str,
    by: Sequence[str] | None = None,
    source_var: str | None = None,
    tpt_var: str | None = None,
    predose_pattern: str = "PRE",
    ref_var: str = "RFXSTDTC",
) -> DeriveResult:
    """Add ``--LOBXFL`` = "Y" on the last non-missing result before first study treatment.

    Implements the SDTMIG 3.4 ``--LOBXFL`` definition ("last observation before exposure
    flag": the last non-missing value prior to RFXSTDTC). RFXSTDTC is the first dose of any
    study treatment, i.e. the first lymphodepletion dose in a CAR-T study, not the infusion.
    At most one flag per subject and test key (CORE-000915 / FB2604), only on records with a
    ``--STRESC`` (CORE-000105 / CG0569).

    Rules for dates (brief 2.1):
    - a result dated before RFXSTDTC at the common precision is a candidate; one with exactly
      the same date and time (to the minute) as RFXSTDTC is too (taken at dosing, before it);
    - a result on the first-dose date whose time (or RFXSTDTC's time) is unknown is a
      candidate only when ``tpt_var`` matches ``predose_pattern`` (e.g. ``PRE-DOSE``);
      otherwise it is skipped with finding MP0550;
    - among candidates the latest date/time wins; when the latest two are equal at their
      common precision the later source row (``_src_file``/``_src_row``, else input order) is
      flagged and finding MP0551 names the tie.

    Subjects without RFXSTDTC (never treated) get no flag and no finding: there is nothing
    before a first dose that did not happen.

    Args:
        df: Findings frame with ``USUBJID``, ``--TESTCD``, ``--STRESC`` and the date.
        dm: DM frame with ``USUBJID`` and ``ref_var``.
        domain: Domain prefix, e.g. ``LB``.
        by: Test key within the subject; default ``--TESTCD`` plus whichever of ``--CAT``,
            ``--SCAT``, ``--SPEC``, ``--METHOD`` exist.
        source_var: Date variable; default ``--DTC``.
        tpt_var: Planned time point variable used for same-day ties (e.g. ``LBTPT``).
        predose_pattern: Case-insensitive regular expression marking a pre-dose time point.
        ref_var: First-exposure date variable in ``dm``.

    Returns:
        ``DeriveResult``: ``df`` plus ``--LOBXFL`` ("Y" or null).

    Raises:
        MappingError: For ``domain="PC"``: the SDTMIG 3.4 PC table has no PCLOBXFL, and this
            study does not add it (brief decision 5.5); pre-infusion PC records are simply
            BLQ records.
    """
    from sdtm.errors import MappingError

    if domain == "PC":
        raise MappingError(
            "PC has no --LOBXFL in SDTMIG 3.4 (not derived for PC; see docs/derive.md)"
        )
    source_var = source_var or f"{domain}DTC"
    stresc_var, new_var = f"{domain}STRESC", f"{domain}LOBXFL"
    if by is None:
        by = [f"{domain}{s}" for s in _KEY_SUFFIXES if f"{domain}{s}" in df.columns]
    keys = ["USUBJID", *by]
    require_columns(df, (*keys, stresc_var, source_var), "derive_last_obs_before_exposure_flag")
    require_columns(dm, ("USUBJID", ref_var), "derive_last_obs_before_exposure_flag DM")
    ref = df["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")[ref_var])
    dtc = df[source_var]
    cmp = compute_dtc_compare(dtc, ref)
    precision = compute_dtc_precision(dtc)
    # Only an identical time to the minute is "at dosing"; two equal dates (or hours) say
    # nothing about which came first.
    exact = (precision == compute_dtc_precision(ref)) & (precision >= DatePrecision.MINUTE)
    stresc = df[stresc_var].astype("string").str.strip()
    has_value = (stresc.notna() & (stresc != "")).fillna(False)
    predose = (
        df[tpt_var].astype("string").str.contains(predose_pattern, case=False, regex=True)
        if tpt_var is not None and tpt_var in df.columns
        else pd.Series(False, index=df.index)
    ).fillna(False)
    before = ((cmp < 0) | ((cmp == 0) & exact)).fillna(False).astype(bool)
    unknown_time = ((cmp == 0) & ~exact).fillna(False).astype(bool)
    candidate = has_value & (before | (unknown_time & predose))

    tie_break = [name for name in _PROVENANCE if name in df.columns]
    work = pd.DataFrame({name: df[name] for name in (*keys, *tie_break)})
    work["_dtc"] = dtc.astype("string")
    work["_precision"] = compute_dtc_precision(dtc)
    work["_order"] = range(len(df))
    work = work[candidate]
    order = [*keys, "_dtc", "_precision", *tie_break, "_order"]
    ordered = work.sort_values(order, kind="mergesort", na_position="first")
    grouped = ordered.groupby(keys, sort=False, dropna=False)
    last = ordered[grouped.cumcount(ascending=False) == 0]
    previous_dtc = grouped["_dtc"].shift(1).reindex(last.index)
    tie_cmp = compute_dtc_compare(previous_dtc.astype("string"), last["_dtc"])
    tied = pd.Series(False, index=df.index)
    tied.loc[last.index[(tie_cmp == 0).fillna(False).to_numpy()]] = True

    flag = pd.Series(pd.NA, index=df.index, dtype="string")
    flag.loc[last.index] = "Y"
    out = df.copy()
    out[new_var] = flag
    unplaced = has_value & unknown_time & ~predose
    findings = [
        row_findings(
            df,
            unplaced,
            TIME_UNKNOWN_ON_FIRST_DOSE_DAY,
            located_message(
                unplaced,
                f": not considered for {new_var}: {source_var} ",
                dtc.astype("string"),
                f" is on the first-dose date {ref_var} ",
                ref.astype("string"),
                " but a time is missing and no pre-dose time point says it was taken before",
            ),
            dataset=domain,
            variable=new_var,
            value=dtc.astype("string"),
        ),
        row_findings(
            df,
            tied,
            BASELINE_TIE,
            located_message(
                tied,
                f": {new_var} set on this record, but another pre-exposure result of the "
                "same test has the same date/time at the common precision; the later source "
                "row was chosen",
            ),
            dataset=domain,
            variable=new_var,
            value=dtc.astype("string"),
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
