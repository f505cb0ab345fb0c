"""EPOCH of an observation from the subject's SE element boundaries."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sdtm.derive.base import DeriveResult, DeriveRule, require_columns, row_findings, where_label
from sdtm.derive.dates import DatePrecision, compute_dtc_compare, compute_dtc_precision
from sdtm.findings import FindingsTable, Severity

EPOCH_AMBIGUOUS = DeriveRule("MP0520", "epoch-ambiguous-for-date-precision", Severity.NOTICE)
DATE_OUTSIDE_ELEMENTS = DeriveRule("MP0521", "date-outside-subject-elements", Severity.NOTICE)
# MP0522 (subject without SE records) is retired: its cause is reported once, by MP0632 (a DM
# subject without element dates) or MP0013/XR0001 (a subject absent from DM).
RULE_IDS: tuple[str, ...] = (EPOCH_AMBIGUOUS.id, DATE_OUTSIDE_ELEMENTS.id)


def derive_epoch(
    df: pd.DataFrame,
    se: pd.DataFrame,
    *,
    source_var: str,
    new_var: str = "EPOCH",
    dataset: str | None = None,
    tpt_var: str | None = None,
    predose_pattern: str = "PRE",
) -> DeriveResult:
    """Add EPOCH: the epoch of the subject's SE element the date falls in.

    Implements SDTMIG 3.4 §5.3 (SE: an element runs from SESTDTC up to SEENDTC, the start of
    the next element; the last element includes its end date) and the EPOCH variable
    definition ("epoch associated with the start date/time of the observation"; CORE-000271 /
    CG0009 requires the value to be in TA). Dates are compared at their common precision. A
    boundary recorded at day precision is taken as the start of that day, so a timed record on
    the date a new element starts belongs to the new element. A record less precise than a
    boundary it equals at the common precision (a date-only sample on the day the first
    lymphodepletion dose started at 09:00) could belong to either element, so it stays null
    with finding MP0520 unless all candidate elements have the same epoch, or unless its
    planned time point (``tpt_var``) says it was taken before the dose that starts the element
    (``predose_pattern``, as for the baseline flag): then it belongs to the element before.
    A date before the
    first or after the last element gives MP0521 (e.g. medications started before the
    study, whose EPOCH SDTMIG says is null). Rows of a subject without SE records get null
    without a finding here: the cause is reported once elsewhere (MP0632 for a DM subject
    without element dates, MP0013/XR0001 for a subject absent from DM), and validation
    reports each null EPOCH (ST0071). Rows without a date get null silently.

    Args:
        df: Domain frame with ``USUBJID`` and ``source_var``.
        se: SE frame with ``USUBJID``, ``SESTDTC``, ``SEENDTC``, ``EPOCH``.
        source_var: Date used: ``--DTC`` (Findings) or ``--STDTC`` (Events, Interventions).
        new_var: Variable to add.
        dataset: Dataset name for findings.
        tpt_var: Planned time point variable (``VSTPT``), if the dataset has one.
        predose_pattern: Case-insensitive regular expression marking a pre-dose time point.

    Returns:
        ``DeriveResult``: ``df`` plus ``new_var``.
    """
    require_columns(df, ("USUBJID", source_var), "derive_epoch")
    predose = (
        df[tpt_var].astype("string").str.contains(predose_pattern, case=False, regex=True)
        if tpt_var is not None and tpt_var in df.columns
        else pd.Series(False, index=df.index)
    ).fillna(False)
    require_columns(se, ("USUBJID", "SESTDTC", "SEENDTC", "EPOCH"), "derive_epoch SE")
    # Each distinct (subject, date) is placed once against that subject's elements: records
    # of one draw share their date, so this joins a few dates per element, not every record.
    keys = pd.DataFrame(
        {
            "USUBJID": df["USUBJID"].to_numpy(),
            "dtc": df[source_var].to_numpy(),
            "predose": predose.to_numpy(),
        }
    ).astype({"USUBJID": "object", "dtc": "object"})
    key_of_row = (
        keys.groupby(["USUBJID", "dtc", "predose"], dropna=False, sort=False).ngroup().to_numpy()
    )
    rows = keys.assign(_row=key_of_row).drop_duplicates("_row")
    elements = se[["USUBJID", "SESTDTC", "SEENDTC", "EPOCH"]].astype({"USUBJID": "object"})
    last_start = elements.groupby("USUBJID")["SESTDTC"].transform("max")
    elements = elements.assign(is_last=elements["SESTDTC"] == last_start)
    pairs = rows.merge(elements, on="USUBJID", how="inner")
    dtc_precision = compute_dtc_precision(pairs["dtc"])
    cmp_start = compute_dtc_compare(pairs["SESTDTC"], pairs["dtc"])
    cmp_end = compute_dtc_compare(pairs["dtc"], pairs["SEENDTC"])
    end_precision = compute_dtc_precision(pairs["SEENDTC"])
    no_end = end_precision == DatePrecision.MISSING
    # A date equal to a boundary at the common precision but less precise than the boundary
    # could lie on either side of it; the last element includes its end date.
    start_maybe = cmp_start <= 0
    # A pre-dose record on the day an element starts (with its first dose) precedes it.
    start_precision = compute_dtc_precision(pairs["SESTDTC"])
    start_maybe &= ~(pairs["predose"] & (cmp_start == 0) & (dtc_precision < start_precision))
    end_maybe = (
        no_end
        | (cmp_end < 0)
        | ((cmp_end == 0) & ((dtc_precision < end_precision) | pairs["is_last"]))
    )
    pairs["maybe"] = (start_maybe & end_maybe).fillna(False).astype(bool)
    possible = pairs[pairs["maybe"]]
    n_epochs = possible.groupby("_row")["EPOCH"].nunique()
    one_epoch = possible.groupby("_row")["EPOCH"].first()
    position = pd.Series(key_of_row, index=df.index)
    count = position.map(n_epochs).fillna(0).astype("int64")
    epoch = position.map(one_epoch).astype("string").where(count == 1)

    out = df.copy()
    out[new_var] = epoch
    precision = compute_dtc_precision(df[source_var])
    has_date = precision >= DatePrecision.YEAR
    in_se = df["USUBJID"].isin(se["USUBJID"])
    dataset = dataset or source_var[:2]
    value = df[source_var].astype("string")

    def message(status: str, reason: str) -> Callable[[pd.DataFrame], pd.Series]:
        # Built for the reported rows only: most records have no finding.
        return lambda rows: (
            where_label(rows)
            + f": {new_var} {status}: {source_var} "
            + rows[source_var].astype("string").fillna("")
            + f" {reason}"
        )

    findings = [
        row_findings(
            df,
            has_date & in_se & (count > 1),
            EPOCH_AMBIGUOUS,
            message("not derived", "could fall in elements of different epochs at its precision"),
            dataset=dataset,
            variable=new_var,
            value=value,
        ),
        row_findings(
            df,
            has_date & in_se & (count == 0),
            DATE_OUTSIDE_ELEMENTS,
            message("null", "is before the first or after the last SE element of the subject"),
            dataset=dataset,
            variable=new_var,
            value=value,
        ),
    ]
    return DeriveResult(out, FindingsTable.concat(findings))
