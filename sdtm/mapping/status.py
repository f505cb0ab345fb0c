"""The review status of a mapping spec: a draft from ``sdtm propose`` is reported on every run.

``study.yaml`` says ``study: {status: draft}`` until ``sdtm spec review`` has applied a decision
for every step whose ``confidence`` is below the review threshold. :func:`draft_findings` turns
a draft into one ``MP0030`` warning for the run's findings; :func:`spec_status` reads the status
alone, so that the CLI can warn before a run.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.spec import MappingSpec

STATUS_RULES = MappingProxyType({"MP0030": ("spec-not-reviewed", "warning")})
"""Rule id -> (name, severity) of the finding about a draft spec."""
RULE_IDS: tuple[str, ...] = tuple(STATUS_RULES)

DRAFT = "draft"
REVIEW_THRESHOLD = 0.8
"""Steps with a confidence below this need a reviewer's decision (``sdtm spec review``)."""


def steps_to_review(spec: MappingSpec, threshold: float = REVIEW_THRESHOLD) -> int:
    """Count the steps whose confidence is below ``threshold`` (hand-written steps have none)."""
    return sum(
        1
        for mapping in spec.domains.values()
        for block in mapping.blocks
        for step in block.steps
        if step.confidence is not None and step.confidence < threshold
    )


def draft_findings(spec: MappingSpec, threshold: float = REVIEW_THRESHOLD) -> FindingsTable:
    """Return one MP0030 warning when ``spec`` is a draft, else no finding.

    Args:
        spec: The loaded spec.
        threshold: The review threshold (for the count in the message).

    Returns:
        The finding (``source_file`` is the spec's study.yaml).
    """
    if spec.status != DRAFT:
        return FindingsTable()
    name, severity = STATUS_RULES["MP0030"]
    where = f"{spec.study}/study.yaml"
    count = steps_to_review(spec, threshold)
    frame = pd.DataFrame(
        [
            {
                "rule_id": "MP0030",
                "rule_name": name,
                "severity": severity,
                "stage": Stage.MAP.value,
                "value": str(count),
                "source_file": where,
                "message": f"{where}: the mapping spec is a draft (study.yaml status: draft) with "
                f"{count} step(s) below the review threshold; review it with `sdtm spec review` "
                f"[MP0030 {name}]",
            }
        ]
    )
    return FindingsTable.from_frame(frame)


def spec_status(mapping_dir: Path) -> str | None:
    """Return ``study.status`` of the spec in ``mapping_dir`` (``None`` when unset or unreadable).

    Only ``study.yaml`` is read; its problems are reported when the spec is loaded.
    """
    try:
        data = yaml.safe_load((mapping_dir / "study.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    study = data.get("study") if isinstance(data, dict) else None
    status = study.get("status") if isinstance(study, dict) else None
    return None if status is None else str(status)
