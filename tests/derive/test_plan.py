"""The derivation plan: a table the derive stage runs, that the docs are generated from."""

import importlib
import pkgutil
from pathlib import Path

import pandas as pd
import pytest

import sdtm.derive
from sdtm.derive.base import DeriveResult
from sdtm.derive.plan import (
    DERIVATION_PLAN,
    Derivation,
    _span_apart,
    output_columns,
    run_derivations,
    with_plan_table,
)
from sdtm.derive.steps import DeriveInputs
from sdtm.errors import MappingError
from sdtm.findings import FindingsTable, Stage
from sdtm.mapping.design import PpSettings, ResultStandards, StudyDesign
from sdtm.mapping.study import StudyConfig
from sdtm.stage import one_finding
from sdtm.standards import load_standards

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inputs():
    config = StudyConfig(
        design=StudyDesign(studyid="S", arms=(), elements=()),
        result_standards=ResultStandards(standard_units=()),
        pp=PpSettings(),
        fixed_timestamp=None,
    )
    return DeriveInputs(config=config, standards=load_standards(), links={}, supp={})


def _row(run, *, datasets=("LB",), pass_over="") -> Derivation:
    return Derivation(datasets, "derive_something", (), (), "", run, pass_over=pass_over)


def test_a_failing_derivation_becomes_an_mp0003_finding_and_keeps_the_dataset(inputs):
    lb = pd.DataFrame({"USUBJID": ["S-1"]})

    def broken(frames, derive_inputs, dataset):
        raise ValueError("boom")

    result = run_derivations({"LB": lb}, inputs, plan=(_row(broken),))
    assert result.findings.rows(["rule_id", "severity", "dataset"]) == [["MP0003", "error", "LB"]]
    assert "derive_something could not run (ValueError: boom)" in (
        result.findings.frame["message"][0]
    )
    assert result.frames["LB"] is lb


def test_a_derivation_whose_input_is_not_collected_is_skipped_with_mp0004(inputs):
    def lacking(frames, derive_inputs, dataset):
        raise MappingError("needs column(s) LBDTC")

    result = run_derivations({"LB": pd.DataFrame()}, inputs, plan=(_row(lacking),))
    assert result.findings.rows(["rule_id", "severity"]) == [["MP0004", "notice"]]
    assert "skipped: needs column(s) LBDTC" in result.findings.frame["message"][0]


def test_rows_of_one_pass_run_dataset_by_dataset_and_passes_run_in_order(inputs):
    calls = []

    def record(tag):
        def run(frames, derive_inputs, dataset):
            calls.append((tag, dataset))
            return DeriveResult(frames[dataset], FindingsTable())

        return run

    plan = (
        _row(record("a"), datasets=("*",), pass_over="first"),
        _row(record("b"), datasets=("AE",), pass_over="first"),
        _row(record("c"), datasets=("*",), pass_over="second"),
    )
    frames = {"LB": pd.DataFrame(), "AE": pd.DataFrame()}
    run_derivations(frames, inputs, plan=plan)
    assert calls == [("a", "LB"), ("a", "AE"), ("b", "AE"), ("c", "LB"), ("c", "AE")]


def test_a_built_dataset_without_records_is_left_out_when_the_row_says_so(inputs):
    def empty(frames, derive_inputs, dataset):
        return DeriveResult(pd.DataFrame(), FindingsTable())

    row = Derivation(("PP",), "derive_pp", (), (), "", empty, keep_empty=False)
    assert "PP" not in run_derivations({}, inputs, plan=(row,)).frames
    kept = Derivation(("TS",), "build_ts", (), (), "", empty)
    assert "TS" in run_derivations({}, inputs, plan=(kept,)).frames


def _derive_functions() -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(sdtm.derive.__path__, prefix="sdtm.derive."):
        module = importlib.import_module(info.name)
        names.update(
            name
            for name, value in vars(module).items()
            if callable(value) and name.startswith(("derive_", "build_"))
            and getattr(value, "__module__", "") == info.name
        )
    return names


def test_every_plan_row_names_a_real_derive_or_build_function():
    unknown = sorted({row.function for row in DERIVATION_PLAN} - _derive_functions())
    assert unknown == []


def test_every_plan_row_states_what_it_reads_writes_and_its_method():
    incomplete = [
        row.function for row in DERIVATION_PLAN if not (row.inputs and row.outputs and row.method)
    ]
    assert incomplete == []


def test_docs_derive_md_holds_the_current_plan_table():
    page = (REPO / "docs" / "derive.md").read_text(encoding="utf-8")
    assert with_plan_table(page) == page, "run: sdtm derivations --write-docs docs/derive.md"


def test_the_docs_check_sees_a_stale_table():
    page = "# x\n<!-- plan-table -->\n| old |\n<!-- /plan-table -->\n"
    assert with_plan_table(page) != page
    with pytest.raises(ValueError, match="no <!-- plan-table -->"):
        with_plan_table("# no markers\n")


def _plan_row(function: str, dataset: str = "DM") -> Derivation:
    return next(r for r in DERIVATION_PLAN if r.function == function and (
        r.datasets == ("*",) or dataset in r.datasets
    ))


def test_collected_age_is_kept_and_the_derived_age_reported(inputs):
    # Issue 17: a collected AGE of 61 became the derived 65; a collected 56 became null where
    # the consent date was missing. Born 1959-05-20, consent 2024-06-01: completed years 65.
    dm = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", "S-3"],
            "BRTHDTC": ["1959-05-20", "1968-01-10", "1970-02-02"],
            "RFICDTC": ["2024-06-01", None, "2024-06-01"],
            "AGE": ["61", "56", None],
            "_src_file": "dm.csv",
            "_src_row": [2, 3, 4],
        }
    )
    result = run_derivations({"DM": dm}, inputs, plan=(_plan_row("derive_age"),))
    assert result.frames["DM"]["AGE"].tolist() == ["61", "56", 54.0]
    assert result.findings.rows(["rule_id", "source_row", "variable", "value"]) == [
        ["MP0584", 3, "AGE", "1968-01-10"],  # no consent date: nothing derived, 56 kept
        ["MP0660", 2, "AGE", "61"],
    ]
    message = result.findings.frame.query("rule_id == 'MP0660'")["message"].iloc[0]
    assert message == (
        "dm.csv:2 (USUBJID S-1): AGE collected 61 kept; derive_age gives 65; check the "
        "collected value or the data it is derived from [MP0660 collected-value-differs-from-"
        "derived]"
    )


def test_collected_study_day_is_kept_and_a_different_derived_one_reported(inputs):
    dm = pd.DataFrame({"USUBJID": ["S-1"], "RFSTDTC": ["2024-03-12"]})
    ae = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-1"],
            "AESTDTC": ["2024-03-14", "2024-03-15"],
            "AESTDY": [2.0, 4.0],  # day 3 by SDTMIG 3.4 4.4.4 (day 1 = RFSTDTC); day 4 agrees
        }
    )
    result = run_derivations(
        {"DM": dm, "AE": ae}, inputs, plan=(_plan_row("derive_study_day", "AE"),)
    )
    assert result.frames["AE"]["AESTDY"].tolist() == [2.0, 4.0]
    assert result.findings.rows(["rule_id", "dataset", "variable", "value"]) == [
        ["MP0660", "AE", "AESTDY", "2"]
    ]
    assert "AESTDY collected 2 kept; derive_study_day gives 3" in (
        result.findings.frame["message"][0]
    )


def test_derived_values_fill_variables_the_mapping_left_empty(inputs):
    dm = pd.DataFrame({"USUBJID": ["S-1"], "RFSTDTC": ["2024-03-12"]})
    ae = pd.DataFrame({"USUBJID": ["S-1"], "AESTDTC": ["2024-03-14"], "AESTDY": [None]})
    result = run_derivations(
        {"DM": dm, "AE": ae}, inputs, plan=(_plan_row("derive_study_day", "AE"),)
    )
    assert result.frames["AE"]["AESTDY"].tolist() == [3.0]
    assert len(result.findings) == 0


def test_output_columns_expand_the_domain_prefix():
    row = _plan_row("derive_study_day", "AE")
    columns = ["AESTDTC", "AESTDY", "AEENDY", "AEDY", "VISITDY", "_AEDY"]
    assert output_columns(row, "AE", columns) == ["AESTDY", "AEENDY", "AEDY"]


# With two jobs the largest dataset's passes run apart from the rest of the plan.


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


def _apart_row(function, run, *, datasets=("*",), inputs=(), pass_over=""):
    return Derivation(datasets, function, inputs, (), "", run, pass_over=pass_over)


APART_PLAN = (
    _apart_row("derive_a", _tagged("A"), pass_over="first"),
    _apart_row("derive_broken", _broken, pass_over="first"),
    _apart_row("derive_dm", _dm_single, datasets=("DM",), inputs=("DM.X",)),
    _apart_row("derive_b", _tagged("B"), pass_over="second"),
    # Reads every dataset's --SEQ: the largest dataset must be back before it runs.
    _apart_row("derive_after", _tagged("C"), datasets=("AE",), inputs=("--SEQ",)),
)


def _frames():
    return {
        "AE": pd.DataFrame({"USUBJID": ["S-1", "S-2"]}),
        "LB": pd.DataFrame({"USUBJID": [f"S-{n}" for n in range(50)]}),
        "DM": pd.DataFrame({"USUBJID": ["S-1"]}),
    }


def test_two_jobs_give_the_frames_and_findings_in_the_order_one_job_gives(inputs):
    one = run_derivations(_frames(), inputs, plan=APART_PLAN, jobs=1)
    two = run_derivations(_frames(), inputs, plan=APART_PLAN, jobs=2)
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
    passes = [(APART_PLAN[0], APART_PLAN[1]), (APART_PLAN[2],), (APART_PLAN[3],), (APART_PLAN[4],)]
    frames = _frames()
    # derive_dm reads DM only: inside; derive_after reads --SEQ of any dataset: the end.
    assert _span_apart(passes, 0, frames) == 3
    reads_lb = _apart_row("derive_x", _tagged("X"), datasets=("PC",), inputs=("LB.LBDTC",))
    assert _span_apart([passes[0], (reads_lb,)], 0, frames) == 1
    writes_each = _apart_row("derive_y", _tagged("Y"))
    assert _span_apart([passes[0], (writes_each,)], 0, frames) == 1
    # A single row does not start a span, and one dataset has nothing to run beside.
    assert _span_apart(passes, 1, frames) is None
    assert _span_apart(passes, 0, {"LB": frames["LB"]}) is None
