"""sdtm: raw clinical-trial source data to validated CDISC SDTM datasets.

This module only re-exports the public API; the work is done in the stage packages. The
re-exports are resolved on first use (PEP 562), so that ``sdtm --version`` and ``sdtm --help``
do not import pandas, pandera and the pipeline (about 2 s of CPU).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["RunResult", "__version__", "load_mapping", "run_study"]

_LAZY = frozenset({"RunResult", "load_mapping", "run_study"})

if TYPE_CHECKING:
    from sdtm.pipeline import RunResult, load_mapping, run_study


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from sdtm import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'sdtm' has no attribute {name!r}")
