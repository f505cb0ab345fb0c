"""SUPP-- and RELREC datasets, built from the engine's SUPP and link columns after --SEQ exists.

Both read the final ``--SEQ`` values, so they run after ``derive_seq`` (SDTMIG 3.4 section 8:
RELREC and SUPP-- identify parent records by ``IDVAR``/``IDVARVAL``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ROW
from sdtm.mapping.engine import LinkTarget, SuppTarget

RELATION_RULES = MappingProxyType(
    {
        "MP0012": ("relrec-target-missing", "error"),
    }
)
RULE_IDS: tuple[str, ...] = tuple(RELATION_RULES)

SUPP_COLUMNS = (
    "STUDYID",
    "RDOMAIN",
    "USUBJID",
    "IDVAR",
    "IDVARVAL",
    "QNAM",
    "QLABEL",
    "QVAL",
    "QORIG",
    "QEVAL",
)
RELREC_COLUMNS = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID")


def build_supp_frame(
    df: pd.DataFrame, targets: tuple[SuppTarget, ...], *, domain: str
) -> pd.DataFrame:
    """Build SUPP<domain> from the ``_SUPP_<QNAM>`` columns of a domain frame.

    One row per parent record and QNAM with a non-null value; ``IDVAR`` is ``<domain>SEQ``
    (DM uses no IDVAR: one record per subject). Provenance columns are kept for lineage.

    Args:
        df: Domain frame with ``STUDYID``, ``USUBJID``, ``<domain>SEQ`` (except DM) and the
            SUPP columns.
        targets: The qualifiers.
        domain: Parent dataset.

    Returns:
        The SUPP frame with ``SUPP_COLUMNS`` plus ``_src_file``/``_src_row``/``_src_id``/``_rec``.
    """
    parts = []
    seq_var = f"{domain}SEQ"
    for target in targets:
        if target.column not in df.columns:
            continue
        present = df[target.column].notna()
        rows = df.loc[present]
        is_dm = domain == "DM" or seq_var not in df.columns
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": rows["STUDYID"],
                    "RDOMAIN": domain,
                    "USUBJID": rows["USUBJID"],
                    "IDVAR": None if is_dm else seq_var,
                    "IDVARVAL": None if is_dm else rows[seq_var].astype("Int64").astype("string"),
                    "QNAM": target.qnam,
                    "QLABEL": target.qlabel,
                    "QVAL": rows[target.column],
                    "QORIG": target.qorig,
                    "QEVAL": target.qeval,
                    **{c: rows[c] for c in (SRC_FILE, SRC_ROW, "_src_id", "_rec") if c in rows},
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(SUPP_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    for column in SUPP_COLUMNS:
        out[column] = out[column].astype("string")
    return out.sort_values(["USUBJID", "IDVARVAL", "QNAM"], kind="mergesort").reset_index(drop=True)


def build_relrec_frame(
    frames: Mapping[str, pd.DataFrame], links: Mapping[str, tuple[LinkTarget, ...]]
) -> tuple[pd.DataFrame, FindingsTable]:
    """Build RELREC record-level links, and report links that point at no record.

    For each child record with a link value, the related record is the one of ``rdomain`` with
    the same ``USUBJID`` and ``rvariable`` equal to the value. Both records get a RELREC row
    with ``RELID = prefix + value``; RELTYPE is null for record-level links (CORE-000202).

    Args:
        frames: Dataset frames with ``--SEQ``, by dataset name.
        links: Link targets by child dataset name.

    Returns:
        The RELREC frame (``RELREC_COLUMNS``) and one MP0012 finding per unresolved link.
    """
    rows = []
    problems = []
    for child, targets in links.items():
        df = frames[child]
        for target in targets:
            if target.column not in df.columns:
                continue
            linked = df.loc[df[target.column].notna()]
            parent = frames.get(target.rdomain)
            if parent is None or target.rvariable not in parent.columns:
                parent = pd.DataFrame(columns=["USUBJID", target.rvariable, f"{target.rdomain}SEQ"])
            keyed = parent[["USUBJID", target.rvariable, f"{target.rdomain}SEQ"]].rename(
                columns={target.rvariable: "_key", f"{target.rdomain}SEQ": "_pseq"}
            )
            keyed = keyed.assign(_key=keyed["_key"].astype("string").str.strip())
            keyed = keyed.dropna(subset=["_key"]).drop_duplicates(["USUBJID", "_key"])
            merged = linked.assign(_key=linked[target.column].astype("string").str.strip()).merge(
                keyed, on=["USUBJID", "_key"], how="left"
            )
            found = merged["_pseq"].notna()
            ok = merged.loc[found]
            relid = target.relid_prefix + ok["_key"].astype("string")
            rows.append(
                pd.DataFrame(
                    {
                        "STUDYID": ok["STUDYID"],
                        "RDOMAIN": child,
                        "USUBJID": ok["USUBJID"],
                        "IDVAR": f"{child}SEQ",
                        "IDVARVAL": ok[f"{child}SEQ"].astype("Int64").astype("string"),
                        "RELID": relid,
                    }
                )
            )
            rows.append(
                pd.DataFrame(
                    {
                        "STUDYID": ok["STUDYID"],
                        "RDOMAIN": target.rdomain,
                        "USUBJID": ok["USUBJID"],
                        "IDVAR": f"{target.rdomain}SEQ",
                        "IDVARVAL": ok["_pseq"].astype("Int64").astype("string"),
                        "RELID": relid,
                    }
                )
            )
            missing = merged.loc[~found]
            if len(missing):
                name, severity = RELATION_RULES["MP0012"]
                problems.append(
                    pd.DataFrame(
                        {
                            "rule_id": "MP0012",
                            "rule_name": name,
                            "severity": severity,
                            "stage": Stage.MAP.value,
                            "dataset": child,
                            "variable": target.source,
                            "usubjid": missing["USUBJID"].astype(object),
                            "seq": missing[f"{child}SEQ"].astype("float64"),
                            "value": missing["_key"].astype(object),
                            "source_file": missing[SRC_FILE].astype(object),
                            "source_row": missing[SRC_ROW].astype("Int64"),
                            "message": (
                                missing[SRC_FILE].astype("string")
                                + ":"
                                + missing[SRC_ROW].astype("string")
                                + f" {target.source}: value '"
                                + missing["_key"].astype("string")
                                + f"' points at no {target.rdomain} record of subject "
                                + missing["USUBJID"].astype("string")
                                + f" ({target.rdomain}.{target.rvariable}); no RELREC row is "
                                "written, correct the link in the source [MP0012 "
                                "relrec-target-missing]"
                            ).astype(object),
                        }
                    )
                )
    if rows:
        relrec = pd.concat(rows, ignore_index=True).drop_duplicates().astype("string")
        relrec["RELTYPE"] = pd.Series(pd.NA, index=relrec.index, dtype="string")
        relrec = relrec.assign(_n=pd.to_numeric(relrec["IDVARVAL"]))
        relrec = (
            relrec.sort_values(["USUBJID", "RELID", "RDOMAIN", "_n"], kind="mergesort")
            .drop(columns="_n")
            .loc[:, list(RELREC_COLUMNS)]
            .reset_index(drop=True)
        )
    else:
        relrec = pd.DataFrame(columns=list(RELREC_COLUMNS))
    findings = (
        FindingsTable.from_frame(pd.concat(problems, ignore_index=True))
        if problems
        else FindingsTable()
    )
    return relrec, findings
