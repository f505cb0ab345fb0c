"""run_derivations with two jobs: the largest dataset's passes run apart, with the same result."""

import pandas as pd
import pytest

from sdtm.derive.base import DeriveResult
from sdtm.derive.plan import Derivation, _span_apart, run_derivations
from sdtm.derive.steps import DeriveInputs
from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.design import PpSettings, ResultStandards, StudyDesign
from sdtm.mapping.study import StudyConfig
from sdtm.stage import one_finding
from sdtm.standards import load_standards


@pytest.fixture(scope="module")
def inputs():
    config = StudyConfig(
        design=StudyDesign(studyid="S", arms=(), elements=()),
        result_standards=ResultStandards(standard_units=()),
        pp=PpSettings(),
        fixed_timestamp=None,
    )
    return DeriveInputs(config=config, standards=load_standards(), links={}, supp={})


def _tagged(tag: str):
    """A derivation adding column ``tag`` and one finding naming the dataset and the tag."""

    def run(frames, derive_inputs, dataset):
        frame = frames[dataset].assign(**{tag: len(frames[dataset])})
        return DeriveResult(frame, one_finding("MP0003", Stage.DERIVE, dataset, f"{dataset} {tag}"))

    return run


def _broken(frames, derive_inputs, dataset):
    if dataset in ("LB", "AE"):
        raise ValueError(f"{dataset} breaks")
    return DeriveResult(frames[dataset], FindingsTable())


def _dm_single(frames, derive_inputs, dataset):
    # A single row between the passes that reads DM only (not the largest dataset).
    frame = frames["DM"].assign(N=len(frames["DM"]))
    return DeriveResult(frame, one_finding("MP0003", Stage.DERIVE, "DM", "DM single"))


def _row(function, run, *, datasets=("*",), inputs=(), pass_over=""):
    return Derivation(datasets, function, inputs, (), "", run, pass_over=pass_over)


PLAN = (
    _row("derive_a", _tagged("A"), pass_over="first"),
    _row("derive_broken", _broken, pass_over="first"),
    _row("derive_dm", _dm_single, datasets=("DM",), inputs=("DM.X",)),
    _row("derive_b", _tagged("B"), pass_over="second"),
    # Reads every dataset's --SEQ: the largest dataset must be back before it runs.
    _row("derive_after", _tagged("C"), datasets=("AE",), inputs=("--SEQ",)),
)


def _frames():
    return {
        "AE": pd.DataFrame({"USUBJID": ["S-1", "S-2"]}),
        "LB": pd.DataFrame({"USUBJID": [f"S-{n}" for n in range(50)]}),
        "DM": pd.DataFrame({"USUBJID": ["S-1"]}),
    }


def test_two_jobs_give_the_frames_and_findings_in_the_order_one_job_gives(inputs):
    one = run_derivations(_frames(), inputs, plan=PLAN, jobs=1)
    two = run_derivations(_frames(), inputs, plan=PLAN, jobs=2)
    assert list(two.frames) == list(one.frames)
    for name, frame in one.frames.items():
        pd.testing.assert_frame_equal(two.frames[name], frame)
    messages = one.findings.frame["message"].tolist()
    assert two.findings.frame["message"].tolist() == messages
    # The order a reader sees: dataset by dataset within each pass, LB in its place.
    assert [m.split(" [")[0].split(";")[0] for m in messages] == [
        "AE A",
        "AE: derive_broken could not run (ValueError: AE breaks)",
        "LB A",
        "LB: derive_broken could not run (ValueError: LB breaks)",
        "DM A",
        "DM single",
        "AE B",
        "LB B",
        "DM B",
        "AE C",
    ]
    assert list(two.frames["LB"].columns) == ["USUBJID", "A", "B"]
    assert list(two.frames["DM"].columns) == ["USUBJID", "A", "N", "B"]


def test_a_span_ends_before_the_first_single_row_that_may_read_the_largest_dataset():
    passes = [(PLAN[0], PLAN[1]), (PLAN[2],), (PLAN[3],), (PLAN[4],)]
    frames = _frames()
    # derive_dm reads DM only: inside; derive_after reads --SEQ of any dataset: the end.
    assert _span_apart(passes, 0, frames) == 3
    reads_lb = _row("derive_x", _tagged("X"), datasets=("PC",), inputs=("LB.LBDTC",))
    assert _span_apart([passes[0], (reads_lb,)], 0, frames) == 1
    writes_each = _row("derive_y", _tagged("Y"))
    assert _span_apart([passes[0], (writes_each,)], 0, frames) == 1
    # A single row does not start a span, and one dataset has nothing to run beside.
    assert _span_apart(passes, 1, frames) is None
    assert _span_apart(passes, 0, {"LB": frames["LB"]}) is None
