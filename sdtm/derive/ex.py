"""EX dose derivations: body-surface-area and weight-based doses."""

from __future__ import annotations

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    compute_canonical_number,
    compute_numbers,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.findings import FindingsTable, Severity

DOSE_NOT_DERIVED = DeriveRule("MP0590", "dose-not-derived", Severity.WARNING)
DOSE_MISMATCH = DeriveRule("MP0591", "reported-dose-differs-from-recomputed", Severity.WARNING)
DOSE_NOT_NUMERIC = DeriveRule("MP0592", "dose-value-not-numeric", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (DOSE_NOT_DERIVED.id, DOSE_MISMATCH.id, DOSE_NOT_NUMERIC.id)


def compute_dose_per_unit(amount: pd.Series, denominator: pd.Series, decimals: int) -> pd.Series:
    """Return ``amount / denominator`` rounded to ``decimals`` (null when not computable)."""
    numerator = pd.to_numeric(amount, errors="coerce")
    divisor = pd.to_numeric(denominator, errors="coerce")
    ratio = (numerator / divisor.where(divisor > 0)).astype("float64")
    return pd.to_numeric(compute_canonical_number(ratio, decimals), errors="coerce").astype(
        "float64"
    )


def _derive_ratio_dose(
    df: pd.DataFrame,
    *,
    source_var: str,
    denominator_var: str,
    new_var: str,
    decimals: int,
    tolerance: float,
    what: str,
) -> DeriveResult:
    require_columns(df, ("USUBJID", source_var, denominator_var), what)
    amount, amount_unreadable = compute_numbers(df[source_var])
    recomputed = compute_dose_per_unit(amount, df[denominator_var], decimals)
    has_amount = amount.notna()
    if new_var in df.columns:
        reported, reported_unreadable = compute_numbers(df[new_var])
    else:
        reported = pd.Series(float("nan"), index=df.index)
        reported_unreadable = pd.Series(False, index=df.index)
    out = df.copy()
    # A reported dose that cannot be read is reported (MP0592) and left null: substituting
    # the recomputed value would hide that the reported and the given dose may differ.
    out[new_var] = reported.fillna(recomputed.where(~reported_unreadable))
    relative = (reported - recomputed).abs() / recomputed.abs()
    mismatch = (reported.notna() & recomputed.notna() & (relative > tolerance)).fillna(False)
    where = where_label(df)

    def unreadable(mask: pd.Series, column: str, consequence: str) -> FindingsTable:
        if not mask.any():
            return FindingsTable()
        text = df[column].astype("string")
        return row_findings(
            df,
            mask,
            DOSE_NOT_NUMERIC,
            where + f": {column} " + text.fillna("") + f" is not a number; {consequence}",
            dataset="EX",
            variable=new_var,
            value=text,
        )

    findings = [
        unreadable(amount_unreadable, source_var, f"{new_var} not derived from it"),
        unreadable(
            reported_unreadable,
            new_var,
            f"{new_var} left null (not replaced by {source_var}/{denominator_var})",
        ),
        row_findings(
            df,
            has_amount & recomputed.isna() & reported.isna() & ~reported_unreadable,
            DOSE_NOT_DERIVED,
            where
            + f": {new_var} not derived: {source_var} "
            + df[source_var].astype("string").fillna("")
            + f" cannot be divided by {denominator_var} "
            + df[denominator_var].astype("string").fillna("(null)"),
            dataset="EX",
            variable=new_var,
            value=df[denominator_var].astype("string"),
        ),
        row_findings(
            df,
            mismatch,
            DOSE_MISMATCH,
            where
            + f": reported {new_var} "
            + reported.astype("string")
            + f" differs by more than {tolerance:.0%} from {source_var}/{denominator_var} = "
            + recomputed.astype("string"),
            dataset="EX",
            variable=new_var,
            value=reported.astype("string"),
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def derive_dose_per_bsa(
    df: pd.DataFrame,
    *,
    source_var: str,
    bsa_var: str,
    new_var: str = "EXDOSE",
    decimals: int = 2,
    tolerance: float = 0.05,
) -> DeriveResult:
    """Fill the dose in mg/m2 as actual mg divided by body surface area (m2).

    Implements the EXDOSE definition of SDTMIG 3.4 (amount actually given, in EXDOSU units,
    here mg/m2) for lymphodepleting chemotherapy collected as mg with a BSA (brief 2.3).
    A reported ``new_var`` is kept; when it differs from the recomputed value by more than
    ``tolerance`` (relative) warning MP0591 is given. Missing, zero or non-numeric BSA gives
    null and MP0590. A reported dose or an amount that is present but not a number (``6,0``)
    gives MP0592; such a reported dose is left null, never replaced by the recomputed one.

    Args:
        df: EX frame with ``USUBJID``, ``source_var`` (mg) and ``bsa_var`` (m2).
        source_var: Actual dose in mg.
        bsa_var: Body surface area in m2.
        new_var: Variable to fill.
        decimals: Rounding of the derived dose.
        tolerance: Relative difference accepted between reported and recomputed doses.

    Returns:
        ``DeriveResult``: ``df`` with ``new_var`` filled where it was null.
    """
    return _derive_ratio_dose(
        df,
        source_var=source_var,
        denominator_var=bsa_var,
        new_var=new_var,
        decimals=decimals,
        tolerance=tolerance,
        what="derive_dose_per_bsa",
    )


def derive_weight_based_dose(
    df: pd.DataFrame,
    *,
    source_var: str,
    weight_var: str,
    new_var: str = "EXDOSE",
    decimals: int = 2,
    tolerance: float = 0.05,
) -> DeriveResult:
    """Fill a weight-based dose (e.g. 10^6 cells/kg) as total amount divided by weight (kg).

    Same rule and findings as ``derive_dose_per_bsa`` (MP0590, MP0591), for CAR-T doses
    collected as total CAR+ viable T cells (x10^6) and the dosing weight (brief 4.4 item 35:
    the reported per-kg dose is checked against cells / weight).

    Args:
        df: EX frame with ``USUBJID``, ``source_var`` and ``weight_var``.
        source_var: Total amount given (e.g. 10^6 cells).
        weight_var: Weight used for dosing in kg.
        new_var: Variable to fill.
        decimals: Rounding of the derived dose.
        tolerance: Relative difference accepted between reported and recomputed doses.

    Returns:
        ``DeriveResult``: ``df`` with ``new_var`` filled where it was null.
    """
    return _derive_ratio_dose(
        df,
        source_var=source_var,
        denominator_var=weight_var,
        new_var=new_var,
        decimals=decimals,
        tolerance=tolerance,
        what="derive_weight_based_dose",
    )
