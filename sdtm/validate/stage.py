"""The validate stage of a run: schemas and rules on the final datasets, then waivers.

Every step is guarded: a rule implementation that fails on unexpected data gives one MP0003
finding and the other checks still run. Findings about dataset rows are given the raw file
and row their record came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sdtm.config import default_specs_dir
from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.algorithms import SRC_FILE, SRC_ROW
from sdtm.stage import guarded
from sdtm.standards import Standards
from sdtm.validate import registry as rule_registry
from sdtm.validate.registry import Registry

CUTOFF_RULE = "XR0073"
"""Dates after the data cut-off; in a run also against the study's ``data_cutoff``."""
WAIVERS_FILE = "waivers.yaml"
"""The study's waivers, in its mapping folder."""


def build_run_registry(specs_dir: Path | None) -> tuple[Registry | None, FindingsTable]:
    """The rule registry of the standards folder in use (``specs/rules``), built once per run.

    Returns:
        The registry (``None`` when it could not be built) and the finding saying why.
    """
    return guarded(
        Stage.VALIDATE,
        "rule registry",
        lambda: rule_registry.build_registry((specs_dir or default_specs_dir()) / "rules"),
    )


def validate_datasets(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    registry: Registry,
    *,
    data_cutoff: str | None = None,
    jobs: int = 1,
) -> FindingsTable:
    """Validate the datasets: per-dataset schemas, then the registry's cross-record checks.

    Args:
        frames: The final datasets.
        standards: SDTMIG metadata and CT.
        registry: Rules and checks.
        data_cutoff: The study's data cut-off (``study.yaml`` setting ``data_cutoff``); when
            TS has no DCUTDTC, dates after it are reported by XR0073 all the same.
        jobs: Processes that share out the datasets and the checks
            (:func:`sdtm.workers.run_calls`); the findings are the same for any number.
    """

    def schemas() -> FindingsTable:
        from sdtm.validate.package import validate_frames

        return validate_frames(frames, standards, jobs=jobs)

    def rules() -> FindingsTable:
        return rule_registry.run_rules(frames, standards, registry, jobs=jobs)

    def cutoff() -> FindingsTable:
        from sdtm.validate.checks.review import data_cutoff_of, find_dates_after_cutoff

        rule = registry.rules.get(CUTOFF_RULE)
        if not data_cutoff or rule is None or data_cutoff_of(frames) is not None:
            return FindingsTable()  # TS DCUTDTC, when present, is checked by the rule itself
        return rule_registry.finalize(find_dates_after_cutoff(frames, data_cutoff), rule)

    found = []
    steps = (
        ("validation (schemas)", schemas),
        ("validation (rules)", rules),
        ("validation (data cut-off)", cutoff),
    )
    for what, call in steps:
        value, failed = guarded(Stage.VALIDATE, what, call)
        found.extend([value, failed] if value is not None else [failed])
    return FindingsTable.concat(found)


def apply_study_waivers(
    findings: FindingsTable, mapping_dir: Path, registry: Registry | None
) -> FindingsTable:
    """Mark findings the study's ``waivers.yaml`` waives; unused waivers give ST0900.

    ``registry`` (``None`` when it could not be built) gives ST0900 its YAML name, severity
    and message.
    """
    path = mapping_dir / WAIVERS_FILE
    if not path.is_file():
        return findings

    def call() -> FindingsTable:
        from sdtm.validate.waivers import apply_waivers, load_waivers

        return apply_waivers(findings, load_waivers(path), registry=registry)

    value, failed = guarded(Stage.VALIDATE, "waivers", call)
    return value if value is not None else findings + failed


def locate_findings(
    findings: FindingsTable, provenance: Mapping[str, pd.DataFrame]
) -> FindingsTable:
    """Give findings about SDTM records the raw file and row the record came from.

    Validation reports dataset rows (``row``, 1-based) or subject and sequence number; the
    provenance of each final dataset row is known, so the raw location is added where missing.
    """
    frame = findings.frame
    missing = frame["source_file"].isna() & frame["dataset"].notna()
    if not missing.any():
        return findings
    parts = []
    for name, prov in provenance.items():
        parts.append(
            pd.DataFrame(
                {
                    "dataset": name,
                    "row": range(1, len(prov) + 1),
                    "_file": prov[SRC_FILE].to_numpy(),
                    "_line": prov[SRC_ROW].to_numpy(),
                }
            )
        )
    if not parts:
        return findings
    lookup = pd.concat(parts, ignore_index=True)
    lookup["row"] = lookup["row"].astype("Int64")
    keyed = frame.loc[missing, ["dataset", "row"]].reset_index()
    keyed["row"] = keyed["row"].astype("Int64")
    located = keyed.merge(lookup, on=["dataset", "row"], how="left").set_index("index")
    frame.loc[located.index, "source_file"] = located["_file"].astype(object)
    frame.loc[located.index, "source_row"] = located["_line"]
    return FindingsTable.from_frame(frame)
