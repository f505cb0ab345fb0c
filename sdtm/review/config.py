"""What a subject timeline draws: panels, highlighted events, treatments, the focus window.

Nothing here names a study, a therapy or a test code. Without a configuration file the
timeline is derived from the data alone:

- numeric panels: one per domain and ``--CAT`` for every findings dataset with ``--TESTCD``
  and ``--STRESN`` (LB, PC, VS, ...), split so that a panel never mixes units;
- highlighted adverse events: the AEs whose term (``AEDECOD``, ``AETERM`` or ``AELLT``) is the
  ``FAOBJ`` of numeric FA records of the same subject (a daily grade collected for the event,
  e.g. ASTCT CRS grades); those FA values are drawn as steps;
- treatments: the CM records whose ``CMINDC`` names one of the subject's AE terms;
- focus window: from the day before the first EX record to the end of the subject's SE
  element that contains ``RFSTDTC``; earlier and later data are drawn on compressed segments.

A study refines this in ``mappings/<study>/review.yaml`` (read by :func:`load_review_config`),
e.g. to name the AE terms to highlight, the CM categories to draw and panels that group tests
across categories; docs/report.md describes the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sdtm.errors import SpecError

SCALES = ("auto", "log", "linear")
"""Values of a panel's ``scale``: ``auto`` takes log when positive values span 2 decades."""

_PANEL_KEYS = frozenset(("title", "domain", "category", "tests", "scale"))
_TOP_KEYS = frozenset(("highlight_terms", "treatments", "panels", "other_panels", "focus_days"))
_TREATMENT_KEYS = frozenset(("categories", "indications"))


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """One numeric panel: which records of which domain, drawn on which scale."""

    title: str
    """Heading of the panel."""
    domain: str
    """Value of ``DOMAIN`` of the records (``LB``, ``PC``, ``VS``)."""
    category: str | None = None
    """``--CAT`` value the records must have; ``None`` takes every category."""
    tests: tuple[str, ...] = ()
    """``--TESTCD`` values to draw; empty takes every test (of ``category``)."""
    scale: str = "auto"
    """``auto``, ``log`` or ``linear`` (see :data:`SCALES`)."""


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    """How subject timelines are drawn; the default derives everything from the data."""

    highlight_terms: tuple[str, ...] = ()
    """AE terms (matched case-insensitively on ``AEDECOD``, ``AETERM``, ``AELLT``) drawn as
    highlighted rows, in addition to the AEs that carry FA grades."""
    treatment_categories: tuple[str, ...] = ()
    """``CMCAT`` values whose records are drawn, in addition to treatments of AEs."""
    treatment_indications: tuple[str, ...] = ()
    """``CMINDC`` values whose records are drawn, in addition to treatments of AEs."""
    panels: tuple[PanelSpec, ...] = ()
    """Panels drawn first, in this order."""
    other_panels: bool = True
    """Also draw the automatic panels for the tests no configured panel takes."""
    focus_days: tuple[int, int] | None = None
    """First and last study day of the focus window; ``None`` derives it per subject."""
    source: str = ""
    """File the configuration came from (empty for the default)."""


def _strings(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    problems.append(f"{where}: expected a list of text values")
    return ()


def _panel(entry: Any, number: int, problems: list[str]) -> PanelSpec | None:
    where = f"panels #{number}"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    unknown = sorted(set(entry) - _PANEL_KEYS)
    if unknown:
        problems.append(f"{where}: unknown keys {unknown} (known: {sorted(_PANEL_KEYS)})")
    domain = entry.get("domain")
    if not isinstance(domain, str) or not domain:
        problems.append(f"{where}: 'domain' is required (e.g. LB)")
        return None
    scale = str(entry.get("scale", "auto"))
    if scale not in SCALES:
        problems.append(f"{where}: scale {scale!r} is not one of {list(SCALES)}")
    tests = tuple(t.upper() for t in _strings(entry.get("tests"), f"{where} tests", problems))
    category = str(entry["category"]) if entry.get("category") is not None else None
    title = entry.get("title") or " ".join(
        part for part in (domain.upper(), category or "", ", ".join(tests)) if part
    )
    return PanelSpec(
        title=str(title), domain=domain.upper(), category=category, tests=tests, scale=scale
    )


def _focus(value: Any, problems: list[str]) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v != 0 for v in value)
        and value[0] < value[1]
    )
    if not ok:
        problems.append(
            "focus_days: expected [first day, last day], two study days in order, "
            f"neither 0 (there is no day 0), got {value!r}"
        )
        return None
    return int(value[0]), int(value[1])


def parse_review_config(data: Any, source: str = "") -> ReviewConfig:
    """Build a :class:`ReviewConfig` from the parsed YAML document ``{review: {...}}``.

    Args:
        data: The parsed document.
        source: File name, for messages.

    Returns:
        The configuration.

    Raises:
        SpecError: listing every problem of the document.
    """
    body = data.get("review") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise SpecError(f"{source}: expected a mapping under 'review:'")
    problems: list[str] = []
    unknown = sorted(set(body) - _TOP_KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown} (known: {sorted(_TOP_KEYS)})")
    treatments = body.get("treatments") or {}
    if not isinstance(treatments, dict):
        problems.append("treatments: expected a mapping with categories and/or indications")
        treatments = {}
    elif set(treatments) - _TREATMENT_KEYS:
        problems.append(f"treatments: keys must be among {sorted(_TREATMENT_KEYS)}")
    panels_raw = body.get("panels") or []
    if not isinstance(panels_raw, list):
        problems.append("panels: expected a list")
        panels_raw = []
    panels = [_panel(entry, n, problems) for n, entry in enumerate(panels_raw, start=1)]
    other = body.get("other_panels", True)
    if not isinstance(other, bool):
        problems.append(f"other_panels: expected true or false, got {other!r}")
    config = ReviewConfig(
        highlight_terms=_strings(body.get("highlight_terms"), "highlight_terms", problems),
        treatment_categories=_strings(
            treatments.get("categories"), "treatments.categories", problems
        ),
        treatment_indications=_strings(
            treatments.get("indications"), "treatments.indications", problems
        ),
        panels=tuple(p for p in panels if p is not None),
        other_panels=other if isinstance(other, bool) else True,
        focus_days=_focus(body.get("focus_days"), problems),
        source=source,
    )
    if problems:
        raise SpecError(f"{len(problems)} problem(s) in {source}:\n  " + "\n  ".join(problems))
    return config


def load_review_config(path: Path) -> ReviewConfig:
    """Read ``mappings/<study>/review.yaml``.

    Args:
        path: The file.

    Returns:
        The configuration.

    Raises:
        SpecError: when the file cannot be read or has problems (all of them listed).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"cannot read review settings {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML ({error})") from None
    return parse_review_config(data, path.name)
