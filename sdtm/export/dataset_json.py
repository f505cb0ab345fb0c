"""CDISC Dataset-JSON v1.1 writer (JSON and NDJSON) and schema validation.

Column metadata comes from the same ``prepare_dataset`` result as the XPT file and Define-XML,
so the three agree: ``Char`` variables are ``string`` with their length, ``Num`` variables are
``integer`` when every value is whole and ``double`` otherwise; OIDs follow the Define-XML
conventions (``IG.<dataset>``, ``IT.<dataset>.<variable>``).

Files are written with a fixed key order and no clock time (``datasetJSONCreationDateTime`` is
the caller's ``creation_datetime``), so reruns give identical bytes. Writes are atomic.

Validation: a JSON file is checked against ``dataset.schema.json``. The published NDJSON schema
refers to definitions it does not contain (``#/$defs/Column``), so an NDJSON file's first line
is checked against that schema's ``$defs/DatasetMetadata`` and the metadata plus rows are
checked against ``dataset.schema.json`` as well.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd

from sdtm.errors import ExportError
from sdtm.export.define_metadata import StudyInfo
from sdtm.export.metadata import ColumnMeta, PreparedDataset
from sdtm.export.rules import findings_frame, make_finding
from sdtm.findings import FindingsTable
from sdtm.read.dataset_json import NDJSON_SCHEMA_FILE, SCHEMA_FILE, load_schema

RULE_IDS: tuple[str, ...] = ("XP0020",)

DATASET_JSON_VERSION = "1.1.0"


def item_group_oid(dataset: str) -> str:
    """Return the ItemGroupDef OID of a dataset (shared with Define-XML)."""
    return f"IG.{dataset}"


def item_oid(dataset: str, variable: str) -> str:
    """Return the ItemDef OID of a dataset variable (shared with Define-XML)."""
    return f"IT.{dataset}.{variable}"


def json_data_type(column: ColumnMeta) -> str:
    """Return the Dataset-JSON ``dataType`` of a column."""
    if column.data_type == "Char":
        return "string"
    return "integer" if column.integer else "double"


def iso_datetime(moment: datetime) -> str:
    """Return ``moment`` as ISO 8601 without fractions (``2025-01-31T12:00:00``)."""
    return moment.replace(microsecond=0).isoformat()


def dataset_metadata(
    prepared: PreparedDataset,
    *,
    creation_datetime: datetime,
    study: StudyInfo,
    metadata_version_oid: str,
    define_file: str | None = "define.xml",
) -> dict[str, Any]:
    """Return the Dataset-JSON top-level metadata (everything but ``rows``), in schema order."""
    meta = prepared.meta
    columns = []
    for column in meta.columns:
        entry: dict[str, Any] = {
            "itemOID": item_oid(meta.name, column.name),
            "name": column.name,
            "label": column.label,
            "dataType": json_data_type(column),
        }
        if column.data_type == "Char":
            entry["length"] = column.length
        if column.key_sequence is not None:
            entry["keySequence"] = column.key_sequence
        columns.append(entry)
    document: dict[str, Any] = {
        "datasetJSONCreationDateTime": iso_datetime(creation_datetime),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{study.study_oid}/{meta.name.lower()}",
        "originator": study.originator,
        "studyOID": study.study_oid,
        "metaDataVersionOID": metadata_version_oid,
    }
    if define_file:
        document["metaDataRef"] = define_file
    document.update(
        {
            "itemGroupOID": item_group_oid(meta.name),
            "records": meta.records,
            "name": meta.name,
            "label": meta.label,
            "columns": columns,
        }
    )
    return document


def dataset_rows(prepared: PreparedDataset) -> list[list[Any]]:
    """Return the records as lists of JSON values (null for missing, int for integer columns)."""
    lists = []
    for column in prepared.meta.columns:
        values = prepared.frame[column.name]
        if column.data_type == "Num" and column.integer:
            values = values.astype("Int64")
        lists.append(values.astype("object").where(values.notna(), None).tolist())
    return [list(row) for row in zip(*lists, strict=True)] if lists else []


def _non_finite_findings(prepared: PreparedDataset) -> FindingsTable:
    tables = []
    for column in prepared.meta.columns:
        if column.data_type != "Num":
            continue
        values = prepared.frame[column.name]
        bad = pd.Series(np.isinf(values.to_numpy(dtype="float64")))
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy()) + 1
            tables.append(
                findings_frame(
                    "XP0020",
                    pd.DataFrame(
                        {
                            "dataset": prepared.meta.name,
                            "variable": column.name,
                            "row": rows,
                            "value": values.iloc[rows - 1].astype(str).to_numpy(),
                            "message": [
                                f"{prepared.meta.name}.{column.name} row {r}: infinite number "
                                "has no JSON form"
                                for r in rows
                            ],
                        }
                    ),
                )
            )
    return FindingsTable.concat(tables)


def _schema_findings(errors: Iterable[jsonschema.ValidationError], dataset: str, where: str):
    found = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path)
        found.append(
            make_finding(
                "XP0020",
                f"{where}: {error.message} at /{path}",
                dataset=dataset,
                value=path,
            )
        )
    return found


def validate_dataset_json(
    document: dict[str, Any], schema_dir: Path, *, where: str = "dataset"
) -> FindingsTable:
    """Validate a whole Dataset-JSON document against ``dataset.schema.json``.

    Returns:
        One XP0020 finding per schema violation (at most 50 per document).
    """
    validator = jsonschema.Draft201909Validator(load_schema(schema_dir, SCHEMA_FILE))
    errors = []
    for error in validator.iter_errors(document):
        errors.append(error)
        if len(errors) >= 50:
            break
    return FindingsTable.from_findings(
        _schema_findings(errors, str(document.get("name", "")), where)
    )


def validate_ndjson_metadata(
    metadata: dict[str, Any], schema_dir: Path, *, where: str = "dataset"
) -> FindingsTable:
    """Validate the first NDJSON line against the NDJSON schema's ``DatasetMetadata``."""
    root = load_schema(schema_dir, NDJSON_SCHEMA_FILE)
    schema = {**root, "$ref": "#/$defs/DatasetMetadata"}
    for key in ("properties", "required", "additionalProperties", "type"):
        schema.pop(key, None)
    validator = jsonschema.Draft201909Validator(schema)
    return FindingsTable.from_findings(
        _schema_findings(validator.iter_errors(metadata), str(metadata.get("name", "")), where)
    )


def _atomic_write(target: Path, chunks: Iterable[str]) -> None:
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise ExportError(f"cannot write to {target.parent}: {error}") from error
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            for chunk in chunks:
                stream.write(chunk)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as error:
        raise ExportError(f"cannot write {target}: {error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_dataset_json(
    prepared: PreparedDataset,
    out_dir: Path,
    *,
    creation_datetime: datetime,
    study: StudyInfo,
    metadata_version_oid: str,
    schema_dir: Path | None = None,
    ndjson: bool = False,
) -> tuple[Path | None, FindingsTable]:
    """Write one dataset as ``<dataset>.json`` (or ``.ndjson``), validating when asked.

    Args:
        prepared: The dataset from ``prepare_dataset``.
        out_dir: Existing target folder.
        creation_datetime: ``datasetJSONCreationDateTime`` (never the clock).
        study: Study OID and originator.
        metadata_version_oid: ``MetaDataVersion/@OID`` of the matching Define-XML.
        schema_dir: Folder holding the Dataset-JSON schemas; ``None`` skips validation.
        ndjson: Write the NDJSON variant (metadata line, then one line per record).

    Returns:
        The path written (``None`` when the dataset has errors: nothing is written) and the
        findings (XP0020 for infinite numbers or schema violations).
    """
    meta = prepared.meta
    findings = _non_finite_findings(prepared)
    if len(findings):
        return None, findings
    metadata = dataset_metadata(
        prepared,
        creation_datetime=creation_datetime,
        study=study,
        metadata_version_oid=metadata_version_oid,
    )
    rows = dataset_rows(prepared)
    suffix = "ndjson" if ndjson else "json"
    name = f"{meta.name.lower()}.{suffix}"
    if schema_dir is not None:
        checks = [validate_dataset_json({**metadata, "rows": rows}, schema_dir, where=name)]
        if ndjson:
            checks.append(validate_ndjson_metadata(metadata, schema_dir, where=name))
        findings = FindingsTable.concat(checks)
        if len(findings):
            return None, findings
    target = out_dir / name
    if ndjson:
        chunks = (_dumps(item) + "\n" for item in [metadata, *rows])
    else:
        head = _dumps(metadata)[:-1]
        chunks = (
            text
            for part in (
                [head, ',"rows":['],
                (("," if index else "") + _dumps(row) for index, row in enumerate(rows)),
                ["]}\n"],
            )
            for text in part
        )
    _atomic_write(target, chunks)
    return target, findings
