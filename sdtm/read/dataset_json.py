"""Reader of CDISC Dataset-JSON v1.1 files (``.json`` and ``.ndjson``).

Before any value is used, the file's metadata (everything but the rows) is checked against the
Dataset-JSON 1.1 schema (``specs/dataset-json-1.1``), every record must be a list with one value
per column, and the limits of :mod:`sdtm.safe_parse` apply (columns per dataset, characters per
value). A file that breaks any of these is refused with an ``InputError`` naming the file and
the place (schema path, record, column), never read half-way or failing on an attribute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd

from sdtm.config import default_specs_dir
from sdtm.errors import InputError, StandardsError
from sdtm.safe_parse import MAX_COLUMNS, MAX_VALUE_CHARS

_NUMERIC_TYPES = frozenset({"integer", "float", "double", "decimal"})
SCHEMA_FOLDER = "dataset-json-1.1"
"""Folder of the Dataset-JSON 1.1 schemas inside the standards folder."""
SCHEMA_FILE = "dataset.schema.json"
NDJSON_SCHEMA_FILE = "dataset-ndjson-schema.json"


def load_schema(schema_dir: Path, name: str) -> dict[str, Any]:
    """Load a JSON schema file, accepting UTF-8 or UTF-16 with a byte order mark."""
    raw = (schema_dir / name).read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return json.loads(raw.decode("utf-16"))
    return json.loads(raw.decode("utf-8-sig"))


def _default_schema_dir() -> Path | None:
    try:
        folder = default_specs_dir() / SCHEMA_FOLDER
    except StandardsError:
        return None
    return folder if (folder / SCHEMA_FILE).is_file() else None


def _check_metadata(metadata: dict[str, Any], where: str, schema_dir: Path | None) -> None:
    """Refuse metadata that breaks the Dataset-JSON 1.1 schema (rows are checked separately)."""
    if schema_dir is not None:
        schema = load_schema(schema_dir, SCHEMA_FILE)
        validator = jsonschema.Draft201909Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors({**metadata, "rows": []}))
        if error is not None:
            place = "/" + "/".join(str(p) for p in error.absolute_path)
            raise InputError(f"{where}: not Dataset-JSON 1.1: {error.message} at {place}")
    columns = metadata.get("columns")
    if not isinstance(columns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"] for c in columns
    ):
        raise InputError(f"{where}: 'columns' must be a list of objects each with a 'name'")
    if len(columns) > MAX_COLUMNS:
        raise InputError(
            f"{where}: {len(columns):,} columns, more than the limit of {MAX_COLUMNS:,} per "
            "dataset; refused"
        )


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


_DEFAULT = object()


def read_dataset_json(
    path: Path, *, schema_dir: Path | object | None = _DEFAULT
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Dataset-JSON (``.json``) or Dataset-NDJSON (``.ndjson``) file.

    Args:
        path: The file.
        schema_dir: Folder of the Dataset-JSON 1.1 schemas; default the bundled
            ``specs/dataset-json-1.1``; ``None`` skips the schema (the structure and limit
            checks always run).

    Returns:
        The data and the file's metadata (every top-level field but ``rows``). Text columns
        hold str or None; numeric columns (integer, float, double, decimal) are float64, as in
        an XPT file. ``frame.attrs`` holds ``source_file``, ``dataset_label`` and ``labels``
        (as ``sdtm.read.sdtm_package`` does for XPT), and per variable ``types`` (``Char`` or
        ``Num``, from ``dataType``), ``lengths`` (``length``, only for columns that state one)
        and ``formats`` (``displayFormat``, empty when none).

    Raises:
        InputError: When the file is not readable JSON, breaks the schema, has more columns
            or longer values than the limits, or a record's number of values differs from the
            number of columns (the message names the record).
    """
    path = Path(path)
    metadata, rows = _load(path)
    folder = _default_schema_dir() if schema_dir is _DEFAULT else schema_dir
    _check_metadata(metadata, path.name, folder)  # type: ignore[arg-type]
    if not isinstance(rows, list):
        raise InputError(f"{path.name}: 'rows' must be a list of records")
    columns = metadata["columns"]
    names = [str(c.get("name")) for c in columns]
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            raise InputError(
                f"{path.name}: record {index} has "
                f"{len(row) if isinstance(row, list) else 'no list of'} values; "
                f"expected {len(names)}"
            )
        for position, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
                raise InputError(
                    f"{path.name}: record {index} column {names[position]}: a value of "
                    f"{len(value):,} characters, more than the limit of {MAX_VALUE_CHARS:,}"
                )
            if isinstance(value, (dict, list)):
                raise InputError(
                    f"{path.name}: record {index} column {names[position]}: a JSON "
                    f"{type(value).__name__}, not a single value"
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
