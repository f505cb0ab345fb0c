"""One run of the bundled study, shared by the golden and end-to-end tests of this folder."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sdtm import run_study
from sdtm.review import write_review

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "cart-psca-001"
    return run_study(
        REPO / "sample_data" / "cart-psca-001",
        REPO / "mappings" / "cart-psca-001",
        out,
        creation_datetime=datetime(2024, 11, 1, 12, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def second(tmp_path_factory):
    """One run of the second bundled study (issue 10), as the golden tests record it."""
    return run_study(
        REPO / "sample_data" / "cart-cd19-002",
        REPO / "mappings" / "cart-cd19-002",
        tmp_path_factory.mktemp("out") / "cart-cd19-002",
        creation_datetime=datetime(2024, 11, 1, 12, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def frames(bundled):
    return bundled.frames


@pytest.fixture(scope="session")
def bundled_review(bundled, tmp_path_factory):
    """The review page of the bundled run (issue 14), as `sdtm report` writes it."""
    return write_review(
        bundled.out_dir,
        tmp_path_factory.mktemp("review") / "report.html",
        mapping_dir=REPO / "mappings" / "cart-psca-001",
    )
