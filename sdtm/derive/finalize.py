"""The last step of the derive stage: datasets reduced to their SDTM variables, in IG order.

Working columns (provenance ``_src_*``, ``_rec``, SUPP and RELREC link columns, mapping
working columns starting with ``_``) are dropped, Required and Expected variables the study
did not fill are added empty, variables are put in SDTMIG order, and ``Num`` variables are
typed as numbers (values that are not numbers were reported before, MP0016).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.mapping.algorithms import SRC_FILE, SRC_ROW
from sdtm.mapping.engine import LINK_PREFIX, SUPP_PREFIX
from sdtm.standards import Standards


def finalize_dataset(frame: pd.DataFrame, name: str, standards: Standards) -> pd.DataFrame:
    """Keep SDTM variables only, in IG order (Req/Exp added when missing), typed per the IG.

    Args:
        frame: A derived dataset with working columns.
        name: Dataset name (``AE``, ``SUPPAE``).
        standards: SDTMIG metadata of the dataset.

    Returns:
        A new frame with a fresh index.
    """
    internal = [c for c in frame.columns if c.startswith(("_", SUPP_PREFIX, LINK_PREFIX))]
    out = frame.drop(columns=internal)
    domain = standards.domain(name)
    if domain is None:
        return out.reset_index(drop=True)
    for variable in domain.variables:
        if variable.name not in out.columns and variable.core in ("Req", "Exp"):
            if name.startswith("SUPP") and variable.name == "RDOMAIN":
                continue
            out[variable.name] = pd.Series(pd.NA, index=out.index, dtype="string")
    order = [v.name for v in domain.declared_variables if v.name in out.columns]
    extra = [c for c in out.columns if c not in order]
    out = out.loc[:, order + extra]
    for variable in domain.variables:
        if variable.name in out.columns and variable.data_type == "Num":
            out[variable.name] = pd.to_numeric(out[variable.name], errors="coerce")
    return out.reset_index(drop=True)


def provenance_of(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Raw file and row of each record of each dataset, by final row position.

    Args:
        frames: Derived datasets still holding ``_src_file``/``_src_row``.

    Returns:
        Per dataset with provenance: a frame of ``_src_file``, ``_src_row`` whose row ``i`` is
        the source of the finalized dataset's row ``i``.
    """
    return {
        name: frame[[SRC_FILE, SRC_ROW]].reset_index(drop=True)
        for name, frame in frames.items()
        if SRC_FILE in frame.columns
    }
