from pathlib import Path

import pytest
from hypothesis import settings

# Tests never assert on wall time (house rule): Hypothesis' default 200 ms deadline per example
# made property tests fail on the shared 2-core machine under load (a first example took
# 860 ms, its rerun 30 ms). Benchmarks in bench/ measure time instead.
settings.register_profile("sdtm", deadline=None)
settings.load_profile("sdtm")

REPO_DIR = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_DIR.parent / "shared"
REFERENCE_DIR = SHARED_DIR / "reference"
PILOT_DIR = REFERENCE_DIR / "cdiscpilot-sdtm"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO_DIR


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"reference data not found at {REFERENCE_DIR} (expected ../shared/reference)")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def pilot_dir(reference_dir: Path) -> Path:
    return reference_dir / "cdiscpilot-sdtm"


@pytest.fixture(scope="session")
def pilot_review(pilot_dir, tmp_path_factory):
    """`sdtm report` of the CDISC pilot for one subject (issue 14); no findings.json there."""
    from sdtm.review import write_review

    return write_review(
        pilot_dir, tmp_path_factory.mktemp("pilot") / "pilot.html", subjects=["01-701-1015"]
    )
