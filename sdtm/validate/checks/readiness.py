"""Submission-readiness checks on a package: XPT v5 limits, ASCII text, Expected variables.

The exporter enforces the same limits while writing (``XP`` rules); these rules report them
when validating a package that already exists, so problems show up before export.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import collect, dataset_finding, labels_of

Frames = Mapping[str, pd.DataFrame]

MAX_VALUE_BYTES = 200
"""Longest character value SAS XPORT version 5 stores."""
MAX_LABEL_LENGTH = 40
"""Longest variable label SAS XPORT version 5 stores."""


def _all_datasets(frames: Frames):
    for name, frame in frames.items():
        yield name, frame.reset_index(drop=True)


def _text_columns(frame: pd.DataFrame):
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            yield column, series.astype("string")


def check_variable_name_invalid(frames: Frames, standards: Standards) -> FindingsTable:
    """Variable names: <= 8 characters, letters/digits/_, starting with a letter (CG0310)."""
    tables = []
    for name, frame in frames.items():
        names = pd.Series([str(c) for c in frame.columns], dtype="string")
        bad = ~names.str.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,7}").fillna(False).astype(bool)
        tables.extend(
            dataset_finding(name, variable=column, value=column, detail="invalid variable name")
            for column in names[bad]
        )
    return collect(tables)


def check_variable_label_too_long(frames: Frames, standards: Standards) -> FindingsTable:
    """Variable labels, when the frame carries them, are <= 40 characters (CORE-000019)."""
    tables = []
    for name, frame in frames.items():
        labels = labels_of(frame)
        tables.extend(
            dataset_finding(name, variable=str(column), value=str(label), detail="label too long")
            for column, label in labels.items()
            if label is not None and len(str(label)) > MAX_LABEL_LENGTH
        )
    return collect(tables)
