"""run_study on a tiny literal study: count check, skips, unaccounted rows, lineage, outputs."""

import shutil
from pathlib import Path

import pytest

from sdtm import run_study
from sdtm.errors import SpecError

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
        ["edc/ae.csv", 4, 4, 0],
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
    assert len(result.frames["AE"]) == 3


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


def test_a_column_missing_from_a_transfer_is_a_finding_and_the_run_goes_on(tiny_copy):
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
    assert result.frames["AE"]["AEDECOD"].isna().all()
    assert len(result.frames["AE"]) == 4


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
        ["TINY-01-003", 1, "edc/ae.csv", 5],
    ]


def test_mapped_values_and_findings_of_the_tiny_study():
    result = _run(TINY / "raw", TINY / "mappings" / "tiny")
    ae = result.frames["AE"].sort_values(["USUBJID", "AESEQ"])
    # partial precision kept; the impossible date 31 FEB is not submitted
    assert ae["AESTDTC"].astype(object).where(ae["AESTDTC"].notna(), None).tolist() == [
        "2024-01",
        "2024-03-12T14",
        None,
        "2024-04-01",
    ]
    rows = result.findings.rows(["rule_id", "source_file", "source_row", "variable", "value"])
    assert ["MP0010", "edc/ae.csv", 3, "AEOUT", "RESOLVED"] in rows
    assert ["RD0102", "edc/ae.csv", 4, "AESTDAT", "31 FEB 2024"] in rows
    assert ["MP0013", "edc/ae.csv", 5, "USUBJID", "TINY-01-003"] in rows


def test_derivations_without_their_inputs_are_skipped_with_a_notice():
    result = _run(TINY / "raw", TINY / "mappings" / "tiny")
    found = result.findings.frame
    skipped = found.loc[found["rule_id"] == "MP0004", ["severity", "dataset"]].values.tolist()
    # the tiny study has no informed consent date and no exposure: no AGE, no study days
    assert ["notice", "DM"] in skipped
    assert ["notice", "AE"] in skipped


def test_a_failing_derivation_becomes_an_mp0003_finding():
    from sdtm.pipeline import _Derivation

    run = _Derivation({})

    def broken():
        raise ValueError("boom")

    assert run.apply("LB", "derive_something", broken) is None
    table = run.findings[0]
    assert table.rows(["rule_id", "severity", "dataset"]) == [["MP0003", "error", "LB"]]
    assert "derive_something could not run (ValueError: boom)" in table.frame["message"][0]


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
    return _run(study, repo / "mappings" / "cart-psca-001")


def test_subject_with_three_races_keeps_all_three_in_suppdm(edited_bundled):
    """SDTMIG 3.4 DM: several races -> RACE MULTIPLE, each race in SUPPDM RACE1..RACEn."""
    subject = "CART-PSCA-001-102-001"
    dm = edited_bundled.frames["DM"]
    assert dm.loc[dm["USUBJID"] == subject, "RACE"].tolist() == ["MULTIPLE"]
    supp = edited_bundled.frames["SUPPDM"]
    rows = supp.loc[supp["USUBJID"] == subject, ["QNAM", "QLABEL", "QVAL"]]
    assert rows.values.tolist() == [
        ["RACE1", "Race 1", "AMERICAN INDIAN OR ALASKA NATIVE"],
        ["RACE2", "Race 2", "BLACK OR AFRICAN AMERICAN"],
        ["RACE3", "Race 3", "WHITE"],
    ]


def test_ae_grade_is_the_worst_of_collected_and_daily_fa_grades(edited_bundled):
    """Brief decision 5.3 via sdtm.derive.ae.derive_worst_grade on the FA TOXGR records."""
    ae = edited_bundled.frames["AE"]
    subject = ae["USUBJID"] == "CART-PSCA-001-101-003"
    grades = ae.loc[subject, ["AESPID", "AETOXGR"]].sort_values("AESPID").values.tolist()
    assert grades == [["1", "4"], ["2", "3"], ["3", "3"], ["4", "2"]]


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
    for part in ("sdtmig-3.4", "ct", "rules", "dataset-json-1.1"):
        (specs / part).symlink_to(repo / "specs" / part)
    if bundle_xsd:
        (specs / "define-xml-2.1").symlink_to(repo / "specs" / "define-xml-2.1")
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
