"""Run configuration and the locations of the standards files."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sdtm.errors import StandardsError
from sdtm.findings import Severity

SPECS_MARKER = "sdtmig-3.4"


def default_specs_dir() -> Path:
    """Return the ``specs/`` folder to read standards from.

    A checkout (or editable install) uses the repository's ``specs/``; an installed wheel carries
    a copy as ``sdtm/_specs``.
    """
    package_dir = Path(str(resources.files("sdtm")))
    for candidate in (package_dir.parent / "specs", package_dir / "_specs"):
        if (candidate / SPECS_MARKER).is_dir():
            return candidate
    raise StandardsError(
        f"cannot find the standards folder (looked for {SPECS_MARKER}/ under "
        f"{package_dir.parent / 'specs'} and {package_dir / '_specs'}); pass --specs DIR"
    )


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Settings of one run, passed explicitly to every stage that needs them."""

    specs_dir: Path
    """Folder holding ``sdtmig-3.4/``, ``ct/<package date>/`` and ``rules/``."""
    ct_version: str | None = None
    """CT package date to use (``YYYY-MM-DD``); ``None`` takes the newest under ``specs/ct/``."""
    fail_on: Severity = Severity.ERROR
    """Lowest severity that makes the run exit with code 1."""
