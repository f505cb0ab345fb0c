from pathlib import Path

import pytest

from sdtm.authoring.names import load_raw_names
from sdtm.config import default_specs_dir
from sdtm.standards import load_standards
from sdtm.standards.search import TermIndex


@pytest.fixture(scope="session")
def standards():
    return load_standards()


@pytest.fixture(scope="session")
def index(standards):
    return TermIndex.build(standards.codelists.values())


@pytest.fixture(scope="session")
def names():
    return load_raw_names(default_specs_dir())


@pytest.fixture
def study(tmp_path: Path):
    """Write raw files (text or bytes) into tmp_path/<name>/ and return the folder."""

    def write(files: dict[str, str | bytes], name: str = "demo-study") -> Path:
        folder = tmp_path / name
        for relative, content in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return write
