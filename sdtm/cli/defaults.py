"""Values the CLI shows in ``--help`` without importing the modules that own them.

Importing ``sdtm.findings``, ``sdtm.pipeline`` or ``sdtm.sample`` pulls in pandas (about 1-2 s
of CPU), which ``sdtm --help`` must not pay. These copies are checked against their owners by
``tests/cli/test_startup.py``.
"""

from __future__ import annotations

from pathlib import Path

SEVERITIES: tuple[str, ...] = ("error", "warning", "notice")
"""``sdtm.findings.Severity`` values, most severe first."""

DEFAULT_STUDY_DIR = Path("sample_data") / "cart-psca-001"
"""``sdtm.pipeline.DEFAULT_STUDY_DIR``."""
DEFAULT_OUT_DIR = Path("out")
"""``sdtm.pipeline.DEFAULT_OUT_DIR``."""
DEFAULT_MAPPINGS_DIR = Path("mappings")
"""``sdtm.pipeline.DEFAULT_MAPPINGS_DIR``."""

DEFAULT_SUBJECTS = 26
"""``sdtm.sample.generate.DEFAULT_SUBJECTS``."""
DEFAULT_SEED = 20240312
"""``sdtm.sample.generate.DEFAULT_SEED``."""
SAMPLE_LAYOUTS: tuple[str, ...] = ("cart-psca-001", "cart-cd19-002")
"""``sdtm.sample.layout.LAYOUT`` (the default) and ``sdtm.sample.cd19.LAYOUT``."""
SECOND_LAYOUT_SUBJECTS = 10
"""``sdtm.sample.cd19.DEFAULT_SUBJECTS``."""
SECOND_LAYOUT_SEED = 20240501
"""``sdtm.sample.cd19.DEFAULT_SEED``."""

EXPORT_FORMATS: tuple[str, ...] = ("xpt", "define", "dataset-json")
"""``sdtm.export.submission.FORMATS``."""

REVIEW_THRESHOLD = 0.8
"""``sdtm.mapping.status.REVIEW_THRESHOLD`` (steps below it go to the review queue)."""

COMPARE_FORMATS: tuple[str, ...] = ("text", "json", "xlsx", "html")
"""``sdtm.comparison.report.COMPARE_FORMATS``."""

JOBS_HELP = (
    "Processes that share out the work: reading, mapping, checks and export (default: the "
    "usable CPUs, at most 4; 1 runs everything in this process). The outputs are the same "
    "for any number."
)
"""Help of ``--jobs`` (``sdtm.workers.default_jobs`` is the default)."""
