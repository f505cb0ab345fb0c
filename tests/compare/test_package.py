"""Acceptance of issue 15: the bundled study's output and the CDISC pilot LB, compared.

Every expected difference is one the test seeded itself; every other count must be zero, so a
difference reported twice or one reported that was never seeded fails the test.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sdtm
from sdtm.cli import main
from sdtm.read.xpt_v5 import read_xpt_v5

LB_KEYS = ["STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "LBMETHOD", "VISITNUM", "LBDTC"]


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def copy_xpt(source: Path, target: Path) -> Path:
    target.mkdir()
    for path in sorted(source.glob("*.xpt")):
        shutil.copy(path, target / path.name)
    return target


def reported(document: dict) -> list[tuple]:
    """Every difference of a JSON comparison document, one tuple each, whatever its level."""
    out = [
        ("dataset", row["dataset"], row["status"])
        for row in document["datasets"]
        if row["status"] in ("only in base", "only in compare")
    ]
    out += [
        ("attribute", r["dataset"], r["variable"], r["attribute"], r["base"], r["compare"])
        for r in document["attributes"]
    ]
    out += [("record", r["dataset"], r["side"], r["row"]) for r in document["records"]]
    out += [
        ("value", r["dataset"], r["variable"], r["differences"])
        for r in document["values"]
        if r["differences"]
    ]
    return out


def compare_json(base: Path, other: Path, tmp_path: Path) -> tuple[int, dict]:
    output = tmp_path / "compare.json"
    code = run_cli(["compare", str(base), str(other), "--format", "json", "--output", str(output)])
    return code, json.loads(output.read_text(encoding="utf-8"))


def test_bundled_output_compared_with_itself_is_identical(bundled_out: Path, capsys) -> None:
    code = run_cli(["compare", str(bundled_out), str(bundled_out)])
    out = capsys.readouterr().out
    assert code == 0
    assert "IDENTICAL: 21 dataset(s)" in out


def test_bundled_xpt_and_dataset_json_outputs_are_identical(bundled_out: Path) -> None:
    # The exporter writes the same package twice (XPT v5 and Dataset-JSON 1.1): read by two
    # readers, they must agree on every value and attribute both formats record.
    result = sdtm.compare(bundled_out, bundled_out / "json")
    assert result.identical, result.verdict
    assert len(result.datasets) == 21
    assert int(result.datasets["matched"].sum()) == int(result.datasets["base_records"].sum())


def _plain_lb_rows(frame: pd.DataFrame) -> np.ndarray:
    """LB records with a numeric result whose natural key is unique."""
    unique = ~frame.duplicated(LB_KEYS, keep=False)
    return np.flatnonzero(frame["LBSTRESN"].notna().to_numpy() & unique.to_numpy())


def _plain_lb_row(frame: pd.DataFrame) -> int:
    return int(_plain_lb_rows(frame)[0])


def _seed_value(frame: pd.DataFrame) -> pd.DataFrame:
    row = _plain_lb_row(frame)
    frame.loc[row, "LBSTRESN"] = frame.loc[row, "LBSTRESN"] + 1.0
    return frame


def _seed_delete(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(index=_plain_lb_row(frame))


def _seed_add(frame: pd.DataFrame) -> pd.DataFrame:
    added = frame.iloc[[_plain_lb_row(frame)]].copy()
    added["VISITNUM"] = 999.0
    return pd.concat([frame, added], ignore_index=True)


def _expected(kind: str, lb: pd.DataFrame, lbtestcd_length: int) -> list[tuple]:
    row = _plain_lb_row(lb)
    return {
        "value": [("value", "LB", "LBSTRESN", 1)],
        "delete": [("record", "LB", "base", row + 1)],
        "add": [("record", "LB", "compare", len(lb) + 1)],
        "label": [
            (
                "attribute",
                "LB",
                "LBSTRESN",
                "label",
                "Numeric Result/Finding in Standard Units",
                "Standard Numeric Result",
            )
        ],
        "length": [("attribute", "LB", "LBTESTCD", "length", lbtestcd_length, lbtestcd_length + 4)],
    }[kind]


SEEDS = {
    "value": lambda length: {"edit": _seed_value},
    "delete": lambda length: {"edit": _seed_delete},
    "add": lambda length: {"edit": _seed_add},
    "label": lambda length: {"labels": {"LBSTRESN": "Standard Numeric Result"}},
    "length": lambda length: {"lengths": {"LBTESTCD": length + 4}},
}


def _lbtestcd_length(path: Path) -> int:
    # The independent XPT reader (TS-140 layout), not the pyreadstat reader compare uses.
    variables = read_xpt_v5(path).metadata.variables
    return next(v.length for v in variables if v.name == "LBTESTCD")


@pytest.mark.parametrize("kind", list(SEEDS), ids=list(SEEDS))
def test_each_seeded_difference_is_reported_exactly_once(
    kind: str, bundled_out: Path, tmp_path: Path, rewrite
) -> None:
    other = copy_xpt(bundled_out, tmp_path / "other")
    length = _lbtestcd_length(bundled_out / "lb.xpt")
    rewrite(bundled_out / "lb.xpt", other / "lb.xpt", **SEEDS[kind](length))
    lb = read_xpt_v5(bundled_out / "lb.xpt").frame
    code, document = compare_json(bundled_out, other, tmp_path)
    assert code == 1
    assert reported(document) == _expected(kind, lb, length)
    assert document["identical"] is False
    assert document["verdict"].startswith("DIFFERENT: 1 of 21 dataset(s) differ: LB (")


def test_value_difference_example_names_the_record_and_both_values(
    bundled_out: Path, tmp_path: Path, rewrite
) -> None:
    other = copy_xpt(bundled_out, tmp_path / "other")
    rewrite(bundled_out / "lb.xpt", other / "lb.xpt", edit=_seed_value)
    lb = read_xpt_v5(bundled_out / "lb.xpt").frame
    row = _plain_lb_row(lb)
    result = sdtm.compare(bundled_out, other, datasets=["LB"])
    example = result.examples.iloc[0]
    expected_key = ", ".join(
        f"{k}={int(lb.loc[row, k]) if k == 'VISITNUM' else lb.loc[row, k]}" for k in LB_KEYS
    )
    assert (example["variable"], example["base_row"], example["compare_row"]) == (
        "LBSTRESN",
        row + 1,
        row + 1,
    )
    assert example["key"] == expected_key
    assert (example["base_value"], example["compare_value"]) == (
        lb.loc[row, "LBSTRESN"],
        lb.loc[row, "LBSTRESN"] + 1.0,
    )


def test_all_five_seeded_differences_together(bundled_out: Path, tmp_path: Path, rewrite) -> None:
    other = copy_xpt(bundled_out, tmp_path / "other")
    length = _lbtestcd_length(bundled_out / "lb.xpt")
    lb = read_xpt_v5(bundled_out / "lb.xpt").frame
    row = _plain_lb_row(lb)

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        # Change the next plain record's value, so the deleted one is not also the changed one.
        changed = int(_plain_lb_rows(frame)[1])
        frame.loc[changed, "LBSTRESN"] = frame.loc[changed, "LBSTRESN"] + 1.0
        return _seed_add(frame).drop(index=row)

    rewrite(
        bundled_out / "lb.xpt",
        other / "lb.xpt",
        edit,
        labels={"LBSTRESN": "Standard Numeric Result"},
        lengths={"LBTESTCD": length + 4},
    )
    code, document = compare_json(bundled_out, other, tmp_path)
    assert code == 1
    assert sorted(reported(document), key=str) == sorted(
        [
            ("value", "LB", "LBSTRESN", 1),
            ("record", "LB", "base", row + 1),
            # Appended after the deletion: one record fewer before it.
            ("record", "LB", "compare", len(lb)),
            *_expected("label", lb, length),
            *_expected("length", lb, length),
        ],
        key=str,
    )


def test_dataset_missing_from_compare_is_reported_once(bundled_out: Path, tmp_path: Path) -> None:
    other = copy_xpt(bundled_out, tmp_path / "other")
    (other / "suppdm.xpt").unlink()
    code, document = compare_json(bundled_out, other, tmp_path)
    assert code == 1
    assert reported(document) == [("dataset", "SUPPDM", "only in base")]


def test_no_fail_on_diff_exits_0_with_differences(
    bundled_out: Path, tmp_path: Path, rewrite
) -> None:
    other = copy_xpt(bundled_out, tmp_path / "other")
    rewrite(bundled_out / "lb.xpt", other / "lb.xpt", edit=_seed_value)
    code = run_cli(["compare", str(bundled_out), str(other), "--no-fail-on-diff"])
    assert code == 0


PILOT_LB = ("lbch.xpt", "lbhe.xpt", "lbur.xpt")


def test_cdisc_pilot_lb_perturbed_copy_all_seeded_differences_and_none_else(
    pilot_dir: Path, tmp_path: Path, rewrite
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    for name in PILOT_LB:
        shutil.copy(pilot_dir / name, base / name)
    other = tmp_path / "other"
    other.mkdir()
    seeded: dict[str, object] = {}

    def edit_lbch(frame: pd.DataFrame) -> pd.DataFrame:
        numeric = np.flatnonzero(frame["LBSTRESN"].notna().to_numpy())
        changed = numeric[[10, 500, 20_000]]
        frame.loc[changed, "LBSTRESN"] = frame.loc[changed, "LBSTRESN"] + 0.5
        # Within the default tolerance (1e-9): not a difference.
        frame.loc[numeric[30], "LBSTRESN"] = frame.loc[numeric[30], "LBSTRESN"] + 1e-12
        frame.loc[7, "LBORRES"] = "999"
        added = frame.iloc[[100]].copy()
        added["VISITNUM"] = 99.0
        added.index = [-1]
        frame = pd.concat([frame.drop(index=[3, 31_000]), added])
        # A second programmer sorts differently and numbers LBSEQ in that order.
        frame = frame.sample(frac=1.0, random_state=15)
        frame["LBSEQ"] = np.arange(1, len(frame) + 1, dtype=float)
        seeded["lbch_changed"] = sorted(int(r) + 1 for r in changed)
        seeded["lbch_added_row"] = int(np.flatnonzero(frame.index == -1)[0]) + 1
        return frame

    def edit_lbhe(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[5, "VISIT"] = frame.loc[5, "VISIT"].lower()
        return frame

    rewrite(pilot_dir / "lbch.xpt", other / "lbch.xpt", edit_lbch)
    rewrite(pilot_dir / "lbhe.xpt", other / "lbhe.xpt", edit_lbhe, labels={"LBTEST": "Lab Test"})
    rewrite(
        pilot_dir / "lbur.xpt",
        other / "lbur.xpt",
        lengths={"LBTEST": 40},
        dataset_label="Urinalysis",
    )

    result = sdtm.compare(base, other, ignore=["LBSEQ"])

    values = result.values[result.values["differences"] > 0]
    assert values[["dataset", "variable", "differences"]].values.tolist() == [
        ["LBCH", "LBORRES", 1],
        ["LBCH", "LBSTRESN", 3],
        ["LBHE", "VISIT", 1],
    ]
    stresn = result.examples[result.examples["variable"] == "LBSTRESN"]
    assert stresn["base_row"].tolist() == seeded["lbch_changed"]
    assert (stresn["compare_value"] - stresn["base_value"]).round(9).tolist() == [0.5] * 3
    assert result.records[["dataset", "side", "row"]].values.tolist() == [
        ["LBCH", "base", 4],
        ["LBCH", "base", 31_001],
        ["LBCH", "compare", seeded["lbch_added_row"]],
    ]
    assert result.attributes.values.tolist() == [
        ["LBHE", "LBTEST", "label", "Lab Test or Examination Name", "Lab Test"],
        ["LBUR", "", "dataset label", "", "Urinalysis"],
        ["LBUR", "LBTEST", "length", 39, 40],
    ]
    assert result.duplicate_keys.empty
    assert result.datasets[["dataset", "keys", "matched", "status"]].values.tolist() == [
        ["LBCH", "STUDYID, USUBJID, LBTESTCD, VISITNUM, LBDTC", 32_738, "different"],
        ["LBHE", "STUDYID, USUBJID, LBTESTCD, VISITNUM, LBDTC", 21_927, "different"],
        ["LBUR", "STUDYID, USUBJID, LBTESTCD, VISITNUM, LBDTC", 4_913, "different"],
    ]
    # The lower-cased VISIT is the only difference case-insensitive comparison forgives.
    relaxed = sdtm.compare(base, other, ignore=["LBSEQ"], ignore_case=True, datasets=["LBHE"])
    assert relaxed.values["differences"].sum() == 0


def test_pilot_lb_is_identical_to_its_own_rewrite(pilot_dir: Path, tmp_path: Path, rewrite):
    # Guards the test's own writer: rewriting without an edit must not seed anything.
    other = tmp_path / "other"
    other.mkdir()
    rewrite(pilot_dir / "lbch.xpt", other / "lbch.xpt")
    result = sdtm.compare(pilot_dir / "lbch.xpt", other / "lbch.xpt")
    assert result.identical, result.verdict
