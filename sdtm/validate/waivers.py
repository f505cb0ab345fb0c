"""Waivers: approved exceptions to rules, read from ``mappings/<study>/waivers.yaml``.

A waiver names a rule, a scope (shell-style patterns on dataset, variable, usubjid and value),
the reason and who approved it. Waived findings stay in the report, marked ``waived``; a waiver
that matches no finding is itself reported (rule ST0900 ``waiver-matches-nothing``), because a
stale waiver would silently hide the next real problem.

File format::

    waivers:
      - rule: XR0002
        scope: {dataset: DM, usubjid: "01-701-*"}
        reason: "Screen failures carry ARMCD Scrnfail (SDTMIG 3.2 convention)."
        approved_by: "J. Doe, 2024-05-01"
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from sdtm.errors import SpecError
from sdtm.findings import FindingsTable
from sdtm.read.text import per_distinct, regex_mask
from sdtm.safe_parse import UnsafeYamlError, load_yaml
from sdtm.validate.registry import Registry, finalize

RULE_ID_UNUSED_WAIVER = "ST0900"
"""Rule reported for a waiver that matches nothing."""

SCOPE_FIELDS = ("dataset", "variable", "usubjid", "value")
"""Finding columns a waiver scope may constrain."""


@dataclass(frozen=True, slots=True)
class Waiver:
    """One approved exception."""

    rule: str
    """Rule id, or a shell pattern over rule ids (``XR00*``)."""
    scope: MappingProxyType
    """Shell-style pattern per finding column (``dataset``, ``variable``, ``usubjid``,
    ``value``); a column not named is not constrained."""
    reason: str
    """Why the finding is acceptable (goes to the reviewer's guide)."""
    approved_by: str
    """Who approved the waiver, and when."""
    number: int = 0
    """1-based position in the waivers file, for messages."""
    source: str = ""
    """File the waiver came from."""


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Read and check a waivers file.

    Args:
        path: ``mappings/<study>/waivers.yaml``.

    Returns:
        The waivers, in file order.

    Raises:
        SpecError: when the file cannot be read, or listing every malformed entry.
    """
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"cannot read waivers file {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise SpecError(f"{path}: not UTF-8 text ({error.reason})") from None
    except UnsafeYamlError as error:
        where = f"{path}:{error.line}" if error.line else str(path)
        raise SpecError(f"{where}: refused: {error}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML ({error})") from None
    entries = data.get("waivers") if isinstance(data, dict) else data
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise SpecError(f"{path}: expected a list under 'waivers:'")
    problems: list[str] = []
    waivers = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name} waiver #{number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        missing = [k for k in ("rule", "reason", "approved_by") if not entry.get(k)]
        unknown = sorted(set(entry) - {"rule", "scope", "reason", "approved_by"})
        scope = entry.get("scope") or {}
        if missing:
            problems.append(f"{where}: missing {missing}")
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        if not isinstance(scope, dict) or set(scope) - set(SCOPE_FIELDS):
            problems.append(f"{where}: scope keys must be among {list(SCOPE_FIELDS)}")
            continue
        if missing or unknown:
            continue
        waivers.append(
            Waiver(
                rule=str(entry["rule"]).upper(),
                scope=MappingProxyType({k: str(v) for k, v in scope.items()}),
                reason=str(entry["reason"]),
                approved_by=str(entry["approved_by"]),
                number=number,
                source=str(path),
            )
        )
    if problems:
        raise SpecError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems))
    return tuple(waivers)


def _matches(column: pd.Series, pattern: str) -> pd.Series:
    """Shell-pattern match of a column as text (missing values match only ``*``).

    Each distinct value is matched once: a run has thousands of findings but few distinct
    rule ids, datasets or variables.
    """
    regex = fnmatch.translate(pattern)
    return per_distinct(
        column.astype("string"),
        lambda distinct: pd.Series(regex_mask(distinct.to_numpy(), regex, "match")),
        pattern == "*",
    ).astype(bool)


def waiver_masks(frame: pd.DataFrame, waivers: Iterable[Waiver]) -> list[pd.Series]:
    """Return, per waiver, the mask of the findings it covers."""
    masks = []
    for waiver in waivers:
        mask = _matches(frame["rule_id"], waiver.rule)
        for field, pattern in waiver.scope.items():
            mask &= _matches(frame[field], pattern)
        masks.append(mask)
    return masks


def apply_waivers(
    findings: FindingsTable, waivers: Iterable[Waiver], *, registry: Registry | None = None
) -> FindingsTable:
    """Mark the findings covered by a waiver, and report waivers that cover nothing.

    Args:
        findings: Findings of a run.
        waivers: The study's waivers.
        registry: Rules; when given, the ``ST0900`` findings get severity, name and message
            from ``specs/rules/ST0900.yaml`` (otherwise: warning and a plain message).

    Returns:
        The same findings with ``waived`` set where a waiver applies, followed by one
        ``ST0900`` finding per waiver that matched nothing.
    """
    waivers = tuple(waivers)
    frame = findings.frame
    masks = waiver_masks(frame, waivers)
    covered = pd.Series(False, index=frame.index)
    for mask in masks:
        covered |= mask
    frame["waived"] = frame["waived"] | covered
    unused = [
        {
            "rule_id": RULE_ID_UNUSED_WAIVER,
            "row": waiver.number,
            "value": waiver.rule,
            "message": ", ".join(f"{k}={v}" for k, v in waiver.scope.items()) or "any scope",
            "source_file": waiver.source,
            "source_row": waiver.number,
        }
        for waiver, mask in zip(waivers, masks, strict=True)
        if not mask.any()
    ]
    table = FindingsTable.from_frame(frame)
    if not unused:
        return table
    stale = FindingsTable.from_frame(pd.DataFrame(unused))
    if registry is not None:
        stale = finalize(stale, registry.rule(RULE_ID_UNUSED_WAIVER))
    else:
        plain = stale.frame
        plain["severity"] = "warning"
        plain["rule_name"] = "waiver-matches-nothing"
        plain["message"] = "waiver #" + plain["row"].astype(str) + " matches no finding"
        stale = FindingsTable.from_frame(plain)
    return table + stale
