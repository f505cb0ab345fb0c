"""Review page of an SDTM package: findings, per-subject timelines, dataset profiles (HTML).

The stage after export: it reads a written package (``.xpt`` or Dataset-JSON, ``findings.json``,
``counts.csv``, ``lineage.csv``) and nothing of the run that produced it. Findings reports in
text, JSON, CSV, XLSX and JUnit are :mod:`sdtm.export.report`; this package writes the one
HTML page a person reads.
"""

from sdtm.review.config import PanelSpec, ReviewConfig, load_review_config
from sdtm.review.inputs import ReviewInputs, read_review_inputs
from sdtm.review.page import ReviewPage, build_review
from sdtm.review.timeline import SubjectTimeline, build_subject_timeline, prepare_timelines
from sdtm.review.write import ReviewResult, default_review_path, write_review

__all__ = [
    "PanelSpec",
    "ReviewConfig",
    "ReviewInputs",
    "ReviewPage",
    "ReviewResult",
    "SubjectTimeline",
    "build_review",
    "build_subject_timeline",
    "default_review_path",
    "load_review_config",
    "prepare_timelines",
    "read_review_inputs",
    "write_review",
]
