"""sdtm: raw clinical-trial source data to validated CDISC SDTM datasets.

This module only re-exports the public API; the work is done in the stage packages.
"""

__version__ = "0.1.0"

from sdtm.pipeline import RunResult, load_mapping, run_study

__all__ = ["RunResult", "__version__", "load_mapping", "run_study"]
