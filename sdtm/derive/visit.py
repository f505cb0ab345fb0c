"""VISITNUM, VISIT and VISITDY from the study visit map, including unscheduled visits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    located_message,
    require_columns,
    row_findings,
)
from sdtm.findings import FindingsTable, Severity
from sdtm.mapping.design import Visit

UNSCHEDULED_NOT_NUMBERED = DeriveRule("MP0530", "unscheduled-visit-not-numbered", Severity.WARNING)
VISIT_NOT_IN_PLAN = DeriveRule("MP0531", "visit-not-in-visit-map", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (UNSCHEDULED_NOT_NUMBERED.id, VISIT_NOT_IN_PLAN.id)

_MAX_UNSCHEDULED = 99


def _previous_planned(days: pd.Series, dated: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """Return (position in ``dated``, VISITNUM) of the planned visit on or before each day.

    The previous planned visit is the one with the greatest VISITDY on or before the day;
    position -1 means the day is before every planned visit.
    """
    position = np.searchsorted(dated["VISITDY"].to_numpy(dtype="float64"), days, side="right") - 1
    previous = pd.Series(
        dated["VISITNUM"].to_numpy()[np.clip(position, 0, None)] if len(dated) else np.nan,
        index=days.index,
        dtype="float64",
    ).where(pd.Series(position >= 0, index=days.index))
    return position, previous


def collect_unscheduled_dates(sources: Sequence[tuple[pd.DataFrame, str, str]]) -> pd.DataFrame:
    """Gather the unscheduled (null VISITNUM) dates of several domains for ``derive_visit``.

    Args:
        sources: ``(frame, dy_var, source_var)`` per domain, e.g. ``((lb, "LBDY", "LBDTC"),
            (pc, "PCDY", "PCDTC"))``; each frame needs ``USUBJID`` and ``VISITNUM``.

    Returns:
        Frame with ``USUBJID``, ``DY``, ``DTC``: one row per unscheduled record.
    """
    pieces = []
    for frame, dy_var, source_var in sources:
        require_columns(frame, ("USUBJID", "VISITNUM", dy_var, source_var), "unscheduled dates")
        unscheduled = pd.to_numeric(frame["VISITNUM"], errors="coerce").isna()
        pieces.append(
            pd.DataFrame(
                {
                    "USUBJID": frame.loc[unscheduled, "USUBJID"].astype("string"),
                    "DY": pd.to_numeric(frame.loc[unscheduled, dy_var], errors="coerce"),
                    "DTC": frame.loc[unscheduled, source_var].astype("string"),
                }
            )
        )
    if not pieces:
        return pd.DataFrame({"USUBJID": [], "DY": [], "DTC": []})
    return pd.concat(pieces, ignore_index=True)


def derive_visit(
    df: pd.DataFrame,
    visits: Sequence[Visit],
    *,
    dy_var: str,
    source_var: str,
    dataset: str | None = None,
    study_dates: pd.DataFrame | None = None,
) -> DeriveResult:
    """Set VISIT and VISITDY from the visit map and number unscheduled visits.

    Implements SDTMIG 3.4 §4.4.5 (clinical encounters and visits) and the TV/VISITNUM
    conventions: planned visits take VISIT and VISITDY from the visit map (one-to-one
    VISIT/VISITNUM, CORE-000361 / CG0035). A row with null VISITNUM is an unscheduled visit:
    it gets the previous planned visit's number plus ``.01``, ``.02``, ... (the planned visit
    with the greatest VISITDY on or before the row's study day; one number per distinct
    calendar date within the subject), VISIT ``UNSCHEDULED 11.01`` and a null VISITDY
    (P21 SD1019). The study day must be derived first (``derive_study_day``).

    Numbering per domain would give the same unscheduled VISITNUM to different dates in two
    domains; pass ``study_dates`` (``collect_unscheduled_dates`` over all domains) so every
    domain numbers the subject's unscheduled dates the same way.

    Findings: MP0530 when an unscheduled row cannot be numbered (no study day, a day before
    the first planned visit, or more than 99 unscheduled dates after one visit); MP0531 when a
    VISITNUM is not in the visit map (VISIT/VISITDY left null).

    Args:
        df: Domain frame with ``USUBJID``, ``VISITNUM``, ``dy_var`` and ``source_var``.
        visits: Planned visits of the study (``StudyDesign.visits``).
        dy_var: Study day variable, e.g. ``LBDY``.
        source_var: Date variable, e.g. ``LBDTC`` (its calendar date groups unscheduled rows).
        dataset: Dataset name for findings.
        study_dates: Unscheduled dates of all domains (``USUBJID``, ``DY``, ``DTC``); the
            frame's own unscheduled rows are always included.

    Returns:
        ``DeriveResult``: ``df`` with ``VISITNUM`` filled for unscheduled rows and ``VISIT``,
        ``VISITDY`` set.
    """
    require_columns(df, ("USUBJID", "VISITNUM", dy_var, source_var), "derive_visit")
    dataset = dataset or dy_var[:2]
    plan = pd.DataFrame(
        [(float(v.visitnum), v.visit, v.visitdy) for v in visits],
        columns=["VISITNUM", "VISIT", "VISITDY"],
    )
    visitnum = pd.to_numeric(df["VISITNUM"], errors="coerce").astype("float64")
    planned = visitnum.notna()
    label = visitnum.map(plan.set_index("VISITNUM")["VISIT"]).astype("string")
    visitdy = visitnum.map(plan.set_index("VISITNUM")["VISITDY"]).astype("Int64")
    not_in_plan = planned & ~visitnum.isin(plan["VISITNUM"])

    dated = plan[plan["VISITDY"].notna()].sort_values(["VISITDY", "VISITNUM"], kind="mergesort")
    days = pd.to_numeric(df[dy_var], errors="coerce").astype("float64")
    position, previous = _previous_planned(days, dated)
    has_previous = (~planned) & days.notna() & (position >= 0)
    previous = previous.where(has_previous)
    # Only the unscheduled rows with a previous planned visit are numbered: their text alone.
    chosen = has_previous.to_numpy()
    own = pd.DataFrame(
        {
            "USUBJID": df["USUBJID"][chosen].astype("string"),
            "previous": previous[chosen],
            "date": df[source_var][chosen].astype("string").str.slice(0, 10),
        }
    )
    pool = [own]
    if study_dates is not None:
        require_columns(study_dates, ("USUBJID", "DY", "DTC"), "derive_visit study_dates")
        other_days = pd.to_numeric(study_dates["DY"], errors="coerce").astype("float64")
        other_position, other_previous = _previous_planned(other_days, dated)
        usable = other_days.notna() & (other_position >= 0)
        pool.append(
            pd.DataFrame(
                {
                    "USUBJID": study_dates["USUBJID"].astype("string"),
                    "previous": other_previous,
                    "date": study_dates["DTC"].astype("string").str.slice(0, 10),
                }
            )[usable]
        )
    dates = pd.concat(pool, ignore_index=True).drop_duplicates()
    dates["rank"] = dates.groupby(["USUBJID", "previous"], sort=False)["date"].rank(method="dense")
    rank = (
        own.reset_index(names="_row")
        .merge(dates, on=["USUBJID", "previous", "date"], how="left")
        .set_index("_row")["rank"]
        .reindex(df.index)
    )
    numbered = has_previous & (rank <= _MAX_UNSCHEDULED)
    unscheduled_num = (previous + rank / 100).round(2).where(numbered)
    # Keep two decimals in the label ("11.10", not "11.1") so labels sort like their numbers.
    unscheduled_label = pd.Series(pd.NA, index=df.index, dtype="string")
    labelled = numbered.to_numpy()
    unscheduled_label[labelled] = "UNSCHEDULED " + pd.Series(
        np.char.mod("%.2f", unscheduled_num[labelled].to_numpy()), dtype="string"
    ).to_numpy()

    out = df.copy()
    out["VISITNUM"] = visitnum.where(planned, unscheduled_num)
    out["VISIT"] = label.where(planned, unscheduled_label.where(numbered))
    out["VISITDY"] = visitdy.where(planned)
    reason = pd.Series("", index=df.index, dtype="string")
    reason = reason.mask(days.isna(), f"it has no {dy_var} (partial or missing date)")
    reason = reason.mask(
        days.notna() & (position < 0), "its study day is before the first planned visit"
    )
    reason = reason.mask(
        has_previous & (rank > _MAX_UNSCHEDULED),
        f"more than {_MAX_UNSCHEDULED} unscheduled dates follow the same planned visit",
    )
    not_numbered = (~planned) & ~numbered
    findings = [
        row_findings(
            df,
            not_numbered,
            UNSCHEDULED_NOT_NUMBERED,
            located_message(not_numbered, ": unscheduled visit not numbered: ", reason),
            dataset=dataset,
            variable="VISITNUM",
            value=df[source_var],  # text of the selected rows (row_findings)
        ),
        row_findings(
            df,
            not_in_plan,
            VISIT_NOT_IN_PLAN,
            located_message(
                not_in_plan,
                ": VISITNUM ",
                visitnum.astype("string").fillna("") if not_in_plan.any() else "",
                " is not in the study visit map; VISIT and VISITDY left null",
            ),
            dataset=dataset,
            variable="VISITNUM",
            value=visitnum,  # text of the selected rows (row_findings)
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
