"""What a comparison of two SDTM packages returns: its options and its five levels of result.

Every table is a long-format DataFrame whose columns are listed in the constants below, so an
empty result still has its columns (a report, a test or a spreadsheet can rely on them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

DATASET_COLUMNS: tuple[str, ...] = (
    "dataset",
    "in_base",
    "in_compare",
    "base_records",
    "compare_records",
    "keys",
    "key_source",
    "matched",
    "only_base",
    "only_compare",
    "attribute_differences",
    "value_differences",
    "variables_differing",
    "duplicate_keys",
    "status",
)
"""Dataset level: one row per dataset in either package."""

ATTRIBUTE_COLUMNS: tuple[str, ...] = ("dataset", "variable", "attribute", "base", "compare")
"""Attribute level: one row per differing attribute (``dataset label``, ``presence``,
``label``, ``type``, ``length``, ``format``, ``order``); ``variable`` is empty for the dataset
label."""

RECORD_COLUMNS: tuple[str, ...] = ("dataset", "side", "row", "key", "reason")
"""Record level: one row per record found in one package only; ``side`` is ``base`` or
``compare``, ``row`` its 1-based record number in that package's file."""

VALUE_COLUMNS: tuple[str, ...] = ("dataset", "variable", "kind", "compared", "differences")
"""Value level, per variable: records compared and values differing (``kind`` is ``numeric``
or ``text``). Every compared variable has a row, with 0 differences when all values agree."""

EXAMPLE_COLUMNS: tuple[str, ...] = (
    "dataset",
    "variable",
    "key",
    "base_row",
    "compare_row",
    "base_value",
    "compare_value",
)
"""Value level, examples: the first differing values of each variable, in base record order."""

DUPLICATE_COLUMNS: tuple[str, ...] = ("dataset", "side", "key", "records", "rows")
"""Keys that are not unique in a package: one row per key value and side, with its records."""

STATUS_IDENTICAL = "identical"
STATUS_DIFFERENT = "different"
STATUS_ONLY_BASE = "only in base"
STATUS_ONLY_COMPARE = "only in compare"


def empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    """Return an empty frame with ``columns``."""
    return pd.DataFrame(columns=list(columns), dtype="object")


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """How two packages are compared."""

    datasets: tuple[str, ...] | None = None
    """Upper-case dataset names to compare; ``None`` compares every dataset of both."""
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Key variables by dataset name, overriding the SDTMIG keys; ``"*"`` applies to every
    dataset without an entry of its own."""
    tolerance: float = 1e-9
    """Two numbers are equal when their absolute difference is at most this."""
    ignore: tuple[str, ...] = ()
    """Variables whose attributes and values are not compared (e.g. ``LBSEQ``)."""
    trim: bool = False
    """Ignore leading and trailing blanks in text (trailing blanks never count: SAS pads)."""
    ignore_case: bool = False
    """Compare text without regard to letter case."""
    max_examples: int = 20
    """Value differences kept as examples per variable (counts are always complete)."""

    def __post_init__(self) -> None:
        keys = {str(k).upper(): tuple(str(v).upper() for v in vs) for k, vs in self.keys.items()}
        object.__setattr__(self, "keys", MappingProxyType(keys))
        object.__setattr__(self, "ignore", tuple(str(v).upper() for v in self.ignore))
        if self.datasets is not None:
            object.__setattr__(self, "datasets", tuple(str(d).upper() for d in self.datasets))


@dataclass(frozen=True, slots=True)
class CompareResult:
    """The comparison of a base package with a compare package, at five levels.

    ``identical`` is the verdict a CI job gates on: no dataset, attribute, record or value
    difference beyond the tolerance. Keys that are not unique are listed in
    ``duplicate_keys``; their records count as differences only when they cannot be paired.
    """

    base: str
    """Where the base package came from (path, or ``<frames>``)."""
    compare: str
    """Where the compare package came from."""
    options: CompareOptions
    """The options used."""
    datasets: pd.DataFrame
    """Dataset level (``DATASET_COLUMNS``)."""
    attributes: pd.DataFrame
    """Attribute level (``ATTRIBUTE_COLUMNS``)."""
    records: pd.DataFrame
    """Record level (``RECORD_COLUMNS``)."""
    values: pd.DataFrame
    """Value level, per variable (``VALUE_COLUMNS``)."""
    examples: pd.DataFrame
    """Value level, first differences per variable (``EXAMPLE_COLUMNS``)."""
    duplicate_keys: pd.DataFrame
    """Key values that are not unique in a package (``DUPLICATE_COLUMNS``)."""
    notes: tuple[str, ...] = ()
    """What the reader should know: keys dropped, datasets compared by record order, files read
    with a fallback encoding."""

    @property
    def identical(self) -> bool:
        """Whether every dataset is identical within the options."""
        return bool((self.datasets["status"] == STATUS_IDENTICAL).all())

    @property
    def verdict(self) -> str:
        """One line a reviewer can sign: IDENTICAL or DIFFERENT, with what differs."""
        frame = self.datasets
        records = int(frame["base_records"].fillna(0).sum())
        if self.identical:
            return (
                f"IDENTICAL: {len(frame)} dataset(s), {records:,} base record(s), no differences "
                f"(numeric tolerance {self.options.tolerance:g})"
            )
        differing = frame[frame["status"] != STATUS_IDENTICAL].to_dict("records")
        parts = [f"{row['dataset']} ({_dataset_summary(row)})" for row in differing]
        return f"DIFFERENT: {len(differing)} of {len(frame)} dataset(s) differ: " + "; ".join(parts)


def _dataset_summary(row: Mapping[str, object]) -> str:
    """Describe in words what differs in one row of ``CompareResult.datasets``."""
    if row["status"] in (STATUS_ONLY_BASE, STATUS_ONLY_COMPARE):
        return str(row["status"])
    parts = []
    if row["value_differences"]:
        parts.append(
            f"{row['value_differences']:,} value(s) in {row['variables_differing']} variable(s)"
        )
    if row["only_base"]:
        parts.append(f"{row['only_base']:,} record(s) only in base")
    if row["only_compare"]:
        parts.append(f"{row['only_compare']:,} record(s) only in compare")
    if row["attribute_differences"]:
        parts.append(f"{row['attribute_differences']:,} attribute(s)")
    return ", ".join(parts)
