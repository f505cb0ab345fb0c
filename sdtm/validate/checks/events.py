"""Checks on adverse events: seriousness criteria, fatal outcome and outcome vs end date."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import Detail, collect, datasets, make_findings, text

Frames = Mapping[str, pd.DataFrame]

# SDTMIG 3.4 AE seriousness criteria (the variables CORE-000022 and CORE-000266 list).
SERIOUS_CRITERIA = ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD",
                    "AESMIE")  # fmt: skip


def _criteria(ae: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Return (any criterion is Y, names of the criteria that are Y) per record."""
    present = [c for c in SERIOUS_CRITERIA if c in ae.columns]
    flags = pd.DataFrame({c: (text(ae, c) == "Y").fillna(False) for c in present}, index=ae.index)
    names = pd.Series("", index=ae.index, dtype="object")
    for column in present:
        names = names.where(~flags[column], names + column + " ")
    return flags.any(axis=1) if present else pd.Series(False, index=ae.index), names.str.strip()


def check_serious_without_criterion(frames: Frames, standards: Standards) -> FindingsTable:
    """AESER = Y needs at least one seriousness criterion = Y (CORE-000266 / CG0042, SD0009)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        if "AESER" not in ae.columns:
            continue
        any_y, _ = _criteria(ae)
        bad = (text(ae, "AESER") == "Y").fillna(False) & ~any_y
        tables.append(
            make_findings(
                name, ae, bad, variable="AESER", detail="no seriousness criterion is Y", code=code
            )
        )
    return collect(tables)


def check_criterion_without_serious(frames: Frames, standards: Standards) -> FindingsTable:
    """A seriousness criterion = Y needs AESER = Y (CORE-000022 / CG0041)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        any_y, names = _criteria(ae)
        bad = any_y & (text(ae, "AESER") != "Y").fillna(True)
        tables.append(
            make_findings(name, ae, bad, variable="AESER", detail=Detail(names, " is Y"), code=code)
        )
    return collect(tables)


def check_fatal_outcome_without_death_criterion(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """AEOUT = FATAL needs AESDTH = Y (P21 SD0090)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        bad = (text(ae, "AEOUT") == "FATAL").fillna(False) & (text(ae, "AESDTH") != "Y").fillna(
            True
        )
        tables.append(
            make_findings(name, ae, bad, variable="AESDTH", detail="AEOUT is FATAL", code=code)
        )
    return collect(tables)


def check_death_criterion_without_fatal_outcome(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """AESDTH = Y needs AEOUT = FATAL (P21 SD0091)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        bad = (text(ae, "AESDTH") == "Y").fillna(False) & (text(ae, "AEOUT") != "FATAL").fillna(
            True
        )
        detail = Detail("AESDTH is Y, AEOUT is ", text(ae, "AEOUT").fillna("null"))
        tables.append(make_findings(name, ae, bad, variable="AEOUT", detail=detail, code=code))
    return collect(tables)


def check_resolved_without_end_date(frames: Frames, standards: Standards) -> FindingsTable:
    """AEOUT = RECOVERED/RESOLVED needs AEENDTC (CORE-000659 / FB3410)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        bad = (text(ae, "AEOUT") == "RECOVERED/RESOLVED").fillna(False) & text(ae, "AEENDTC").isna()
        tables.append(
            make_findings(
                name, ae, bad, variable="AEENDTC", detail="AEOUT is RECOVERED/RESOLVED", code=code
            )
        )
    return collect(tables)


def check_unresolved_with_end_date(frames: Frames, standards: Standards) -> FindingsTable:
    """AEOUT = NOT RECOVERED/NOT RESOLVED has no AEENDTC (CORE-000657 / FB3409)."""
    tables = []
    for name, code, ae in datasets(frames, "AE"):
        bad = (text(ae, "AEOUT") == "NOT RECOVERED/NOT RESOLVED").fillna(False) & text(
            ae, "AEENDTC"
        ).notna()
        tables.append(
            make_findings(
                name,
                ae,
                bad,
                variable="AEENDTC",
                detail="AEOUT is NOT RECOVERED/NOT RESOLVED",
                code=code,
            )
        )
    return collect(tables)
