"""Running one step of a stage so that its failure is a finding, not a crash.

A run must deliver every output it can: a derivation that cannot run, or a validation or
export step that fails on unexpected data, becomes one stage-level finding (MP0003 / MP0004)
and the run goes on with the other datasets. Aborting is reserved for ``SdtmError`` raised
where the run cannot continue (unreadable spec, output folder not writable).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pandas as pd

from sdtm.errors import SdtmError
from sdtm.findings import FindingsTable, Stage

STAGE_RULES = MappingProxyType(
    {
        "MP0003": ("derivation-failed", "error"),
        "MP0004": ("derivation-skipped", "notice"),
    }
)
"""Rules of a step that could not run at all (its exception text is the message)."""
RULE_IDS: tuple[str, ...] = tuple(STAGE_RULES)


def one_finding(rule_id: str, stage: Stage, dataset: str | None, message: str) -> FindingsTable:
    """A single stage-level finding of ``STAGE_RULES`` (no record to point at).

    Args:
        rule_id: ``MP0003`` or ``MP0004``.
        stage: The stage the step belongs to.
        dataset: Dataset the step derives, if any.
        message: The full message, ending with the rule id and name in brackets.

    Returns:
        A table of one finding.
    """
    name, severity = STAGE_RULES[rule_id]
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": [rule_id],
                "rule_name": [name],
                "severity": [severity],
                "stage": [stage.value],
                "dataset": [dataset],
                "message": [message],
            }
        )
    )


def step_failed(stage: Stage, what: str, detail: str) -> FindingsTable:
    """MP0003 for a whole step (validation, export, registry) that could not run."""
    return one_finding(
        "MP0003", stage, None, f"{what} could not run: {detail} [MP0003 derivation-failed]"
    )


def guarded(stage: Stage, what: str, call: Callable[[], Any]) -> tuple[Any, FindingsTable]:
    """Run one step; a failure gives ``(None, MP0003 finding)`` instead of an exception.

    Args:
        stage: The stage the step belongs to (recorded on the finding).
        what: What the step does, for the message (e.g. ``validation (rules)``).
        call: The step.

    Returns:
        ``(value, findings)``: the step's value and no finding, or ``None`` and the finding.
    """
    try:
        return call(), FindingsTable()
    except ImportError as error:
        return None, step_failed(stage, what, f"not available ({error})")
    except SdtmError as error:
        return None, step_failed(stage, what, str(error))
    except Exception as error:  # other stages' defects must not hide this run's outputs
        return None, step_failed(stage, what, f"{type(error).__name__}: {error}")
