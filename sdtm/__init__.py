"""sdtm: raw clinical-trial source data to validated CDISC SDTM datasets.

This module only re-exports the public API; the work is done in the stage packages.
"""

__version__ = "0.1.0"

from sdtm.compare.package import compare
from sdtm.compare.result import CompareResult
from sdtm.pipeline import RunResult, load_mapping, run_study

# ``sdtm.compare`` is the function; its package is imported by full name
# (``from sdtm.compare.package import ...``).
__all__ = ["CompareResult", "RunResult", "__version__", "compare", "load_mapping", "run_study"]
