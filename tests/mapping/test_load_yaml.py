import pytest

from sdtm.errors import SpecError
from sdtm.mapping.check import check_raw_columns, check_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.problems import raise_if_problems
from sdtm.mapping.spec import Condition, Operator, Step, When

STUDY = "study:\n  studyid: S1\n"

AE_OK = """\
domain: AE
file: edc/ae.csv
steps:
  - {target: STUDYID, algorithm: hardcode_no_ct, value: S1}
  - {target: USUBJID, algorithm: assign_concat, value: S1, sources: [SUBJID]}
  - {target: AETERM, algorithm: assign_no_ct, source: AETERM}
  - {target: AEDECOD, algorithm: assign_no_ct, source: AEPT}
  - target: AESER
    algorithm: hardcode_ct
    value: Y
    codelist: NY
    when: {column: AESER, op: eq, value: "Yes"}
"""


def _problems(folder, standards, columns=None):
    loaded = read_yaml_spec(folder)
    problems = list(loaded.problems) + list(
        check_spec(loaded.spec, standards, loaded.synonym_lines)
    )
    if columns is not None:
        problems += list(check_raw_columns(loaded.spec, columns))
    return loaded.spec, sorted(str(p) for p in problems)


def test_read_yaml_spec_builds_the_ir(write_spec, small_standards):
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": AE_OK})
    spec, problems = _problems(folder, small_standards)
    assert problems == []
    assert spec.studyid == "S1"
    block = spec.domains["AE"].blocks[0]
    assert block.file == "edc/ae.csv"
    assert block.steps[4] == Step(
        "AESER",
        "hardcode_ct",
        value="Y",
        codelist="NY",
        when=When("all", (Condition("AESER", Operator.EQ, "Yes"),)),
    )
    assert block.steps[4].location.line == 8
    assert spec.domains["AE"].targets == ("STUDYID", "USUBJID", "AETERM", "AEDECOD", "AESER")


def _with(line_from, line_to):
    return AE_OK.replace(line_from, line_to)


@pytest.mark.parametrize(
    ("text", "expected", "rule_id"),
    [
        (
            _with(
                "algorithm: assign_no_ct, source: AETERM", "algorithm: asign_no_ct, source: AETERM"
            ),
            "demo/ae.yaml:6: AE.AETERM: unknown algorithm 'asign_no_ct'",
            "MP0101",
        ),
        (
            _with("target: AEDECOD", "target: AEDECODE"),
            "demo/ae.yaml:7: AE.AEDECODE is not a variable of AE",
            "MP0102",
        ),
        (
            _with("codelist: NY", "codelist: NOSUCH"),
            "demo/ae.yaml:8: AE.AESER: codelist 'NOSUCH' is not in CT package 2025-03-28",
            "MP0103",
        ),
        (
            _with("  - {target: AEDECOD, algorithm: assign_no_ct, source: AEPT}\n", ""),
            "demo/ae.yaml:1: AE.AEDECOD is required (Req) but no step assigns it",
            "MP0104",
        ),
        (
            _with("value: Y\n", "value: MAYBE\n"),
            "demo/ae.yaml:8: AE.AESER: 'MAYBE' is not a term of the non-extensible codelist NY",
            "MP0108",
        ),
        (
            _with("op: eq", "op: equals"),
            "demo/ae.yaml:12: unknown operator 'equals'",
            "MP0106",
        ),
        (
            _with(
                "{target: AETERM, algorithm: assign_no_ct, source: AETERM}",
                "{target: AETERM, algorithm: assign_no_ct}",
            ),
            "demo/ae.yaml:6: AE.AETERM: algorithm assign_no_ct needs 'source'",
            "MP0106",
        ),
        (
            _with("file: edc/ae.csv", "file: edc/ae.csv\nfiel: x"),
            "demo/ae.yaml:3: unknown key 'fiel' in dataset spec",
            "MP0106",
        ),
        (
            _with("steps:", "steps: ["),
            "demo/ae.yaml:",
            "MP0106",
        ),
        (
            _with("source: AETERM}", "source: AETERM, to_ascii: maybe}"),
            "demo/ae.yaml:6: AE.AETERM: to_ascii must be true or false, not 'maybe'",
            "MP0106",
        ),
        (
            _with("domain: AE", "domain: SUPPAE"),
            "demo/ae.yaml:1: dataset SUPPAE cannot be mapped from a dataset spec",
            "MP0107",
        ),
    ],
    ids=[
        "unknown-algorithm",
        "unknown-target-variable",
        "codelist-not-in-ct",
        "req-variable-never-assigned",
        "hardcoded-term-not-in-codelist",
        "unknown-operator",
        "algorithm-argument-missing",
        "unknown-key",
        "invalid-yaml",
        "to-ascii-not-a-boolean",
        "dataset-built-by-the-pipeline",
    ],
)
def test_spec_mistakes_are_reported_with_file_and_line(
    write_spec, small_standards, text, expected, rule_id
):
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": text})
    _, problems = _problems(folder, small_standards)
    matching = [p for p in problems if p.startswith(expected)]
    assert matching, problems
    assert f"[{rule_id} " in matching[0]


def test_missing_raw_column_is_reported_at_the_step_line(write_spec, small_standards):
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": AE_OK})
    columns = {"edc/ae.csv": ("SUBJID", "AETERM", "AESER")}
    _, problems = _problems(folder, small_standards, columns)
    assert problems == [
        "demo/ae.yaml:7: column 'AEPT' does not exist in edc/ae.csv "
        "(columns: SUBJID, AETERM, AESER) [MP0105 raw-column-missing]"
    ]


def test_unknown_synonym_codelist_is_reported(write_spec, small_standards):
    folder = write_spec(
        {
            "study.yaml": STUDY,
            "ae.yaml": AE_OK,
            "synonyms.yaml": "synonyms:\n  ROUTE:\n    IV: INTRAVENOUS\n  NOPE:\n    a: b\n",
        }
    )
    _, problems = _problems(folder, small_standards)
    assert problems == [
        "demo/synonyms.yaml:4: synonym map for codelist 'NOPE': not in CT package 2025-03-28 "
        "[MP0103 codelist-not-in-ct]"
    ]


def test_every_problem_is_reported_at_once(write_spec, small_standards):
    text = _with("algorithm: hardcode_no_ct", "algorithm: nope").replace(
        "target: AEDECOD", "target: AEDECODE"
    )
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": text})
    loaded = read_yaml_spec(folder)
    problems = list(loaded.problems) + list(check_spec(loaded.spec, small_standards))
    with pytest.raises(SpecError, match=r"3 problem\(s\)") as error:
        raise_if_problems(problems)
    message = str(error.value)
    assert "demo/ae.yaml:4: AE.STUDYID: unknown algorithm 'nope'" in message
    assert "demo/ae.yaml:7: AE.AEDECODE is not a variable" in message
    assert "demo/ae.yaml:1: AE.AEDECOD is required" in message


def test_study_level_files(write_spec, small_standards):
    folder = write_spec(
        {
            "study.yaml": STUDY + "skip:\n  - {file: edc/aph.csv, reason: out of scope}\n",
            "visits.yaml": "visits:\n  - {visitnum: 1, visit: SCREENING, raw: [SCR, SCREENING]}\n"
            "  - {visitnum: 6, visit: DAY 0, visitdy: 1}\n",
            "units.yaml": "conversions:\n  - {testcd: CRP, from: mg/dL, to: mg/L, factor: 10}\n",
            "design.yaml": "arms:\n  - {armcd: DL1, arm: Dose level 1}\n",
        }
    )
    spec, problems = _problems(folder, small_standards)
    assert problems == []
    assert [(v.visitnum, v.visit, v.visitdy, v.raw_names) for v in spec.visits] == [
        (1.0, "SCREENING", None, ("SCR", "SCREENING")),
        (6.0, "DAY 0", 1, ()),
    ]
    assert [(c.testcd, c.from_unit, c.to_unit, c.factor) for c in spec.unit_conversions] == [
        ("CRP", "mg/dL", "mg/L", 10.0)
    ]
    assert dict(spec.design["arms"][0]) == {"armcd": "DL1", "arm": "Dose level 1"}
    assert [(s.file, s.reason) for s in spec.skips] == [("edc/aph.csv", "out of scope")]


def test_visit_day_zero_is_a_spec_problem(write_spec, small_standards):
    folder = write_spec(
        {
            "study.yaml": STUDY,
            "visits.yaml": "visits:\n  - {visitnum: 6, visit: DAY 0, visitdy: 0}\n",
        }
    )
    _, problems = _problems(folder, small_standards)
    assert problems == [
        "demo/visits.yaml:2: visit DAY 0: VISITDY cannot be 0 (no day 0) [MP0106 spec-malformed]"
    ]


def test_missing_columns_read_through_a_join_are_attributed_to_the_lookup_file(write_spec):
    from sdtm.mapping.check import missing_raw_columns

    ae = AE_OK.replace(
        "steps:\n",
        "join:\n  - {file: edc/dm.csv, on: {SUBJID: SUBJID}, prefix: DM_}\nsteps:\n",
    ).replace("source: AEPT}", "source: DM_SEX}")
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": ae})
    spec = read_yaml_spec(folder).spec
    columns = {
        "edc/ae.csv": ("SUBJID", "AETERM", "AESER"),
        "edc/dm.csv": ("SUBJID", "SITEID"),
    }
    missing = [(m.file, m.column, str(m.location)) for m in missing_raw_columns(spec, columns)]
    assert missing == [("edc/dm.csv", "SEX", "demo/ae.yaml:9")]


@pytest.mark.parametrize(
    ("written", "expected"),
    [(", to_ascii: true", True), (", to_ascii: false", False), ("", False)],
    ids=["declared", "declared-off", "default-off"],
)
def test_to_ascii_step_option(write_spec, small_standards, written, expected):
    text = _with("source: AETERM}", f"source: AETERM{written}}}")
    spec, problems = _problems(write_spec({"study.yaml": STUDY, "ae.yaml": text}), small_standards)
    assert problems == []
    assert spec.domains["AE"].blocks[0].steps[2].to_ascii is expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("_NOT_SUBMITTED", []),  # a working column: documents unused raw columns, never submitted
        ("AENOSUCH", ["demo/ae.yaml:13: AE.AENOSUCH is not a variable of AE"]),
    ],
    ids=["working-column", "unknown-variable"],
)
def test_not_submitted_step_may_target_a_working_column(write_spec, small_standards, target,
                                                        expected):
    text = AE_OK + (
        f"  - {{target: {target}, algorithm: not_submitted, sources: [FOLDER],\n"
        "     reason: EDC page metadata}\n"
    )
    folder = write_spec({"study.yaml": STUDY, "ae.yaml": text})
    _, problems = _problems(folder, small_standards)
    assert [p.split(" (use")[0].split(" in SDTMIG")[0] for p in problems] == expected
