"""Checks on trial design and summary datasets (TS, TE, SE) and on PP's dependence on PC."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    Detail,
    collect,
    dataset_finding,
    datasets,
    frame_of,
    make_findings,
    text,
)
from sdtm.validate.checks.subjects import _one_to_one

Frames = Mapping[str, pd.DataFrame]

_ISO_DATE = r"\d{4}(-\d{2}(-\d{2})?)?"


def _ts(frames: Frames) -> tuple[str, pd.DataFrame] | None:
    for name, _, frame in datasets(frames, "TS"):
        return name, frame
    return None


def check_ts_parameter_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """TS holds every parameter the FDA validator expects (P21 SD2201-SD2235).

    A parameter the validator asks for only under a condition (``required_when``: CURTRT when
    ADDON is Y, TDIGRP when HLTSUBJI is N) is expected only when TS holds that value.

    The parameters come from ``Standards.required_ts_parameters`` (``specs/fda``); those with
    a rule of their own (SSTDTC: ST0108) are left to it, so a gap is reported once.
    """
    found = _ts(frames)
    if found is None:
        return EMPTY
    name, ts = found
    present = set(text(ts, "TSPARMCD").dropna())
    values = set(zip(text(ts, "TSPARMCD").fillna(""), text(ts, "TSVAL").fillna(""), strict=True))
    return collect(
        [
            dataset_finding(
                name,
                variable="TSPARMCD",
                value=parameter.tsparmcd,
                detail=f"no TS record (P21 {parameter.validator_id})",
            )
            for parameter in standards.required_ts_parameters
            if parameter.tsparmcd not in present
            and not parameter.own_rule
            # CURTRT only when ADDON is Y (P21 SD2216): ADDON N asks for no current therapy.
            and all(condition in values for condition in parameter.required_when)
        ]
    )


def check_ts_study_start_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """TS has a populated SSTDTC record (FDA TRC 1734, P21 SD2232).

    Not run without TS: validating part of a package (``sdtm validate dm.xpt``) is common, so
    the absence of the whole dataset is left to the submission checks of the exporter.
    """
    found = _ts(frames)
    if found is None:
        return EMPTY
    name, ts = found
    sstdtc = (text(ts, "TSPARMCD") == "SSTDTC").fillna(False) & text(ts, "TSVAL").notna()
    if sstdtc.any():
        return EMPTY
    return dataset_finding(name, variable="TSPARMCD", value="SSTDTC", detail="no SSTDTC value")


def check_tsval_missing_without_null_flavor(frames: Frames, standards: Standards) -> FindingsTable:
    """TSVAL is null only when TSVALNF gives the reason (CORE-000149 / CG0259)."""
    found = _ts(frames)
    if found is None:
        return EMPTY
    name, ts = found
    bad = text(ts, "TSVAL").isna() & text(ts, "TSVALNF").isna()
    detail = Detail("TSPARMCD ", text(ts, "TSPARMCD").fillna(""))
    return make_findings(name, ts, bad, variable="TSVAL", detail=detail)


def check_tsval_with_null_flavor(frames: Frames, standards: Standards) -> FindingsTable:
    """TSVALNF is null when TSVAL is populated (CORE-000150 / CG0260)."""
    found = _ts(frames)
    if found is None or "TSVALNF" not in found[1].columns:
        return EMPTY
    name, ts = found
    bad = text(ts, "TSVAL").notna() & text(ts, "TSVALNF").notna()
    detail = Detail("TSPARMCD ", text(ts, "TSPARMCD").fillna(""))
    return make_findings(name, ts, bad, variable="TSVALNF", detail=detail)


def check_ts_study_start_not_iso(frames: Frames, standards: Standards) -> FindingsTable:
    """TSVAL of SSTDTC is an ISO 8601 date (CORE-000505 / CG0285, P21 SD2247)."""
    found = _ts(frames)
    if found is None:
        return EMPTY
    name, ts = found
    value = text(ts, "TSVAL")
    is_start = (text(ts, "TSPARMCD") == "SSTDTC").fillna(False)
    bad = is_start & value.notna() & ~value.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    return make_findings(name, ts, bad, variable="TSVAL", detail="SSTDTC is not ISO 8601")


def check_tsparm_tsparmcd_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """TSPARMCD and TSPARM are one-to-one (CORE-000179 / CG0307, FB0916)."""
    found = _ts(frames)
    return EMPTY if found is None else _one_to_one(*found, "TSPARMCD", "TSPARM", "TS")


def check_se_element_not_in_te(frames: Frames, standards: Standards) -> FindingsTable:
    """SE.ETCD is UNPLAN or an element of TE (CORE-000173 / CG0414)."""
    te = frame_of(frames, "TE")
    if te is None:
        return EMPTY
    elements = set(text(te, "ETCD").dropna()) | {"UNPLAN"}
    tables = []
    for name, code, se in datasets(frames, "SE"):
        etcd = text(se, "ETCD")
        bad = etcd.notna() & ~etcd.isin(elements)
        tables.append(make_findings(name, se, bad, variable="ETCD", detail="not in TE", code=code))
    return collect(tables)


def check_pp_without_pc(frames: Frames, standards: Standards) -> FindingsTable:
    """A study with PP also has PC (CORE-000183 / CG0318)."""
    if frame_of(frames, "PP") is None or frame_of(frames, "PC") is not None:
        return EMPTY
    name = next(n for n, _, _ in datasets(frames, "PP"))
    return dataset_finding(name, detail="PP is present but PC is not")


def check_ppcat_not_pctest(frames: Frames, standards: Standards) -> FindingsTable:
    """PPCAT names an analyte of the subject's PC.PCTEST (CORE-000901 / FB6901)."""
    pc = frame_of(frames, "PC")
    if pc is None:
        return EMPTY
    analytes = pd.MultiIndex.from_arrays(
        [text(pc, "USUBJID").fillna(""), text(pc, "PCTEST").fillna("")]
    )
    tables = []
    for name, code, pp in datasets(frames, "PP"):
        ppcat = text(pp, "PPCAT")
        keys = pd.MultiIndex.from_arrays([text(pp, "USUBJID").fillna(""), ppcat.fillna("")])
        bad = ppcat.notna() & ~pd.Series(keys.isin(analytes), index=pp.index)
        tables.append(
            make_findings(
                name, pp, bad, variable="PPCAT", detail="no PC record with this PCTEST", code=code
            )
        )
    return collect(tables)
