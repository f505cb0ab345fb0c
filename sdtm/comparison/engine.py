"""Compare two versions of one dataset: attributes, records matched on keys, values.

Everything is vectorized so that a million-record pair takes seconds:

* keys are factorized once over both versions together (text is normalized on the distinct
  values only), giving one integer key id per record;
* a key id seen once in each version pairs two records directly; a key id seen more than once
  in a version (a key that is not unique) pairs records only when their full content is equal,
  or when exactly one record of that key is left on each side. Nothing is paired by guesswork,
  and every such key is listed in ``duplicate_keys``;
* values are compared column by column on the paired rows: exact comparison first, and only the
  values that differ are normalized (missing text, blanks, case) and compared again.

SAS transport files cannot hold trailing blanks or tell an empty text from a missing one, so
both are never differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from sdtm.comparison.result import (
    DUPLICATE_COLUMNS,
    EXAMPLE_COLUMNS,
    RECORD_COLUMNS,
    VALUE_COLUMNS,
    CompareOptions,
    empty_frame,
)

_NO_KEY_IN_OTHER = "no record with this key in {other}"
_NO_POSITION_IN_OTHER = "no record at this position in {other}"
_DUPLICATE_UNPAIRED = "key not unique; no record with the same key and values in {other}"


@dataclass(frozen=True, slots=True)
class Pairing:
    """How the records of two versions of a dataset correspond."""

    base_rows: np.ndarray
    """0-based base record of each pair, ascending."""
    compare_rows: np.ndarray
    """0-based compare record of each pair."""
    records: pd.DataFrame
    """Records in one version only (``RECORD_COLUMNS``)."""
    duplicates: pd.DataFrame
    """Keys that are not unique in a version (``DUPLICATE_COLUMNS``)."""


@dataclass(frozen=True, slots=True)
class DatasetComparison:
    """The comparison of one dataset present in both packages."""

    attributes: pd.DataFrame
    """Differing attributes (``ATTRIBUTE_COLUMNS``)."""
    pairing: Pairing
    """Matched records, records in one version only, and non-unique keys."""
    values: pd.DataFrame
    """Per compared variable: records compared and differences (``VALUE_COLUMNS``)."""
    examples: pd.DataFrame
    """First differing values per variable (``EXAMPLE_COLUMNS``)."""


def is_numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers (not booleans)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def number_text(value: object) -> str:
    """Return a number as text the way a reviewer writes it: ``1`` for 1.0, ``0.1`` for 0.1."""
    number = float(value)  # type: ignore[arg-type]
    if np.isnan(number):
        return ""
    if np.isfinite(number) and number == int(number) and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def normalize_text(values: pd.Series, options: CompareOptions) -> pd.Series:
    """Return ``values`` as comparable text.

    Missing values become ``""``, numbers their :func:`number_text`, trailing blanks are dropped
    (SAS pads text with blanks), leading blanks too with ``options.trim``, and letters are upper
    case with ``options.ignore_case``.
    """
    out = pd.Series(values, dtype="object").reset_index(drop=True)
    missing = out.isna().to_numpy()
    numbers = out.map(_is_number).to_numpy(dtype=bool) & ~missing
    out = out.where(~missing, "")
    if numbers.any():
        out[numbers] = [number_text(v) for v in out[numbers]]
    text = out.astype(str).str.rstrip(" ")
    if options.trim:
        text = text.str.strip()
    if options.ignore_case:
        text = text.str.upper()
    return text


def _codes(base: pd.Series, compare: pd.Series, options: CompareOptions) -> np.ndarray:
    """Return one integer per record of both versions; equal codes mean equal key values.

    Numbers in both versions are matched exactly (tolerance does not apply to keys); anything
    else is matched as normalized text, normalizing only the distinct values.
    """
    both = pd.concat([base, compare], ignore_index=True)
    if is_numeric(base) and is_numeric(compare):
        codes, _ = pd.factorize(both.astype("float64"), use_na_sentinel=True)
        return codes
    codes, uniques = pd.factorize(both.astype("object"), use_na_sentinel=True)
    normal = normalize_text(pd.Series(uniques, dtype="object"), options)
    # The appended blank is last, so a missing value (code -1) reads the code of empty text:
    # missing and empty text are one value.
    lookup, _ = pd.factorize(pd.concat([normal, pd.Series([""])], ignore_index=True))
    return lookup[codes]


def key_ids(
    base: pd.DataFrame, compare: pd.DataFrame, keys: tuple[str, ...], options: CompareOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Return the key id of every base and compare record; equal ids mean equal keys.

    Without keys, the id is the record's position, so records are matched in file order.
    """
    n_base, n_compare = len(base), len(compare)
    if not keys:
        return np.arange(n_base), np.arange(n_compare)
    codes = pd.DataFrame({key: _codes(base[key], compare[key], options) for key in keys})
    ids = codes.groupby(list(keys), sort=False).ngroup().to_numpy()
    return ids[:n_base], ids[n_base:]


def key_text(frame: pd.DataFrame, keys: tuple[str, ...], rows: np.ndarray) -> pd.Series:
    """Return ``KEY=value, ...`` for the 0-based ``rows`` (``record N`` without keys)."""
    if not keys:
        return pd.Series([f"record {row + 1}" for row in rows], dtype="object")
    parts = []
    for key in keys:
        values = frame[key].iloc[rows].reset_index(drop=True)
        text = values.map(number_text) if is_numeric(values) else values.astype("object").fillna("")
        parts.append(key + "=" + text.astype(str).str.rstrip(" "))
    out = parts[0]
    for part in parts[1:]:
        out = out + ", " + part
    return out.astype("object")


def _content_ids(
    base: pd.DataFrame,
    compare: pd.DataFrame,
    base_rows: np.ndarray,
    compare_rows: np.ndarray,
    variables: list[str],
    options: CompareOptions,
) -> np.ndarray:
    """Return an id per listed record of both versions; equal ids mean equal values."""
    if not variables:
        return np.zeros(len(base_rows) + len(compare_rows), dtype=np.int64)
    columns = {}
    for variable in variables:
        columns[variable] = _codes(
            base[variable].iloc[base_rows].reset_index(drop=True),
            compare[variable].iloc[compare_rows].reset_index(drop=True),
            options,
        )
    return pd.DataFrame(columns).groupby(variables, sort=False).ngroup().to_numpy()


def _group_rows(ids: np.ndarray, rows: np.ndarray) -> dict[int, list[int]]:
    order = np.argsort(ids, kind="stable")
    sorted_ids, sorted_rows = ids[order], rows[order]
    bounds = np.flatnonzero(np.diff(sorted_ids)) + 1
    return {
        int(group[0]): chunk.tolist()
        for group, chunk in zip(
            np.split(sorted_ids, bounds), np.split(sorted_rows, bounds), strict=True
        )
        if len(group)
    }


def pair_records(
    name: str,
    base: pd.DataFrame,
    compare: pd.DataFrame,
    keys: tuple[str, ...],
    variables: list[str],
    options: CompareOptions,
) -> Pairing:
    """Match the records of two versions of dataset ``name`` on ``keys``.

    Args:
        name: Dataset name (for the output tables).
        base: Base version.
        compare: Compare version.
        keys: Key variables (present in both); empty matches records by position.
        variables: The compared variables, used to pair records of a key that is not unique.
        options: Text normalization of keys (``trim``, ``ignore_case``).

    Returns:
        The pairs, the records in one version only, and the keys that are not unique.
    """
    base_ids, compare_ids = key_ids(base, compare, keys, options)
    size = int(max(base_ids.max(initial=-1), compare_ids.max(initial=-1))) + 1
    base_count = np.bincount(base_ids, minlength=size)
    compare_count = np.bincount(compare_ids, minlength=size)
    base_at = np.full(size, -1, dtype=np.int64)
    base_at[base_ids] = np.arange(len(base_ids))
    compare_at = np.full(size, -1, dtype=np.int64)
    compare_at[compare_ids] = np.arange(len(compare_ids))
    single = np.flatnonzero((base_count == 1) & (compare_count == 1))
    pairs_base = [base_at[single]]
    pairs_compare = [compare_at[single]]
    records = []
    reason = _NO_POSITION_IN_OTHER if not keys else _NO_KEY_IN_OTHER
    base_only = np.flatnonzero(compare_count[base_ids] == 0)
    compare_only = np.flatnonzero(base_count[compare_ids] == 0)
    records.append(
        _record_rows(name, "base", base, keys, base_only, reason.format(other="compare"))
    )
    records.append(
        _record_rows(name, "compare", compare, keys, compare_only, reason.format(other="base"))
    )
    shared_duplicate = (
        (base_count > 0) & (compare_count > 0) & ((base_count > 1) | (compare_count > 1))
    )
    if shared_duplicate.any():
        paired_b, paired_c, left_b, left_c = _pair_duplicates(
            base, compare, base_ids, compare_ids, shared_duplicate, variables, options
        )
        pairs_base.append(paired_b)
        pairs_compare.append(paired_c)
        records.append(
            _record_rows(
                name, "base", base, keys, left_b, _DUPLICATE_UNPAIRED.format(other="compare")
            )
        )
        records.append(
            _record_rows(
                name, "compare", compare, keys, left_c, _DUPLICATE_UNPAIRED.format(other="base")
            )
        )
    base_rows = np.concatenate(pairs_base)
    compare_rows = np.concatenate(pairs_compare)
    order = np.argsort(base_rows, kind="stable")
    duplicates = pd.concat(
        [
            _duplicate_rows(name, "base", base, keys, base_ids, base_count),
            _duplicate_rows(name, "compare", compare, keys, compare_ids, compare_count),
        ],
        ignore_index=True,
    )
    return Pairing(
        base_rows=base_rows[order],
        compare_rows=compare_rows[order],
        records=_concat(records, RECORD_COLUMNS).sort_values(
            ["side", "row"], kind="stable", ignore_index=True
        ),
        duplicates=duplicates,
    )


def _pair_duplicates(
    base: pd.DataFrame,
    compare: pd.DataFrame,
    base_ids: np.ndarray,
    compare_ids: np.ndarray,
    shared_duplicate: np.ndarray,
    variables: list[str],
    options: CompareOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair the records of keys that are not unique; return pairs and records left over.

    Records with equal values are interchangeable, so they are paired first, in file order. A
    key left with exactly one record on each side pairs those two (their values then differ).
    Anything else stays unpaired.
    """
    rows_b = np.flatnonzero(shared_duplicate[base_ids])
    rows_c = np.flatnonzero(shared_duplicate[compare_ids])
    content = _content_ids(base, compare, rows_b, rows_c, variables, options)
    table = pd.DataFrame(
        {
            "side": np.repeat(np.array([0, 1]), [len(rows_b), len(rows_c)]),
            "key": np.concatenate([base_ids[rows_b], compare_ids[rows_c]]),
            "content": content,
            "row": np.concatenate([rows_b, rows_c]),
        }
    )
    table["occurrence"] = table.groupby(["side", "key", "content"], sort=False).cumcount()
    on = ["key", "content", "occurrence"]
    exact = table[table["side"] == 0].merge(table[table["side"] == 1], on=on, how="inner")
    paired_b = exact["row_x"].to_numpy()
    paired_c = exact["row_y"].to_numpy()
    left_b = np.setdiff1d(rows_b, paired_b)
    left_c = np.setdiff1d(rows_c, paired_c)
    left_ids_b, left_ids_c = base_ids[left_b], compare_ids[left_c]
    size = len(shared_duplicate)
    count_b = np.bincount(left_ids_b, minlength=size)
    count_c = np.bincount(left_ids_c, minlength=size)
    lone = (count_b == 1) & (count_c == 1)
    lone_b = left_b[lone[left_ids_b]]
    lone_c = left_c[lone[left_ids_c]]
    # Both are in key id order once sorted by id, so the n-th of each belong together.
    lone_b = lone_b[np.argsort(base_ids[lone_b], kind="stable")]
    lone_c = lone_c[np.argsort(compare_ids[lone_c], kind="stable")]
    return (
        np.concatenate([paired_b, lone_b]).astype(np.int64),
        np.concatenate([paired_c, lone_c]).astype(np.int64),
        left_b[~lone[left_ids_b]],
        left_c[~lone[left_ids_c]],
    )


def _record_rows(
    name: str, side: str, frame: pd.DataFrame, keys: tuple[str, ...], rows: np.ndarray, reason: str
) -> pd.DataFrame:
    if not len(rows):
        return empty_frame(RECORD_COLUMNS)
    return pd.DataFrame(
        {
            "dataset": name,
            "side": side,
            "row": rows + 1,
            "key": key_text(frame, keys, rows).to_numpy(),
            "reason": reason,
        }
    )


def _duplicate_rows(
    name: str,
    side: str,
    frame: pd.DataFrame,
    keys: tuple[str, ...],
    ids: np.ndarray,
    counts: np.ndarray,
) -> pd.DataFrame:
    rows = np.flatnonzero(counts[ids] > 1)
    if not len(rows):
        return empty_frame(DUPLICATE_COLUMNS)
    groups = _group_rows(ids[rows], rows)
    firsts = np.array([members[0] for members in groups.values()])
    return pd.DataFrame(
        {
            "dataset": name,
            "side": side,
            "key": key_text(frame, keys, firsts).to_numpy(),
            "records": [len(members) for members in groups.values()],
            "rows": [", ".join(str(r + 1) for r in members) for members in groups.values()],
        }
    ).sort_values("rows", key=lambda s: s.str.split(",").str[0].astype(int), ignore_index=True)


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    present = [frame for frame in frames if len(frame)]
    if not present:
        return empty_frame(columns)
    return pd.concat(present, ignore_index=True).loc[:, list(columns)]


def _differing(
    base: pd.Series, compare: pd.Series, options: CompareOptions
) -> tuple[str, np.ndarray]:
    """Return the comparison kind and the positions where two aligned columns differ."""
    if is_numeric(base) and is_numeric(compare):
        left = base.to_numpy(dtype="float64", na_value=np.nan)
        right = compare.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            same = (left == right) | (np.isnan(left) & np.isnan(right))
            same |= np.abs(left - right) <= options.tolerance
        return "numeric", np.flatnonzero(~same)
    left = base.to_numpy(dtype="object")
    right = compare.to_numpy(dtype="object")
    # Exact comparison first; only the values that differ are normalized and compared again.
    candidates = np.flatnonzero(left != right)
    if not len(candidates):
        return "text", candidates
    normal_left = normalize_text(pd.Series(left[candidates], dtype="object"), options)
    normal_right = normalize_text(pd.Series(right[candidates], dtype="object"), options)
    return "text", candidates[(normal_left != normal_right).to_numpy()]


def _shown(values: np.ndarray) -> list[object]:
    """Values as a report shows them: ``None`` for missing, Python numbers and text."""
    out: list[object] = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
        else:
            out.append(value)
    return out


def compare_values(
    name: str,
    base: pd.DataFrame,
    compare: pd.DataFrame,
    pairing: Pairing,
    keys: tuple[str, ...],
    variables: list[str],
    options: CompareOptions,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare ``variables`` on the paired records.

    Numbers are equal when both are missing or they differ by at most ``options.tolerance``.
    Text is compared exactly, except that missing equals empty, trailing blanks never count,
    and ``options.trim``/``options.ignore_case`` relax it further. A variable that is numeric in
    one version and text in the other is compared as text (numbers written as ``1`` or ``0.5``).

    Returns:
        Per variable counts (``VALUE_COLUMNS``) and the first ``options.max_examples``
        differences of each variable (``EXAMPLE_COLUMNS``).
    """
    counts = []
    examples = []
    compared = len(pairing.base_rows)
    for variable in variables:
        left = base[variable].iloc[pairing.base_rows].reset_index(drop=True)
        right = compare[variable].iloc[pairing.compare_rows].reset_index(drop=True)
        kind, differing = _differing(left, right, options)
        counts.append((name, variable, kind, compared, len(differing)))
        if not len(differing) or options.max_examples <= 0:
            continue
        shown = differing[: options.max_examples]
        base_rows = pairing.base_rows[shown]
        examples.append(
            pd.DataFrame(
                {
                    "dataset": name,
                    "variable": variable,
                    "key": key_text(base, keys, base_rows).to_numpy(),
                    "base_row": base_rows + 1,
                    "compare_row": pairing.compare_rows[shown] + 1,
                    "base_value": pd.Series(_shown(left.to_numpy()[shown]), dtype="object"),
                    "compare_value": pd.Series(_shown(right.to_numpy()[shown]), dtype="object"),
                }
            )
        )
    values = (
        pd.DataFrame(counts, columns=list(VALUE_COLUMNS)) if counts else empty_frame(VALUE_COLUMNS)
    )
    return values, _concat(examples, EXAMPLE_COLUMNS)
