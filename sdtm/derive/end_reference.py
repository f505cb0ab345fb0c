"""--ENTPT: the end reference time point of an ongoing event or intervention, per subject."""

from __future__ import annotations

import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.findings import Severity

END_REFERENCE_MISSING = DeriveRule("MP0661", "end-reference-not-derived", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (END_REFERENCE_MISSING.id,)


def derive_end_reference(df: pd.DataFrame, dm: pd.DataFrame, *, domain: str) -> DeriveResult:
    """Set ``--ENTPT`` of records with ``--ENRTPT`` to the subject's own end of observation.

    Implements SDTMIG 3.4 §4.4.7 (relative timing: ``--ENRTPT`` is relative to the point
    ``--ENTPT`` names): an event "ONGOING" is ongoing as of the last time the subject was
    seen, so ``--ENTPT`` is the subject's date of death (DM.DTHDTC) when the subject died,
    else the end of participation (DM.RFPENDTC, the last known contact), never one
    study-wide date such as the data cut-off: an AE of a subject who died is not "ongoing
    as of" a date months after the death (issue 17). Records whose subject has neither get a
    null ``--ENTPT`` and MP0661.

    Args:
        df: Events or Interventions frame with ``USUBJID`` and ``--ENRTPT``.
        dm: DM frame with ``USUBJID`` and ``RFPENDTC`` (and ``DTHDTC`` when collected).
        domain: Domain prefix, e.g. ``AE``.

    Returns:
        ``DeriveResult``: ``df`` with ``--ENTPT`` set where ``--ENRTPT`` is populated.
    """
    enrtpt_var, entpt_var = f"{domain}ENRTPT", f"{domain}ENTPT"
    require_columns(df, ("USUBJID", enrtpt_var), "derive_end_reference")
    require_columns(dm, ("USUBJID", "RFPENDTC"), "derive_end_reference DM")
    subjects = dm.drop_duplicates("USUBJID").set_index("USUBJID")
    death = (
        subjects["DTHDTC"].astype("string").str.strip().replace("", pd.NA)
        if "DTHDTC" in subjects.columns
        else pd.Series(pd.NA, index=subjects.index, dtype="string")
    )
    last = subjects["RFPENDTC"].astype("string").str.strip().replace("", pd.NA)
    reference = death.fillna(last)
    relative = df[enrtpt_var].astype("string").str.strip().replace("", pd.NA)
    needed = relative.notna()
    value = df["USUBJID"].map(reference).astype("string").where(needed)
    out = df.copy()
    out[entpt_var] = value
    findings = row_findings(
        df,
        needed & value.isna() & df["USUBJID"].isin(subjects.index),
        END_REFERENCE_MISSING,
        where_label(df)
        + f": {enrtpt_var} "
        + relative.fillna("")
        + f" but the subject has neither DTHDTC nor RFPENDTC; {entpt_var} left null",
        dataset=domain,
        variable=entpt_var,
        value=relative,
    )
    return DeriveResult(out, findings)
