"""RELREC builder: record-level relationships resolved to final ``--SEQ`` values."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    compute_canonical_number,
    key_text,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.findings import FindingsTable, Severity

LINK_NOT_RESOLVED = DeriveRule("MP0610", "related-record-not-found", Severity.ERROR)
RELID_SINGLE_RECORD = DeriveRule("MP0611", "relationship-with-one-record", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (LINK_NOT_RESOLVED.id, RELID_SINGLE_RECORD.id)

RELREC_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "RDOMAIN",
    "USUBJID",
    "IDVAR",
    "IDVARVAL",
    "RELTYPE",
    "RELID",
)
LINK_COLUMNS: tuple[str, ...] = ("STUDYID", "USUBJID", "RELID", "RDOMAIN", "KEYVAR", "KEYVAL")
SOURCE_NAME = "_src_var"
"""Optional links column: the raw column a link was read from, named by findings."""


def _relrec_records(rel: pd.DataFrame, relid: pd.Series) -> pd.DataFrame:
    """RELREC records (``RELREC_COLUMNS``, all text) of the related rows ``rel``, one RELID each."""
    return pd.DataFrame(
        {
            "STUDYID": rel["STUDYID"],
            "RDOMAIN": rel["RDOMAIN"],
            "USUBJID": rel["USUBJID"],
            "IDVAR": rel["IDVAR"],
            "IDVARVAL": rel["IDVARVAL"],
            "RELTYPE": pd.NA,
            "RELID": relid,
        }
    ).astype(dict.fromkeys(RELREC_COLUMNS, "string"))


def derive_relrec_links(
    df: pd.DataFrame,
    *,
    domain: str,
    keyvar: str,
    source_var: str,
    target_domain: str,
    target_keyvar: str,
    relid_prefix: str | None = None,
    source_name: str | None = None,
) -> DeriveResult:
    """Turn a "related record number" column into RELREC link requests (two per record).

    Example: CM's "given for AE no." (``source_var``) points to ``AESPID``; each CM record
    with a value gives the pair (CM, ``keyvar`` = its own key) and (AE, AESPID = the value),
    both with RELID ``<target_domain><value>`` (e.g. ``AE3``), so all CM records given for
    one AE share a RELID with it. Rows without a value give no links. The source record's
    ``_src_file``/``_src_row`` are kept on its links so unresolved links name the raw row.

    Args:
        df: Source domain frame with ``STUDYID``, ``USUBJID``, ``keyvar``, ``source_var``.
        domain: Source domain, e.g. ``CM``.
        keyvar: Key of the source record, e.g. ``CMSPID``.
        source_var: Column holding the target key value, e.g. the raw AE line number.
        target_domain: Target domain, e.g. ``AE``.
        target_keyvar: Key variable of the target, e.g. ``AESPID``.
        relid_prefix: Text put before the value to form RELID; default ``target_domain``.
        source_name: Raw column the link values were read from (findings name it, e.g.
            ``CMAENO`` when ``source_var`` is a working column); default ``source_var``.

    Returns:
        ``DeriveResult``: a links frame with ``LINK_COLUMNS`` for ``build_relrec``.
    """
    require_columns(df, ("STUDYID", "USUBJID", keyvar, source_var), "derive_relrec_links")
    target = key_text(df[source_var])
    has = (target.notna() & (target != "")).fillna(False)
    rows = df[has]
    relid = (target_domain if relid_prefix is None else relid_prefix) + target[has]
    source = pd.DataFrame(
        {
            "STUDYID": rows["STUDYID"].astype("string"),
            "USUBJID": rows["USUBJID"].astype("string"),
            "RELID": relid,
            "RDOMAIN": domain,
            "KEYVAR": keyvar,
            "KEYVAL": key_text(rows[keyvar]),
        }
    )
    for name in ("_src_file", "_src_row"):
        if name in rows.columns:
            source[name] = rows[name]
    source[SOURCE_NAME] = source_name or source_var
    target_rows = source.assign(RDOMAIN=target_domain, KEYVAR=target_keyvar, KEYVAL=target[has])
    links = pd.concat([target_rows, source], ignore_index=True)
    links = links.drop_duplicates(subset=list(LINK_COLUMNS)).reset_index(drop=True)
    return DeriveResult(links, FindingsTable())


def build_relrec(links: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> DeriveResult:
    """Build record-level RELREC rows from link requests, using the final ``--SEQ`` values.

    Implements SDTMIG 3.4 §8.2 (relating peer records): each link names a record by a key
    (``RDOMAIN``, ``KEYVAR``, ``KEYVAL`` within ``USUBJID``); every record of ``frames[RDOMAIN]``
    matching it becomes a RELREC row with IDVAR ``--SEQ``, IDVARVAL its sequence number as
    text, RELTYPE null (record-level links, CORE-000202 / CG0419) and the link's RELID. A link
    matching no record gives MP0610, an error because the relationship the source states is
    lost (the referenced record must exist, CG0371 / SD0077); it names the links' raw column
    (``_src_var``) when they carry one; a
    RELID left with fewer than two records gives MP0611 and is dropped (CG0200). Call after
    ``derive_seq`` on all domains.

    Args:
        links: Frame with ``LINK_COLUMNS`` (from ``derive_relrec_links`` or the mapping).
        frames: Final domain frames by name, each with ``USUBJID`` and ``--SEQ``.

    Returns:
        ``DeriveResult``: the RELREC frame with ``RELREC_COLUMNS``, sorted by USUBJID, RELID,
        RDOMAIN and IDVARVAL so reruns are identical.
    """
    require_columns(links, LINK_COLUMNS, "build_relrec")
    resolved = []
    matched = pd.Series(False, index=links.index)
    for (rdomain, keyvar), group in links.groupby(["RDOMAIN", "KEYVAR"], sort=True):
        frame = frames.get(str(rdomain))
        seq_var = f"{rdomain}SEQ"
        if frame is None or keyvar not in frame.columns or seq_var not in frame.columns:
            continue
        records = pd.DataFrame(
            {
                "USUBJID": frame["USUBJID"].astype("string"),
                "KEYVAL": key_text(frame[str(keyvar)]),
                "IDVARVAL": compute_canonical_number(
                    pd.to_numeric(frame[seq_var], errors="coerce"), 0
                ),
            }
        )
        request = group.assign(
            USUBJID=group["USUBJID"].astype("string"),
            KEYVAL=key_text(group["KEYVAL"]),
        ).reset_index(names="_link")
        hit = request.merge(records, on=["USUBJID", "KEYVAL"], how="inner")
        matched.loc[hit["_link"].unique()] = True
        resolved.append(hit.assign(IDVAR=seq_var))
    rel = (
        pd.concat(resolved, ignore_index=True)
        if resolved
        else pd.DataFrame(columns=[*LINK_COLUMNS, "IDVAR", "IDVARVAL"])
    )
    rel = rel.drop_duplicates(subset=["USUBJID", "RELID", "RDOMAIN", "IDVARVAL"])
    sizes = rel.groupby(["USUBJID", "RELID"])["IDVARVAL"].transform("size")
    lonely = rel[sizes < 2]
    rel = rel[sizes >= 2]
    out = _relrec_records(rel, rel["RELID"])
    sort_num = pd.to_numeric(out["IDVARVAL"], errors="coerce")
    out = (
        out.assign(_n=sort_num)
        .sort_values(["USUBJID", "RELID", "RDOMAIN", "_n"], kind="mergesort")
        .drop(columns="_n")
        .reset_index(drop=True)
    )
    where = where_label(links)
    lonely_frame = lonely.reset_index(drop=True)
    column = (
        " (" + links[SOURCE_NAME].astype("string").fillna("?") + ")"
        if SOURCE_NAME in links.columns
        else ""
    )
    findings = [
        _with_source_variable(
            row_findings(
                links,
                ~matched,
                LINK_NOT_RESOLVED,
                where
                + column
                + ": RELID "
                + links["RELID"].astype("string").fillna("")
                + ": no "
                + links["RDOMAIN"].astype("string").fillna("")
                + " record with "
                + links["KEYVAR"].astype("string").fillna("")
                + " = "
                + links["KEYVAL"].astype("string").fillna("")
                + " for the subject; link dropped",
                dataset="RELREC",
                variable="IDVARVAL",
                value=links["KEYVAL"].astype("string"),
            ),
            links.loc[~matched],
        ),
        row_findings(
            lonely_frame,
            pd.Series(True, index=lonely_frame.index),
            RELID_SINGLE_RECORD,
            where_label(lonely_frame)
            + ": RELID "
            + lonely_frame["RELID"].astype("string")
            + " relates only one record ("
            + lonely_frame["RDOMAIN"].astype("string")
            + " "
            + lonely_frame["IDVAR"].astype("string")
            + " "
            + lonely_frame["IDVARVAL"].astype("string")
            + "); relationship dropped",
            dataset="RELREC",
            variable="RELID",
            value=lonely_frame["RELID"].astype("string") if len(lonely_frame) else None,
        )
        if len(lonely_frame)
        else FindingsTable(),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def _with_source_variable(findings: FindingsTable, links: pd.DataFrame) -> FindingsTable:
    """Name the raw column of each unresolved link as the finding's variable, when known."""
    if not len(findings) or SOURCE_NAME not in links.columns:
        return findings
    frame = findings.frame
    frame["variable"] = links[SOURCE_NAME].astype(object).to_numpy()
    return FindingsTable.from_frame(frame)


def build_group_relrec(
    frames: Mapping[str, pd.DataFrame],
    *,
    groups: tuple[tuple[str, str], ...],
    relid_prefix: str,
) -> DeriveResult:
    """Relate groups of records of two or more datasets that share a group id (``--GRPID``).

    Implements SDTMIG 3.4 section 8.2 with the group identifier as IDVAR, the way the PP
    assumptions (section 6.3.5.9) relate each PP profile's parameters to the PC
    concentrations they were computed from: for every subject and group value present in
    all the named datasets, one RELREC row per dataset with IDVAR the group variable,
    IDVARVAL the value, RELTYPE null and RELID ``<relid_prefix><value>``.

    Args:
        frames: Datasets by name.
        groups: (dataset, group variable) pairs, e.g. ``(("PC", "PCGRPID"), ("PP", "PPGRPID"))``.
        relid_prefix: Text put before the group value to form RELID.

    Returns:
        ``DeriveResult``: RELREC rows (``RELREC_COLUMNS``); no findings (a group present in
        only one dataset is simply not related).
    """
    keys = []
    for name, variable in groups:
        frame = frames.get(name)
        if frame is None or variable not in frame.columns:
            return DeriveResult(
                pd.DataFrame({c: pd.Series(dtype="string") for c in RELREC_COLUMNS}),
                FindingsTable(),
            )
        values = frame[variable].astype("string").str.strip()
        present = pd.DataFrame(
            {
                "STUDYID": frame["STUDYID"].astype("string"),
                "USUBJID": frame["USUBJID"].astype("string"),
                "IDVARVAL": values,
            }
        ).loc[values.notna() & (values != "")]
        keys.append((name, variable, present.drop_duplicates()))
    common = keys[0][2][["USUBJID", "IDVARVAL"]]
    for _, _, present in keys[1:]:
        common = common.merge(present[["USUBJID", "IDVARVAL"]], on=["USUBJID", "IDVARVAL"])
    parts = [
        present.merge(common, on=["USUBJID", "IDVARVAL"]).assign(RDOMAIN=name, IDVAR=variable)
        for name, variable, present in keys
    ]
    rel = pd.concat(parts, ignore_index=True)
    out = _relrec_records(rel, relid_prefix + rel["IDVARVAL"])
    out = out.sort_values(["USUBJID", "RELID", "RDOMAIN"], kind="mergesort")
    return DeriveResult(out.reset_index(drop=True), FindingsTable())
