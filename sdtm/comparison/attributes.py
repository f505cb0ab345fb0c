"""Compare the metadata of two versions of a dataset: label, variables, types, lengths, order.

The readers (``sdtm.read.sdtm_package`` for XPT, ``sdtm.read.dataset_json``) leave each file's
metadata in ``frame.attrs``: ``dataset_label``, and per variable ``labels``, ``types``,
``lengths`` and ``formats``. A fact a file does not record (a Dataset-JSON numeric column has no
length) is not compared; an empty format and no format are the same.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.comparison.engine import is_numeric
from sdtm.comparison.result import ATTRIBUTE_COLUMNS, empty_frame

PRESENT = "present"
ABSENT = "absent"


def _upper_keys(mapping: object) -> dict[str, object]:
    if not isinstance(mapping, Mapping):
        return {}
    return {str(key).upper(): value for key, value in mapping.items()}


def variable_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the attributes of each variable of a dataset.

    Args:
        frame: A dataset as the readers return it (upper-case column names).

    Returns:
        One row per variable: ``variable``, ``position`` (1-based), ``label``, ``type``,
        ``length`` and ``format``. ``type`` falls back to the column's dtype
        and ``label`` to empty when the file's metadata lacks them; ``length`` is ``None`` when
        unknown.
    """
    labels = _upper_keys(frame.attrs.get("labels"))
    types = _upper_keys(frame.attrs.get("types"))
    lengths = _upper_keys(frame.attrs.get("lengths"))
    formats = _upper_keys(frame.attrs.get("formats"))
    rows = []
    for position, name in enumerate(frame.columns, start=1):
        kind = types.get(name) or ("Num" if is_numeric(frame[name]) else "Char")
        length = lengths.get(name)
        rows.append(
            {
                "variable": name,
                "position": position,
                "label": str(labels.get(name) or ""),
                "type": kind,
                "length": int(length) if length is not None else None,
                "format": str(formats.get(name) or ""),
            }
        )
    return pd.DataFrame(rows, columns=["variable", "position", "label", "type", "length", "format"])


def compare_attributes(
    name: str, base: pd.DataFrame, compare: pd.DataFrame, ignore: tuple[str, ...]
) -> pd.DataFrame:
    """Return the differing attributes of two versions of dataset ``name``.

    Compared: the dataset label; each variable's presence, label, type (``Char``/``Num``),
    length and format; and the order of the variables both versions hold (a variable added or
    removed does not make the others out of order).

    Args:
        name: Dataset name.
        base: Base version.
        compare: Compare version.
        ignore: Variables left out of every comparison.

    Returns:
        One row per difference (``ATTRIBUTE_COLUMNS``), in base variable order.
    """
    rows: list[tuple[str, str, str, object, object]] = []
    base_label = str(base.attrs.get("dataset_label") or "")
    compare_label = str(compare.attrs.get("dataset_label") or "")
    if base_label != compare_label:
        rows.append((name, "", "dataset label", base_label, compare_label))
    left = variable_attributes(base).set_index("variable")
    right = variable_attributes(compare).set_index("variable")
    names = [v for v in left.index if v not in ignore]
    names += [v for v in right.index if v not in ignore and v not in left.index]
    common = [v for v in names if v in left.index and v in right.index]
    base_rank = {v: i for i, v in enumerate(v for v in left.index if v in common)}
    compare_rank = {v: i for i, v in enumerate(v for v in right.index if v in common)}
    for variable in names:
        if variable not in right.index or variable not in left.index:
            in_base = variable in left.index
            rows.append(
                (
                    name,
                    variable,
                    "presence",
                    PRESENT if in_base else ABSENT,
                    ABSENT if in_base else PRESENT,
                )
            )
            continue
        before, after = left.loc[variable], right.loc[variable]
        for attribute in ("label", "type", "length", "format"):
            one, other = before[attribute], after[attribute]
            if attribute == "length" and (pd.isna(one) or pd.isna(other)):
                continue
            if one != other:
                shown = (int(one), int(other)) if attribute == "length" else (one, other)
                rows.append((name, variable, attribute, *shown))
        if base_rank[variable] != compare_rank[variable]:
            rows.append((name, variable, "order", int(before["position"]), int(after["position"])))
    if not rows:
        return empty_frame(ATTRIBUTE_COLUMNS)
    return pd.DataFrame(rows, columns=list(ATTRIBUTE_COLUMNS))
