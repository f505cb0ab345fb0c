from pathlib import Path

import pytest

from sdtm.standards import Standards, load_standards


@pytest.fixture(scope="session")
def standards(repo_dir: Path) -> Standards:
    return load_standards(repo_dir / "specs")
