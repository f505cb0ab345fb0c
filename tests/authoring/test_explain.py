"""``sdtm explain VAR``: SDTMIG 3.4 metadata and where the bundled spec fills the variable.

Oracles: SDTMIG 3.4 AE (AESER "Serious Event", Char, Exp, codelist NY C66742, not extensible)
and the line of the AESER step as written in mappings/cart-psca-001/ae.yaml.
"""

from pathlib import Path

import pytest

from sdtm.authoring.explain import explain_variable
from sdtm.cli import main
from sdtm.mapping.load_yaml import read_yaml_spec

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "mappings" / "cart-psca-001"


def _line_of(text: str) -> int:
    lines = (MAPPING / "ae.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_explain_gives_metadata_codelist_and_the_filling_step(standards, names):
    spec = read_yaml_spec(MAPPING).spec
    (item,) = explain_variable(standards, "AE.AESER", spec=spec, names=names)
    v = item.variable
    assert (v.label, v.data_type, v.core) == ("Serious Event", "Char", "Exp")
    assert [(c.code, c.short_name, c.extensible) for c in item.codelists] == [
        ("C66742", "NY", False)
    ]
    assert [(str(f.step.location), f.block.file) for f in item.steps] == [
        (f"cart-psca-001/ae.yaml:{_line_of('target: AESER,')}", "edc/ae.csv")
    ]


def test_double_dash_names_every_dataset_with_the_variable(standards):
    found = explain_variable(standards, "--TERM")
    assert [(e.domain.name, e.variable.name) for e in found] == [
        ("AE", "AETERM"),
        ("DS", "DSTERM"),
        ("MH", "MHTERM"),
    ]


def test_a_derived_variable_says_so(standards, names):
    spec = read_yaml_spec(MAPPING).spec
    (item,) = explain_variable(standards, "LBSTRESC", spec=spec, names=names)
    assert (item.steps, item.derived) == ((), True)


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, " ".join(captured.out.split()), captured.err


def test_cli_prints_definition_and_step(capsys):
    code, out, _ = _run(["explain", "AE.AESER", "--mapping", str(MAPPING)], capsys)
    assert code == 0
    assert "AE.AESER - Serious Event (SDTMIG 3.4, Adverse Events)" in out
    assert "codelist NY (C66742, not extensible, CT 2025-03-28): N, NA, U, Y" in out
    line = _line_of("target: AESER,")
    assert f"cart-psca-001/ae.yaml:{line} edc/ae.csv: assign_ct from AESER via NY" in out


def test_cli_unknown_variable_exits_2(capsys):
    code, _, err = _run(["explain", "NOSUCHVAR"], capsys)
    assert code == 2
    assert "no SDTMIG 3.4 dataset has a variable 'NOSUCHVAR'" in " ".join(err.split())
