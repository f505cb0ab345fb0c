"""SUPP-- builder: non-standard variables of a parent domain as SUPPQUAL rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    compute_canonical_number,
    require_columns,
    row_findings,
)
from sdtm.findings import Finding, FindingsTable, Severity, Stage

QUALIFIER_INVALID = DeriveRule("MP0620", "supplemental-qualifier-invalid", Severity.ERROR)
SUPP_PARENT_NOT_IDENTIFIED = DeriveRule(
    "MP0621", "supplemental-parent-not-identified", Severity.WARNING
)
RULE_IDS: tuple[str, ...] = (QUALIFIER_INVALID.id, SUPP_PARENT_NOT_IDENTIFIED.id)

SUPP_COLUMNS: tuple[str, ...] = (
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
_QNAM_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


@dataclass(frozen=True, slots=True)
class SuppQualifier:
    """One supplemental qualifier: which column becomes which QNAM."""

    qnam: str
    """QNAM (<= 8 characters, letters/digits/underscore, not starting with a digit)."""
    qlabel: str
    """QLABEL (<= 40 characters)."""
    source_var: str
    """Column of the parent frame holding the value."""
    qorig: str
    """QORIG, e.g. ``CRF``, ``Derived``, ``Assigned``."""
    qeval: str | None = None
    """QEVAL (evaluator), e.g. ``INVESTIGATOR``; ``None`` for objective data."""


def _qualifier_problems(qualifiers: Sequence[SuppQualifier]) -> list[tuple[str, str]]:
    """Return (QNAM, problem) pairs for qualifier definitions that break the QNAM rules."""
    problems: list[tuple[str, str]] = []
    labels: dict[str, str] = {}
    for q in qualifiers:
        if not _QNAM_RE.match(q.qnam):
            problems.append((q.qnam, f"QNAM {q.qnam!r} is not 1-8 upper-case letters, digits or _"))
        if len(q.qlabel) > 40:
            problems.append((q.qnam, f"QLABEL of {q.qnam} is longer than 40 characters"))
        if q.qnam in labels and labels[q.qnam] != q.qlabel:
            problems.append(
                (q.qnam, f"QNAM {q.qnam} has two labels: {labels[q.qnam]!r}, {q.qlabel!r}")
            )
        labels[q.qnam] = q.qlabel
    return problems


def build_supp(
    df: pd.DataFrame,
    qualifiers: Sequence[SuppQualifier],
    *,
    domain: str,
    keep_columns: Sequence[str] = (),
) -> DeriveResult:
    """Build the SUPP-- dataset of ``domain`` from columns of the final parent frame.

    Implements SDTMIG 3.4 §8.4 (relating non-standard variable values to a parent domain):
    one SUPPQUAL row per parent record and non-null value, with IDVAR ``--SEQ`` and IDVARVAL
    the record's final sequence number as text (DM: IDVAR/IDVARVAL null, one record per
    subject). Call after ``derive_seq``. Numbers are written canonically (``492``, not
    ``492.0``); null and blank values give no row (no SUPP record without a value).

    Qualifier definitions that break the QNAM/QLABEL rules (CORE-000221 / CG0417 pattern and
    length, CORE-000222 / CG0416 label length, SD0046 one label per QNAM) give MP0620 and
    those qualifiers are skipped; a parent record without ``--SEQ`` gives MP0621 per value
    that therefore cannot be attached.

    Args:
        df: Parent domain frame with ``STUDYID``, ``USUBJID``, ``--SEQ`` (not for DM) and the
            qualifier source columns.
        qualifiers: The qualifiers to move.
        domain: Parent domain, e.g. ``AE``.
        keep_columns: Parent columns copied onto each SUPP row after ``SUPP_COLUMNS`` (e.g.
            the provenance ``_src_file``/``_src_row``, so SUPP findings name the raw row);
            those the parent lacks are skipped.

    Returns:
        ``DeriveResult``: the SUPPxx frame with ``SUPP_COLUMNS`` (plus ``keep_columns``), one
        block per qualifier in parent row order (the parent is unchanged: dropping the moved
        columns is the caller's decision).
    """
    seq_var = f"{domain}SEQ"
    is_dm = domain == "DM"
    require_columns(
        df,
        ("STUDYID", "USUBJID", *(() if is_dm else (seq_var,)), *(q.source_var for q in qualifiers)),
        f"build_supp({domain})",
    )
    problems = _qualifier_problems(qualifiers)
    bad = {qnam for qnam, _ in problems}
    spec_findings = FindingsTable.from_findings(
        Finding(
            rule_id=QUALIFIER_INVALID.id,
            rule_name=QUALIFIER_INVALID.name,
            severity=QUALIFIER_INVALID.severity.value,
            stage=Stage.DERIVE.value,
            dataset=f"SUPP{domain}",
            variable="QNAM",
            message=(
                f"SUPP{domain}: {problem}; qualifier skipped "
                f"[{QUALIFIER_INVALID.id} {QUALIFIER_INVALID.name}]"
            ),
        )
        for _, problem in problems
    )
    extra = [c for c in keep_columns if c in df.columns and c not in SUPP_COLUMNS]
    pieces = []
    findings = [spec_findings]
    for q in qualifiers:
        if q.qnam in bad:
            continue
        raw = df[q.source_var]
        numeric = pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)
        value = compute_canonical_number(raw, 6) if numeric else raw.astype("string").str.strip()
        present = (value.notna() & (value != "")).fillna(False)
        idvarval = (
            pd.Series(pd.NA, index=df.index, dtype="string")
            if is_dm
            else compute_canonical_number(pd.to_numeric(df[seq_var], errors="coerce"), 0)
        )
        orphan = present & idvarval.isna() & (not is_dm)
        findings.append(
            row_findings(
                df,
                orphan,
                SUPP_PARENT_NOT_IDENTIFIED,
                f"SUPP{domain} {q.qnam}: parent record has no {seq_var}; value "
                + value.fillna("")
                + " not attached",
                dataset=f"SUPP{domain}",
                variable=q.qnam,
                value=value,
            )
        )
        keep = present & ~orphan
        pieces.append(
            pd.DataFrame(
                {
                    "STUDYID": df.loc[keep, "STUDYID"].astype("string"),
                    "RDOMAIN": domain,
                    "USUBJID": df.loc[keep, "USUBJID"].astype("string"),
                    "IDVAR": pd.NA if is_dm else seq_var,
                    "IDVARVAL": idvarval[keep],
                    "QNAM": q.qnam,
                    "QLABEL": q.qlabel,
                    "QVAL": value[keep],
                    "QORIG": q.qorig,
                    "QEVAL": q.qeval,
                    **{c: df.loc[keep, c] for c in extra},
                }
            )
        )
    frame = (
        pd.concat(pieces, ignore_index=True)
        if pieces
        else pd.DataFrame({name: pd.Series(dtype="string") for name in (*SUPP_COLUMNS, *extra)})
    )
    frame = frame.astype(dict.fromkeys(SUPP_COLUMNS, "string"))
    return DeriveResult(frame.reset_index(drop=True), FindingsTable.concat(findings))
