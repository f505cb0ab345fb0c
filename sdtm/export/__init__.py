"""Pipeline stage ``export``: XPT v5, Define-XML 2.1, Dataset-JSON 1.1 and a manifest.

The entry point is :func:`export_submission`; see ``docs/export.md``.
"""

from sdtm.export.define_metadata import DefineMetadata, StudyInfo, VariableOrigin
from sdtm.export.submission import FORMATS, ExportSettings, export_submission

__all__ = [
    "FORMATS",
    "DefineMetadata",
    "ExportSettings",
    "StudyInfo",
    "VariableOrigin",
    "export_submission",
]
