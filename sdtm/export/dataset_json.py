"""CDISC Dataset-JSON v1.1 writer (JSON and NDJSON) and schema validation.

Column metadata comes from the same ``prepare_dataset`` result as the XPT file and Define-XML,
so the three agree: ``Char`` variables are ``string`` with their length, ``Num`` variables are
``integer`` when every value is whole and ``double`` otherwise; OIDs follow the Define-XML
conventions (``IG.<dataset>``, ``IT.<dataset>.<variable>``).

Files are written with a fixed key order and no clock time (``datasetJSONCreationDateTime`` is
the caller's ``creation_datetime``), so reruns give identical bytes. Writes are atomic.

Validation before a file is written has two parts:

* the **structure and metadata** (every top-level member, ``columns``, the creation datetime
  pattern, the version) are checked with the published ``dataset.schema.json``, holding
  ``rows`` as an empty array; the published NDJSON schema refers to definitions it does not
  contain (``#/$defs/Column``), so an NDJSON file's first line is checked against that
  schema's ``$defs/DatasetMetadata`` as well;
* the **rows** are checked column by column with vectorized checks (``check_rows``), not row by
  row with jsonschema (which cost about 1 ms per 10 values in pure Python): every row is an
  array of one value per column, in column order (true by construction), every value is null
  or of its column's ``dataType`` (``string``: a ``str`` no longer in UTF-8 bytes than the
  column's ``length``; ``integer``: a whole number; ``double``: a finite number), and the
  row count equals ``records``. This is stricter than the schema, whose ``Row`` only requires
  an array: a row passing these checks passes the schema's ``rows`` part too.

``validate_dataset_json`` still validates a whole document, rows included, with the schema
(for documents this module did not build, e.g. the CDISC examples).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import repeat
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd

from sdtm.errors import ExportError
from sdtm.export.define_metadata import StudyInfo
from sdtm.export.metadata import ColumnMeta, PreparedDataset, utf8_byte_lengths
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


ROW_CHUNK = 20_000
"""Records turned into JSON values and text at once: bounds the memory held per dataset."""


def _json_column(values: pd.Series, column: ColumnMeta) -> np.ndarray:
    """Return one column as an object array of JSON values (None, str, int or float)."""
    missing = values.isna().to_numpy()
    if column.data_type == "Num":
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        if column.integer:
            # astype(object) of an int64 array gives Python ints, of float64 Python floats.
            out = np.where(missing, 0, numbers).astype("int64").astype(object)
        else:
            out = numbers.astype(object)
    else:
        out = values.to_numpy(dtype=object, copy=True)
    out[missing] = None
    return out


def _row_chunks(prepared: PreparedDataset, size: int = ROW_CHUNK) -> Iterator[list[list[Any]]]:
    """Yield the records as lists of JSON values, ``size`` records at a time."""
    columns = prepared.meta.columns
    frame = prepared.frame
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        table = np.empty((len(part), len(columns)), dtype=object)
        for position, column in enumerate(columns):
            table[:, position] = _json_column(part[column.name], column)
        yield table.tolist()


def _json_texts(values: pd.Series, column: ColumnMeta, encode: Callable[[Any], str]) -> np.ndarray:
    """One column's values as the JSON text ``encode`` gives each (``null`` when missing).

    Strings go through ``json``'s own string encoder and numbers through the ``repr`` it
    uses, a value at a time in C (``map``); a column holding values of another type, or
    numbers that are not finite (for the error ``encode`` raises), goes through ``encode``.
    """
    present = values.notna().to_numpy()
    given = _json_column(values, column)[present]
    if column.data_type == "Num":
        kind: type = int if column.integer else float
        finite = bool(np.isfinite(np.asarray(given, dtype="float64")).all())
        fast = kind.__repr__ if finite and _all_exactly(given, kind) else None
    else:
        fast = encode_basestring if _all_exactly(given, str) else None
    out = np.full(len(values), "null", dtype=object)
    out[present] = list(map(fast or encode, given))
    return out


def _all_exactly(values: np.ndarray, kind: type) -> bool:
    """Whether every value is of type ``kind`` itself (no subclass: bool is not an int)."""
    return all(map(operator.is_, map(type, values), repeat(kind)))


def _row_texts(
    prepared: PreparedDataset, encode: Callable[[Any], str], size: int = ROW_CHUNK
) -> Iterator[list[str]]:
    """Yield each record as the JSON array text ``encode`` gives it, ``size`` at a time.

    The same text as encoding each record's list of values (``_row_chunks``) with a compact
    encoder, built column by column: one ``encode`` call per record cost about 4 us of
    Python per record.
    """
    columns = prepared.meta.columns
    frame = prepared.frame
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        texts = [_json_texts(part[column.name], column, encode) for column in columns]
        yield [f"[{row}]" for row in map(",".join, zip(*texts, strict=True))]


def dataset_rows(prepared: PreparedDataset) -> list[list[Any]]:
    """Return the records as lists of JSON values (null for missing, int for integer columns)."""
    if not prepared.meta.columns:
        return []
    return [row for chunk in _row_chunks(prepared) for row in chunk]


def _row_finding(meta: Any, column: str, rows: np.ndarray, problem: str, where: str):
    """One XP0020 finding per bad value, located as a JSON pointer into ``rows``."""
    position = [c.name for c in meta.columns].index(column)
    shown = rows[:50]
    return [
        make_finding(
            "XP0020",
            f"{where}: {problem} at /rows/{row}/{position}",
            dataset=meta.name,
            variable=column,
            row=int(row) + 1,
            value=f"rows/{row}/{position}",
        )
        for row in shown
    ]


def check_rows(prepared: PreparedDataset, *, where: str = "dataset") -> FindingsTable:
    """Check the rows a Dataset-JSON file of ``prepared`` would hold, column by column.

    Vectorized replacement of validating each row with jsonschema: each value must be null or
    of its column's ``dataType`` (``string``: ``str``, at most ``length`` UTF-8 bytes;
    ``integer``: a whole number below 2**53; ``double``: a finite number), and the frame must
    hold exactly the metadata's columns and ``records`` rows.

    Returns:
        XP0020 findings (at most 50 per column and problem), each naming the row and column.
    """
    meta = prepared.meta
    frame = prepared.frame
    found = []
    names = [c.name for c in meta.columns]
    if list(frame.columns) != names:
        found.append(
            make_finding(
                "XP0020",
                f"{where}: the data columns {list(frame.columns)} differ from the metadata's "
                f"{names} at /rows",
                dataset=meta.name,
                value="rows",
            )
        )
        return FindingsTable.from_findings(found)
    if len(frame) != meta.records:
        found.append(
            make_finding(
                "XP0020",
                f"{where}: {len(frame)} rows but records is {meta.records} at /rows",
                dataset=meta.name,
                value="rows",
            )
        )
    for column in meta.columns:
        values = frame[column.name]
        present = values.notna().to_numpy()
        if column.data_type == "Num":
            if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
                # An object column: only int/float values (never bool) are numbers.
                array = values.to_numpy(dtype=object)
                is_number = np.fromiter(
                    (
                        isinstance(v, int | float | np.number)
                        and not isinstance(v, bool | np.bool_)
                        for v in array
                    ),
                    dtype=bool,
                    count=len(array),
                )
                bad = present & ~is_number
                found += _row_finding(
                    meta, column.name, np.flatnonzero(bad), "value is not a number", where
                )
                present = present & is_number
                numbers = np.where(present, array, np.nan).astype("float64")
            else:
                numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                bad = present & ~np.isfinite(numbers)
                found += _row_finding(
                    meta, column.name, np.flatnonzero(bad), "number is not finite", where
                )
                if column.integer:
                    whole = (numbers == np.round(numbers)) & (np.abs(numbers) < 2.0**53)
                    bad = present & np.isfinite(numbers) & ~whole
                    found += _row_finding(
                        meta, column.name, np.flatnonzero(bad), "value is not an integer", where
                    )
            continue
        text = values.to_numpy(dtype=object)[present]
        is_text = np.fromiter(map(isinstance, text, repeat(str)), dtype=bool, count=len(text))
        if not is_text.all():
            rows = np.flatnonzero(present)[~is_text]
            found += _row_finding(meta, column.name, rows, "value is not a string", where)
            continue
        summary = prepared.text_summary(column.name)
        if summary is not None and summary.max_bytes <= column.length:
            continue  # measured when the dataset was prepared: no value is longer
        lengths = utf8_byte_lengths(text)
        long = lengths > column.length
        if long.any():
            rows = np.flatnonzero(present)[long]
            found += _row_finding(
                meta,
                column.name,
                rows,
                f"value is longer than the column's length {column.length} (UTF-8 bytes)",
                where,
            )
    return FindingsTable.from_findings(found)


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
    _atomic_write_files((target,), ((chunk,) for chunk in chunks))


def _atomic_write_files(targets: tuple[Path, ...], chunks: Iterable[tuple[str, ...]]) -> None:
    """Write files side by side, each atomically: each chunk holds one text per file."""
    temps: list[Path] = []
    try:
        for target in targets:
            try:
                handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            except OSError as error:
                raise ExportError(f"cannot write to {target.parent}: {error}") from error
            os.close(handle)
            temps.append(Path(temp_name))
        try:
            with contextlib.ExitStack() as stack:
                streams = [
                    stack.enter_context(temp.open("w", encoding="utf-8", newline="\n"))
                    for temp in temps
                ]
                for texts in chunks:
                    for stream, text in zip(streams, texts, strict=True):
                        stream.write(text)
            for temp, target in zip(temps, targets, strict=True):
                os.chmod(temp, 0o644)
                os.replace(temp, target)
        except OSError as error:
            names = " and ".join(str(target) for target in targets)
            raise ExportError(f"cannot write {names}: {error}") from error
    finally:
        for temp in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def write_dataset_json_pair(
    prepared: PreparedDataset,
    json_dir: Path,
    ndjson_dir: Path,
    *,
    creation_datetime: datetime,
    study: StudyInfo,
    metadata_version_oid: str,
    schema_dir: Path | None = None,
) -> tuple[tuple[Path | None, FindingsTable], tuple[Path | None, FindingsTable]]:
    """Write ``<dataset>.json`` and ``<dataset>.ndjson`` together, each as ``write_dataset_json``.

    The two files hold the same rows: each record is converted, checked and encoded once and
    written to both (the JSON file's rows are the NDJSON lines joined by commas), which halves
    the cost of writing them one after the other. Paths and findings are those two calls of
    ``write_dataset_json`` would give, in that order; when only one of the files passes its
    checks, that one is written alone.

    Returns:
        ``(json path, findings), (ndjson path, findings)``; a path is ``None`` when that file
        was not written.
    """
    meta = prepared.meta
    findings = _non_finite_findings(prepared)
    if len(findings):
        return (None, findings), (None, findings)
    metadata = dataset_metadata(
        prepared,
        creation_datetime=creation_datetime,
        study=study,
        metadata_version_oid=metadata_version_oid,
    )
    names = (f"{meta.name.lower()}.json", f"{meta.name.lower()}.ndjson")
    checks = (FindingsTable(), FindingsTable())
    if schema_dir is not None:
        row_checks = check_rows(prepared, where=names[0])
        # The row checks see the same rows for both files; only the file named in their
        # messages differs, so they run again only when they found something.
        ndjson_row_checks = (
            check_rows(prepared, where=names[1]) if len(row_checks) else row_checks
        )
        checks = (
            FindingsTable.concat(
                [
                    validate_dataset_json({**metadata, "rows": []}, schema_dir, where=names[0]),
                    row_checks,
                ]
            ),
            FindingsTable.concat(
                [
                    validate_dataset_json({**metadata, "rows": []}, schema_dir, where=names[1]),
                    ndjson_row_checks,
                    validate_ndjson_metadata(metadata, schema_dir, where=names[1]),
                ]
            ),
        )
    if len(checks[0]) or len(checks[1]):
        outcomes = []
        for ndjson, folder, found in ((False, json_dir, checks[0]), (True, ndjson_dir, checks[1])):
            if len(found):
                outcomes.append((None, found))
            else:
                path, found = write_dataset_json(
                    prepared,
                    folder,
                    creation_datetime=creation_datetime,
                    study=study,
                    metadata_version_oid=metadata_version_oid,
                    ndjson=ndjson,
                )
                outcomes.append((path, found))
        return outcomes[0], outcomes[1]
    targets = (json_dir / names[0], ndjson_dir / names[1])
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    head = encode(metadata)

    def chunks() -> Iterator[tuple[str, str]]:
        yield head[:-1] + ',"rows":[', head + "\n"
        for index, lines in enumerate(_row_texts(prepared, encode) if meta.columns else ()):
            # "[a,b]" encoded whole is "[" + "a,b" + "]": the JSON rows are the lines joined.
            yield ("," if index else "") + ",".join(lines), "".join(
                line + "\n" for line in lines
            )
        yield "]}\n", ""

    _atomic_write_files(targets, chunks())
    return (targets[0], checks[0]), (targets[1], checks[1])


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
    suffix = "ndjson" if ndjson else "json"
    name = f"{meta.name.lower()}.{suffix}"
    if schema_dir is not None:
        checks = [
            validate_dataset_json({**metadata, "rows": []}, schema_dir, where=name),
            check_rows(prepared, where=name),
        ]
        if ndjson:
            checks.append(validate_ndjson_metadata(metadata, schema_dir, where=name))
        findings = FindingsTable.concat(checks)
        if len(findings):
            return None, findings
    target = out_dir / name
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    chunks = _row_chunks(prepared) if meta.columns else iter(())
    if ndjson:
        # JSON text never holds a raw line break (it is escaped), so one line per record.
        texts = itertools.chain(
            [encode(metadata) + "\n"],
            ("".join(encode(row) + "\n" for row in chunk) for chunk in chunks),
        )
    else:
        # A chunk encodes as "[row,row]": its brackets dropped, chunks join with commas into
        # exactly the text one encoding of all rows gives.
        texts = itertools.chain(
            [encode(metadata)[:-1], ',"rows":['],
            (("," if index else "") + encode(chunk)[1:-1] for index, chunk in enumerate(chunks)),
            ["]}\n"],
        )
    _atomic_write(target, texts)
    return target, findings
