"""Synthetic CART-PSCA-001 raw source data: the generator behind ``sdtm sample``.

See ``docs/sample.md`` and the data dictionary ``sample_data/cart-psca-001/README.md``.
"""

from sdtm.sample.generate import DEFAULT_SEED, DEFAULT_SUBJECTS, SampleSummary, write_sample
from sdtm.sample.layout import RAW_FILES, RawFile

__all__ = ["DEFAULT_SEED", "DEFAULT_SUBJECTS", "RAW_FILES", "RawFile", "SampleSummary",
           "write_sample"]
