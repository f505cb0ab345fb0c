"""``sdtm propose`` on small studies written here: which steps, with which evidence."""

import pytest

from sdtm.authoring.propose import propose_spec
from sdtm.cli import main
from sdtm.mapping.check import check_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.write_yaml import write_yaml_spec

AE = """\
STUDYID,SUBJID,LINE,AETERM,AESTDAT,AESTTIM,AESER,AESDTH,AEONGO,FORMCODE
S-1,001,1,HEADACHE,12 MAR 2024,08:30,Yes,0,1,AE1
S-1,001,2,NAUSEA,UN APR 2024,,No,1,0,AE1
S-1,002,1,RASH,03 MAY 2024,10:00,No,0,0,AE1
"""
DM = """\
STUDYID,SUBJID,SITEID,BRTHDAT,SEX,COUNTRY
S-1,001,10,04 APR 1951,Male,USA
S-1,002,10,UN UNK 1960,Female,USA
"""
VITALS = """\
STUDYID,SUBJID,VISDAT,ANYTHING
S-1,001,03/04/2024,x
S-1,002,05/06/2024,y
"""


@pytest.fixture
def proposal(study, standards, names):
    folder = study({"edc/ae.csv": AE, "edc/dm.csv": DM, "edc/misc.csv": VITALS})
    return propose_spec(folder, standards, names)


def _steps(proposal, domain):
    return {
        (s.target, s.algorithm): s
        for b in proposal.spec.domains[domain].blocks
        for s in b.steps
        if s.target != "_NOT_SUBMITTED"
    }


def test_files_go_to_the_dataset_their_columns_name(proposal):
    assert [(d.file, d.domain, d.role) for d in proposal.decisions] == [
        ("edc/ae.csv", "AE", "block"),
        ("edc/dm.csv", "DM", "block"),
        ("edc/misc.csv", None, "not placed"),  # no topic variable of any dataset
    ]
    assert proposal.spec.status == "draft"
    assert proposal.spec.studyid == "S-1"


def test_ae_steps_carry_algorithm_confidence_and_rationale(proposal):
    steps = _steps(proposal, "AE")
    start = steps[("AESTDTC", "assign_datetime")]
    assert (start.date, start.time, start.date_format, start.confidence) == (
        "AESTDAT",
        "AESTTIM",
        "DD MON YYYY",
        0.9,
    )
    assert "the stem AEST of AESTDAT names AESTDTC" in start.rationale
    serious = steps[("AESER", "assign_ct")]
    assert (serious.source, serious.codelist, serious.confidence) == ("AESER", "NY", 1.0)
    usubjid = steps[("USUBJID", "assign_concat")]
    assert (usubjid.sources, usubjid.separator) == (("STUDYID", "SUBJID"), "-")
    assert steps[("AESPID", "assign_no_ct")].source == "LINE"
    ongoing = steps[("AEENRTPT", "hardcode_ct")]
    assert (ongoing.value, ongoing.codelist, ongoing.when.conditions[0].column) == (
        "ONGOING",
        "STENRF",
        "AEONGO",
    )


def test_a_0_1_flag_proposes_study_synonyms_at_lower_confidence(proposal):
    death = _steps(proposal, "AE")[("AESDTH", "assign_ct")]
    assert death.confidence == 0.6
    assert "study synonyms proposed: 0 -> N, 1 -> Y" in death.rationale
    assert dict(proposal.spec.synonyms["NY"]) == {"0": "N", "1": "Y"}


def test_unplaced_columns_are_todo_candidates(proposal):
    todo = [
        s
        for b in proposal.spec.domains["AE"].blocks
        for s in b.steps
        if s.algorithm == "not_submitted" and s.source == "FORMCODE"
    ]
    assert len(todo) == 1
    assert todo[0].confidence == 0.0
    assert todo[0].reason.startswith("TODO (sdtm propose): no variable recognized for FORMCODE")


def test_required_variable_without_a_column_is_a_todo(proposal):
    # AEDECOD is Req in SDTMIG 3.4 AE and the file has no preferred-term column.
    decod = _steps(proposal, "AE")[("AEDECOD", "not_submitted")]
    assert decod.confidence == 0.0
    assert decod.reason.startswith("TODO (sdtm propose): AEDECOD (Dictionary-Derived Term) is Req")


def test_dm_dates_identifiers_and_conventions(proposal):
    steps = _steps(proposal, "DM")
    assert steps[("BRTHDTC", "assign_datetime")].date == "BRTHDAT"
    assert steps[("SEX", "assign_ct")].codelist == "SEX"
    assert steps[("AGEU", "hardcode_ct")].value == "YEARS"
    assert steps[("SITEID", "assign_no_ct")].source == "SITEID"


def test_the_draft_checks_and_round_trips_through_yaml(proposal, standards, tmp_path):
    assert check_spec(proposal.spec, standards) == ()
    write_yaml_spec(proposal.spec, tmp_path / "demo-study")
    again = read_yaml_spec(tmp_path / "demo-study")
    assert again.problems == ()
    assert again.spec == proposal.spec


def test_the_same_folder_gives_the_same_bytes(study, standards, names, tmp_path):
    folder = study({"edc/ae.csv": AE, "edc/dm.csv": DM})
    first = propose_spec(folder, standards, names)
    second = propose_spec(folder, standards, names)
    write_yaml_spec(first.spec, tmp_path / "a")
    write_yaml_spec(second.spec, tmp_path / "b")
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_an_ambiguous_date_gets_a_low_confidence(study, standards, names):
    text = (
        "STUDYID,SUBJID,CMTRT,CMSTDAT\n"
        "S-1,001,ASPIRIN,03/04/2024\n"
        "S-1,002,IBUPROFEN,05/06/2024\n"
    )
    folder = study({"edc/cm.csv": text})
    proposal = propose_spec(folder, standards, names)
    start = _steps(proposal, "CM")[("CMSTDTC", "assign_datetime")]
    assert start.confidence == 0.2
    assert start.rationale.startswith(
        "AMBIGUOUS: every value of CMSTDAT fits DD/MM/YYYY and MM/DD/YYYY"
    )


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_cli_writes_yaml_and_workbook_and_refuses_to_overwrite(study, tmp_path, capsys):
    folder = study({"edc/ae.csv": AE, "edc/dm.csv": DM})
    out = tmp_path / "maps" / "demo"
    code, stdout, err = _run(["propose", str(folder), "--out", str(out)], capsys)
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "ae.yaml",
        "demo-spec.xlsx",
        "dm.yaml",
        "study.yaml",
        "synonyms.yaml",
    ]
    assert "status: 'draft'" in (out / "study.yaml").read_text(encoding="utf-8")
    assert "edc/ae.csv" in stdout
    code, _, err = _run(["propose", str(folder), "--out", str(out)], capsys)
    assert code == 2
    assert "already holds a mapping spec" in " ".join(err.split())


def test_run_of_a_draft_warns_before_it_runs(study, tmp_path, capsys):
    folder = study({"edc/ae.csv": AE, "edc/dm.csv": DM})
    spec_dir = tmp_path / "maps" / "demo"
    assert _run(["propose", str(folder), "--out", str(spec_dir)], capsys)[0] == 0
    args = ["run", str(folder), "--mapping", str(spec_dir), "--out", str(tmp_path / "out")]
    code, _, err = _run([*args, "--creation-datetime", "2024-11-01T00:00:00"], capsys)
    assert code == 0
    assert "is a DRAFT spec (study.yaml status: draft" in " ".join(err.split())
    assert "[MP0030 spec-not-reviewed]" in " ".join(err.split())
