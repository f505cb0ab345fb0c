"""Findings About: the object of each finding from the parent record it is about."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    key_text,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.findings import FindingsTable, Severity

PARENT_NOT_FOUND = DeriveRule("MP0612", "findings-about-parent-not-found", Severity.ERROR)
RULE_IDS: tuple[str, ...] = (PARENT_NOT_FOUND.id,)


def derive_findings_about_object(
    df: pd.DataFrame,
    parent: pd.DataFrame,
    *,
    link_var: str,
    parent_key: str,
    parent_domain: str,
    source_vars: Sequence[str],
    new_var: str = "FAOBJ",
) -> DeriveResult:
    """Set FAOBJ to the term of the parent record each finding is about.

    Implements SDTMIG 3.4 section 6.4.3 (CG0174, CORE-000744/000767): when an FA record has a
    parent record, FAOBJ is the parent's --DECOD when the parent domain is dictionary coded or
    subject to CT, else its --TERM/--TRT. ``source_vars`` lists them in that order (``AEDECOD``
    then ``AETERM``); the first non-null one of the parent wins. A value already in
    ``new_var`` is kept (a mapped object is never overwritten). A finding whose link value
    matches no parent record of the subject, or whose parent holds no term, keeps a null
    FAOBJ and gives MP0612 naming the raw row.

    Args:
        df: FA frame with ``USUBJID`` and ``link_var`` (the parent's key as collected, e.g.
            the AE number).
        parent: The parent domain frame with ``USUBJID``, ``parent_key`` and ``source_vars``.
        link_var: Column of ``df`` holding the parent's key.
        parent_key: Key variable of the parent the link matches (``AESPID``).
        parent_domain: Parent dataset name, for messages.
        source_vars: Parent variables giving the object, in order of preference.
        new_var: Variable to fill.

    Returns:
        ``DeriveResult``: ``df`` with ``new_var`` filled where it was null.
    """
    require_columns(df, ("USUBJID", link_var), "derive_findings_about_object")
    require_columns(parent, ("USUBJID", parent_key), "derive_findings_about_object parent")
    term = pd.Series(pd.NA, index=parent.index, dtype="string")
    for name in source_vars:
        if name in parent.columns:
            values = parent[name].astype("string").str.strip()
            term = term.fillna(values.where(values != ""))
    lookup = pd.DataFrame(
        {
            "USUBJID": parent["USUBJID"].astype("string"),
            "_key": key_text(parent[parent_key]),
            "_term": term,
        }
    ).drop_duplicates(subset=["USUBJID", "_key"], keep="first")
    links = pd.DataFrame(
        {"USUBJID": df["USUBJID"].astype("string"), "_key": key_text(df[link_var])},
        index=df.index,
    )
    found = links.reset_index().merge(lookup, on=["USUBJID", "_key"], how="left")
    found = found.set_index("index")["_term"].reindex(df.index)
    out = df.copy()
    existing = (
        out[new_var].astype("string") if new_var in out.columns else found.where(found.isna())
    )
    out[new_var] = existing.fillna(found)
    missing = out[new_var].isna()
    message = (
        where_label(df)
        + f": no {parent_domain} record with {parent_key} = "
        + links["_key"].fillna("(null)")
        + f" and a term ({', '.join(source_vars)}) for the subject; {new_var} not derived"
    )
    findings = row_findings(
        df,
        missing,
        PARENT_NOT_FOUND,
        message,
        dataset=df["DOMAIN"].iloc[0] if "DOMAIN" in df.columns and len(df) else "FA",
        variable=new_var,
        value=links["_key"],
    )
    return DeriveResult(out, FindingsTable.concat([findings]))
