"""Checks on SUPP-- and RELREC: references resolve, qualifiers are unique and well named."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    Detail,
    collect,
    frame_of,
    make_findings,
    supp_datasets,
    text,
)

Frames = Mapping[str, pd.DataFrame]


def _key_text(values: pd.Series) -> pd.Series:
    """Normalise identifying values so that ``3``, ``3.0`` and ``"3"`` compare equal."""
    as_text = values.astype("string").str.strip()
    as_number = pd.to_numeric(as_text, errors="coerce")
    numeric = as_number.astype("string").str.replace(r"\.0$", "", regex=True)
    return numeric.where(as_number.notna(), as_text)


def _parent_keys(frames: Frames, domain: str, idvar: str | None) -> pd.MultiIndex | None:
    """Return the (USUBJID, value of ``idvar``) pairs of a domain; ``None`` if not checkable."""
    parent = frame_of(frames, domain)
    if parent is None:
        return None
    subjects = text(parent, "USUBJID").fillna("")
    if idvar is None:
        return pd.MultiIndex.from_arrays([subjects, pd.Series("", index=parent.index)])
    if idvar not in parent.columns:
        return None
    return pd.MultiIndex.from_arrays([subjects, _key_text(parent[idvar]).fillna("")])


def _unresolved(frames: Frames, frame: pd.DataFrame, *, check_missing_idvar: bool) -> pd.Series:
    """Mask of records whose RDOMAIN/USUBJID/IDVAR/IDVARVAL matches no parent record."""
    rdomain, idvar = text(frame, "RDOMAIN"), text(frame, "IDVAR")
    usubjid = text(frame, "USUBJID").fillna("")
    if "IDVARVAL" in frame.columns:
        idvarval = _key_text(frame["IDVARVAL"]).fillna("")
    else:
        idvarval = pd.Series("", index=frame.index, dtype="string")
    links = pd.MultiIndex.from_arrays([usubjid, idvarval])
    mask = pd.Series(False, index=frame.index)
    # One lookup per (RDOMAIN, IDVAR) pair, not per record.
    groups = pd.DataFrame({"d": rdomain, "v": idvar}).drop_duplicates()
    for row in groups.itertuples(index=False):
        if pd.isna(row.d) or (pd.isna(row.v) and not check_missing_idvar):
            continue
        in_group = (rdomain == row.d).fillna(False) & (
            idvar.isna() if pd.isna(row.v) else (idvar == row.v).fillna(False)
        )
        keys = _parent_keys(frames, str(row.d), None if pd.isna(row.v) else str(row.v))
        if keys is None:
            continue
        mask |= in_group & ~pd.Series(links.isin(keys), index=frame.index)
    return mask.astype(bool)


def _link_not_found(frame: pd.DataFrame, *, no_idvar: str) -> pd.Series:
    """Describe each record's link as ``RDOMAIN IDVAR=IDVARVAL not found``, for the message.

    Args:
        frame: A SUPP-- or RELREC dataset.
        no_idvar: Text shown where IDVAR is null (a subject-level link).

    Returns:
        One description per record.
    """
    return (
        text(frame, "RDOMAIN").fillna("")
        + " "
        + text(frame, "IDVAR").fillna(no_idvar)
        + "="
        + text(frame, "IDVARVAL").fillna("")
        + " not found"
    )


def check_supp_parent_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """SUPP-- records point to an existing parent record (CORE-000206 / CG0371, SD0077)."""
    tables = []
    for name, frame in supp_datasets(frames):
        bad = _unresolved(frames, frame, check_missing_idvar=True)
        detail = _link_not_found(frame, no_idvar="(subject)")
        tables.append(make_findings(name, frame, bad, variable="IDVARVAL", detail=detail))
    return collect(tables)


def check_supp_qualifier_duplicate(frames: Frames, standards: Standards) -> FindingsTable:
    """QNAM is unique per parent record (CORE-000203 / CG0411, P21 SD0086)."""
    tables = []
    for name, frame in supp_datasets(frames):
        key = pd.DataFrame(
            {
                c: text(frame, c).fillna("")
                for c in ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")
            }
        )
        bad = key.duplicated(keep=False)
        tables.append(
            make_findings(name, frame, bad, variable="QNAM", detail="repeated for one parent")
        )
    return collect(tables)


def check_supp_qnam_is_sdtm_variable(frames: Frames, standards: Standards) -> FindingsTable:
    """QNAM is not the name of an SDTMIG variable (CORE-000783 / CG0314)."""
    names = {v.name for spec in standards.domains.values() for v in spec.variables}
    tables = []
    for name, frame in supp_datasets(frames):
        qnam = text(frame, "QNAM")
        bad = qnam.isin(names)
        tables.append(
            make_findings(name, frame, bad, variable="QNAM", detail="is an SDTMIG variable name")
        )
    return collect(tables)


def check_supp_qlabel_too_long(frames: Frames, standards: Standards) -> FindingsTable:
    """QLABEL is at most 40 characters (CORE-000222 / CG0416)."""
    return collect(
        [
            make_findings(
                name,
                frame,
                text(frame, "QLABEL").str.len().fillna(0) > 40,
                variable="QLABEL",
                detail="longer than 40 characters",
            )
            for name, frame in supp_datasets(frames)
        ]
    )


def check_supp_qnam_qlabel_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """QNAM and QLABEL are one-to-one within a SUPP-- dataset (CORE-000302 / FB0920, SD0046)."""
    from sdtm.validate.checks.subjects import _one_to_one

    return collect(
        [_one_to_one(name, frame, "QNAM", "QLABEL", name) for name, frame in supp_datasets(frames)]
    )


def check_supp_qnam_invalid(frames: Frames, standards: Standards) -> FindingsTable:
    """QNAM: <= 8 upper-case letters, digits or _, not starting with a digit (CORE-000221)."""
    tables = []
    for name, frame in supp_datasets(frames):
        qnam = text(frame, "QNAM")
        ok = qnam.str.fullmatch(r"[A-Z_][A-Z0-9_]{0,7}").fillna(True).astype(bool)
        tables.append(make_findings(name, frame, ~ok, variable="QNAM", detail="invalid name"))
    return collect(tables)


def _relrec(frames: Frames) -> tuple[str, pd.DataFrame] | None:
    for name, frame in frames.items():
        if name.upper() == "RELREC":
            return name, frame.reset_index(drop=True)
    return None


def _dataset_names(frames: Frames) -> set[str]:
    from sdtm.validate.checks.common import domain_of

    return {domain_of(n, f) for n, f in frames.items()} | {n.upper() for n in frames}


def check_relrec_domain_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """RELREC.RDOMAIN names a dataset present in the study (CORE-000384 / CG0374)."""
    found = _relrec(frames)
    if found is None:
        return EMPTY
    name, relrec = found
    rdomain = text(relrec, "RDOMAIN")
    bad = rdomain.notna() & ~rdomain.isin(_dataset_names(frames))
    return make_findings(name, relrec, bad, variable="RDOMAIN", detail="dataset not in the study")


def check_relrec_idvar_not_in_domain(frames: Frames, standards: Standards) -> FindingsTable:
    """RELREC.IDVAR is a variable of the RDOMAIN dataset (CORE-000916 / CG0370)."""
    found = _relrec(frames)
    if found is None:
        return EMPTY
    name, relrec = found
    rdomain, idvar = text(relrec, "RDOMAIN"), text(relrec, "IDVAR")
    columns = {
        domain: set(frame.columns)
        for domain in set(rdomain.dropna())
        if (frame := frame_of(frames, domain)) is not None
    }
    known = rdomain.isin(columns)
    has_column = pd.Series(
        [
            var in columns.get(dom, set())
            for dom, var in zip(rdomain.fillna(""), idvar.fillna(""), strict=True)
        ],
        index=relrec.index,
        dtype=bool,
    )
    bad = known & idvar.notna() & ~has_column
    detail = Detail("not a variable of ", rdomain.fillna(""))
    return make_findings(name, relrec, bad, variable="IDVAR", detail=detail)


def check_relrec_record_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """RELREC record links resolve to an existing record (CG0371, P21 SD0077)."""
    found = _relrec(frames)
    if found is None:
        return EMPTY
    name, relrec = found
    record_level = text(relrec, "IDVARVAL").notna()
    bad = record_level & _unresolved(frames, relrec, check_missing_idvar=False)
    detail = _link_not_found(relrec, no_idvar="")
    return make_findings(name, relrec, bad, variable="IDVARVAL", detail=detail)


def check_relrec_reltype_with_record_link(frames: Frames, standards: Standards) -> FindingsTable:
    """RELTYPE is null when IDVAR is a --SEQ (record-level link) (CORE-000202 / CG0419)."""
    found = _relrec(frames)
    if found is None:
        return EMPTY
    name, relrec = found
    seq_link = text(relrec, "IDVAR").str.endswith("SEQ").fillna(False).astype(bool)
    bad = seq_link & text(relrec, "RELTYPE").notna()
    return make_findings(name, relrec, bad, variable="RELTYPE", detail="IDVAR is a --SEQ")


def check_relrec_relid_single_record(frames: Frames, standards: Standards) -> FindingsTable:
    """Each RELID appears on at least two RELREC records of a subject (CORE-000484 / CG0200)."""
    found = _relrec(frames)
    if found is None:
        return EMPTY
    name, relrec = found
    key = text(relrec, "USUBJID").fillna("") + "|" + text(relrec, "RELID").fillna("")
    bad = text(relrec, "RELID").notna() & ~key.duplicated(keep=False)
    return make_findings(name, relrec, bad, variable="RELID", detail="only one record")
