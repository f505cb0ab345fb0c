"""Pharmacokinetic / cellular-kinetic parameters (PP) derived from the concentrations in PC.

Implements SDTMIG 3.4 §6.3.5.6.2 (PP, one record per parameter per time-concentration profile
per subject) with the relationships CORE checks between the two domains: PPCAT is the PCTEST
of the analyte (CORE-000901 / FB6901), PPRFTDTC equals PCRFTDTC and PPSPEC equals PCSPEC of
the records the parameter comes from. Parameter codes and names are the CDISC CT submission
values of PKPARMCD (C85839) / PKPARM (C85493); units are PKUNIT (C85494) values.

The calculation is non-compartmental (observed values, linear trapezoids); see
``derive_pp`` for the profile, time and BLQ rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    compute_canonical_number,
    require_columns,
    row_findings,
    where_label,
)
from sdtm.derive.dates import (
    DatePrecision,
    compute_datetime,
    compute_dtc_precision,
)
from sdtm.findings import FindingsTable, Severity
from sdtm.mapping.design import PP_PARAMETERS, PP_TIME_UNIT_HOURS, PpSettings

SAMPLE_TIME_NOT_DERIVABLE = DeriveRule("MP0650", "pk-sample-time-not-derivable", Severity.WARNING)
CONCENTRATION_NOT_NUMERIC = DeriveRule("MP0651", "pk-concentration-not-numeric", Severity.WARNING)
PROFILE_UNITS_MIXED = DeriveRule("MP0652", "pk-profile-units-mixed", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (
    SAMPLE_TIME_NOT_DERIVABLE.id,
    CONCENTRATION_NOT_NUMERIC.id,
    PROFILE_UNITS_MIXED.id,
)

REASON_ALL_BLQ = "ALL CONCENTRATIONS BLQ"
"""PPREASND of every parameter of a profile without a measurable post-reference value."""
REASON_INTERVAL_NOT_COVERED = "INSUFFICIENT DATA"
"""PPREASND of AUCINT when sampling ended before the interval end."""
REASON_UNITS_MIXED = "CONCENTRATION UNITS DIFFER"
"""PPREASND of every parameter of a profile whose concentrations have different PCSTRESU."""

PP_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "PPGRPID",
    "PPTESTCD",
    "PPTEST",
    "PPCAT",
    "PPORRES",
    "PPORRESU",
    "PPSTRESC",
    "PPSTRESN",
    "PPSTRESU",
    "PPSTAT",
    "PPREASND",
    "PPSPEC",
    "PPTPTREF",
    "PPRFTDTC",
    "PPSTINT",
    "PPENINT",
    "_src_file",
    "_src_row",
)
"""Columns of the frame ``derive_pp`` returns (PPSEQ is added later by ``derive_seq``)."""

_CONCENTRATION = ("CMAX", "CLST")
_TIME = ("TMAX", "TLST")
_AREA = ("AUCINT", "AUCLST")


def _text(series: pd.Series) -> pd.Series:
    """Stripped text with empty strings as nulls (XPT round trips write nulls as blanks)."""
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _column(pc: pd.DataFrame, name: str) -> pd.Series:
    """``pc[name]`` as text, or an all-null text column when PC does not have it."""
    if name in pc.columns:
        return _text(pc[name])
    return pd.Series(pd.NA, index=pc.index, dtype="string")


def compute_elapsed_hours(dtc: pd.Series, ref_dtc: pd.Series) -> pd.Series:
    """Hours from ``ref_dtc`` to ``dtc``; null unless both are known to at least the hour.

    Args:
        dtc: ISO 8601 date/times of the samples (``PCDTC``).
        ref_dtc: ISO 8601 reference date/times (``PCRFTDTC``).

    Returns:
        Float Series aligned with ``dtc`` (negative before the reference).
    """
    timed = (compute_dtc_precision(dtc) >= DatePrecision.HOUR) & (
        compute_dtc_precision(ref_dtc) >= DatePrecision.HOUR
    )
    hours = (compute_datetime(dtc) - compute_datetime(ref_dtc)) / pd.Timedelta(hours=1)
    return hours.astype("float64").where(timed)


def compute_interval_area(
    t0: pd.Series, c0: pd.Series, t1: pd.Series, c1: pd.Series, start: float, end: float
) -> pd.Series:
    """Area of linear segments ``(t0, c0)``-``(t1, c1)`` inside the window ``[start, end]``.

    Each segment is cut to the window, its end values interpolated linearly, and the
    trapezoid of the cut part returned (0 outside the window).

    Args:
        t0: Segment start times.
        c0: Concentrations at ``t0``.
        t1: Segment end times (``>= t0``).
        c1: Concentrations at ``t1``.
        start: Window start (same time unit).
        end: Window end.

    Returns:
        Float Series aligned with ``t0``.
    """
    left = t0.clip(lower=start)
    right = t1.clip(upper=end)
    width = (t1 - t0).to_numpy(dtype="float64")
    slope = np.divide(
        (c1 - c0).to_numpy(dtype="float64"),
        width,
        out=np.zeros_like(width),
        where=width > 0,
    )
    c_left = c0 + slope * (left - t0)
    c_right = c0 + slope * (right - t0)
    area = (right - left) * (c_left + c_right) / 2
    return area.where(right > left, 0.0).astype("float64")


def derive_pp(pc: pd.DataFrame, *, settings: PpSettings) -> DeriveResult:
    """Build the PP dataset (Cmax, Tmax, AUC over an interval, Clast, Tlast, AUC to Tlast).

    Rules (non-compartmental analysis on observed values):

    - **Profile**: the PC records of one ``USUBJID`` + ``PCTESTCD`` + ``PCSPEC`` +
      ``PCRFTDTC`` (one reference time point, e.g. the CAR-T infusion). Records with
      ``PCSTAT`` NOT DONE or no ``PCSTRESC`` are not samples and are skipped silently.
    - **Time**: actual hours from ``PCRFTDTC`` to ``PCDTC`` (both needed to at least the hour;
      otherwise the record is left out, MP0650). Only post-reference records (time > 0) form
      the profile; pre-infusion samples do not. The profile starts at the reference time with
      concentration 0: the cells are not in the body before the infusion starts.
    - **BLQ** (``PCSTRESC`` ``<number`` or one of ``settings.blq_values``, PCSTRESN null):
      before Tmax it counts as concentration 0; at or after Tmax it is left out, so the
      trapezoid joins the measurable values around it and nothing is added after Tlast.
      Other non-numeric results are left out with MP0651.
    - **CMAX**: highest PCSTRESN; **TMAX**: its earliest time. **CLST**/**TLST**: last
      nonzero concentration and its time. **AUCLST**: linear trapezoids from 0 to Tlast.
      **AUCINT**: linear trapezoids cut to ``[PPSTINT, PPENINT]`` (values interpolated
      linearly at the bounds); PPSTAT NOT DONE, PPREASND ``INSUFFICIENT DATA`` when the last
      post-reference sample (BLQ included) is more than
      ``settings.interval_end_tolerance_hours`` before the interval end.
    - **No measurable value** after the reference (all BLQ): every parameter PPSTAT NOT DONE,
      PPREASND ``ALL CONCENTRATIONS BLQ``, PPORRES/PPSTRESC/PPSTRESN/units null.
      Concentrations in more than one PCSTRESU: all NOT DONE (MP0652).
      A profile without any post-reference sample gives no PP record.
    - **Units**: concentrations in the profile's PCSTRESU, times in ``settings.time_unit``,
      areas ``<time unit>*<concentration unit>`` (``h*DNA copies/ug`` is PKUNIT C172585).
    - PPSTRESC is the canonical number text (``compute_canonical_number``), PPORRES equals
      PPSTRESC, PPSTRESN its number. PPCAT = PCTEST, PPSPEC = PCSPEC, PPTPTREF = PCTPTREF,
      PPRFTDTC = PCRFTDTC; PPSTINT/PPENINT only on AUCINT.
    - Lineage: ``_src_file``/``_src_row`` of the Cmax record (of the last nonzero record for
      CLST/TLST; of the first post-reference record when NOT DONE).

    Args:
        pc: PC frame with ``USUBJID``, ``PCTESTCD``, ``PCTEST``, ``PCSTRESC``, ``PCSTRESN``,
            ``PCSTRESU``, ``PCDTC``, ``PCRFTDTC`` (``STUDYID``, ``PCSPEC``, ``PCTPTREF``,
            ``PCSTAT``, ``_src_file``, ``_src_row`` used when present).
        settings: Parameters, units, interval and precision (``PpSettings``).

    Returns:
        ``DeriveResult``: the PP frame (``PP_COLUMNS``, no PPSEQ; one row per profile and
        parameter, profiles in USUBJID/PCTESTCD order) and findings MP0650-MP0652 naming the
        PC record.

    Raises:
        MappingError: When a required PC column is missing.
    """
    require_columns(
        pc,
        ("USUBJID", "PCTESTCD", "PCTEST", "PCSTRESC", "PCSTRESN", "PCSTRESU", "PCDTC", "PCRFTDTC"),
        "derive_pp",
    )
    stresc = _text(pc["PCSTRESC"])
    stresn, measurable, blq, odd, hours = _samples(pc, settings)
    untimed = (measurable | blq) & hours.isna()
    where = where_label(pc)
    findings = [
        row_findings(
            pc,
            untimed,
            SAMPLE_TIME_NOT_DERIVABLE,
            where
            + ": time after the reference not derivable (PCDTC "
            + _column(pc, "PCDTC").fillna("null")
            + ", PCRFTDTC "
            + _column(pc, "PCRFTDTC").fillna("null")
            + "; both need at least the hour); the sample is left out of the PP parameters",
            dataset="PP",
            variable="PCDTC",
            value=_column(pc, "PCDTC"),
        ),
        row_findings(
            pc,
            odd,
            CONCENTRATION_NOT_NUMERIC,
            where
            + ": PCSTRESC "
            + stresc.fillna("")
            + " is neither a number nor below the limit of quantitation; the sample is left "
            "out of the PP parameters",
            dataset="PP",
            variable="PCSTRESC",
            value=stresc,
        ),
    ]

    keys = ["USUBJID", "PCTESTCD", "PCSPEC", "PCRFTDTC"]
    work = pd.DataFrame(
        {
            "USUBJID": _column(pc, "USUBJID"),
            "PCTESTCD": _column(pc, "PCTESTCD"),
            "PCSPEC": _column(pc, "PCSPEC"),
            "PCRFTDTC": _column(pc, "PCRFTDTC"),
            "STUDYID": _column(pc, "STUDYID"),
            "PCTEST": _column(pc, "PCTEST"),
            "PCTPTREF": _column(pc, "PCTPTREF"),
            "unit": _column(pc, "PCSTRESU"),
            "t": hours,
            "c": stresn.where(measurable),
            "blq": blq,
            "_pos": np.arange(len(pc)),
        },
        index=pc.index,
    )
    work = work.loc[(measurable | blq) & (hours > 0)]
    work = work.sort_values([*keys, "t", "_pos"], kind="mergesort", na_position="last")
    group = work.groupby(keys, sort=False, dropna=False)
    work["pid"] = group.ngroup()
    by_pid = work.groupby("pid", sort=True)

    profiles = by_pid[["USUBJID", "PCTESTCD", "PCSPEC", "PCRFTDTC"]].first()
    profiles["grpid"] = compute_profile_labels(profiles)
    # Text attributes: the first non-null value of the profile (they are constant in PC).
    for name in ("STUDYID", "PCTEST", "PCTPTREF"):
        profiles[name] = by_pid[name].first()
    profiles["first_pos"] = by_pid["_pos"].first()
    profiles["last_t"] = by_pid["t"].max()
    units = work.loc[work["c"].notna()].groupby("pid")["unit"]
    profiles["unit"] = units.first()
    profiles["n_units"] = units.nunique()
    profiles["n_units"] = profiles["n_units"].fillna(0)

    nonzero = work.loc[work["c"] > 0]
    profiles["cmax"] = nonzero.groupby("pid")["c"].max()
    at_max = nonzero.loc[nonzero["c"] == nonzero["pid"].map(profiles["cmax"])]
    first_max = at_max.groupby("pid").head(1).set_index("pid")
    profiles["tmax"] = first_max["t"]
    profiles["cmax_pos"] = first_max["_pos"]
    last = nonzero.groupby("pid").tail(1).set_index("pid")
    profiles["clast"] = last["c"]
    profiles["tlast"] = last["t"]
    profiles["tlast_pos"] = last["_pos"]

    # BLQ before Tmax counts as 0, at/after Tmax it is left out (see docstring).
    tmax = work["pid"].map(profiles["tmax"])
    conc = work["c"].where(~work["blq"], 0.0).where(~(work["blq"] & (work["t"] >= tmax)))
    points = work.assign(c=conc).loc[conc.notna()]
    previous = points.groupby("pid")[["t", "c"]].shift(1).fillna(0.0)
    start, end = settings.interval_hours
    inside = compute_interval_area(
        previous["t"], previous["c"], points["t"], points["c"], start, end
    )
    to_last = compute_interval_area(
        previous["t"], previous["c"], points["t"], points["c"], 0.0, np.inf
    ).where(points["t"] <= points["pid"].map(profiles["tlast"]), 0.0)
    profiles["aucint"] = inside.groupby(points["pid"]).sum()
    profiles["auclst"] = to_last.groupby(points["pid"]).sum()

    mixed = profiles["n_units"] > 1
    all_blq = profiles["cmax"].isna()
    profiles["reason"] = pd.Series(pd.NA, index=profiles.index, dtype="string")
    profiles.loc[all_blq, "reason"] = REASON_ALL_BLQ
    profiles.loc[mixed, "reason"] = REASON_UNITS_MIXED
    covered = profiles["last_t"] >= end - settings.interval_end_tolerance_hours

    mixed_pc = pc.iloc[profiles.loc[mixed, "first_pos"].astype("int64").to_numpy()]
    findings.append(
        row_findings(
            mixed_pc,
            pd.Series(True, index=mixed_pc.index),
            PROFILE_UNITS_MIXED,
            where_label(mixed_pc)
            + ": "
            + _column(mixed_pc, "PCTESTCD").fillna("?")
            + " concentrations are in more than one PCSTRESU; no PP parameter calculated "
            "for the profile (PPSTAT NOT DONE)",
            dataset="PP",
            variable="PCSTRESU",
        )
    )
    frame = _pp_rows(pc, profiles, covered, settings)
    return DeriveResult(frame, FindingsTable.concat(findings))


def _samples(
    pc: pd.DataFrame, settings: PpSettings
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """PCSTRESN, and which records are measurable, BLQ, neither; hours after the reference."""
    stresc = _text(pc["PCSTRESC"])
    stresn = pd.to_numeric(pc["PCSTRESN"], errors="coerce").astype("float64")
    not_done = (_column(pc, "PCSTAT").str.upper() == "NOT DONE").fillna(False)
    sample = stresc.notna() & ~not_done
    measurable = sample & stresn.notna()
    blq_text = stresc.str.startswith("<") | stresc.str.upper().isin(
        [value.upper() for value in settings.blq_values]
    )
    blq = sample & ~measurable & blq_text.fillna(False)
    odd = sample & ~measurable & ~blq
    hours = compute_elapsed_hours(_column(pc, "PCDTC"), _column(pc, "PCRFTDTC"))
    return stresn, measurable, blq, odd, hours


def compute_profile_labels(keys: pd.DataFrame) -> pd.Series:
    """Group id of each profile: ``<PCTESTCD>-<n>`` (``PSCACART-1``).

    ``n`` numbers the subject's profiles of the test by reference time; the same text is
    PCGRPID and PPGRPID.

    Args:
        keys: One row per profile with ``USUBJID``, ``PCTESTCD``, ``PCSPEC``, ``PCRFTDTC``.

    Returns:
        Text Series aligned with ``keys``.
    """
    order = keys.sort_values(["USUBJID", "PCTESTCD", "PCRFTDTC", "PCSPEC"], kind="mergesort")
    number = order.groupby(["USUBJID", "PCTESTCD"], sort=False, dropna=False).cumcount() + 1
    labels = order["PCTESTCD"].astype("string") + "-" + number.astype("string")
    return labels.reindex(keys.index)


def derive_pk_profile_group(
    df: pd.DataFrame, *, settings: PpSettings, new_var: str = "PCGRPID"
) -> DeriveResult:
    """Mark the PC records each PP profile is computed from with the profile's group id.

    Implements the SDTMIG 3.4 PP assumption on relating PP to PC records (section 6.3.5.9,
    relationship by group identifiers): the concentrations ``derive_pp`` uses (timed,
    post-reference, measurable or BLQ samples) get PCGRPID = the profile's PPGRPID, so that
    RELREC can relate the two groups. Other records (pre-infusion, not done, untimed) keep a
    null; ``derive_pp`` reports the untimed ones.

    Args:
        df: PC frame (columns as ``derive_pp`` needs).
        settings: The PP settings (BLQ texts).
        new_var: Variable to fill.

    Returns:
        ``DeriveResult``: ``df`` with ``new_var``; no findings.
    """
    require_columns(
        df,
        ("USUBJID", "PCTESTCD", "PCSTRESC", "PCSTRESN", "PCDTC", "PCRFTDTC"),
        "derive_pk_profile_group",
    )
    _, measurable, blq, _, hours = _samples(df, settings)
    used = (measurable | blq) & (hours > 0)
    keys = pd.DataFrame(
        {name: _column(df, name) for name in ("USUBJID", "PCTESTCD", "PCSPEC", "PCRFTDTC")}
    ).loc[used]
    profiles = keys.drop_duplicates().reset_index(drop=True)
    profiles["_label"] = compute_profile_labels(profiles)
    labelled = keys.reset_index().merge(
        profiles, on=["USUBJID", "PCTESTCD", "PCSPEC", "PCRFTDTC"], how="left"
    )
    out = df.copy()
    out[new_var] = labelled.set_index("index")["_label"].reindex(df.index).astype("string")
    return DeriveResult(out, FindingsTable())


def _pp_rows(
    pc: pd.DataFrame, profiles: pd.DataFrame, covered: pd.Series, settings: PpSettings
) -> pd.DataFrame:
    """One PP row per profile and parameter (``settings.parameters`` order within a profile)."""
    per_hour = PP_TIME_UNIT_HOURS[settings.time_unit]
    values = {
        "CMAX": profiles["cmax"],
        "TMAX": profiles["tmax"] / per_hour,
        "AUCINT": profiles["aucint"] / per_hour,
        "CLST": profiles["clast"],
        "TLST": profiles["tlast"] / per_hour,
        "AUCLST": profiles["auclst"] / per_hour,
    }
    parts = []
    for rank, code in enumerate(settings.parameters):
        reason = profiles["reason"].copy()
        if code == "AUCINT":
            reason = reason.mask(reason.isna() & ~covered, REASON_INTERVAL_NOT_COVERED)
        done = reason.isna()
        if code in _TIME:
            unit = pd.Series(settings.time_unit, index=profiles.index, dtype="string")
            decimals = settings.time_decimals
        elif code in _AREA:
            unit = settings.time_unit + "*" + profiles["unit"].astype("string")
            decimals = settings.value_decimals
        else:
            unit = profiles["unit"].astype("string")
            decimals = settings.value_decimals
        stresc = compute_canonical_number(values[code].where(done), decimals)
        source = profiles["tlast_pos"] if code in ("CLST", "TLST") else profiles["cmax_pos"]
        source = source.where(done, profiles["first_pos"])
        part = pd.DataFrame(
            {
                "_pid": profiles.index,
                "_rank": rank,
                "STUDYID": profiles["STUDYID"],
                "DOMAIN": "PP",
                "USUBJID": profiles["USUBJID"],
                "PPGRPID": profiles["grpid"],
                "PPTESTCD": code,
                "PPTEST": PP_PARAMETERS[code],
                "PPCAT": profiles["PCTEST"],
                "PPORRES": stresc,
                "PPORRESU": unit.where(done),
                "PPSTRESC": stresc,
                "PPSTRESN": pd.to_numeric(stresc).astype("float64"),
                "PPSTRESU": unit.where(done),
                "PPSTAT": pd.Series("NOT DONE", index=profiles.index, dtype="string").where(~done),
                "PPREASND": reason,
                "PPSPEC": profiles["PCSPEC"],
                "PPTPTREF": profiles["PCTPTREF"],
                "PPRFTDTC": profiles["PCRFTDTC"],
                "PPSTINT": settings.auc_interval_start if code == "AUCINT" else pd.NA,
                "PPENINT": settings.auc_interval_end if code == "AUCINT" else pd.NA,
                "_src_pos": source.astype("int64"),
            }
        )
        parts.append(part)
    if not parts or profiles.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in PP_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values(["_pid", "_rank"], kind="mergesort")
    out = out.reset_index(drop=True)
    positions = out["_src_pos"].to_numpy()
    for name in ("_src_file", "_src_row"):
        if name in pc.columns:
            out[name] = pc[name].iloc[positions].reset_index(drop=True)
        else:
            out[name] = pd.NA
    for name in (
        "STUDYID", "DOMAIN", "USUBJID", "PPGRPID", "PPTESTCD", "PPTEST", "PPCAT", "PPSTINT",
    ):  # fmt: skip
        out[name] = out[name].astype("string")
    out["PPENINT"] = out["PPENINT"].astype("string")
    return out[list(PP_COLUMNS)].reset_index(drop=True)
