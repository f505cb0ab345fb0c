"""Records that fail a hard rule are kept out of the datasets, each one reported.

A record of a subject missing from DM (MP0013), a record mapped from an exact duplicate of an
earlier raw row (RD0005), and a record whose Required variable the mapping left null
(MP0041) cannot be submitted as they are. By default they are withheld from the datasets:
each gets a ``record-withheld`` notice (MP0040) naming its raw file and row and, in
``caused_by``, the finding that withholds it, and its raw rows count as reported in the row
accounting (rows in = rows mapped + rows reported). ``keep=True`` (``sdtm run
--keep-invalid-records``) keeps them in the datasets, where validation reports them again
(ST0002, XR0001, ST0093), each naming the same cause.

DM records are never withheld: without them every record of the subject would be an orphan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ID, SRC_ROW
from sdtm.mapping.engine import REC, DomainResult
from sdtm.read.text import stripped_or_missing
from sdtm.standards import Standards

WITHHOLD_RULES = MappingProxyType(
    {
        "MP0040": ("record-withheld", "notice"),
        "MP0041": ("required-value-missing", "error"),
    }
)
RULE_IDS: tuple[str, ...] = tuple(WITHHOLD_RULES)

NEVER_WITHHELD = frozenset({"DM"})
"""Datasets whose records are reported but never withheld."""


def _location(frame: pd.DataFrame) -> pd.Series:
    return frame[SRC_FILE].astype("string") + ":" + frame[SRC_ROW].astype("string")


def find_required_values_missing(
    results: Mapping[str, DomainResult], standards: Standards
) -> FindingsTable:
    """MP0041: a Required variable the mapping fills is null on a record (P21 SD0002).

    Only variables the mapped dataset has are checked (a Required variable that is derived
    later, such as ``--SEQ``, is not there yet). One finding per record and variable.
    """
    name, severity = WITHHOLD_RULES["MP0041"]
    parts = []
    for dataset, result in results.items():
        frame = result.frame
        domain = standards.domain(dataset)
        if domain is None or dataset in NEVER_WITHHELD or SRC_FILE not in frame.columns:
            continue
        for variable in domain.variables:
            if variable.core != "Req" or variable.name not in frame.columns:
                continue
            missing = stripped_or_missing(frame[variable.name]).isna()
            if not missing.any():
                continue
            rows = frame.loc[missing]
            parts.append(
                pd.DataFrame(
                    {
                        "rule_id": "MP0041",
                        "rule_name": name,
                        "severity": severity,
                        "stage": Stage.MAP.value,
                        "dataset": dataset,
                        "variable": variable.name,
                        "usubjid": rows["USUBJID"].astype(object)
                        if "USUBJID" in rows.columns
                        else None,
                        "source_file": rows[SRC_FILE].astype(object),
                        "source_row": rows[SRC_ROW].astype("Int64"),
                        "message": (
                            _location(rows)
                            + f": {dataset}.{variable.name} is Required (SDTMIG 3.4) but the "
                            "source gives no value; collect it or correct the source "
                            f"[MP0041 {name}]"
                        ).astype(object),
                    }
                ).reset_index(drop=True)
            )
    if not parts:
        return FindingsTable()
    return FindingsTable.from_frame(pd.concat(parts, ignore_index=True))


def _causes(findings: pd.DataFrame) -> pd.Series:
    """``<raw file>:<row>`` -> the finding that withholds a record mapped from that row."""
    hard = findings[findings["rule_id"].isin(["MP0041", "MP0013", "RD0005"])]
    hard = hard[hard["source_file"].notna() & hard["source_row"].notna()]
    # The first cause named per row: a missing Required value, then the subject, then the
    # duplicate (the order above is the order of the rules' findings in the run).
    order = hard["rule_id"].map({"MP0041": 0, "MP0013": 1, "RD0005": 2})
    hard = hard.assign(_order=order).sort_values("_order", kind="mergesort")
    where = hard["source_file"].astype(str) + ":" + hard["source_row"].astype("int64").astype(str)
    label = hard["rule_id"] + " " + where
    detail = hard["rule_id"].map(
        {
            "MP0041": "a Required variable is null",
            "MP0013": "its subject is not in DM",
            "RD0005": "its raw row is an exact duplicate of an earlier row",
        }
    )
    table = pd.DataFrame(
        {
            "label": label.to_numpy(),
            "detail": detail.to_numpy(),
            "row": hard["source_row"].astype("int64").to_numpy(),
        },
        index=where,
    )
    return table[~table.index.duplicated()]


def _candidate_locations(
    frame: pd.DataFrame, causes: pd.DataFrame
) -> tuple[np.ndarray, pd.Series]:
    """Positions and ``<raw file>:<row>`` of the records that may be withheld.

    With whole-number rows, a record's text can only equal a cause's when the row numbers
    are equal, so the text is built for those records alone (every record's text took
    seconds at 10,000 subjects); other row types get every record's text, as before.
    """
    rows = frame[SRC_ROW]
    if pd.api.types.is_integer_dtype(rows):
        positions = np.flatnonzero(rows.isin(causes["row"].unique()).fillna(False).to_numpy())
    else:
        positions = np.arange(len(frame))
    return positions, _location(frame.iloc[positions])


def withhold_records(
    results: Mapping[str, DomainResult], findings: FindingsTable, *, keep: bool = False
) -> tuple[dict[str, DomainResult], FindingsTable]:
    """Take the records that fail a hard rule out of the mapped datasets, reporting each.

    A record is withheld when its own raw row (``_src_file``/``_src_row``) carries an MP0041,
    MP0013 or RD0005 finding. The records leave the dataset and its lineage, and their raw
    row ids join the dataset's ``reported_ids``, so the row accounting counts them as
    reported.

    Args:
        results: Mapped datasets.
        findings: Every finding so far (reading and mapping).
        keep: Keep the records (``--keep-invalid-records``); nothing is withheld.

    Returns:
        The datasets without the withheld records, and one MP0040 notice per withheld
        record, whose ``caused_by`` names the finding that withholds it.
    """
    if keep:
        return dict(results), FindingsTable()
    causes = _causes(findings.frame)
    if causes.empty:
        return dict(results), FindingsTable()
    name, severity = WITHHOLD_RULES["MP0040"]
    out: dict[str, DomainResult] = {}
    parts = []
    for dataset, result in results.items():
        frame = result.frame
        if dataset in NEVER_WITHHELD or SRC_FILE not in frame.columns:
            out[dataset] = result
            continue
        positions, candidates = _candidate_locations(frame, causes)
        hit = candidates.isin(causes.index).fillna(False).astype(bool).to_numpy()
        if not hit.any():
            out[dataset] = result
            continue
        where = candidates[hit]
        chosen = np.zeros(len(frame), dtype=bool)
        chosen[positions[hit]] = True
        withheld = pd.Series(chosen, index=frame.index)
        rows = frame.loc[withheld]
        cause = causes.reindex(where.to_numpy())
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": "MP0040",
                    "rule_name": name,
                    "severity": severity,
                    "stage": Stage.MAP.value,
                    "dataset": dataset,
                    "usubjid": rows["USUBJID"].astype(object) if "USUBJID" in rows else None,
                    "source_file": rows[SRC_FILE].astype(object),
                    "source_row": rows[SRC_ROW].astype("Int64"),
                    "value": cause["label"].str.split(" ").str[0].to_numpy(),
                    "caused_by": cause["label"].to_numpy(),
                    "message": (
                        where
                        + f": {dataset} record withheld from the datasets because "
                        + cause["detail"].to_numpy()
                        + f"; run with --keep-invalid-records to keep it [MP0040 {name}]"
                    ).astype(object),
                }
            ).reset_index(drop=True)
        )
        removed = result.lineage[REC].isin(set(frame.loc[withheld, REC]))
        kept_lineage = result.lineage[~removed]
        # Raw rows of withheld records are reported, unless another record still uses them
        # (a lookup row joined to several records). Ids are text: only the kept ones equal
        # to a lost one (or missing, which reads "nan" as text) are turned into text.
        lost = set(result.lineage.loc[removed, SRC_ID].astype(str))
        kept_ids = kept_lineage[SRC_ID]
        still_used = set(kept_ids[kept_ids.isin(lost) | kept_ids.isna()].astype(str))
        out[dataset] = replace(
            result,
            frame=frame.loc[~withheld].reset_index(drop=True),
            lineage=kept_lineage.reset_index(drop=True),
            reported_ids=result.reported_ids | frozenset(lost - still_used),
        )
    found = (
        FindingsTable.from_frame(pd.concat(parts, ignore_index=True)) if parts else FindingsTable()
    )
    return out, found
