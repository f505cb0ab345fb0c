"""Fixtures for the sample-data tests: the committed study and a generated larger one."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sdtm.sample.generate import write_sample
from sdtm.sample.layout import RAW_FILES
from sdtm.sample.writer import read_xlsx_rows

_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}

COMMITTED = Path(__file__).resolve().parents[2] / "sample_data" / "cart-psca-001"


def load_study(folder: Path) -> dict[str, pd.DataFrame]:
    """Every raw file of a study folder as an all-text DataFrame, keyed by file key."""
    frames = {}
    for raw in RAW_FILES:
        path = folder / raw.path
        if raw.is_xlsx:
            rows = read_xlsx_rows(path)
            frames[raw.key] = pd.DataFrame(rows[1:], columns=list(rows[0]), dtype=object)
        else:
            frames[raw.key] = pd.read_csv(path, dtype=str, keep_default_na=False,
                                          encoding="utf-8")
    return frames


def parse_edc(date_text: str, time_text: str = "") -> dt.datetime | None:
    """Full EDC date (+ optional HH:MM) -> datetime; partial or empty -> None."""
    parts = date_text.split()
    if len(parts) != 3 or parts[0].startswith("UN") or parts[1].startswith("UN"):
        return None
    day = dt.date(int(parts[2]), _MONTHS[parts[1]], int(parts[0]))
    if len(time_text) == 5 and "UN" not in time_text:
        return dt.datetime.combine(day, dt.time(int(time_text[:2]), int(time_text[3:])))
    return dt.datetime.combine(day, dt.time(0, 0))


def parse_iso(date_text: str, time_text: str = "") -> dt.datetime:
    """Vendor ISO date + HH:MM (or UNK) -> datetime (midnight when the time is unknown)."""
    day = dt.date.fromisoformat(date_text)
    if len(time_text) == 5 and ":" in time_text:
        return dt.datetime.combine(day, dt.time(int(time_text[:2]), int(time_text[3:])))
    return dt.datetime.combine(day, dt.time(0, 0))


@pytest.fixture(scope="session")
def committed_dir() -> Path:
    return COMMITTED


@pytest.fixture(scope="session")
def study() -> dict[str, pd.DataFrame]:
    """The committed 26-subject study."""
    return load_study(COMMITTED)


@pytest.fixture(scope="session")
def larger_study(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """A generated 80-subject study (bundled 26 + cycled extras), seed 7."""
    folder = tmp_path_factory.mktemp("sample80")
    write_sample(folder, 80, 7)
    return load_study(folder)


@pytest.fixture(scope="session", params=["committed", "n80"])
def any_study(request, study, larger_study) -> dict[str, pd.DataFrame]:
    """Both studies, for checks that must hold for any generated size."""
    return study if request.param == "committed" else larger_study


@pytest.fixture(scope="session")
def edc_dt():
    """The EDC date parser (fixtures are the only way to share helpers across test files)."""
    return parse_edc


@pytest.fixture(scope="session")
def iso_dt():
    """The vendor ISO date parser."""
    return parse_iso


@pytest.fixture(scope="session")
def load():
    """The study loader."""
    return load_study
