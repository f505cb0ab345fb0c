"""``run_study``: read -> map -> derive -> validate -> export one study, collecting findings.

The one function both ``sdtm run`` and library users call. It reads as the stages of a run;
each stage lives in its package and returns frames plus findings, and nothing is kept between
runs:

1. standards and the study's mapping spec and configuration (``sdtm.mapping.stage``,
   ``sdtm.mapping.study``);
2. read the raw files (``sdtm.read.raw``);
3. map them (``sdtm.mapping.stage.map_study``);
4. derive (``sdtm.derive.plan.run_derivations``), account for every raw row
   (``sdtm.mapping.stage.account_study``) and finalize the datasets;
5. validate and apply the study's waivers (``sdtm.validate.stage``);
6. write the package (``sdtm.export.package.write_package``). With several jobs, step 5 runs
   while worker processes export the datasets: their files do not depend on the findings,
   and the run's own files (findings, manifest) are written once both have ended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from sdtm.config import default_specs_dir
from sdtm.derive.finalize import finalize_dataset, provenance_of
from sdtm.derive.plan import run_derivations
from sdtm.derive.steps import DeriveInputs
from sdtm.errors import InputError
from sdtm.export.output_folder import check_output_location
from sdtm.export.package import write_package
from sdtm.export.submission import input_files
from sdtm.findings import FindingsTable, Severity, link_causes
from sdtm.mapping.accounting import COUNTS_COLUMNS, find_values_not_numbers, raw_sources
from sdtm.mapping.stage import account_study, load_mapping, map_study
from sdtm.mapping.status import draft_findings
from sdtm.mapping.study import load_study_config, resolve_creation_datetime
from sdtm.memory import release_free_memory
from sdtm.read.tables import read_study_tables
from sdtm.standards import load_standards
from sdtm.validate.stage import (
    WAIVERS_FILE,
    apply_study_waivers,
    build_run_registry,
    locate_findings,
    validate_datasets,
)

DEFAULT_STUDY_DIR = Path("sample_data") / "cart-psca-001"
"""Bundled sample study, relative to the current directory (the repository root)."""
DEFAULT_MAPPINGS_DIR = Path("mappings")
DEFAULT_OUT_DIR = Path("out")

Progress = Callable[[str], None]

__all__ = ["COUNTS_COLUMNS", "RunResult", "fails", "load_mapping", "run_study"]


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything one run produced."""

    study: str
    """Study folder name."""
    frames: Mapping[str, pd.DataFrame]
    """SDTM datasets by name, final columns only."""
    findings: FindingsTable
    """Every finding of every stage."""
    counts: pd.DataFrame
    """Per raw file: rows in, rows mapped, rows reported (``COUNTS_COLUMNS``)."""
    lineage: pd.DataFrame
    """One row per (SDTM record, raw row): DOMAIN, USUBJID, SEQ, _src_file, _src_row."""
    out_dir: Path | None = None
    """Where outputs were written (``None`` when not written)."""
    outputs: tuple[str, ...] = ()
    """Files written, relative to ``out_dir``."""
    notes: tuple[str, ...] = field(default=())
    """Stages skipped or degraded, for the summary."""
    creation_datetime: datetime | None = None
    """Time stamped into the written files (``None`` when nothing was written)."""
    creation_source: str = ""
    """Where ``creation_datetime`` came from: ``given``, ``study.yaml <setting>`` or ``clock``."""


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _folders(
    study_dir: Path | str | None, mapping_dir: Path | str | None, out_dir: Path | str | None
) -> tuple[Path, Path, Path]:
    """The run's folders with their defaults; a missing input folder is an ``InputError``."""
    study = Path(study_dir) if study_dir is not None else DEFAULT_STUDY_DIR
    name = study.resolve().name
    mapping = Path(mapping_dir) if mapping_dir is not None else DEFAULT_MAPPINGS_DIR / name
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR / name
    if not study.is_dir():
        hint = (
            " (the default is the bundled study: run from the repository root, or pass STUDY_DIR)"
            if study == DEFAULT_STUDY_DIR
            else ""
        )
        raise InputError(f"study folder not found: {study}{hint}")
    if not mapping.is_dir():
        raise InputError(f"mapping folder not found: {mapping} (pass --mapping DIR)")
    return study, mapping, out


def run_study(
    study_dir: Path | str | None = None,
    mapping_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    *,
    specs_dir: Path | None = None,
    ct_version: str | None = None,
    write: bool = True,
    validate: bool = True,
    export: bool = True,
    creation_datetime: datetime | None = None,
    keep_invalid_records: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
) -> RunResult:
    """Run read -> map -> derive -> validate -> export on one study.

    Args:
        study_dir: Raw data folder; default ``sample_data/cart-psca-001`` (relative to the
            current directory).
        mapping_dir: Mapping spec folder; default ``mappings/<study folder name>``.
        out_dir: Output folder; default ``out/<study folder name>``.
        specs_dir: Standards folder; default the package's ``specs/``.
        ct_version: CT package date; default the newest.
        write: Write datasets, findings and lineage to ``out_dir``.
        validate: Run the conformance checks on the datasets.
        export: Export XPT, Define-XML and Dataset-JSON (else the datasets are written as CSV).
        creation_datetime: Time stamped into exported files; default the study setting
            ``creation_datetime`` or ``data_cutoff`` of ``study.yaml``
            (``sdtm.mapping.study.study_creation_datetime``), else the clock (then a rerun is
            not byte-identical; ``RunResult.creation_source`` is ``clock``).
        keep_invalid_records: Keep records that fail a hard rule (subject not in DM, exact
            duplicate raw row, Required value missing) in the datasets; by default they are
            withheld and reported (MP0040), their raw rows counted as reported.
        progress: Called with a short message at each stage.
        jobs: Processes that share out the raw files' reading, the datasets' mapping, the
            conformance checks and the datasets' export (:mod:`sdtm.workers`); the outputs
            are byte-identical for any number.

    Returns:
        The datasets, findings, per-file counts and lineage.

    Raises:
        SdtmError: when the run cannot continue (standards or spec unreadable, spec problems).
    """
    _say(progress, "loading standards")
    standards = load_standards(specs_dir or default_specs_dir(), ct_version)
    study_dir, mapping_dir, out_dir = _folders(study_dir, mapping_dir, out_dir)
    if write:
        # Refused before anything is read: an output folder that is, holds or lies inside the
        # raw or spec folder could put the package among the inputs (docs/security.md).
        check_output_location(out_dir, {"study folder": study_dir, "mapping folder": mapping_dir})

    _say(progress, f"loading mapping spec {mapping_dir}")
    spec = load_mapping(mapping_dir, standards)
    config = load_study_config(spec)

    _say(progress, f"reading raw files in {study_dir}")
    raw = read_study_tables(study_dir, spec.read_plan, jobs=jobs)
    # A draft spec (sdtm propose) runs, but says so until a reviewer has approved it.
    findings = FindingsTable.concat([*(f.findings for f in raw.values()), draft_findings(spec)])

    _say(progress, "mapping")
    mapped = map_study(
        raw, spec, standards, keep_invalid_records=keep_invalid_records, jobs=jobs
    )
    findings = findings + mapped.findings

    _say(progress, "deriving")
    derived = run_derivations(
        mapped.frames,
        DeriveInputs(
            config=config,
            standards=standards,
            links={name: r.links for name, r in mapped.results.items() if r.links},
            supp={name: r.supp for name, r in mapped.results.items()},
        ),
        jobs=jobs,
    )
    frames = derived.frames
    findings = findings + derived.findings
    accounting = account_study(raw, spec, mapped, frames, findings)
    findings = findings + accounting.findings
    # Values of numeric variables that are not numbers would become null when typed: each
    # is reported with its raw file, row and column before the frames are finalized.
    sources = raw_sources(spec)
    findings = findings + FindingsTable.concat(
        find_values_not_numbers(frame, name, standards, sources) for name, frame in frames.items()
    )
    final = {name: finalize_dataset(frame, name, standards) for name, frame in frames.items()}
    provenance = provenance_of(frames)
    raw_names, notes = tuple(raw), [*mapped.notes]
    # Raw, mapped and derived frames are not needed past this point: released so that
    # validation and export hold the final datasets only (peak memory, docs/scaling.md).
    del raw, mapped, derived, frames
    # The stages' temporaries are freed but still held by the C heap: given back, so that
    # they do not count in the peak nor in the pages the workers share (docs/scaling.md).
    release_free_memory()

    # The rule registry is built once per run, from the standards folder's rules, and passed
    # to every step that needs rule metadata (DESIGN section 1).
    registry, failed = build_run_registry(specs_dir)
    findings = findings + failed
    follows = registry.follows() if registry is not None else {}

    def conformance(jobs: int = jobs) -> FindingsTable:
        """Every finding of the run: validation, the study's waivers, causes linked."""
        found = findings
        if validate and registry is not None:
            cutoff = spec.settings.get("data_cutoff")
            found = found + locate_findings(
                validate_datasets(final, standards, registry, data_cutoff=cutoff, jobs=jobs),
                provenance,
            )
        return link_causes(apply_study_waivers(found, mapping_dir, registry), follows)

    package = None
    created = resolve_creation_datetime(creation_datetime, config) if write else None
    if created is None:
        if validate and registry is not None:
            _say(progress, "validating")
        findings = conformance()
    else:
        # The dataset files do not depend on the findings: the datasets are validated while
        # the workers export them (one stage for the progress display).
        doing = "validating and exporting" if validate and registry is not None else "exporting"
        _say(progress, f"{doing} to {out_dir}")
        package = write_package(
            out_dir,
            final,
            # The export's workers hold the other jobs (at least one: memory, docs/scaling.md).
            partial(conformance, max(1, jobs - 1)),
            lineage=accounting.lineage,
            counts=accounting.counts,
            provenance=provenance,
            standards=standards,
            spec=spec,
            created=created,
            specs_dir=specs_dir,
            inputs=input_files(
                study_dir,
                raw_names,
                mapping_dir,
                (specs_dir or default_specs_dir()) / "ct" / standards.ct_version,
            ),
            export=export,
            follows=follows,
            waivers=mapping_dir / WAIVERS_FILE,
            jobs=jobs,
        )
        findings = package.findings
        notes.extend(package.notes)
    return RunResult(
        study=study_dir.resolve().name,
        frames=MappingProxyType(final),
        findings=findings,
        counts=accounting.counts,
        lineage=accounting.lineage,
        out_dir=out_dir if package is not None else None,
        outputs=package.outputs if package is not None else (),
        notes=tuple(notes),
        creation_datetime=created[0] if created is not None else None,
        creation_source=created[1] if created is not None else "",
    )


def fails(findings: FindingsTable, fail_on: Severity | str | None) -> bool:
    """True when there are unwaived findings at or above ``fail_on`` (never when ``None``)."""
    return fail_on is not None and len(findings.at_or_above(fail_on)) > 0
