"""sdtm: raw clinical-trial source data to validated CDISC SDTM datasets.

This module only re-exports the public API; the work is done in the stage packages.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
