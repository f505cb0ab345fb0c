"""Validate a whole SDTM package: each dataset against its SDTMIG spec and the CT package.

:func:`validate_frames` resolves every dataset to its spec (``SUPPxx`` -> SUPPQUAL, split
datasets such as ``LBCH`` -> the domain named by their DOMAIN values), runs the per-dataset
schema (:mod:`sdtm.validate.schema`) and the metadata checks that need the file's labels.
Cross-dataset rules live in :mod:`sdtm.validate.checks` and are run by the registry; this
module is the place to combine both (see ``extra_checks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from importlib import metadata
from typing import Any

import pandas as pd

from sdtm.findings import FindingsTable, link_causes
from sdtm.standards.model import DomainSpec, Standards
from sdtm.standards.rules import findings_frame
from sdtm.validate.registry import Registry, build_registry, check_calls
from sdtm.validate.schema import validate_dataset
from sdtm.validate.waivers import Waiver, apply_waivers

RULE_IDS: tuple[str, ...] = ("ST0015", "ST0018")
"""Rule ids this module emits (the schema's own are in ``sdtm.validate.schema.RULE_IDS``)."""

PackageCheck = Callable[[Mapping[str, pd.DataFrame], Standards], FindingsTable]
"""A package-level check: all frames and the standards in, findings out."""


def resolve_spec(name: str, frame: pd.DataFrame, standards: Standards) -> DomainSpec | None:
    """Return the spec of dataset ``name``.

    ``SUPPxx`` resolves to SUPPQUAL; a split dataset (``LBCH``) to the domain its DOMAIN values
    name, provided the dataset name begins with it (SDTMIG 3.4 section 4.1.7 split datasets).

    Args:
        name: Dataset name (file stem).
        frame: The dataset.
        standards: The loaded standards.

    Returns:
        The spec, or ``None`` when none applies.
    """
    spec = standards.domain(name)
    if spec is not None:
        return spec
    if "DOMAIN" in frame.columns:
        codes = frame["DOMAIN"].dropna().astype(str).str.strip().unique()
        codes = [code for code in codes if code]
        if len(codes) == 1 and name.upper().startswith(codes[0].upper()):
            return standards.domain(codes[0])
    return None


def _label_findings(
    name: str, frame: pd.DataFrame, spec: DomainSpec, source_file: str | None
) -> FindingsTable:
    """ST0018: labels stored in the file that differ from the SDTMIG 3.4 labels."""
    labels = frame.attrs.get("labels") or {}
    rows = [
        {"rule_id": "ST0018", "variable": variable.name, "value": stored, "detail": variable.label}
        for variable in spec.declared_variables
        if variable.name in frame.columns
        and (stored := labels.get(variable.name)) is not None
        and str(stored).strip() != variable.label
    ]
    if not rows:
        return FindingsTable()
    return FindingsTable.from_frame(
        findings_frame(pd.DataFrame(rows), dataset=name, source_file=source_file)
    )


def validate_frames(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    *,
    extra_checks: Iterable[PackageCheck] = (),
    on_records: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    extra_calls: Sequence[Callable[[], FindingsTable]] = (),
) -> FindingsTable:
    """Validate every dataset of a package.

    Args:
        frames: Datasets by name (``DM``, ``LBCH``, ``SUPPAE`` ...). ``frame.attrs`` may carry
            ``source_file`` and ``labels`` (as :func:`sdtm.read.sdtm_package.read_sdtm_package`
            sets them).
        standards: The SDTMIG metadata and CT package.
        extra_checks: Further package-level checks (e.g. the rule registry's cross-dataset
            checks), run after the per-dataset schemas.
        on_records: Called before each dataset this process validates with (records of the
            datasets started so far, records in all datasets), and once with (total, total)
            at the end, for a progress display.
        jobs: Processes that share out the datasets and the extra calls
            (:func:`sdtm.workers.run_calls`); the findings are the same for any number.
        extra_calls: Further calls returning findings (e.g. one per check rule, from
            :func:`sdtm.validate.registry.check_calls`), shared out with the datasets.

    Returns:
        All findings, dataset by dataset in name order, then those of ``extra_checks``, then
        those of ``extra_calls``.
    """
    from sdtm.workers import run_calls

    extra_checks = tuple(extra_checks)
    names = sorted(frames)
    total = sum(len(frame) for frame in frames.values())
    started = 0

    def announce(index: int) -> None:
        nonlocal started
        if on_records is not None and index < len(names):
            on_records(started, total)
            started += len(frames[names[index]])

    calls: list[Callable[[], FindingsTable]] = [
        partial(_validate_one, name, frames[name], standards) for name in names
    ]
    calls += [partial(check, frames, standards) for check in extra_checks]
    calls += extra_calls
    # A dataset's schema costs about its number of values; a package check, the whole package;
    # a single rule's check is not known, and fills the gaps last.
    package_size = float(sum(frame.size for frame in frames.values()))
    costs = [float(frames[name].size) for name in names]
    costs += [package_size] * len(extra_checks) + [0.0] * len(extra_calls)
    tables = run_calls(calls, jobs=jobs, costs=costs, on_start=announce)
    if on_records is not None:
        on_records(total, total)
    return FindingsTable.concat(tables)


def _validate_one(name: str, frame: pd.DataFrame, standards: Standards) -> FindingsTable:
    """The label findings and schema findings of one dataset, or ST0015 without a spec."""
    source_file = frame.attrs.get("source_file")
    spec = resolve_spec(name, frame, standards)
    if spec is None:
        rows = pd.DataFrame({"rule_id": ["ST0015"]})
        return FindingsTable.from_frame(
            findings_frame(rows, dataset=name.upper(), source_file=source_file)
        )
    keys = frame.attrs.get("natural_keys")
    if keys:
        # The sponsor's define.xml keys (read_sdtm_package) identify its records (ST0013).
        spec = replace(spec, keys=tuple(keys))
    return _label_findings(name.upper(), frame, spec, source_file) + validate_dataset(
        frame, spec, standards, dataset=name.upper(), source_file=source_file
    )


def validate_package(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    *,
    registry: Registry | None = None,
    waivers: Iterable[Waiver] = (),
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    include_optional: bool = False,
    jobs: int = 1,
) -> FindingsTable:
    """Validate a package completely: per-dataset schemas, cross-dataset rules, waivers.

    Args:
        frames: Datasets by name (as for :func:`validate_frames`).
        standards: The SDTMIG metadata and CT package.
        registry: Rules and checks (default: built from ``specs/rules``).
        waivers: Approved exceptions; covered findings are kept and marked ``waived``, and a
            waiver that matches nothing is reported (ST0900).
        select: Check rule ids or prefixes to run (default: all that are on by default).
        ignore: Check rule ids or prefixes to skip.
        include_optional: Also run the check rules that are off by default.
        jobs: Processes that share out the datasets and the checks
            (:func:`sdtm.workers.run_calls`); the findings are the same for any number.

    Returns:
        Schema findings, then check findings, then unused-waiver findings; findings that
        follow from another one name it in ``caused_by``.
    """
    registry = registry or build_registry()
    checks = check_calls(
        frames,
        standards,
        registry,
        select=select,
        ignore=ignore,
        include_optional=include_optional,
    )
    findings = validate_frames(frames, standards, extra_calls=checks, jobs=jobs)
    # One finding per cause: findings that follow from another one name it (caused_by).
    return link_causes(apply_waivers(findings, waivers, registry=registry), registry.follows())


def tool_info() -> dict[str, Any]:
    """Return the ``tool`` block of the findings JSON document."""
    try:
        version = metadata.version("sdtm")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"name": "sdtm", "version": version}


def standards_info(standards: Standards) -> dict[str, Any]:
    """Return the ``standards`` block of the findings JSON document."""
    return {
        "sdtmig": standards.sdtmig_version,
        "ct": standards.ct_version,
        "sources": list(standards.sources),
    }
