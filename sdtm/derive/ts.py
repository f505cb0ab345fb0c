"""Trial Summary (TS) builder."""

from __future__ import annotations

import pandas as pd

from sdtm.derive.base import DeriveResult, require_columns
from sdtm.findings import FindingsTable
from sdtm.mapping.design import StudyDesign

# TS problems (a parameter the FDA validator expects is missing, a null TSVAL without
# TSVALNF) are reported once, by the validation rules ST0107-ST0109 that run on the built TS;
# the former derive-side duplicates MP0640/MP0641 are retired (specs/rules, state removed).
RULE_IDS: tuple[str, ...] = ()

_TSVAL_LIMIT = 200

TS_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "TSSEQ",
    "TSPARMCD",
    "TSPARM",
    "TSVAL",
    "TSVALNF",
    "TSVALCD",
    "TSVCDREF",
    "TSVCDVER",
)


def build_ts(design: StudyDesign) -> DeriveResult:
    """Build TS from the study's parameter values.

    Implements SDTMIG 3.4 §7.4.2 (TS): one row per parameter value, TSSEQ numbering repeated
    parameters 1, 2, ... (e.g. several TTYPE values). A value longer than 200 characters is
    split into TSVAL, TSVAL1, TSVAL2, ... (CG0262). Checking the result (a parameter the FDA
    validator expects is missing: ST0107/ST0108; a null TSVAL without TSVALNF: ST0109) is left
    to validation, which runs on every TS, built here or supplied, so each gap is reported once.

    Args:
        design: Study design holding ``ts_parameters`` and ``studyid``.

    Returns:
        ``DeriveResult``: TS with ``TS_COLUMNS`` (plus ``TSVAL1``... when needed); no findings.
    """
    params = design.ts_parameters
    frame = pd.DataFrame(
        [
            (
                design.studyid,
                "TS",
                p.tsparmcd,
                p.tsparm,
                p.tsval,
                p.tsvalnf,
                p.tsvalcd,
                p.tsvcdref,
                p.tsvcdver,
            )
            for p in params
        ],
        columns=[c for c in TS_COLUMNS if c != "TSSEQ"],
    ).astype({c: "string" for c in TS_COLUMNS if c != "TSSEQ"})
    frame.insert(2, "TSSEQ", frame.groupby("TSPARMCD").cumcount().astype("int64") + 1)
    longest = (
        int(frame["TSVAL"].str.len().max()) if len(frame) and frame["TSVAL"].notna().any() else 0
    )
    if longest > _TSVAL_LIMIT:
        chunks = (longest - 1) // _TSVAL_LIMIT
        full = frame["TSVAL"]
        frame["TSVAL"] = full.str.slice(0, _TSVAL_LIMIT)
        for i in range(1, chunks + 1):
            piece = full.str.slice(i * _TSVAL_LIMIT, (i + 1) * _TSVAL_LIMIT)
            frame[f"TSVAL{i}"] = piece.where(piece != "")
    return DeriveResult(frame, FindingsTable())


def derive_ts_actual_subjects(
    df: pd.DataFrame, dm: pd.DataFrame, *, parmcd: str = "ACTSUB"
) -> DeriveResult:
    """Set TSVAL of ACTSUB to the number of subjects exposed to study treatment.

    ACTSUB (Actual Number of Subjects) is a fact of the data, not of the protocol: it is
    counted from DM, as the subjects with a first exposure to any study treatment (RFXSTDTC
    populated; SDTMIG 3.4 DM), so a study of any size reports its own number. Only a null TSVAL
    without a null flavor is filled: a value given in ``design.yaml`` is kept.

    Args:
        df: TS frame (``build_ts``) with ``TSPARMCD``, ``TSVAL`` and ``TSVALNF``.
        dm: DM with ``USUBJID`` and ``RFXSTDTC``.
        parmcd: The parameter to fill.

    Returns:
        ``DeriveResult``: TS with the count in TSVAL of the ``parmcd`` rows; no findings.
    """
    require_columns(df, ("TSPARMCD", "TSVAL"), "derive_ts_actual_subjects")
    require_columns(dm, ("USUBJID", "RFXSTDTC"), "derive_ts_actual_subjects DM")
    exposed = dm["RFXSTDTC"].astype("string").str.strip()
    count = dm.loc[exposed.notna() & (exposed != ""), "USUBJID"].nunique()
    out = df.copy()
    no_flavor = out["TSVALNF"].isna() if "TSVALNF" in out.columns else True
    empty = (out["TSPARMCD"] == parmcd) & out["TSVAL"].isna() & no_flavor
    out.loc[empty, "TSVAL"] = str(count)
    return DeriveResult(out, FindingsTable())

