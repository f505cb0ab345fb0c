"""Read an SDTM package (a folder of ``.xpt`` or Dataset-JSON files) for re-export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sdtm.errors import InputError
from sdtm.findings import FindingsTable
from sdtm.read.dataset_json import read_dataset_json
from sdtm.read.xpt_v5 import read_xpt_v5

_SUFFIXES: tuple[str, ...] = (".xpt", ".json", ".ndjson")


def read_export_source(
    src_dir: Path, *, encoding: str = "utf-8", fallback_encoding: str | None = "cp1252"
) -> tuple[dict[str, pd.DataFrame], FindingsTable]:
    """Read every dataset of an SDTM package folder.

    ``.xpt`` files are read with ``sdtm.read.xpt_v5`` (text that is not ``encoding`` is read
    as ``fallback_encoding`` with an XP0017 finding); ``.json``/``.ndjson`` with
    ``sdtm.read.dataset_json``. When a dataset is present in several forms the first in the
    order ``.xpt``, ``.json``, ``.ndjson`` is used. ``define.xml`` and other files are ignored.

    Args:
        src_dir: The folder.
        encoding: Text encoding of the XPT files.
        fallback_encoding: Encoding for values that are not ``encoding``; ``None`` to refuse.

    Returns:
        Datasets by upper-case name, and the reading findings.

    Raises:
        InputError: When the folder is missing, holds no dataset, or a file cannot be read.
    """
    if not src_dir.is_dir():
        raise InputError(f"{src_dir}: no such folder")
    frames: dict[str, pd.DataFrame] = {}
    tables: list[FindingsTable] = []
    for suffix in _SUFFIXES:
        for path in sorted(src_dir.glob(f"*{suffix}")):
            name = path.stem.upper()
            if name in frames:
                continue
            if suffix == ".xpt":
                content = read_xpt_v5(path, encoding=encoding, fallback_encoding=fallback_encoding)
                frames[name] = content.frame
                tables.append(content.findings)
            else:
                frames[name], _ = read_dataset_json(path)
    if not frames:
        raise InputError(f"{src_dir}: no .xpt, .json or .ndjson datasets found")
    return frames, FindingsTable.concat(tables)
