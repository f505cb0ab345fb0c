"""Validate a whole SDTM package: each dataset against its SDTMIG spec and the CT package.

:func:`validate_frames` resolves every dataset to its spec (``SUPPxx`` -> SUPPQUAL, split
datasets such as ``LBCH`` -> the domain named by their DOMAIN values), runs the per-dataset
schema (:mod:`sdtm.validate.schema`) and the metadata checks that need the file's labels.
Cross-dataset rules live in :mod:`sdtm.validate.checks` and are run by the registry; this
module is the place to combine both (see ``extra_checks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import DomainSpec, Standards
from sdtm.standards.rules import findings_frame
from sdtm.validate.registry import Registry, build_registry, run_rules
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
) -> FindingsTable:
    """Validate every dataset of a package.

    Args:
        frames: Datasets by name (``DM``, ``LBCH``, ``SUPPAE`` ...). ``frame.attrs`` may carry
            ``source_file`` and ``labels`` (as :func:`sdtm.read.sdtm_package.read_sdtm_package`
            sets them).
        standards: The SDTMIG metadata and CT package.
        extra_checks: Further package-level checks (e.g. the rule registry's cross-dataset
            checks), run after the per-dataset schemas.
        on_records: Called after each dataset with (records validated so far, records in
            all datasets), for a progress display.

    Returns:
        All findings, dataset by dataset in name order, then those of ``extra_checks``.
    """
    tables = []
    total = sum(len(frame) for frame in frames.values())
    done = 0
    for name in sorted(frames):
        frame = frames[name]
        done += len(frame)
        if on_records is not None:
            on_records(done - len(frame), total)
        source_file = frame.attrs.get("source_file")
        spec = resolve_spec(name, frame, standards)
        if spec is None:
            rows = pd.DataFrame({"rule_id": ["ST0015"]})
            tables.append(
                FindingsTable.from_frame(
                    findings_frame(rows, dataset=name.upper(), source_file=source_file)
                )
            )
            continue
        tables.append(_label_findings(name.upper(), frame, spec, source_file))
        tables.append(
            validate_dataset(frame, spec, standards, dataset=name.upper(), source_file=source_file)
        )
    if on_records is not None:
        on_records(total, total)
    for check in extra_checks:
        tables.append(check(frames, standards))
    return FindingsTable.concat(tables)


def validate_package(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    *,
    registry: Registry | None = None,
    waivers: Iterable[Waiver] = (),
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    include_optional: bool = False,
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

    Returns:
        Schema findings, then check findings, then unused-waiver findings.
    """
    registry = registry or build_registry()

    def checks(package: Mapping[str, pd.DataFrame], loaded: Standards) -> FindingsTable:
        return run_rules(
            package,
            loaded,
            registry,
            select=select,
            ignore=ignore,
            include_optional=include_optional,
        )

    findings = validate_frames(frames, standards, extra_checks=(checks,))
    return apply_waivers(findings, waivers, registry=registry)


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
