"""Export metadata of one dataset: variable order, labels, types and lengths.

``prepare_dataset`` is the one place that decides, for every writer (XPT, Dataset-JSON,
Define-XML), what a dataset looks like on disk. The standards (``DomainSpec``/``VariableSpec``)
win; a variable or dataset the standards do not know takes its label from the frame's own
metadata, held in ``DataFrame.attrs``:

* ``frame.attrs["dataset_label"]``: the dataset label;
* ``frame.attrs["labels"]``: a mapping of variable name to label.

(the convention of ``sdtm.read.sdtm_package``).

The readers of this project (``sdtm.read.xpt_v5``, ``sdtm.read.dataset_json``) fill both. Columns
whose names start with ``_`` are the pipeline's provenance columns (``_src_file``, ``_src_row``)
and are never exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sdtm.export.rules import findings_frame, make_finding
from sdtm.findings import FindingsTable
from sdtm.read.text import printable_ascii, text_values, utf8_byte_lengths
from sdtm.standards.model import DomainSpec, Standards

__all__ = [
    "ColumnMeta",
    "DatasetMeta",
    "PreparedDataset",
    "find_domain_spec",
    "prepare_dataset",
    "printable_ascii",
    "text_values",
    "utf8_byte_lengths",
    "utf8_lengths",
]

RULE_IDS: tuple[str, ...] = ("XP0010", "XP0011", "XP0012", "XP0013", "XP0014", "XP0015")

_MAX_EXACT_INTEGER = 2**53
"""Largest integer a float64 (and so an XPT/IBM double) holds exactly."""


@dataclass(frozen=True, slots=True)
class ColumnMeta:
    """How one variable is written."""

    name: str
    """Variable name, upper case."""
    label: str
    """Variable label (from the standards, else the frame's metadata, else the name)."""
    data_type: str
    """``Char`` or ``Num``."""
    length: int
    """Bytes: the longest value for ``Char`` (at least 1, FDA TCG), 8 for ``Num``."""
    integer: bool
    """True for ``Num`` variables whose values are all whole numbers."""
    key_sequence: int | None
    """Position among the dataset's keys, or ``None``."""
    codelists: tuple[str, ...]
    """C-codes of the codelists that apply (from the standards)."""
    role: str
    """SDTM role, empty when unknown."""
    core: str
    """``Req``, ``Exp``, ``Perm``, or empty when unknown."""
    in_standard: bool
    """Whether the standards define this variable for the dataset."""


@dataclass(frozen=True, slots=True)
class DatasetMeta:
    """How one dataset is written."""

    name: str
    """Dataset name, upper case (``AE``, ``SUPPAE``, ``LBCH``)."""
    label: str
    """Dataset label."""
    domain: str
    """Domain the dataset belongs to (``LB`` for a split ``LBCH``; ``SUPPAE`` for ``SUPPAE``)."""
    observation_class: str
    """SDTM class from the standards, empty when unknown."""
    structure: str
    """What one record is, empty when unknown."""
    keys: tuple[str, ...]
    """Key variables present in the data, in key order."""
    columns: tuple[ColumnMeta, ...]
    """Variables in export order."""
    records: int
    """Number of records."""

    def column(self, name: str) -> ColumnMeta | None:
        """Return the column of this name, or ``None``."""
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class TextSummary:
    """What the writers' checks need to know of a ``Char`` column's values, worked out once."""

    max_bytes: int
    """The longest value in UTF-8 bytes (0 when every value is missing)."""
    printable: bool
    """Whether every value is printable ASCII (bytes 32-126)."""


@dataclass(frozen=True, slots=True)
class PreparedDataset:
    """A dataset ready to write: typed, ordered frame plus its metadata and findings."""

    meta: DatasetMeta
    """The export metadata."""
    frame: pd.DataFrame
    """Columns in export order; ``Char`` as object (str or None), ``Num`` as float64."""
    findings: FindingsTable
    """Problems found while preparing (type conversions, missing labels)."""
    text: Mapping[str, TextSummary] = field(default_factory=dict)
    """Per ``Char`` column of ``text_of``: its longest value and whether all are printable
    ASCII. The XPT, Dataset-JSON and Define-XML steps read them (``text_summary``) instead
    of measuring every value again (four passes over each column before)."""
    text_of: pd.DataFrame | None = None
    """The frame ``text`` describes: the prepared one (``frame``)."""

    def text_summary(self, column: str) -> TextSummary | None:
        """The summary of ``column``, or ``None`` when ``frame`` is not the frame measured.

        A copy given another frame (``dataclasses.replace``) is measured again by each step.
        """
        return self.text.get(column) if self.text_of is self.frame else None


def find_domain_spec(name: str, frame: pd.DataFrame, standards: Standards) -> DomainSpec | None:
    """Return the spec of dataset ``name``, resolving SUPPxx and split datasets.

    A split dataset (SDTMIG 3.4 section 4.1.7, e.g. ``LBCH``) resolves to its domain when its
    ``DOMAIN`` values all name that domain.
    """
    spec = standards.domain(name)
    if spec is not None:
        return spec
    upper = name.upper()
    if len(upper) > 2 and "DOMAIN" in frame.columns:
        base = standards.domain(upper[:2])
        values = set(frame["DOMAIN"].dropna().astype(str).unique())
        if base is not None and values == {upper[:2]}:
            return base
    return None


def utf8_lengths(values: pd.Series) -> pd.Series:
    """Return the UTF-8 byte length of each text value (missing stays missing), as Int64."""
    positions, text = text_values(values)
    lengths = np.zeros(len(values), dtype=np.int64)
    lengths[positions] = utf8_byte_lengths(text)
    mask = np.ones(len(values), dtype=bool)
    mask[positions] = False
    return pd.Series(pd.arrays.IntegerArray(lengths, mask), index=values.index)


def _char_values(series: pd.Series) -> pd.Series:
    """Return ``series`` as object dtype holding str or None (blank text counts as missing)."""
    positions, text = text_values(series)
    # strip() removes exactly the characters isspace() accepts: blank is empty or all space.
    blank = np.fromiter(map(str.isspace, text), dtype=bool, count=len(text))
    blank |= np.fromiter(map(len, text), dtype=np.int64, count=len(text)) == 0
    out = np.full(len(series), None, dtype=object)
    out[positions[~blank]] = text[~blank]
    return pd.Series(out, index=series.index, dtype=object)


def _numbers_as_text(series: pd.Series) -> pd.Series:
    """Format numbers as text: whole numbers without a decimal point, others as Python would."""
    numbers = series.astype("float64")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.round(numbers))
    as_int = numbers.where(whole).astype("Int64").astype("string")
    as_float = numbers.astype("string")
    out = as_float.where(~whole, as_int)
    return out.astype("object").where(numbers.notna(), None)


def _location(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Return the 1-based rows, USUBJID and --SEQ of the records selected by ``mask``."""
    rows = np.flatnonzero(mask.to_numpy()) + 1
    out = pd.DataFrame({"row": rows})
    if "USUBJID" in frame.columns:
        out["usubjid"] = frame["USUBJID"].to_numpy()[rows - 1]
    seq = [c for c in frame.columns if c.endswith("SEQ") and len(c) == 5]
    if seq:
        out["seq"] = pd.to_numeric(frame[seq[0]], errors="coerce").to_numpy()[rows - 1]
    return out


def _is_integer_column(values: pd.Series) -> bool:
    present = values.dropna()
    if present.empty:
        return False
    finite = np.isfinite(present)
    if not finite.all():
        return False
    return bool(((present == np.round(present)) & (present.abs() < _MAX_EXACT_INTEGER)).all())


def prepare_dataset(name: str, frame: pd.DataFrame, standards: Standards) -> PreparedDataset:
    """Order, type and label one dataset for export.

    Args:
        name: Dataset name (any case; written upper case).
        frame: The dataset. Columns starting with ``_`` are dropped. ``attrs["dataset_label"]`` and
            ``attrs["labels"]`` give labels the standards do not have.
        standards: SDTMIG metadata giving variable order, labels, types, keys and codelists.

    Returns:
        The prepared dataset. Findings: XP0010 (no label for a variable), XP0011 (text in a
        ``Num`` variable; the value becomes missing in the prepared frame and the dataset must
        not be written), XP0012 (a column type that has no SDTM meaning, e.g. datetime or
        boolean), XP0013 (numbers in a ``Char`` variable, written as text), XP0014 (no dataset
        label), XP0015 (two columns with the same upper-case name).
    """
    dataset = name.upper()
    spec = find_domain_spec(dataset, frame, standards)
    column_labels = dict(frame.attrs.get("labels") or {})
    column_labels = {str(k).upper(): v for k, v in column_labels.items() if v}
    findings: list[FindingsTable] = []
    loose = []

    data = frame.loc[:, [c for c in frame.columns if not str(c).startswith("_")]]
    upper_names = [str(c).upper() for c in data.columns]
    seen: set[str] = set()
    keep: list[int] = []
    for position, column in enumerate(upper_names):
        if column in seen:
            loose.append(
                make_finding(
                    "XP0015",
                    f"{dataset}: column {data.columns[position]!r} repeats {column}; "
                    "only the first is exported",
                    dataset=dataset,
                    variable=column,
                )
            )
            continue
        seen.add(column)
        keep.append(position)
    data = data.iloc[:, keep].copy()
    data.columns = [upper_names[i] for i in keep]

    declared = spec.declared_variables if spec is not None else ()
    spec_names = tuple(v.name for v in declared)
    ordered = [v for v in spec_names if v in data.columns]
    ordered += [c for c in data.columns if c not in spec_names]
    data = data.loc[:, ordered]

    keys = tuple(k for k in (spec.keys if spec is not None else ()) if k in data.columns)
    prepared: dict[str, pd.Series] = {}
    summaries: dict[str, TextSummary] = {}
    columns: list[ColumnMeta] = []
    for column in ordered:
        variable = spec.declared_variable(column) if spec is not None else None
        series = data[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            loose.append(
                make_finding(
                    "XP0012",
                    f"{dataset}.{column}: column type {series.dtype} has no SDTM form; "
                    "convert it to ISO 8601 text or a number before export",
                    dataset=dataset,
                    variable=column,
                    value=str(series.dtype),
                )
            )
            series = series.astype("string")
        numeric_dtype = pd.api.types.is_numeric_dtype(series)
        data_type = variable.data_type if variable is not None else None
        if data_type not in ("Char", "Num"):
            data_type = "Num" if numeric_dtype else "Char"
        if data_type == "Num":
            if numeric_dtype:
                values = series.astype("float64")
            else:
                text = _char_values(series)
                values = pd.to_numeric(pd.Series(text, dtype="object"), errors="coerce")
                values = values.astype("float64")
                bad = pd.Series(text).notna() & values.isna()
                if bad.any():
                    where = _location(data, bad)
                    where["dataset"] = dataset
                    where["variable"] = column
                    where["value"] = pd.Series(text)[bad.to_numpy()].to_numpy()
                    where["message"] = (
                        f"{dataset}.{column} row "
                        + where["row"].astype(str)
                        + ": value "
                        + where["value"].map(repr)
                        + " is not a number but the variable is Num"
                    )
                    findings.append(findings_frame("XP0011", where))
            prepared[column] = values.reset_index(drop=True)
            length = 8
            integer = _is_integer_column(values)
        else:
            if numeric_dtype:
                loose.append(
                    make_finding(
                        "XP0013",
                        f"{dataset}.{column}: numbers in a Char variable; written as text",
                        dataset=dataset,
                        variable=column,
                    )
                )
                values = _numbers_as_text(series)
            else:
                values = _char_values(series)
            values = pd.Series(values, dtype="object").reset_index(drop=True)
            prepared[column] = values
            _, text = text_values(values)
            longest = int(utf8_byte_lengths(text).max()) if len(text) else 0
            summaries[column] = TextSummary(longest, bool(printable_ascii(text).all()))
            length = max(1, longest)
            integer = False
        label = variable.label if variable is not None else column_labels.get(column, "")
        if not label:
            loose.append(
                make_finding(
                    "XP0010",
                    f"{dataset}.{column}: no label in the standards or the data; the name is "
                    "used as label. Give one in the mapping (frame.attrs['labels'])",
                    dataset=dataset,
                    variable=column,
                )
            )
            label = column
        columns.append(
            ColumnMeta(
                name=column,
                label=label,
                data_type=data_type,
                length=length,
                integer=integer,
                key_sequence=keys.index(column) + 1 if column in keys else None,
                codelists=variable.codelists if variable is not None else (),
                role=variable.role if variable is not None else "",
                core=variable.core if variable is not None else "",
                in_standard=variable is not None,
            )
        )

    if dataset.startswith("SUPP") and len(dataset) > 4:
        label = f"Supplemental Qualifiers for {dataset[4:]}"
        domain = dataset
    elif spec is not None:
        label = spec.label
        domain = spec.name
    else:
        label = str(frame.attrs.get("dataset_label") or "")
        domain = dataset
    if not label:
        loose.append(
            make_finding(
                "XP0014",
                f"{dataset}: no dataset label in the standards or the data; the name is used",
                dataset=dataset,
            )
        )
        label = dataset
    meta = DatasetMeta(
        name=dataset,
        label=label,
        domain=domain,
        observation_class=spec.observation_class if spec is not None else "",
        structure=spec.structure if spec is not None else "",
        keys=keys,
        columns=tuple(columns),
        records=len(data),
    )
    out = pd.DataFrame(prepared, columns=ordered)
    out.attrs = {}
    table = FindingsTable.concat([FindingsTable.from_findings(loose), *findings])
    return PreparedDataset(meta=meta, frame=out, findings=table, text=summaries, text_of=out)
