"""Reader of CDISC Dataset-JSON v1.1 files (``.json`` and ``.ndjson``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sdtm.errors import InputError

_NUMERIC_TYPES = frozenset({"integer", "float", "double", "decimal"})


def _load(path: Path) -> tuple[dict[str, Any], list[Any]]:
    where = path.name
    try:
        if path.suffix.lower() == ".ndjson":
            with path.open(encoding="utf-8") as stream:
                lines = [line for line in stream if line.strip()]
            if not lines:
                raise InputError(f"{where}: empty NDJSON file")
            metadata = json.loads(lines[0])
            rows = [json.loads(line) for line in lines[1:]]
        else:
            document = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(document, dict):
                raise InputError(f"{where}: the top level is not a JSON object")
            rows = document.pop("rows", [])
            metadata = document
    except json.JSONDecodeError as error:
        raise InputError(
            f"{where}: not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not UTF-8 text ({error.reason})") from error
    if not isinstance(metadata, dict) or "columns" not in metadata:
        raise InputError(f"{where}: no 'columns' in the Dataset-JSON metadata")
    return metadata, rows


def read_dataset_json(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Dataset-JSON (``.json``) or Dataset-NDJSON (``.ndjson``) file.

    Args:
        path: The file.

    Returns:
        The data and the file's metadata (every top-level field but ``rows``). Text columns
        hold str or None; numeric columns (integer, float, double, decimal) are float64, as in
        an XPT file. ``frame.attrs`` holds ``source_file``, ``dataset_label`` and ``labels``
        (as ``sdtm.read.sdtm_package`` does for XPT), and per variable ``types`` (``Char`` or
        ``Num``, from ``dataType``), ``lengths`` (``length``, only for columns that state one)
        and ``formats`` (``displayFormat``, empty when none).

    Raises:
        InputError: When the file is not readable JSON, lacks columns, or a record's number of
            values differs from the number of columns (the message names the record).
    """
    path = Path(path)
    metadata, rows = _load(path)
    columns = metadata["columns"]
    names = [str(c.get("name")) for c in columns]
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            raise InputError(
                f"{path.name}: record {index} has "
                f"{len(row) if isinstance(row, list) else 'no list of'} values; "
                f"expected {len(names)}"
            )
    frame = (
        pd.DataFrame.from_records(rows, columns=names)
        if rows
        else pd.DataFrame({name: pd.Series(dtype="object") for name in names})
    )
    for column in columns:
        name = str(column.get("name"))
        if column.get("dataType") in _NUMERIC_TYPES:
            numbers = pd.to_numeric(frame[name], errors="coerce").astype("float64")
            if int(numbers.notna().sum()) == int(frame[name].notna().sum()):
                frame[name] = numbers
            else:
                # A value that is not a number is kept as it was sent, so that validation
                # reports it (ST0006) with its row instead of the read failing or losing it.
                frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
        else:
            frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
    frame.attrs["source_file"] = path.name
    frame.attrs["dataset_label"] = metadata.get("label", "")
    frame.attrs["labels"] = {str(c.get("name")): c.get("label", "") for c in columns}
    frame.attrs["types"] = {
        str(c.get("name")): "Num" if c.get("dataType") in _NUMERIC_TYPES else "Char"
        for c in columns
    }
    frame.attrs["lengths"] = {
        str(c.get("name")): int(c["length"]) for c in columns if c.get("length") is not None
    }
    frame.attrs["formats"] = {str(c.get("name")): c.get("displayFormat") or "" for c in columns}
    return frame, metadata
