"""Size limits that keep the package readable (issue 9): a short orchestrator, small modules."""

from pathlib import Path

import pytest

import sdtm

PACKAGE_DIR = Path(sdtm.__file__).parent
MODULES = sorted(PACKAGE_DIR.rglob("*.py"))
MODULE_IDS = [p.relative_to(PACKAGE_DIR).as_posix() for p in MODULES]


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_pipeline_orchestrator_stays_under_300_lines():
    assert _lines(PACKAGE_DIR / "pipeline.py") < 300


@pytest.mark.parametrize("path", MODULES, ids=MODULE_IDS)
def test_no_module_is_over_700_lines(path):
    assert _lines(path) <= 700
