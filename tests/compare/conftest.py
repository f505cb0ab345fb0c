"""Shared inputs of the compare tests: the bundled study's output and a SAS-like XPT rewriter."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from sdtm import run_study
from sdtm.standards import load_standards

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def standards():
    return load_standards()


@pytest.fixture(scope="session")
def bundled_out(tmp_path_factory) -> Path:
    """The bundled study's output folder (XPT files, json/ and ndjson/), made once."""
    out = tmp_path_factory.mktemp("compare") / "cart-psca-001"
    run_study(
        REPO / "sample_data" / "cart-psca-001",
        REPO / "mappings" / "cart-psca-001",
        out,
        creation_datetime=datetime(2024, 11, 1, 12, 0, tzinfo=UTC),
    )
    return out


def rewrite_xpt(
    source: Path,
    target: Path,
    edit: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    *,
    labels: dict[str, str] | None = None,
    lengths: dict[str, int] | None = None,
    dataset_label: str | None = None,
) -> pd.DataFrame:
    """Write ``source`` to ``target`` as a second programmer's SAS program would: same label,
    lengths and formats unless told otherwise, with ``edit`` applied to the data.

    pyreadstat sizes a text variable by its longest value and drops trailing blanks on reading,
    so a declared length longer than every value is kept by padding one value with blanks.
    Returns the frame written (before padding).
    """
    frame, meta = pyreadstat.read_xport(str(source))
    if edit is not None:
        frame = edit(frame.copy()).reset_index(drop=True)
    widths = {**meta.variable_storage_width, **(lengths or {})}
    padded = frame.copy()
    for column, kind in meta.readstat_variable_types.items():
        if kind != "string" or not len(padded):
            continue
        text = padded[column].astype("object").where(padded[column].notna(), "").astype(str)
        if text.str.len().max() < widths[column]:
            text.iloc[0] = text.iloc[0].ljust(widths[column])
        padded[column] = text
    pyreadstat.write_xport(
        padded,
        str(target),
        table_name=meta.table_name,
        file_label=dataset_label if dataset_label is not None else meta.file_label or "",
        column_labels={**meta.column_names_to_labels, **(labels or {})},
        file_format_version=5,
        variable_format={k: v for k, v in meta.original_variable_types.items() if v},
    )
    return frame


@pytest.fixture(scope="session")
def rewrite():
    return rewrite_xpt
