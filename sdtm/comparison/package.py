"""Compare two SDTM packages: independent double-programming QC (PROC COMPARE for SDTM).

:func:`compare` reads two packages (folders of XPT or Dataset-JSON files, or one file each) with
the project's readers and compares them dataset by dataset; :func:`compare_frames` does the same
for frames already in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sdtm.comparison.attributes import compare_attributes
from sdtm.comparison.engine import compare_values, pair_records
from sdtm.comparison.keys import ALL_DATASETS, choose_keys
from sdtm.comparison.result import (
    ATTRIBUTE_COLUMNS,
    DATASET_COLUMNS,
    DUPLICATE_COLUMNS,
    EXAMPLE_COLUMNS,
    RECORD_COLUMNS,
    STATUS_DIFFERENT,
    STATUS_IDENTICAL,
    STATUS_ONLY_BASE,
    STATUS_ONLY_COMPARE,
    VALUE_COLUMNS,
    CompareOptions,
    CompareResult,
    empty_frame,
)
from sdtm.errors import InputError
from sdtm.read.sdtm_package import read_sdtm_package
from sdtm.standards import load_standards
from sdtm.standards.model import Standards

KeysArgument = str | Sequence[str] | Mapping[str, Sequence[str]]
"""``"auto"``, key variables for every dataset, or key variables by dataset name."""

Package = Path | str | Mapping[str, pd.DataFrame]
"""A package on disk (folder or single file) or its frames by dataset name."""


def read_package(
    path: Path, *, encoding: str = "utf-8"
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Read a package for comparison.

    Args:
        path: Folder of ``.xpt`` files (or, without any, Dataset-JSON ``.json``/``.ndjson``
            files), or one such file.
        encoding: Text encoding of XPT files.

    Returns:
        Frames by upper-case dataset name, and notes on values read with a fallback encoding.

    Raises:
        InputError: The path does not exist or holds no dataset, or a file cannot be read: a
            comparison that silently skipped a dataset could pass a QC gate it should fail.
    """
    frames, findings = read_sdtm_package(Path(path), encoding=encoding)
    table = findings.frame
    unreadable = table[table["rule_id"] == "ST0017"]
    if len(unreadable):
        raise InputError(
            f"{path}: cannot read "
            + "; ".join(f"{row.source_file}: {row.message}" for row in unreadable.itertuples())
        )
    notes = [f"{path}: {message}" for message in table["message"].dropna().tolist()]
    return frames, notes


def options_from(
    *,
    datasets: Sequence[str] | None = None,
    keys: KeysArgument = "auto",
    tolerance: float = 1e-9,
    ignore: Sequence[str] = (),
    trim: bool = False,
    ignore_case: bool = False,
    max_examples: int = 20,
) -> CompareOptions:
    """Build :class:`CompareOptions` from the arguments of :func:`compare`.

    Raises:
        InputError: The tolerance is negative or not a number, or ``max_examples`` negative.
    """
    if not tolerance >= 0:
        raise InputError(f"tolerance must be a number >= 0, not {tolerance!r}")
    if max_examples < 0:
        raise InputError(f"max_examples must be >= 0, not {max_examples!r}")
    if isinstance(keys, str):
        if keys.strip().lower() != "auto":
            raise InputError(f"keys must be 'auto', a list of variables or a mapping, not {keys!r}")
        by_dataset: dict[str, tuple[str, ...]] = {}
    elif isinstance(keys, Mapping):
        by_dataset = {str(name): tuple(variables) for name, variables in keys.items()}
    else:
        by_dataset = {ALL_DATASETS: tuple(keys)}
    return CompareOptions(
        datasets=tuple(datasets) if datasets is not None else None,
        keys=by_dataset,
        tolerance=float(tolerance),
        ignore=tuple(ignore),
        trim=trim,
        ignore_case=ignore_case,
        max_examples=max_examples,
    )


def compare(
    base: Package,
    compare: Package,
    *,
    datasets: Sequence[str] | None = None,
    keys: KeysArgument = "auto",
    tolerance: float = 1e-9,
    ignore: Sequence[str] = (),
    trim: bool = False,
    ignore_case: bool = False,
    max_examples: int = 20,
    standards: Standards | None = None,
    encoding: str = "utf-8",
) -> CompareResult:
    """Compare two SDTM packages, as PROC COMPARE does for double-programmed datasets.

    Records are matched on each dataset's natural key from the SDTMIG metadata in ``specs/``
    (not on ``--SEQ``, which independent programs number differently).

    Args:
        base: The base package: a folder of XPT or Dataset-JSON files, one such file, or frames
            by dataset name.
        compare: The compare package, in any of the same forms.
        datasets: Dataset names to compare; ``None`` compares all.
        keys: ``"auto"`` (SDTMIG keys), a list of key variables for every dataset, or a mapping
            of dataset name to key variables (other datasets keep their SDTMIG keys).
        tolerance: Numbers differing by at most this are equal.
        ignore: Variables left out of the attribute and value comparison.
        trim: Ignore leading blanks in text too (trailing blanks never count).
        ignore_case: Compare text regardless of letter case.
        max_examples: Value differences kept per variable as examples (counts are complete).
        standards: SDTMIG metadata; ``None`` loads the project's ``specs/``.
        encoding: Text encoding of XPT files.

    Returns:
        The comparison at dataset, attribute, record and value level, with its verdict.

    Raises:
        InputError: A package cannot be read, a named dataset is in neither package, or a key
            variable given is missing.

    Example:
        >>> import pandas as pd
        >>> base = {"DM": pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AGE": [34.0]})}
        >>> other = {"DM": pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AGE": [35.0]})}
        >>> compare(base, other).verdict
        'DIFFERENT: 1 of 1 dataset(s) differ: DM (1 value(s) in 1 variable(s))'
    """
    options = options_from(
        datasets=datasets,
        keys=keys,
        tolerance=tolerance,
        ignore=ignore,
        trim=trim,
        ignore_case=ignore_case,
        max_examples=max_examples,
    )
    notes: list[str] = []
    loaded = []
    for package in (base, compare):
        if isinstance(package, Mapping):
            loaded.append((dict(package), "<frames>"))
            continue
        frames, read_notes = read_package(Path(package), encoding=encoding)
        notes += read_notes
        loaded.append((frames, str(package)))
    return compare_frames(
        loaded[0][0],
        loaded[1][0],
        options,
        standards if standards is not None else load_standards(),
        base_label=loaded[0][1],
        compare_label=loaded[1][1],
        notes=tuple(notes),
    )


def _upper_columns(frame: pd.DataFrame) -> pd.DataFrame:
    if all(str(c) == str(c).upper() for c in frame.columns):
        return frame
    renamed = frame.rename(columns=lambda c: str(c).upper())
    renamed.attrs = dict(frame.attrs)
    return renamed


def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` without its file metadata, once the attributes have been compared.

    pandas deep-copies ``attrs`` into every column and row selection; the metadata of a wide
    dataset made that the largest cost of comparing values.
    """
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare


def compare_frames(
    base: Mapping[str, pd.DataFrame],
    compare: Mapping[str, pd.DataFrame],
    options: CompareOptions,
    standards: Standards,
    *,
    base_label: str = "<frames>",
    compare_label: str = "<frames>",
    notes: tuple[str, ...] = (),
) -> CompareResult:
    """Compare two packages held as frames by dataset name (see :func:`compare`).

    Raises:
        InputError: A dataset in ``options.datasets`` is in neither package, or a key variable
            given in ``options.keys`` is missing from a dataset compared.
    """
    base = {str(k).upper(): _upper_columns(v) for k, v in base.items()}
    compare = {str(k).upper(): _upper_columns(v) for k, v in compare.items()}
    names = sorted(set(base) | set(compare))
    if options.datasets is not None:
        unknown = [d for d in options.datasets if d not in names]
        if unknown:
            raise InputError(
                f"--datasets: {', '.join(unknown)} in neither package "
                f"(datasets present: {', '.join(names) or 'none'})"
            )
        names = [n for n in names if n in options.datasets]
    summaries, attributes, records, values, examples, duplicates = [], [], [], [], [], []
    all_notes = list(notes)
    for name in names:
        if name not in compare or name not in base:
            summaries.append(_one_side_summary(name, base.get(name), compare.get(name)))
            continue
        differing_attributes = compare_attributes(name, base[name], compare[name], options.ignore)
        left, right = _bare(base[name]), _bare(compare[name])
        choice = choose_keys(name, left, right, options, standards)
        all_notes += choice.notes
        excluded = set(choice.keys) | set(options.ignore)
        variables = [v for v in left.columns if v in right.columns and v not in excluded]
        pairing = pair_records(name, left, right, choice.keys, variables, options)
        value_counts, value_examples = compare_values(
            name, left, right, pairing, choice.keys, variables, options
        )
        attributes.append(differing_attributes)
        records.append(pairing.records)
        values.append(value_counts)
        examples.append(value_examples)
        duplicates.append(pairing.duplicates)
        only = pairing.records["side"].value_counts()
        differing = value_counts[value_counts["differences"] > 0]
        summary = {
            "dataset": name,
            "in_base": True,
            "in_compare": True,
            "base_records": len(left),
            "compare_records": len(right),
            "keys": ", ".join(choice.keys),
            "key_source": choice.source,
            "matched": len(pairing.base_rows),
            "only_base": int(only.get("base", 0)),
            "only_compare": int(only.get("compare", 0)),
            "attribute_differences": len(differing_attributes),
            "value_differences": int(differing["differences"].sum()),
            "variables_differing": len(differing),
            "duplicate_keys": int(pairing.duplicates["key"].nunique()),
        }
        different = any(
            summary[k]
            for k in ("only_base", "only_compare", "attribute_differences", "value_differences")
        )
        summary["status"] = STATUS_DIFFERENT if different else STATUS_IDENTICAL
        summaries.append(summary)
        if summary["duplicate_keys"]:
            all_notes.append(
                f"{name}: {summary['duplicate_keys']} key value(s) not unique "
                f"(keys {', '.join(choice.keys)}); records with equal values were paired, the "
                "rest are listed as in one package only; see duplicate_keys, or give --keys"
            )
    return CompareResult(
        base=base_label,
        compare=compare_label,
        options=options,
        datasets=_frame(summaries, DATASET_COLUMNS),
        attributes=_stack(attributes, ATTRIBUTE_COLUMNS),
        records=_stack(records, RECORD_COLUMNS),
        values=_stack(values, VALUE_COLUMNS),
        examples=_stack(examples, EXAMPLE_COLUMNS),
        duplicate_keys=_stack(duplicates, DUPLICATE_COLUMNS),
        notes=tuple(all_notes),
    )


def _one_side_summary(
    name: str, base: pd.DataFrame | None, compare: pd.DataFrame | None
) -> dict[str, object]:
    return {
        "dataset": name,
        "in_base": base is not None,
        "in_compare": compare is not None,
        "base_records": len(base) if base is not None else None,
        "compare_records": len(compare) if compare is not None else None,
        "keys": "",
        "key_source": "",
        "matched": 0,
        "only_base": 0,
        "only_compare": 0,
        "attribute_differences": 0,
        "value_differences": 0,
        "variables_differing": 0,
        "duplicate_keys": 0,
        "status": STATUS_ONLY_BASE if compare is None else STATUS_ONLY_COMPARE,
    }


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    if not rows:
        return empty_frame(columns)
    frame = pd.DataFrame(rows, columns=list(columns))
    for column in ("base_records", "compare_records"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _stack(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    present = [frame for frame in frames if len(frame)]
    if not present:
        return empty_frame(columns)
    return pd.concat(present, ignore_index=True).loc[:, list(columns)]
