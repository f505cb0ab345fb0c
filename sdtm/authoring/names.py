"""Raw column naming conventions (``specs/propose/raw-names.yaml``) as a frozen object.

The table is data, like the standards: which raw names commonly mean which SDTM variable
(CDASHIG names and the spellings of common exports), which name parts mark a start or end date,
a link to another domain or a planned value. :func:`normalize_name` is the one way names are
compared (upper case, letters and digits only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from sdtm.errors import StandardsError

RAW_NAMES_FILE = Path("propose") / "raw-names.yaml"
"""Where the table lives inside the standards folder (``specs/``)."""

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def normalize_name(name: str) -> str:
    """Return a raw column name upper-cased with everything but letters and digits removed.

    Args:
        name: A raw column name (``Test_Code``).

    Returns:
        The comparable form (``TESTCODE``).
    """
    return _NOT_ALNUM.sub("", name.upper())


@dataclass(frozen=True, slots=True)
class RawNames:
    """The naming conventions ``sdtm propose`` weighs (see the YAML file for each table)."""

    identifiers: Mapping[str, tuple[str, ...]]
    """STUDYID/SUBJID/SITEID -> whole raw names that mean them."""
    whole: Mapping[str, tuple[str, ...]]
    """Variables without a domain prefix (SEX, COUNTRY) -> whole raw names."""
    suffixes: Mapping[str, tuple[str, ...]]
    """Variable suffix (``TERM`` of ``AETERM``) -> raw name parts that mean it."""
    date_suffixes: tuple[str, ...]
    """Endings of raw date column names (``DAT``)."""
    time_suffixes: tuple[str, ...]
    """Endings of raw time column names (``TIM``)."""
    start: tuple[str, ...]
    """Stem endings of a start date (``ST``)."""
    end: tuple[str, ...]
    """Stem endings of an end date (``EN``)."""
    collection: tuple[str, ...]
    """Stems of a collection date (``COLL``)."""
    other_dates: tuple[str, ...]
    """Stems of dates of something else (``RECV``): never an observation's date."""
    date_stems: Mapping[str, tuple[str, ...]]
    """Date variable -> stems that name it (``RFICDTC``: ``IC``, ``CONSENT``)."""
    visit: tuple[str, ...]
    """Whole names of a raw visit label column."""
    links: Mapping[str, tuple[str, ...]]
    """Domain -> name endings of a column that names a record of it (``AENO``)."""
    planned: tuple[str, ...]
    """Name parts of a planned or target value."""
    ongoing: tuple[str, ...]
    """Name endings of an "ongoing" box (CDASH ``--ONGO``)."""
    true_values: tuple[str, ...]
    """Upper-case spellings of a ticked box."""
    derived: tuple[str, ...]
    """Variables (``--`` for the domain prefix) the pipeline derives, never proposed."""
    preference: tuple[str, ...]
    """Domains in the order that breaks a tie between equally supported domains."""
    source: str = ""
    """The file read."""

    def date_stem_variable(self, stem: str, domain: str) -> str | None:
        """The date variable of ``domain`` whose stem table lists ``stem``, if any."""
        for variable, stems in self.date_stems.items():
            if stem in stems and (variable.startswith(domain) or domain == "DM"):
                return variable
        return None

    def is_derived(self, variable: str, domain: str) -> bool:
        """Return True when the pipeline derives ``variable`` of ``domain`` after mapping."""
        for item in self.derived:
            if item == variable or (item.startswith("--") and domain + item[2:] == variable):
                return True
        return False


def _names(values: Any) -> tuple[str, ...]:
    return tuple(normalize_name(str(v)) for v in values or ())


def _table(values: Any) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({str(k): _names(v) for k, v in (values or {}).items()})


def load_raw_names(specs_dir: Path) -> RawNames:
    """Read ``propose/raw-names.yaml`` from the standards folder.

    Args:
        specs_dir: The standards folder (``specs/``).

    Returns:
        The naming conventions.

    Raises:
        StandardsError: when the file is missing or malformed.
    """
    path = specs_dir / RAW_NAMES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        dates = data["dates"]
        return RawNames(
            identifiers=_table(data["identifiers"]),
            whole=_table(data["whole"]),
            suffixes=_table(data["suffixes"]),
            date_suffixes=_names(dates["date_suffixes"]),
            time_suffixes=_names(dates["time_suffixes"]),
            start=_names(dates["start"]),
            end=_names(dates["end"]),
            collection=_names(dates["collection"]),
            other_dates=_names(dates["other"]),
            date_stems=_table(dates.get("stems")),
            visit=_names(data["visit"]),
            links=_table(data["links"]),
            planned=_names(data["planned"]),
            ongoing=_names(data["ongoing"]),
            true_values=tuple(str(v).upper() for v in data["true_values"]),
            derived=tuple(str(v) for v in data["derived"]),
            preference=tuple(str(v) for v in data["preference"]),
            source=str(path),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise StandardsError(f"{path}: cannot read the raw naming conventions ({error})") from error
