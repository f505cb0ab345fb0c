"""run_study on a tiny literal study: count check, skips, unaccounted rows, lineage, outputs."""

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sdtm import run_study
from sdtm.errors import SpecError
from sdtm.mapping.spec import MappingSpec
from sdtm.mapping.study import study_creation_datetime
from sdtm.sample import RAW_FILES, write_sample

TINY = Path(__file__).resolve().parent / "mapping" / "fixtures" / "tiny"


def _run(study, mapping, out=None, **options):
    return run_study(
        study, mapping, out, write=out is not None, validate=False, export=False, **options
    )


@pytest.fixture
def tiny_copy(tmp_path):
    study = tmp_path / "raw"
    mapping = tmp_path / "tiny"
    shutil.copytree(TINY / "raw", study)
    shutil.copytree(TINY / "mappings" / "tiny", mapping)
    return study, mapping


def test_counts_rows_in_equal_mapped_plus_reported():
    result = _run(TINY / "raw", TINY / "mappings" / "tiny")
    assert result.counts.values.tolist() == [
        # row 5 (TINY-01-003, not in DM) is withheld (MP0040) and counted as reported
        ["edc/ae.csv", 4, 3, 1],
        ["edc/dm.csv", 2, 2, 0],
        ["edc/notes.csv", 1, 0, 1],  # skipped on purpose: MP0002
    ]
    notes = result.findings.frame
    assert notes.loc[
        notes["rule_id"] == "MP0002", ["source_file", "source_row"]
    ].values.tolist() == [["edc/notes.csv", 2]]


def test_a_raw_file_no_spec_mentions_is_reported_row_by_row(tiny_copy):
    study, mapping = tiny_copy
    (study / "edc" / "extra.csv").write_text("A,B\n1,2\n3,4\n", encoding="utf-8")
    result = _run(study, mapping)
    found = result.findings.frame
    lost = found.loc[found["rule_id"] == "MP0001", ["source_file", "source_row", "severity"]]
    assert lost.values.tolist() == [["edc/extra.csv", 2, "error"], ["edc/extra.csv", 3, "error"]]
    counts = result.counts.set_index("file")
    assert counts.loc["edc/extra.csv"].tolist() == [2, 0, 2]


def test_rows_filtered_out_by_a_block_are_reported(tiny_copy):
    study, mapping = tiny_copy
    ae = mapping / "ae.yaml"
    ae.write_text(
        ae.read_text(encoding="utf-8").replace(
            "file: edc/ae.csv\n", "file: edc/ae.csv\nwhere: {column: AEOUT, op: ne, value: FATAL}\n"
        ),
        encoding="utf-8",
    )
    result = _run(study, mapping)
    found = result.findings.frame
    assert found.loc[
        found["rule_id"] == "MP0001", ["source_file", "source_row"]
    ].values.tolist() == [["edc/ae.csv", 4]]
    assert len(result.frames["AE"]) == 2  # and row 5, of a subject not in DM, is withheld


def test_spec_problems_stop_the_run_with_every_location(tiny_copy):
    study, mapping = tiny_copy
    ae = mapping / "ae.yaml"
    text = ae.read_text(encoding="utf-8").replace(
        "algorithm: assign_no_ct, source: AEPT", "algorithm: assign_nothing, source: AEPT"
    )
    ae.write_text(text.replace("codelist: OUT", "codelist: OUTCOME"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"2 problem\(s\)") as error:
        _run(study, mapping)
    message = str(error.value)
    assert "tiny/ae.yaml:8: AE.AEDECOD: unknown algorithm 'assign_nothing'" in message
    assert "tiny/ae.yaml:9: AE.AEOUT: codelist 'OUTCOME' is not in CT package" in message


def test_a_column_missing_from_a_transfer_refuses_the_block_and_reports_its_rows(tiny_copy):
    # Issue 10: a block whose file lacks a column it reads is refused, not mapped with
    # empty values: no AE record, every AE row reported (RD0020), the column named (RD0007).
    study, mapping = tiny_copy
    ae = study / "edc" / "ae.csv"
    lines = ae.read_text(encoding="utf-8").splitlines()
    # drop the AEPT column (5th field) from header and rows
    ae.write_text(
        "\n".join(",".join(line.split(",")[:4] + line.split(",")[5:]) for line in lines) + "\n",
        encoding="utf-8",
    )
    result = _run(study, mapping)
    found = result.findings.rows(["rule_id", "source_file", "source_row", "variable"])
    assert ["RD0007", "edc/ae.csv", 1, "AEPT"] in found
    message = result.findings.frame.query("rule_id == 'RD0007'")["message"].iloc[0]
    assert "tiny/ae.yaml:8" in message
    assert "AE" not in result.frames or len(result.frames["AE"]) == 0
    refused = result.findings.frame.query("rule_id == 'RD0020'")
    assert sorted(refused["source_row"].astype(int)) == [2, 3, 4, 5]
    assert "row not mapped to AE" in refused["message"].iloc[0]
    assert "MP0001" not in set(result.findings.frame["rule_id"])
    counts = result.counts.set_index("file")
    assert counts.loc["edc/ae.csv"].tolist() == [4, 0, 4]


def _drop_column(path, column):
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index(column)
    path.write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != at) for line in lines)
        + "\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("file", "column", "dataset"),
    [("edc/ae.csv", "AETERM", "AE"), ("edc/dm.csv", "SEX", "DM"), ("edc/dm.csv", "SUBJID", "DM")],
    ids=["AETERM", "SEX", "SUBJID"],
)
def test_a_missing_column_named_like_its_target_is_reported_not_a_crash(
    tiny_copy, file, column, dataset
):
    # The step `{target: AETERM, source: AETERM}` reads the raw column, not its own target;
    # the block lacking it is refused and each of its rows reported (issue 10).
    study, mapping = tiny_copy
    _drop_column(study / file, column)
    result = _run(study, mapping)
    found = result.findings.rows(["rule_id", "source_file", "source_row", "variable"])
    assert ["RD0007", file, 1, column] in found
    assert dataset not in result.frames or len(result.frames[dataset]) == 0
    counts = result.counts.set_index("file")
    assert counts.loc[file, "rows_mapped"] == 0
    assert counts.loc[file, "rows_in"] == counts.loc[file, "rows_reported"] > 0


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    """A 3-subject generated study (every raw file of the bundled layout, fast to run)."""
    study = tmp_path_factory.mktemp("small") / "cart-psca-001"
    write_sample(study, n_subjects=3)
    return study


REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("missing", [f.path for f in RAW_FILES], ids=[f.key for f in RAW_FILES])
def test_a_missing_raw_file_is_a_finding_and_every_other_file_is_accounted(
    small_study, tmp_path, missing
):
    study = tmp_path / "cart-psca-001"
    shutil.copytree(small_study, study)
    (study / missing).unlink()
    result = _run(study, REPO / "mappings" / "cart-psca-001")
    found = result.findings.frame
    assert found.loc[found["rule_id"] == "RD0001", "source_file"].tolist() == [missing]
    assert "MP0003" not in set(found["rule_id"])  # no stage failed unexpectedly
    counts = result.counts.set_index("file")
    assert counts.loc[missing].tolist() == [0, 0, 0]
    others = counts.drop(index=missing)
    assert (others["rows_in"] == others["rows_mapped"] + others["rows_reported"]).all()


def test_a_run_without_dm_csv_exits_0_with_an_rd0001_finding(small_study, tmp_path, capsys):
    from sdtm.cli import main

    study = tmp_path / "cart-psca-001"
    shutil.copytree(small_study, study)
    (study / "edc" / "dm.csv").unlink()
    args = ["run", str(study), "--mapping", str(REPO / "mappings" / "cart-psca-001")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(tmp_path / "out"), "--creation-datetime", "2024-11-01T12:00"])
    captured = capsys.readouterr()
    assert exit_info.value.code == 0, captured.err
    assert "note: DM not mapped: its raw file(s) edc/dm.csv could not be read" in captured.out
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    rules = {f["rule_id"] for f in findings["findings"]}
    assert "RD0001" in rules
    assert "MP0003" not in rules


def test_outputs_and_lineage_written(tmp_path):
    out = tmp_path / "out"
    result = _run(TINY / "raw", TINY / "mappings" / "tiny", out)
    assert {"ae.csv", "dm.csv", "findings.json", "lineage.csv", "counts.csv"} <= {
        p.name for p in out.iterdir()
    }
    lineage = result.lineage
    ae = lineage.loc[lineage["DOMAIN"] == "AE"]
    assert ae[["USUBJID", "SEQ", "_src_file", "_src_row"]].values.tolist() == [
        ["TINY-01-001", 1, "edc/ae.csv", 3],  # UN JAN 2024 sorts first
        ["TINY-01-001", 2, "edc/ae.csv", 2],
        ["TINY-01-002", 1, "edc/ae.csv", 4],
        # row 5 (TINY-01-003, not in DM) is withheld: in no record, reported (MP0040)
    ]


def test_mapped_values_and_findings_of_the_tiny_study():
    result = _run(TINY / "raw", TINY / "mappings" / "tiny")
    ae = result.frames["AE"].sort_values(["USUBJID", "AESEQ"])
    # partial precision kept; the impossible date 31 FEB is not submitted
    assert ae["AESTDTC"].astype(object).where(ae["AESTDTC"].notna(), None).tolist() == [
        "2024-01",
        "2024-03-12T14",
        None,
    ]
    rows = result.findings.rows(["rule_id", "source_file", "source_row", "variable", "value"])
    assert ["MP0010", "edc/ae.csv", 3, "AEOUT", "RESOLVED"] in rows
    assert ["RD0102", "edc/ae.csv", 4, "AESTDAT", "31 FEB 2024"] in rows
    assert ["MP0013", "edc/ae.csv", 5, "USUBJID", "TINY-01-003"] in rows
    assert ["MP0040", "edc/ae.csv", 5, None, "MP0013"] in rows  # withheld (issue 17)


def test_derivations_without_their_inputs_are_skipped_with_a_notice():
    result = _run(TINY / "raw", TINY / "mappings" / "tiny")
    found = result.findings.frame
    skipped = found.loc[found["rule_id"] == "MP0004", ["severity", "dataset"]].values.tolist()
    # the tiny study has no informed consent date and no exposure: no AGE, no study days
    assert ["notice", "DM"] in skipped
    assert ["notice", "AE"] in skipped


def _edit_csv(path, subjid, edits, where=None):
    """Set ``edits`` (column -> value) on the rows of ``subjid`` (and ``where`` column values)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[header.index("SUBJID")] != subjid:
            continue
        if where and any(cells[header.index(c)] != v for c, v in where.items()):
            continue
        for column, value in edits.items():
            cells[header.index(column)] = value
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def edited_bundled(tmp_path_factory):
    """The bundled study with a 3-race subject and a daily CRS grade above the AE's grade."""
    repo = Path(__file__).resolve().parents[1]
    study = tmp_path_factory.mktemp("edited") / "cart-psca-001"
    shutil.copytree(repo / "sample_data" / "cart-psca-001", study)
    races = {"RACE_AMIND": "1", "RACE_BLACK": "1", "RACE_WHITE": "1"}
    _edit_csv(study / "edc" / "dm.csv", "102-001", races)
    # CRS episode AE 2 of 101-003 is collected at grade 1; day 2 of its log says grade 3.
    _edit_csv(study / "edc" / "crs.csv", "101-003", {"ASTCTGR": "3"}, where={"LINE": "2"})
    # Issue 17: the CRS of 101-005 (AE 2) has no ASTCT grade, only a CTCAE grade 3.
    _edit_csv(
        study / "edc" / "ae.csv", "101-005", {"AECRSGR": "", "AEGRADE": "3"}, where={"LINE": "2"}
    )
    return _run(study, repo / "mappings" / "cart-psca-001")


def test_subject_with_three_races_keeps_all_three_in_suppdm(edited_bundled):
    """SDTMIG 3.4 DM: several races -> RACE MULTIPLE, each race in SUPPDM RACE1..RACEn."""
    subject = "CART-PSCA-001-102-001"
    dm = edited_bundled.frames["DM"]
    assert dm.loc[dm["USUBJID"] == subject, "RACE"].tolist() == ["MULTIPLE"]
    supp = edited_bundled.frames["SUPPDM"]
    rows = supp.loc[supp["USUBJID"] == subject, ["QNAM", "QLABEL", "QVAL"]]
    # the subject's other qualifier: the escalation cohort (issue 11)
    assert rows.values.tolist() == [
        ["COHORT", "Dose Escalation Cohort", "1"],
        ["RACE1", "Race 1", "AMERICAN INDIAN OR ALASKA NATIVE"],
        ["RACE2", "Race 2", "BLACK OR AFRICAN AMERICAN"],
        ["RACE3", "Race 3", "WHITE"],
    ]


def test_a_daily_grade_above_the_collected_ae_grade_is_reported_not_written(edited_bundled):
    """Brief decision 5.3 (derive_worst_grade) under issue 17: collected beats derived.

    The AE form says grade 1, the daily log grade 3: the collected 1 is kept and MP0660
    names the worst daily grade, for the data manager to query.
    """
    ae = edited_bundled.frames["AE"]
    subject = ae["USUBJID"] == "CART-PSCA-001-101-003"
    grades = ae.loc[subject, ["AESPID", "AETOXGR"]].sort_values("AESPID").values.tolist()
    assert grades == [["1", "4"], ["2", "1"], ["3", "3"], ["4", "2"]]
    found = edited_bundled.findings.frame.query("rule_id == 'MP0660'")
    assert found[["source_file", "variable", "value"]].values.tolist() == [
        ["edc/ae.csv", "AETOXGR", "1"]
    ]
    assert "AETOXGR collected 1 kept; derive_worst_grade gives 3" in found["message"].iloc[0]


def test_a_crs_without_its_astct_grade_is_reported_with_the_grade_taken_instead(edited_bundled):
    # Issue 17: the CRS event took the CTCAE grade while SUPPAE names ASTCT 2019 as the scale;
    # the mapping says so (MP0042, from the step `AETOXGR <- AECRSGR when AECRS = 1`).
    found = edited_bundled.findings.frame.query("rule_id == 'MP0042'")
    assert found[["source_file", "source_row", "variable", "value"]].values.tolist() == [
        ["edc/ae.csv", 20, "AETOXGR", "AECRSGR"]
    ]
    message = found["message"].iloc[0]
    assert "(all of: AECRS eq '1'; cart-psca-001/ae.yaml:36) holds but AECRSGR is empty" in message
    assert "AETOXGR was taken from AEGRADE (cart-psca-001/ae.yaml:39) instead" in message


def test_unused_waiver_gets_its_rule_metadata_and_the_registry_is_built_once(
    tiny_copy, monkeypatch
):
    import sdtm.validate.registry as registry_module

    study, mapping = tiny_copy
    (mapping / "waivers.yaml").write_text(
        "waivers:\n"
        "  - rule: CT0001\n"
        "    scope: {dataset: AE, variable: AEOUT, value: NO SUCH TERM}\n"
        "    reason: test\n"
        "    approved_by: test\n",
        encoding="utf-8",
    )
    built = []
    original = registry_module.build_registry

    def counting(*args, **kwargs):
        built.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(registry_module, "build_registry", counting)
    result = run_study(study, mapping, None, write=False, export=False)
    assert len(built) == 1  # once per run, not per dataset or per stage
    stale = result.findings.frame
    stale = stale.loc[stale["rule_id"] == "ST0900"]
    assert stale[["severity", "rule_name"]].values.tolist() == [
        ["warning", "waiver-matches-nothing"]
    ]
    # the YAML message template names the rule and the scope, not only the waiver number
    assert "CT0001" in stale["message"].iloc[0]
    assert "NO SUCH TERM" in stale["message"].iloc[0]


@pytest.mark.parametrize("bundle_xsd", [True, False], ids=["with-xsd", "without-xsd"])
def test_define_xml_is_validated_with_the_xsd_of_the_run_standards_folder(
    tiny_copy, tmp_path, monkeypatch, bundle_xsd
):
    import sdtm.export.submission as submission

    repo = Path(__file__).resolve().parents[1]
    specs = tmp_path / "specs"
    specs.mkdir()
    # Every part of the standards folder, with or without the Define-XML schema.
    for part in (repo / "specs").iterdir():
        if part.name != "define-xml-2.1" or bundle_xsd:
            (specs / part.name).symlink_to(part)
    used = []
    original = submission.validate_define

    def recording(document, schema_dir):
        used.append(schema_dir)
        return original(document, schema_dir)

    monkeypatch.setattr(submission, "validate_define", recording)
    study, mapping = tiny_copy
    result = run_study(study, mapping, tmp_path / "out", specs_dir=specs, validate=False)
    assert (tmp_path / "out" / "define.xml").is_file()
    assert used == ([specs / "define-xml-2.1" / "schema"] if bundle_xsd else [])
    assert "XP0021" not in set(result.findings.frame["rule_id"])


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"data_cutoff": "2024-10-31"}, (datetime(2024, 10, 31), "study.yaml data_cutoff")),
        (
            {"data_cutoff": "2024-10-31", "creation_datetime": "2024-11-02T08:30:00"},
            (datetime(2024, 11, 2, 8, 30), "study.yaml creation_datetime"),
        ),
        ({}, None),
    ],
    ids=["data-cutoff", "creation-datetime-wins", "none"],
)
def test_study_creation_datetime_from_study_settings(settings, expected):
    spec = MappingSpec("s", "S", {}, settings=settings)
    assert study_creation_datetime(spec) == expected


def test_study_creation_datetime_that_is_not_iso_is_a_spec_error():
    spec = MappingSpec("s", "S", {}, settings={"data_cutoff": "31OCT2024"})
    with pytest.raises(SpecError, match="data_cutoff '31OCT2024' is not an ISO 8601"):
        study_creation_datetime(spec)


def test_a_numeric_value_that_is_not_a_number_is_a_finding_naming_file_row_column(tiny_copy):
    study, mapping = tiny_copy
    (study / "edc" / "vs.csv").write_text(
        'STUDYID,SUBJID,TEST,RESULT\nTINY,01-001,WEIGHT,70.5\nTINY,01-002,WEIGHT,"6,0"\n'
        "TINY,01-003,WEIGHT,\n",
        encoding="utf-8",
    )
    (mapping / "vs.yaml").write_text(
        "domain: VS\nfile: edc/vs.csv\nsteps:\n"
        "  - {target: STUDYID, algorithm: assign_no_ct, source: STUDYID}\n"
        "  - {target: USUBJID, algorithm: assign_concat, sources: [STUDYID, SUBJID]}\n"
        "  - {target: VSTESTCD, algorithm: assign_no_ct, source: TEST}\n"
        "  - {target: VSTEST, algorithm: assign_no_ct, source: TEST}\n"
        "  - {target: VSSTRESN, algorithm: assign_no_ct, source: RESULT}\n",
        encoding="utf-8",
    )
    result = _run(study, mapping)
    found = result.findings.frame.query("rule_id == 'MP0016'")
    # The blank result of 01-003 was missing already: no finding.
    assert found[
        ["severity", "dataset", "variable", "value", "source_file", "source_row"]
    ].values.tolist() == [["error", "VS", "VSSTRESN", "6,0", "edc/vs.csv", 3]]
    assert "edc/vs.csv:3 RESULT: value '6,0' is not a number" in found["message"].iloc[0]
    vs = result.frames["VS"].set_index("USUBJID")["VSSTRESN"]
    assert vs["TINY-01-001"] == 70.5
    assert pd.isna(vs["TINY-01-002"])


def test_rows_of_an_extra_worksheet_are_reported_in_the_count_check(small_study, tmp_path):
    import openpyxl

    study = tmp_path / "cart-psca-001"
    shutil.copytree(small_study, study)
    book = openpyxl.load_workbook(study / "edc" / "ld.xlsx")
    extra = book.create_sheet("late entries")
    for row in (("SUBJID", "LDDOSE"), ("101-001", "30"), ("101-002", "500")):
        extra.append(row)
    book.save(study / "edc" / "ld.xlsx")
    result = _run(study, REPO / "mappings" / "cart-psca-001")
    counts = result.counts.set_index("file").loc["edc/ld.xlsx"]
    assert counts["rows_reported"] == 2
    assert counts["rows_in"] == counts["rows_mapped"] + counts["rows_reported"]
    found = result.findings.rows(["rule_id", "source_file", "value"])
    assert ["RD0008", "edc/ld.xlsx", "late entries"] in found


def test_a_transfer_with_only_its_header_maps_to_no_record(small_study, tmp_path):
    # Later LB steps read LBTESTCD, which an earlier step fills: with no row it reads as missing.
    study = tmp_path / "cart-psca-001"
    shutil.copytree(small_study, study)
    lab_b = study / "lab" / "lab_b.csv"
    lab_b.write_text(lab_b.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = _run(study, REPO / "mappings" / "cart-psca-001")
    assert result.counts.set_index("file").loc["lab/lab_b.csv"].tolist() == [0, 0, 0]
    lineage = result.lineage
    assert not (lineage["_src_file"] == "lab/lab_b.csv").any()
    assert (lineage["_src_file"] == "lab/lab_a.csv").any()
    assert "MP0003" not in set(result.findings.frame["rule_id"])


def test_rows_after_a_quoted_line_break_and_a_blank_line_keep_their_physical_line(tiny_copy):
    study, mapping = tiny_copy
    path = study / "edc" / "ae.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # Row 2 gets an AETERM with a line break (quoted), and a blank line follows it: the
    # RESOLVED row moves from line 3 to line 5, as a text editor shows.
    lines[1] = lines[1].replace("Headache,Headache", '"Head\nache",Headache')
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(study, mapping)
    rows = result.findings.rows(["rule_id", "source_file", "source_row", "variable", "value"])
    assert ["MP0010", "edc/ae.csv", 5, "AEOUT", "RESOLVED"] in rows
    assert ["RD0102", "edc/ae.csv", 6, "AESTDAT", "31 FEB 2024"] in rows
    lineage = result.lineage
    ae = lineage.loc[lineage["DOMAIN"] == "AE"]
    assert sorted(ae["_src_row"].tolist()) == [2, 5, 6]  # line 7: subject not in DM, withheld
    assert result.counts.set_index("file").loc["edc/ae.csv"].tolist() == [4, 3, 1]


def test_a_row_with_too_few_fields_is_reported_not_mapped_and_counted(tiny_copy):
    study, mapping = tiny_copy
    path = study / "edc" / "ae.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "TINY,01-002,2,Nausea,Nausea\n", encoding="utf-8"
    )
    result = _run(study, mapping)
    found = result.findings.frame
    short = found.loc[found["rule_id"] == "RD0009"]
    assert short[["severity", "source_file", "source_row", "value"]].values.tolist() == [
        ["error", "edc/ae.csv", 6, "TINY,01-002,2,Nausea,Nausea"]
    ]
    assert "5 field(s), fewer than the header's 8" in short["message"].iloc[0]
    assert "Nausea" not in result.frames["AE"]["AETERM"].tolist()
    # rows in = rows mapped + rows reported (row 5 withheld: subject not in DM)
    assert result.counts.set_index("file").loc["edc/ae.csv"].tolist() == [5, 3, 2]
    assert "MP0001" not in set(found["rule_id"])


def test_a_raw_column_no_step_reads_is_a_notice_once_per_file_and_column(tiny_copy):
    study, mapping = tiny_copy
    path = study / "edc" / "dm.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = [lines[0] + ",MYNEWCOL,EMPTYCOL", lines[1] + ",,", lines[2] + ",foo,"]
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    result = _run(study, mapping)
    found = result.findings.frame
    notices = found.loc[found["rule_id"] == "MP0017"]
    assert notices[["severity", "source_file", "variable", "value"]].values.tolist() == [
        ["notice", "edc/dm.csv", "MYNEWCOL", "foo"]
    ]
    message = notices["message"].iloc[0]
    assert message.startswith("edc/dm.csv:1 MYNEWCOL: raw column holds values (1 row(s), e.g.")
    assert "'foo' on row 3" in message


def test_a_raw_column_named_by_a_not_submitted_step_counts_as_read(tiny_copy):
    study, mapping = tiny_copy
    path = study / "edc" / "dm.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = [lines[0] + ",MYNEWCOL", lines[1] + ",foo", lines[2] + ",bar"]
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    spec = mapping / "dm.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + "  - {target: ETHNIC, algorithm: not_submitted, sources: [MYNEWCOL],\n"
        "     reason: 'vendor comment, not collected data'}\n",
        encoding="utf-8",
    )
    result = _run(study, mapping)
    assert "MP0017" not in set(result.findings.frame["rule_id"])


def test_a_rerun_removes_the_earlier_runs_outputs_and_reports_foreign_files(tiny_copy, tmp_path):
    study, mapping = tiny_copy
    out = tmp_path / "out"
    _run(study, mapping, out)
    # What an earlier run with an exporter and an MH dataset would have left behind: files
    # its manifest lists with their SHA-256, and files nobody listed.
    (out / "json").mkdir()
    for name in ("mh.xpt", "json/mh.json", "old.csv", "json/notes.json"):
        (out / name).write_text("x", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(b"x").hexdigest()
    manifest["files"] += [
        {"file": name, "size": 1, "sha256": digest, "records": None}
        for name in ("mh.xpt", "json/mh.json")
    ]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = _run(study, mapping, out)
    assert not (out / "mh.xpt").exists()
    assert not (out / "json" / "mh.json").exists()
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert "mh.xpt" not in {entry["file"] for entry in listed}  # this run's manifest
    assert (out / "old.csv").read_text(encoding="utf-8") == "x"  # never deleted
    assert (out / "json" / "notes.json").is_file()
    found = result.findings.frame
    foreign = found.loc[found["rule_id"] == "MP0018"]
    assert sorted(foreign[["severity", "stage", "value"]].values.tolist()) == [
        ["warning", "export", "json/notes.json"],
        ["warning", "export", "old.csv"],
    ]
    assert any("2 file(s) this tool did not write" in note for note in result.notes)
    written = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert "MP0018" in json.dumps(written)


def test_a_rerun_into_its_own_folder_reports_no_foreign_file(tiny_copy, tmp_path):
    study, mapping = tiny_copy
    out = tmp_path / "out"
    _run(study, mapping, out)
    result = _run(study, mapping, out)
    assert "MP0018" not in set(result.findings.frame["rule_id"])
    assert {"ae.csv", "dm.csv", "run.json", "findings.json"} <= {p.name for p in out.iterdir()}


def test_keep_invalid_records_keeps_them_and_validation_names_the_same_cause():
    # Issue 17: `sdtm run --keep-invalid-records` delivers the record of TINY-01-003 (not in
    # DM); XR0001 reports it again at validation, following from MP0013 on the same raw row.
    result = run_study(
        TINY / "raw",
        TINY / "mappings" / "tiny",
        write=False,
        export=False,
        keep_invalid_records=True,
    )
    assert "TINY-01-003" in set(result.frames["AE"]["USUBJID"])
    assert result.counts.set_index("file").loc["edc/ae.csv"].tolist() == [4, 4, 0]
    found = result.findings.frame
    assert "MP0040" not in set(found["rule_id"])
    xr = found.loc[found["rule_id"] == "XR0001", ["source_row", "caused_by"]]
    assert xr.values.tolist() == [[5, "MP0013 edc/ae.csv:5"]]


def test_dates_after_the_study_data_cutoff_are_reported_without_a_ts_dcutdtc(tiny_copy):
    # Issue 17: the study config knows the data cut-off; a date after it is XR0073 even when
    # TS (the tiny study has none) carries no DCUTDTC. Its AEs start up to 2024-04-01.
    study, mapping = tiny_copy
    path = mapping / "study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("study:\n", "study:\n  settings:\n    data_cutoff: \"2024-03-31\"\n", 1)
        if "settings:" not in text
        else text.replace("settings:\n", "settings:\n    data_cutoff: \"2024-03-31\"\n", 1),
        encoding="utf-8",
    )
    result = run_study(study, mapping, write=False, export=False, keep_invalid_records=True)
    found = result.findings.frame.query("rule_id == 'XR0073'")
    assert found[["dataset", "variable", "value", "source_row"]].values.tolist() == [
        ["AE", "AESTDTC", "2024-04-01", 5]
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_validation_alongside_the_export_gives_the_findings_of_a_run_without_export(
    tiny_copy, tmp_path, jobs
):
    study, mapping = tiny_copy
    alone = run_study(study, mapping, write=False, export=False)
    exported = run_study(
        study, mapping, tmp_path / "out", jobs=jobs, creation_datetime=datetime(2024, 1, 1)
    )
    columns = ["rule_id", "dataset", "row", "variable", "message", "source_file", "caused_by"]
    validated = alone.findings.frame[columns]
    # The written run also has the export's findings: the validation's come first, unchanged.
    assert exported.findings.frame[columns].head(len(validated)).equals(validated)
    written = json.loads((tmp_path / "out" / "findings.json").read_text("utf-8"))
    assert len(written["findings"]) == len(exported.findings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_validation_that_breaks_during_the_export_is_raised_not_taken_for_the_export(
    tiny_copy, tmp_path, monkeypatch, jobs
):
    import sdtm.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("validation broke")

    monkeypatch.setattr(sdtm.pipeline, "validate_datasets", broken)
    study, mapping = tiny_copy
    with pytest.raises(RuntimeError, match="validation broke"):
        run_study(
            study, mapping, tmp_path / "out", jobs=jobs, creation_datetime=datetime(2024, 1, 1)
        )
    # The staged package is not switched in: no manifest, no findings of a half run.
    assert not (tmp_path / "out" / "findings.json").exists()
