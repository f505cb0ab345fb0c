"""Lineage queries: which raw rows an SDTM record came from (``sdtm trace``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sdtm.errors import InputError
from sdtm.read.options import DEFAULT_OPTIONS, ReadOptions
from sdtm.read.raw import PROVENANCE, SRC_FILE, SRC_ROW, read_raw_file

LINEAGE_FILE = "lineage.csv"


@dataclass(frozen=True, slots=True)
class TracedRow:
    """One raw row that fed an SDTM record."""

    source_file: str
    """Raw file, relative to the study folder."""
    source_row: int
    """Row number as seen in the file (header = 1)."""
    values: dict[str, str]
    """The row's raw values by column (empty when the file can no longer be read)."""


def read_lineage(out_dir: Path) -> pd.DataFrame:
    """Read the lineage table a run wrote.

    Raises:
        InputError: when the run's lineage file is missing.
    """
    path = out_dir / LINEAGE_FILE
    if not path.is_file():
        raise InputError(f"no lineage in {out_dir} ({LINEAGE_FILE} missing): run `sdtm run` first")
    return pd.read_csv(path, dtype={"USUBJID": "string", "DOMAIN": "string"})


def trace_record(
    lineage: pd.DataFrame,
    study_dir: Path,
    usubjid: str,
    domain: str,
    seq: float | None,
    plan: Mapping[str, tuple[str, ReadOptions]] | None = None,
) -> list[TracedRow]:
    """Return the raw rows behind one SDTM record.

    Args:
        lineage: The run's lineage table (``read_lineage``).
        study_dir: The study folder the run read.
        usubjid: USUBJID of the record.
        domain: Dataset name (``AE``, ``LB``, ``DM`` ...).
        seq: ``--SEQ`` of the record; ``None`` for DM (one record per subject).
        plan: The mapping spec's read plan (``MappingSpec.read_plan``): how each raw table
            was read (sheet, delimiter, banner lines ...); tables it does not name are read
            with the defaults.

    Returns:
        The raw rows, in file and row order; empty when no record matches.
    """
    chosen = (lineage["DOMAIN"] == domain.upper()) & (lineage["USUBJID"] == usubjid)
    if seq is not None:
        chosen &= pd.to_numeric(lineage["SEQ"], errors="coerce") == float(seq)
    rows = lineage.loc[chosen, [SRC_FILE, SRC_ROW]].drop_duplicates()
    rows = rows.sort_values([SRC_FILE, SRC_ROW], kind="mergesort")
    traced = []
    for file, group in rows.groupby(SRC_FILE, sort=True):
        file_name, options = (plan or {}).get(str(file), (str(file), DEFAULT_OPTIONS))
        raw = read_raw_file(study_dir, file_name, options, key=str(file))
        frame = raw.frame
        wanted = set(group[SRC_ROW].astype(int))
        if frame is None:
            traced.extend(TracedRow(str(file), row, {}) for row in sorted(wanted))
            continue
        picked = frame.loc[frame[SRC_ROW].isin(wanted)]
        columns = [c for c in picked.columns if c not in PROVENANCE]
        records = picked[columns].astype(object).where(picked[columns].notna(), "")
        for row, values in zip(picked[SRC_ROW], records.to_dict(orient="records"), strict=True):
            traced.append(TracedRow(str(file), int(row), {k: str(v) for k, v in values.items()}))
    return traced
