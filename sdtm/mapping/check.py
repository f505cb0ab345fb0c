"""Checks of a loaded spec against the standards and the raw files, each problem with file:line."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sdtm.mapping.algorithms import (
    ALGORITHMS,
    condition_columns,
    resolve_codelist,
    step_columns,
)
from sdtm.mapping.problems import SpecProblem
from sdtm.mapping.spec import Block, Join, Location, MappingSpec, Step
from sdtm.read.raw import raw_path_problem
from sdtm.standards.model import Standards

DERIVED_VARIABLES = ("DOMAIN",)
SCRATCH_PREFIX = "_"
"""Targets starting with ``_`` are working columns for derivations, never submitted."""
"""Variables the pipeline fills for every dataset (``--SEQ`` is added per dataset)."""

DERIVED_FROM_PARENT = {"FA": "FAOBJ"}
"""Required variables the derive stage fills from the parent record when the dataset's mapping
links it to one with a ``relrec`` step (FAOBJ: the parent's --DECOD or --TERM, SDTMIG 3.4
section 6.4.3; ``sdtm.derive.fa``)."""

BUILT_DATASETS = ("RELREC", "TA", "TE", "TV", "TI", "TS", "SE", "SV")
"""Datasets the pipeline builds from relations and study design rather than from a dataset spec."""


def check_spec(
    spec: MappingSpec,
    standards: Standards,
    synonym_lines: Mapping[str, Location] | None = None,
) -> tuple[SpecProblem, ...]:
    """Check a spec against SDTMIG metadata and the CT package.

    Reports unknown datasets (MP0107), unknown target variables (MP0102), codelists missing from
    the CT package (MP0103), hard-coded terms that a non-extensible codelist lacks (MP0108),
    ``Req`` variables that no step assigns (MP0104), raw file paths that leave the study
    folder (MP0109, :func:`check_spec_paths`), steps that can never fill a value (MP0110,
    :func:`check_unreachable_steps`), and unit factors or planned visits that cannot be right
    (MP0106, :func:`check_study_tables`).

    Args:
        spec: The loaded spec.
        standards: SDTMIG metadata and CT.
        synonym_lines: Where each study synonym map is written.

    Returns:
        Every problem found.
    """
    problems: list[SpecProblem] = []
    for name, mapping in spec.domains.items():
        domain = standards.domain(name)
        if domain is None or name.startswith("SUPP") or name in BUILT_DATASETS:
            problems.append(
                SpecProblem(
                    "MP0107",
                    mapping.location,
                    f"dataset {name} cannot be mapped from a dataset spec: it is not an SDTMIG "
                    f"{standards.sdtmig_version} domain, or the pipeline builds it",
                )
            )
            continue
        for block in mapping.blocks:
            for step in block.steps:
                algorithm = ALGORITHMS.get(step.algorithm)
                if algorithm is None:
                    continue
                scratch = step.target.startswith("_") and algorithm.kind in ("variable", "none")
                if (
                    algorithm.kind in ("variable", "none")
                    and not scratch
                    and domain.variable(step.target) is None
                ):
                    problems.append(
                        SpecProblem(
                            "MP0102",
                            step.location,
                            f"{name}.{step.target} is not a variable of {name} in SDTMIG "
                            f"{standards.sdtmig_version} (use split_to_supp for non-standard "
                            f"variables)",
                        )
                    )
                if algorithm.kind == "relrec":
                    related = standards.domain(step.rdomain or "")
                    if related is None or related.variable(step.rvariable or "") is None:
                        problems.append(
                            SpecProblem(
                                "MP0102",
                                step.location,
                                f"{name}.{step.target}: relrec points at {step.rdomain}."
                                f"{step.rvariable}, which is not an SDTMIG variable",
                            )
                        )
                if step.codelist:
                    codelist = resolve_codelist(standards, step.codelist)
                    if codelist is None:
                        problems.append(
                            SpecProblem(
                                "MP0103",
                                step.location,
                                f"{name}.{step.target}: codelist {step.codelist!r} is not in CT "
                                f"package {standards.ct_version}",
                            )
                        )
                    elif (
                        step.algorithm == "hardcode_ct"
                        and not codelist.extensible
                        and step.value not in codelist.submission_values
                    ):
                        problems.append(
                            SpecProblem(
                                "MP0108",
                                step.location,
                                f"{name}.{step.target}: {step.value!r} is not a term of the "
                                f"non-extensible codelist {codelist.short_name} "
                                f"({codelist.code})",
                            )
                        )
        assigned = set(mapping.targets) | set(DERIVED_VARIABLES) | {f"{name}SEQ"}
        linked = any(
            step.algorithm == "relrec" for block in mapping.blocks for step in block.steps
        )
        if linked and name in DERIVED_FROM_PARENT:
            assigned.add(DERIVED_FROM_PARENT[name])
        for variable in domain.variables:
            if variable.core == "Req" and variable.name not in assigned:
                problems.append(
                    SpecProblem(
                        "MP0104",
                        mapping.location,
                        f"{name}.{variable.name} is required (Req) but no step assigns it",
                    )
                )
    problems.extend(check_spec_paths(spec))
    problems.extend(check_unreachable_steps(spec))
    problems.extend(check_study_tables(spec))
    for codelist_name, location in (synonym_lines or {}).items():
        if resolve_codelist(standards, codelist_name) is None:
            problems.append(
                SpecProblem(
                    "MP0103",
                    location,
                    f"synonym map for codelist {codelist_name!r}: not in CT package "
                    f"{standards.ct_version}",
                )
            )
    return tuple(problems)


def check_spec_paths(spec: MappingSpec) -> tuple[SpecProblem, ...]:
    """Check that every raw file a spec names stays inside the study folder (MP0109).

    The files of blocks, joins and skips are checked; a file that could leave the study folder
    (``../../outside/secret.csv``, ``/etc/passwd``) would otherwise be read and its content
    written into the package and the findings (issue 12).

    Args:
        spec: The loaded spec.

    Returns:
        One problem per offending path, at the line that names it.
    """
    named: list[tuple[str, Location, str]] = []
    for mapping in spec.domains.values():
        for block in mapping.blocks:
            named.append((block.file, block.location, f"{mapping.domain} block"))
            named.extend((j.file, j.location, f"{mapping.domain} join") for j in block.joins)
    named.extend((skip.file, skip.location, "skip") for skip in spec.skips)
    problems = []
    for path, location, what in named:
        reason = raw_path_problem(path)
        if reason is not None:
            problems.append(
                SpecProblem(
                    "MP0109",
                    location,
                    f"{what} file {path!r} is refused: the path is {reason}; raw files are "
                    "named relative to the study folder and stay inside it (e.g. edc/ae.csv)",
                )
            )
    return tuple(problems)


def check_study_tables(spec: MappingSpec) -> tuple[SpecProblem, ...]:
    """Check the study's unit conversions and planned visits for values that cannot be right.

    A conversion factor must be a finite number greater than 0 (``factor: 0`` turned every CRP
    result into 0, issue 12); two planned visits cannot share a VISITNUM or a VISIT name (TV
    and every --VISITNUM derived from it would be ambiguous).

    Args:
        spec: The loaded spec.

    Returns:
        One MP0106 problem per bad factor and per repeated VISITNUM or VISIT, at its line.
    """
    problems = []
    for conversion in spec.unit_conversions:
        if not (math.isfinite(conversion.factor) and conversion.factor > 0):
            problems.append(
                SpecProblem(
                    "MP0106",
                    conversion.location,
                    f"unit conversion {conversion.testcd} {conversion.from_unit} -> "
                    f"{conversion.to_unit}: factor {conversion.factor:g} must be a number "
                    "greater than 0",
                )
            )
    for attribute, label in (("visitnum", "VISITNUM"), ("visit", "VISIT")):
        first: dict[object, Location] = {}
        for visit in spec.visits:
            value = getattr(visit, attribute)
            if value in first:
                shown = f"{value:g}" if isinstance(value, float) else repr(value)
                problems.append(
                    SpecProblem(
                        "MP0106",
                        visit.location,
                        f"visits: {label} {shown} of visit {visit.visit!r} is already given at "
                        f"{first[value]}; each planned visit needs its own {label}",
                    )
                )
            else:
                first[value] = visit.location
    return tuple(problems)


def _reads(step: Step) -> tuple[object, ...]:
    return (step.algorithm, step.source, step.sources, step.value, step.date, step.time)


def check_unreachable_steps(spec: MappingSpec) -> tuple[SpecProblem, ...]:
    """Report steps that can never fill a value (MP0110).

    Steps naming one target are tried in order and the first value wins, so a later step is a
    fallback for the rows the earlier ones leave empty. After an unconditional step that
    always gives a value (``hardcode_*``), or one that reads exactly the same source with the
    same algorithm, a later step for the same target in the same block is dead: silently
    ignored, although its author meant it to apply.

    Args:
        spec: The loaded spec.

    Returns:
        One problem per dead step, at its line, naming the step that shadows it.
    """
    problems = []
    for mapping in spec.domains.values():
        for block in mapping.blocks:
            unconditional: dict[str, Step] = {}
            for step in block.steps:
                algorithm = ALGORITHMS.get(step.algorithm)
                if algorithm is None or algorithm.kind != "variable":
                    continue
                earlier = unconditional.get(step.target)
                if earlier is not None:
                    if earlier.algorithm.startswith("hardcode"):
                        why = f"always gives {earlier.value!r}"
                    elif _reads(earlier) == _reads(step):
                        why = "reads the same source with the same algorithm"
                    else:
                        why = ""
                    if why:
                        problems.append(
                            SpecProblem(
                                "MP0110",
                                step.location,
                                f"{mapping.domain}.{step.target}: this step never fills a "
                                f"value: the step at {earlier.location} has no condition and "
                                f"{why}; remove one, or give the earlier one a 'when'",
                            )
                        )
                if step.when is None:
                    unconditional.setdefault(step.target, step)
    return tuple(problems)


def _block_columns(block: Block) -> list[tuple[str, Location, frozenset[str]]]:
    """Columns a block reads, where, and the step targets already computed at that point.

    The block's ``where`` and joins run on the raw rows before any step; a step can read the
    variable targets of the steps before it (the engine adds them to the frame), never its own
    target or a later one, so those must be raw columns.
    """
    before: frozenset[str] = frozenset()
    columns = [
        (c, block.where.location if block.where else block.location, before)
        for c in condition_columns(block.where)
    ]
    for join in block.joins:
        columns.extend((main, join.location, before) for main, _ in join.on)
    for step in block.steps:
        algorithm = ALGORITHMS.get(step.algorithm)
        # not_submitted always names raw columns, even one named like an earlier target.
        read_before = frozenset() if step.algorithm == "not_submitted" else before
        columns.extend((column, step.location, read_before) for column in step_columns(step))
        if algorithm is not None and algorithm.kind == "variable":
            before = before | {step.target}
    return columns


@dataclass(frozen=True, slots=True)
class MissingColumn:
    """A raw column (or file) the spec reads that the raw data lacks."""

    file: str
    """Raw table key: the file relative to the study folder (``[part]`` for a sheet)."""
    column: str | None
    """The column; ``None`` when the whole file is missing or unreadable."""
    location: Location
    """Where the spec reads it."""
    columns: tuple[str, ...] = ()
    """The columns the file does have."""


def missing_raw_columns(
    spec: MappingSpec, columns_by_file: Mapping[str, tuple[str, ...]]
) -> tuple[MissingColumn, ...]:
    """List every raw file and column a spec reads that is not in the raw data.

    Columns read through a join prefix are attributed to the lookup file; a column that names
    the variable target of an earlier step of the same block is not a raw column (a step's own
    target, e.g. ``AETERM`` from raw ``AETERM``, is).

    Args:
        spec: The loaded spec.
        columns_by_file: Header of each raw file that could be read, by relative path.

    Returns:
        One entry per use of a missing column or file, in spec order.
    """
    missing: list[MissingColumn] = []
    for mapping in spec.domains.values():
        for block in mapping.blocks:
            missing.extend(block_missing_columns(block, columns_by_file))
    for skip in spec.skips:
        if skip.table not in columns_by_file:
            missing.append(MissingColumn(skip.table, None, skip.location))
        else:
            missing.extend(
                MissingColumn(skip.table, column, skip.location, columns_by_file[skip.table])
                for column in condition_columns(skip.where)
                if column not in columns_by_file[skip.table]
            )
    return tuple(missing)


def block_missing_columns(
    block: Block, columns_by_file: Mapping[str, tuple[str, ...]]
) -> list[MissingColumn]:
    """The raw tables and columns one block reads that the raw data lacks.

    Columns read through a join prefix are attributed to the lookup table; a column that
    names the variable target of an earlier step of the block is not a raw column.

    Args:
        block: The block.
        columns_by_file: Header of each raw table that could be read, by table key.

    Returns:
        One entry per use of a missing column or table, in spec order.
    """
    if block.table not in columns_by_file:
        return [MissingColumn(block.table, None, block.location)]
    missing: list[MissingColumn] = []
    own = columns_by_file[block.table]
    by_prefix: dict[str, Join] = {}
    for join in block.joins:
        lookup = columns_by_file.get(join.table)
        if lookup is None:
            # The table itself is missing; its columns are listed too (an unreadable lookup
            # joins no row, and the run needs the columns it would have given).
            missing.append(MissingColumn(join.table, None, join.location))
            lookup = ()
        used = [*condition_columns(join.where), *(other for _, other in join.on)]
        missing.extend(
            MissingColumn(join.table, column, join.location, lookup)
            for column in used
            if column not in lookup
        )
        by_prefix[join.prefix] = join
    for column, location, computed in _block_columns(block):
        if column in own or column in computed:
            continue
        join = next((j for prefix, j in by_prefix.items() if column.startswith(prefix)), None)
        if join is not None:
            bare = column[len(join.prefix) :]
            if bare not in columns_by_file.get(join.table, ()):
                missing.append(
                    MissingColumn(join.table, bare, location, columns_by_file.get(join.table, ()))
                )
            continue
        missing.append(MissingColumn(block.table, column, location, own))
    return missing


def check_raw_columns(
    spec: MappingSpec, columns_by_file: Mapping[str, tuple[str, ...]]
) -> tuple[SpecProblem, ...]:
    """Check that every raw file and column a spec reads exists (MP0105).

    Args:
        spec: The loaded spec.
        columns_by_file: Header of each raw file that could be read, by relative path.

    Returns:
        One problem per use of a missing column or file (with the step's ``file:line``).
    """
    problems = []
    for item in missing_raw_columns(spec, columns_by_file):
        if item.column is None:
            message = f"raw file {item.file} not found or unreadable"
        else:
            message = (
                f"column {item.column!r} does not exist in {item.file} "
                f"(columns: {', '.join(item.columns)})"
            )
        problems.append(SpecProblem("MP0105", item.location, message))
    return tuple(problems)
