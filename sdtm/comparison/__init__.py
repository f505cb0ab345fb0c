"""``sdtm compare``: independent double-programming QC of two SDTM packages.

The entry point is :func:`sdtm.compare` (:func:`sdtm.comparison.package.compare`); see
``docs/compare.md``. The result types are in :mod:`sdtm.comparison.result`.
"""

from sdtm.comparison.result import CompareOptions, CompareResult

__all__ = ["CompareOptions", "CompareResult"]
