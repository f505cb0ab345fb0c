"""Draft steps of ``sdtm propose`` while a block is being built, and small shared helpers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sdtm.authoring.names import RawNames
from sdtm.authoring.profile import ColumnProfile, FileProfile
from sdtm.standards.model import Codelist, Term

TODO = "TODO (sdtm propose)"
"""Start of every reason a reviewer must replace."""
NOT_SUBMITTED_TARGET = "_NOT_SUBMITTED"
"""Working target of the ``not_submitted`` steps that declare raw columns."""
AMBIGUOUS_DATE_CONFIDENCE = 0.2


@dataclass
class Draft:
    """One proposed step, before it becomes a ``Step`` (kept mutable while the block is built)."""

    target: str
    algorithm: str
    confidence: float
    rationale: str
    fields: dict[str, object] = field(default_factory=dict)
    order: int = 0


@dataclass
class BlockSource:
    """The columns a block can read: the file's own, then those of its lookups (prefixed)."""

    file: FileProfile
    lookups: tuple[tuple[FileProfile, str], ...] = ()
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def columns(self) -> list[tuple[str, ColumnProfile]]:
        """(name as the spec reads it, profile): own columns first, then prefixed lookups."""
        out = [(c.name, c) for c in self.file.columns]
        for lookup, prefix in self.lookups:
            out.extend((prefix + c.name, c) for c in lookup.columns)
        return out


def is_true(value: str, names: RawNames) -> bool:
    """True when ``value`` spells a ticked box or a yes (``1``, ``Y``, ``YES`` ...)."""
    return value.strip().upper() in names.true_values


def flag_values(column: ColumnProfile, names: RawNames) -> tuple[str, ...]:
    """The spellings of "ticked" a yes/no column holds (``("1",)``), empty if not a flag."""
    values = set(column.counts)
    if not values or len(values) > 2:
        return ()
    ticked = tuple(sorted(v for v in values if is_true(v, names)))
    falsy = {"0", "N", "NO", "FALSE", ""}
    if ticked and all(v in ticked or v.upper() in falsy for v in values):
        return ticked
    return ()


def clamp(value: float) -> float:
    """A confidence kept between 0 and 1, rounded to two decimals."""
    return round(max(0.0, min(1.0, value)), 2)


def term_by_code(codelist: Codelist, code: str) -> Term | None:
    """Return the term of ``codelist`` with NCI C-code ``code`` (paired codelists share them)."""
    return next((t for t in codelist.terms if t.code == code), None)


_PUNCTUATION = re.compile(r"[^A-Z0-9]")


def loose_text(text: str) -> str:
    """Upper case without spaces and punctuation: ``Interleukin-6`` == ``Interleukin 6``."""
    return _PUNCTUATION.sub("", text.upper())
