"""Read every raw table of a study: the folder's files plus what the mapping spec names.

The spec's *read plan* gives, per table key (``file`` or ``file[part]``), the file and its
declared reader options. A workbook whose sheets the spec names is read one table per named
sheet, and any other worksheet holding data is reported (RD0008, its rows counted as
reported); an ODM file is read one table per named ItemGroup, and every other ItemGroup with
data is reported (RD0022). Files the spec does not name are read with the defaults, so their
rows are still accounted for.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FindingsTable
from sdtm.read.options import DEFAULT_OPTIONS, ReadOptions, file_format, table_key
from sdtm.read.raw import (
    RawFile,
    _check_limits,
    _finding,
    finish_raw_frame,
    list_raw_files,
    read_raw_file,
    refuse_path,
)

ReadPlan = Mapping[str, tuple[str, ReadOptions]]
"""Table key -> (file relative to the study folder, declared reader options)."""


def _reported_part(key: str, rows: int, finding: dict[str, object]) -> RawFile:
    table = FindingsTable.from_frame(pd.DataFrame([finding]))
    return RawFile(key, None, rows, table, rows_ignored=rows)


def _other_sheets(study_dir: Path, file: str, named: set[str]) -> dict[str, RawFile]:
    """Worksheets of a workbook no block names, each reported with its data rows."""
    out: dict[str, RawFile] = {}
    try:
        sheets = pd.read_excel(
            study_dir / file,
            sheet_name=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="openpyxl",
        )
    except Exception:  # the named sheets' own reads report an unreadable workbook
        return out
    for name, frame in sheets.items():
        if name in named:
            continue
        if frame.empty and not any(not str(c).startswith("Unnamed:") for c in frame.columns):
            continue  # an empty worksheet holds nothing to lose
        key = table_key(file, ReadOptions(sheet=str(name)))
        finding = _finding(
            "RD0008",
            key,
            f"worksheet {name!r} ({len(frame)} data row(s), columns: "
            f"{', '.join(str(c) for c in frame.columns)}) is not read: the mapping spec reads "
            f"only worksheet(s) {', '.join(sorted(named))}; add a block with read: "
            f"{{sheet: {name}}}, or a skip for it",
            value=str(name),
        )
        out[key] = _reported_part(key, len(frame), finding)
    return out


def _odm_tables(study_dir: Path, file: str, named: Mapping[str, ReadOptions]) -> dict[str, RawFile]:
    """Every ItemGroup table of an ODM file: named ones read, the others reported."""
    from sdtm.read.odm import read_odm

    refused = refuse_path(study_dir, file, next(iter(named), file))
    if refused is not None:
        return {refused.path: refused}
    try:
        odm = read_odm(study_dir / file)
        for frame in odm.tables.values():
            _check_limits(frame)
    except Exception as error:  # refused or malformed: one finding per table the spec names
        out = {}
        for key in named or {file: DEFAULT_OPTIONS}:
            finding = _finding("RD0002", key, f"cannot read the file: {error}")
            out[key] = RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
        return out
    out = {}
    by_group = {options.item_group: (key, options) for key, options in named.items()}
    for oid, frame in odm.tables.items():
        if oid in by_group:
            key, options = by_group[oid]
            out[key] = finish_raw_frame(key, frame.copy(), len(frame), [], options)
            continue
        key = table_key(file, ReadOptions(item_group=oid))
        finding = _finding(
            "RD0022",
            key,
            f"ItemGroup {oid!r} ({len(frame)} row(s), items: "
            f"{', '.join(c for c in frame.columns if c != '_src_row')}) is not read: no block "
            f"of the mapping spec names it; add one with read: {{item_group: {oid}}}, or a "
            "skip for it",
            value=oid,
        )
        out[key] = _reported_part(key, len(frame), finding)
    for oid, (key, _) in by_group.items():
        if oid not in odm.tables:
            known = ", ".join(sorted(odm.tables)) or "none"
            finding = _finding(
                "RD0002",
                key,
                f"cannot read the table: no ItemGroupData with ItemGroupOID {oid!r} "
                f"(found: {known})",
            )
            out[key] = RawFile(key, None, 0, FindingsTable.from_frame(pd.DataFrame([finding])))
    return out


def read_study_tables(study_dir: Path, plan: ReadPlan, *, jobs: int = 1) -> dict[str, RawFile]:
    """Read every raw table of a study folder and every table the read plan names.

    Args:
        study_dir: The study folder.
        plan: Table key -> (file, reader options), from the mapping spec.
        jobs: Processes that share out the files (:func:`sdtm.workers.run_calls`), largest
            first; the tables are the same for any number.

    Returns:
        The tables by key: for each file (the folder's files sorted, then the others the plan
        names), its tables.

    Raises:
        InputError: when ``study_dir`` is not a folder.
    """
    from sdtm.workers import run_calls

    if not study_dir.is_dir():
        raise InputError(f"study folder not found: {study_dir}")
    by_file: dict[str, dict[str, ReadOptions]] = {}
    for key, (file, options) in plan.items():
        by_file.setdefault(file, {})[key] = options
    listed = list_raw_files(study_dir)
    files = [*listed, *(f for f in by_file if f not in listed)]
    read = run_calls(
        [partial(_file_tables, study_dir, file, by_file.get(file, {})) for file in files],
        jobs=jobs,
        costs=[_read_cost(study_dir / file) for file in files],
    )
    out: dict[str, RawFile] = {}
    for tables in read:
        out.update(tables)
    return out


WORKBOOK_BYTE_COST = 50.0
"""Reading a workbook byte costs about this many text-file bytes (zipped XML parsed by
openpyxl: 1.2 s for a 0.4 MB workbook against 0.9 s for an 18 MB CSV, measured)."""


def _read_cost(path: Path) -> float:
    """An estimate of what reading a file costs, to start the costliest reads first."""
    try:
        size = float(path.stat().st_size)
    except OSError:  # missing or unreadable: its read reports why
        return 0.0
    return size * WORKBOOK_BYTE_COST if file_format(path.name) == "workbook" else size


def _file_tables(
    study_dir: Path, file: str, named: Mapping[str, ReadOptions]
) -> dict[str, RawFile]:
    """The tables of one raw file: those the plan names (``named``), else the whole file."""
    kind = file_format(file)
    if kind == "odm":
        return _odm_tables(study_dir, file, named)
    if not named:
        return {file: read_raw_file(study_dir, file)}
    out = {
        key: read_raw_file(study_dir, file, options, key=key, named=True)
        for key, options in named.items()
    }
    sheets = {o.sheet for o in named.values() if o.sheet}
    if kind == "workbook" and sheets and (study_dir / file).is_file():
        out.update(_other_sheets(study_dir, file, sheets))
    return out
