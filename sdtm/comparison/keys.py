"""Which variables identify a record when two versions of a dataset are matched.

SDTM's surrogate key ``--SEQ`` is assigned by each programmer's own sort, so two independent
programs rarely agree on it. Records are matched on the dataset's natural key instead: the keys
``specs/sdtmig-3.4/domains/<DOMAIN>.yaml`` lists for it (SDTMIG 3.4 section 3.2.1.1), which
``SUPPxx`` and split datasets (``LBCH``) inherit from SUPPQUAL and their domain. A user's
``--keys`` overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sdtm.comparison.result import CompareOptions
from sdtm.errors import InputError
from sdtm.export.metadata import find_domain_spec
from sdtm.standards.model import Standards

ALL_DATASETS = "*"
"""Entry of ``CompareOptions.keys`` that applies to every dataset without its own entry."""


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """The key variables chosen for one dataset, and why."""

    keys: tuple[str, ...]
    """Key variables in key order; empty means records are matched by their position."""
    source: str
    """Where the keys came from, in words (shown in every report)."""
    notes: tuple[str, ...] = ()
    """Anything about the choice a reviewer must know (a key variable in one package only)."""


def choose_keys(
    name: str,
    base: pd.DataFrame,
    compare: pd.DataFrame,
    options: CompareOptions,
    standards: Standards,
) -> KeyChoice:
    """Return the key variables to match the records of dataset ``name`` on.

    Args:
        name: Upper-case dataset name.
        base: The base version (upper-case column names).
        compare: The compare version (upper-case column names).
        options: ``options.keys`` overrides the SDTMIG keys for this dataset (or for all).
        standards: The SDTMIG metadata holding each domain's natural keys.

    Returns:
        The keys present in both versions, in the standard's order; with no SDTMIG keys for
        the dataset (a custom domain) the records are matched by position, which the source
        text says.

    Raises:
        InputError: A variable given with ``--keys`` is missing from either version.
    """
    given = options.keys.get(name) or options.keys.get(ALL_DATASETS)
    if given:
        for side, frame in (("base", base), ("compare", compare)):
            missing = [key for key in given if key not in frame.columns]
            if missing:
                raise InputError(
                    f"--keys for {name}: {', '.join(missing)} not a variable of {name} in the "
                    f"{side} package (give keys per dataset as {name}=VAR,VAR or select the "
                    "datasets with --datasets)"
                )
        return KeyChoice(keys=tuple(given), source="--keys")
    spec = find_domain_spec(name, base, standards) or find_domain_spec(name, compare, standards)
    if spec is None:
        return KeyChoice(
            keys=(),
            source="record order",
            notes=(
                f"{name}: no SDTMIG keys for this dataset; records matched by position "
                f"(give --keys {name}=VAR,VAR to match by key)",
            ),
        )
    keys = tuple(k for k in spec.keys if k in base.columns and k in compare.columns)
    one_side = [k for k in spec.keys if (k in base.columns) != (k in compare.columns)]
    notes = ()
    if one_side:
        notes = (
            f"{name}: key variable(s) {', '.join(one_side)} in one package only; records "
            f"matched on {', '.join(keys) or 'record order'}",
        )
    source = f"SDTMIG {standards.sdtmig_version} {spec.name} keys"
    if not keys:
        return KeyChoice(keys=(), source="record order", notes=notes)
    return KeyChoice(keys=keys, source=source, notes=notes)
