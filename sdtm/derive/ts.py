"""Trial Summary (TS) builder."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.derive.design import StudyDesign
from sdtm.derive.result import DeriveResult, DeriveRule
from sdtm.findings import Finding, FindingsTable, Severity, Stage

TS_VALUE_MISSING = DeriveRule("MP0640", "ts-value-without-null-flavor", Severity.ERROR)
TS_PARAMETER_MISSING = DeriveRule("MP0641", "ts-required-parameter-missing", Severity.WARNING)
RULE_IDS: tuple[str, ...] = (TS_VALUE_MISSING.id, TS_PARAMETER_MISSING.id)

_TSVAL_LIMIT = 200

# TSPARMCDs whose absence the FDA validator reports, with the Pinnacle 21 rule id
# (P21 report Rules sheet, SD2201-SD2235; SSTDTC is also FDA technical rejection 1734).
FDA_REQUIRED_PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "ADDON": "SD2201",
        "AGEMAX": "SD2202",
        "AGEMIN": "SD2203",
        "LENGTH": "SD2204",
        "PLANSUB": "SD2205",
        "RANDOM": "SD2206",
        "SEXPOP": "SD2207",
        "STOPRULE": "SD2208",
        "TBLIND": "SD2209",
        "TCNTRL": "SD2210",
        "TDIGRP": "SD2211",
        "TINDTP": "SD2212",
        "TITLE": "SD2213",
        "TPHASE": "SD2214",
        "TTYPE": "SD2215",
        "CURTRT": "SD2216",
        "OBJPRIM": "SD2217",
        "SPONSOR": "SD2218",
        "TRT": "SD2219",
        "REGID": "SD2221",
        "OUTMSPRI": "SD2222",
        "PCLAS": "SD2223",
        "FCNTRY": "SD2224",
        "ADAPT": "SD2225",
        "DCUTDTC": "SD2226",
        "DCUTDESC": "SD2227",
        "INTMODEL": "SD2228",
        "NARMS": "SD2229",
        "STYPE": "SD2230",
        "INTTYPE": "SD2231",
        "SSTDTC": "SD2232",
        "SENDTC": "SD2233",
        "ACTSUB": "SD2234",
        "HLTSUBJI": "SD2235",
        "SDTIGVER": "",
    }
)

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


def _finding(rule: DeriveRule, message: str, variable: str, value: str | None) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        severity=rule.severity.value,
        stage=Stage.DERIVE.value,
        dataset="TS",
        variable=variable,
        value=value,
        message=message,
    )


def build_ts(
    design: StudyDesign, *, required: Mapping[str, str] = FDA_REQUIRED_PARAMETERS
) -> DeriveResult:
    """Build TS from the study's parameter values.

    Implements SDTMIG 3.4 §7.4.2 (TS): one row per parameter value, TSSEQ numbering repeated
    parameters 1, 2, ... (e.g. several TTYPE values). A value longer than 200 characters is
    split into TSVAL, TSVAL1, TSVAL2, ... (CG0262). A null TSVAL needs a TSVALNF null flavor
    (CORE-000149 / CG0259): otherwise MP0640. Each parameter of ``required`` that is absent
    gives MP0641 naming the FDA validator rule (SSTDTC and SDTIGVER included; the study's
    settings fill them: SDTIGVER "3.4").

    Args:
        design: Study design holding ``ts_parameters`` and ``studyid``.
        required: Parameter codes that must be present, with the validator id to cite.

    Returns:
        ``DeriveResult``: TS with ``TS_COLUMNS`` (plus ``TSVAL1``... when needed).
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
    findings = [
        _finding(
            TS_VALUE_MISSING,
            f"TS {p.tsparmcd}: TSVAL is null and TSVALNF gives no null flavor (e.g. NA, PINF, UNK)",
            "TSVALNF",
            None,
        )
        for p in params
        if not (p.tsval or "").strip() and not (p.tsvalnf or "").strip()
    ]
    present = {p.tsparmcd for p in params}
    findings.extend(
        _finding(
            TS_PARAMETER_MISSING,
            f"TS parameter {code} is missing"
            + (f" (FDA validator {rule})" if rule else "")
            + "; add it to the study's TS settings",
            "TSPARMCD",
            code,
        )
        for code, rule in required.items()
        if code not in present
    )
    return DeriveResult(frame, FindingsTable.from_findings(findings))
