"""Raw data delivered as datasets: SAS7BDAT, SAS XPORT and Parquet -> text frames.

Every value is turned into the text a reader of the file would see, nothing more: numbers
as written (``23447``, ``0.25``; an integral double has no ``.0``), missing values as
missing, and dates as the numbers SAS stores (days or seconds since 1960-01-01), because the
mapping spec names their format (``format: SAS DATE``) rather than the reader guessing from a
SAS display format. ``_src_row`` is the record number, the first record being 1 (these files
have no header line).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sdtm.read.options import ReadOptions
from sdtm.read.raw import SRC_ROW
from sdtm.read.xpt_v5 import check_xpt_file


def _number_text(value: object) -> object:
    if value is None:
        return pd.NA
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return pd.NA
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _numbers_as_text(values: pd.Series) -> pd.Series:
    """Numbers as written (``_number_text``), by column: integral values in one conversion."""
    if pd.api.types.is_integer_dtype(values):
        # exact, whatever the size (a float would round integers beyond 2**53)
        return values.astype("Int64").astype("string")
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    integral = number.notna() & (number % 1 == 0) & (number.abs() < 1e15)
    text = pd.Series(pd.NA, index=values.index, dtype="string")
    text[integral] = number[integral].astype("int64").astype(str)
    other = number.notna() & ~integral
    text[other] = number[other].map(repr)
    return text


def frame_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text (see the module doc for how numbers are written)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[str(column)] = _numbers_as_text(values)
        elif pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S").str.replace("T00:00:00", "")
            out[str(column)] = text.astype("string")
        else:
            out[str(column)] = pd.Series(
                [_number_text(v) if v is not None else pd.NA for v in values], index=frame.index
            ).astype("string")
    return out


def read_sas(
    path: Path, relative: str, options: ReadOptions
) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    """Read a SAS7BDAT or SAS XPORT file with pyreadstat; dates stay SAS numbers.

    Args:
        path: The file.
        relative: Its path relative to the study folder.
        options: ``encoding`` of the character values (default: the file's own).

    Returns:
        The text frame with ``_src_row`` (record number), the record count, no findings.

    Raises:
        InputError: when an XPORT file was cut short or damaged (pyreadstat would read the
            records before the cut and say nothing), naming the byte offset.
    """
    import pyreadstat

    if path.suffix.lower() == ".sas7bdat":
        reader = pyreadstat.read_sas7bdat
    else:
        check_xpt_file(path)
        reader = pyreadstat.read_xport
    kwargs: dict[str, object] = {"disable_datetime_conversion": True}
    if options.encoding:
        kwargs["encoding"] = options.encoding
    frame, _ = reader(str(path), **kwargs)
    text = frame_as_text(frame)
    text[SRC_ROW] = np.arange(1, len(text) + 1, dtype="int64")
    return text, len(text), []


def read_parquet(
    path: Path, relative: str, options: ReadOptions
) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    """Read a Parquet file with fastparquet; every column as text.

    Returns:
        The text frame with ``_src_row`` (record number), the record count, no findings.

    Raises:
        ValueError: when no Parquet engine is installed (named in the message).
    """
    try:
        import fastparquet
    except ImportError as error:
        raise ValueError(
            "reading Parquet needs the fastparquet package (pip install fastparquet)"
        ) from error
    # fastparquet directly: pandas' fastparquet engine is deprecated, and pyarrow would change
    # the storage of every string column of the run.
    frame = fastparquet.ParquetFile(str(path)).to_pandas()
    text = frame_as_text(frame.reset_index(drop=True))
    text[SRC_ROW] = np.arange(1, len(text) + 1, dtype="int64")
    return text, len(text), []
