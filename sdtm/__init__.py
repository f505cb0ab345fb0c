"""sdtm: raw clinical-trial source data to validated CDISC SDTM datasets.

This module only re-exports the public API; the work is done in the stage packages. The
re-exports are resolved on first use (PEP 562), so that ``sdtm --version`` and ``sdtm --help``
do not import pandas, pandera and the pipeline (about 2 s of CPU).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["CompareResult", "RunResult", "__version__", "compare", "load_mapping", "run_study"]

# Loaded on first use, so that ``sdtm --version`` does not import pandas. ``sdtm.compare`` is
# the function; its package is ``sdtm.comparison``.
_LAZY = {
    "RunResult": "sdtm.pipeline",
    "load_mapping": "sdtm.pipeline",
    "run_study": "sdtm.pipeline",
    "compare": "sdtm.comparison.package",
    "CompareResult": "sdtm.comparison.result",
}

if TYPE_CHECKING:
    from sdtm.comparison.package import compare
    from sdtm.comparison.result import CompareResult
    from sdtm.pipeline import RunResult, load_mapping, run_study


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sdtm' has no attribute {name!r}")
