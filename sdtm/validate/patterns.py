"""Value patterns of the SDTM text formats the schemas check (SDTMIG 3.4 section 4.4)."""

from __future__ import annotations

import re

_Y = r"(?:\d{4}|-)"
_MO = r"(?:0[1-9]|1[0-2]|-)"
_D = r"(?:0[1-9]|[12]\d|3[01]|-)"
_H = r"(?:[01]\d|2[0-3]|-)"
_MI = r"(?:[0-5]\d|-)"
_S = r"(?:[0-5]\d(?:[.,]\d+)?|-)"
_TZ = r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?"
# SDTMIG 3.4 section 4.4: reduced precision omits trailing components; a missing component in
# the middle is a single "-" (2003---15, --12-15, -----T07:15); a trailing "-" is not allowed.
_DATETIME = rf"{_Y}(?:-{_MO}(?:-{_D}(?:T{_H}(?::{_MI}(?::{_S})?)?{_TZ})?)?)?(?<!-)"
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_INTERVAL = rf"(?:{_DATETIME}/{_DATETIME}|{_DATETIME}/{_DURATION}|{_DURATION}/{_DATETIME})"
DATETIME_PATTERN = re.compile(rf"(?:{_DATETIME}|{_INTERVAL})")
"""ISO 8601 date/time, reduced precision and SDTM placeholders, or an interval."""
DURATION_PATTERN = re.compile(rf"(?:-?{_DURATION}|{_INTERVAL})")
"""ISO 8601 duration (optionally negative, as SDTMIG uses for --ELTM) or an interval."""
SHORT_NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
"""--TESTCD/--PARMCD values: <= 8 characters, a letter first, then letters, digits, underscore."""
CENSORED_NUMBER_PATTERN = re.compile(r"(?:[<>]=?\s*)?[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
"""Numeric results, optionally censored (``<2.5``, ``>5000``): exempt from --STRESC codelists."""
