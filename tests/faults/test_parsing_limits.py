"""Safe parsing with limits (issue 12): no hang, no code, no silent acceptance.

From the fault corpus: YAML alias bombs hung the mapping loader and the waiver loader; a Python
tag on a YAML value was accepted silently; ``spec import-excel`` read formula cells as empty and
exited 0; a 10,000-column dataset never finished validation.
"""

import json
import shutil

import pytest
from openpyxl import load_workbook

from sdtm.errors import InputError, SpecError
from sdtm.export.define_xml import check_define_structure
from sdtm.mapping.load_excel import read_excel_spec, write_excel_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.read.dataset_json import read_dataset_json
from sdtm.read.raw import read_raw_file
from sdtm.safe_parse import MAX_COLUMNS, MAX_VALUE_CHARS, UnsafeYamlError, load_yaml, xml_parser
from sdtm.validate.waivers import load_waivers


def _alias_bomb(key: str) -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) leaves from 10 lines of YAML.

    Expanded sizes by hand: a0 = 1 + 9 = 10 nodes, a(k) = 1 + 9 * a(k-1): a5 = 597,871,
    a6 = 5,380,840, the first over the 1,000,000-node limit; a6 is written on line 7.
    """
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    lines.append(f"{key}: *a8")
    return "\n".join(lines) + "\n"


@pytest.fixture
def mapping(tmp_path, kit):
    folder = tmp_path / "tiny"
    shutil.copytree(kit.tiny / "mappings" / "tiny", folder)
    return folder


def test_alias_bomb_in_a_mapping_spec_is_refused_quickly(mapping, kit):
    """Acceptance: an alias bomb is refused (a generous bound guards against a hang)."""
    (mapping / "ae.yaml").write_text(_alias_bomb("domain"))
    finished, loaded = kit.finishes(lambda: read_yaml_spec(mapping), seconds=60)
    assert finished, "the mapping loader did not return within 60 s"
    refused = [(p.rule_id, str(p.location), p.message) for p in loaded.problems]
    assert refused == [
        (
            "MP0106",
            "tiny/ae.yaml:7",
            "refused: the document expands to more than 1,000,000 nodes (anchors and aliases "
            "used as an alias bomb?); refused",
        )
    ]


def test_alias_bomb_in_a_waivers_file_is_refused_quickly(tmp_path, kit):
    path = tmp_path / "waivers.yaml"
    path.write_text(_alias_bomb("waivers"))
    finished, error = kit.finishes(lambda: load_waivers(path), seconds=60)
    assert finished, "the waiver loader did not return within 60 s"
    assert isinstance(error, SpecError)
    assert "waivers.yaml:7: refused: the document expands to more than 1,000,000 nodes" in str(
        error
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x: !!python/object/apply:os.system ['echo owned']\n",
         "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
        ("x: !!python/name:os.system\n", "tag 'tag:yaml.org,2002:python/name:os.system'"),
        ("x: !custom 1\n", "tag '!custom' is not allowed"),
        ("x: &a [1, *a]\n", "an anchor is used inside itself"),
        ("x: " + "[" * 300 + "]" * 300 + "\n", "nesting deeper than 200 levels"),
    ],
    ids=["python-object", "python-name", "custom-tag", "recursive-alias", "deep-nesting"],
)  # fmt: skip
def test_unsafe_yaml_is_refused(text, message):
    with pytest.raises(UnsafeYamlError, match=message):
        load_yaml(text)


def test_python_tag_in_a_mapping_spec_is_a_spec_problem(mapping):
    spec = mapping / "ae.yaml"
    spec.write_text(spec.read_text().replace("source: LINE}", "source: !!python/str LINE}"))
    problems = [(p.rule_id, str(p.location)) for p in read_yaml_spec(mapping).problems]
    assert problems == [("MP0106", "tiny/ae.yaml:6")]  # the AESPID step


def test_python_tag_in_a_waivers_file_is_refused(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - rule: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(SpecError, match=r"waivers\.yaml:2: refused: tag .*python/object"):
        load_waivers(path)


def _workbook_with_formula(tmp_path, kit):
    workbook = tmp_path / "spec.xlsx"
    write_excel_spec(read_yaml_spec(kit.tiny / "mappings" / "tiny").spec, workbook)
    book = load_workbook(workbook)
    sheet = book["Variables"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = {name: cell.value for name, cell in zip(header, row, strict=False)}
        if values["Dataset"] == "AE" and values["Variable"] == "USUBJID":
            cell = row[header.index("Separator")]
            cell.value = '=CHAR(45)'  # a "-" separator computed by a formula
            reference = f"Variables!{cell.coordinate}"
    book.save(workbook)
    return workbook, reference


def test_formula_cell_is_refused_with_its_cell_reference(tmp_path, kit, capsys):
    """Acceptance: a formula cell is refused with its cell reference."""
    workbook, reference = _workbook_with_formula(tmp_path, kit)
    with pytest.raises(SpecError, match=rf"spec\.xlsx:{reference}: =CHAR\(45\) holds a formula"):
        read_excel_spec(workbook)
    code, _, err = kit.run_cli(["spec", "import-excel", str(workbook)], capsys)
    assert code == 2
    assert f"spec.xlsx:{reference}" in err.replace("\n", "") and "Traceback" not in err
    # Asked to use Excel's saved values, a formula without one (never opened in Excel) is
    # still refused rather than read as empty.
    with pytest.raises(SpecError, match=rf"{reference}: =CHAR\(45\) has no value saved by Excel"):
        read_excel_spec(workbook, formula_values=True)


def test_xml_entities_are_not_expanded_and_files_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY leak SYSTEM "file://{secret}">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<x><y>&leak;</y><z>&b;</z></x>"
    ).encode()
    from lxml import etree

    root = etree.fromstring(document, parser=xml_parser())
    assert "SECRET-CONTENT" not in etree.tostring(root).decode()
    assert root.find("z").text is None  # &b; stays an unexpanded reference
    assert len(check_define_structure(document)) == 0  # no ItemDef: nothing to report, no leak


def test_ten_thousand_column_dataset_json_is_refused_quickly(tmp_path, kit, capsys):
    columns = [{"itemOID": f"IT.AE.V{i}", "name": f"V{i}", "label": "x", "dataType": "string"}
               for i in range(10_000)]  # fmt: skip
    document = {
        "datasetJSONCreationDateTime": "2024-01-01T00:00:00",
        "datasetJSONVersion": "1.1.0",
        "itemGroupOID": "IG.AE",
        "records": 1,
        "name": "AE",
        "label": "Adverse Events",
        "columns": columns,
        "rows": [["a"] * 10_000],
    }
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ae.json").write_text(json.dumps(document))
    with pytest.raises(InputError, match=f"10,000 columns, more than the limit of {MAX_COLUMNS:,}"):
        read_dataset_json(tmp_path / "pkg" / "ae.json")
    finished, outcome = kit.finishes(
        lambda: kit.run_cli(["validate", str(tmp_path / "pkg"), "--format", "json"], capsys),
        seconds=300,
    )
    assert finished, "validation of a 10,000-column dataset did not return within 300 s"
    code, out, _ = outcome
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [(f["rule_id"], f["dataset"]) for f in findings] == [("ST0017", "AE")]
    assert "more than the limit of 2,000 per dataset" in findings[0]["message"]


def test_ten_thousand_column_raw_file_is_refused(tmp_path):
    header = ",".join(f"C{i}" for i in range(10_000))
    (tmp_path / "wide.csv").write_text(header + "\n" + ",".join(["x"] * 10_000) + "\n")
    raw = read_raw_file(tmp_path, "wide.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]
    assert "10,000 columns, more than the limit of 2,000" in raw.findings.rows(["message"])[0][0]


def test_overlong_raw_value_is_refused_with_row_and_column(tmp_path):
    long_value = "x" * (MAX_VALUE_CHARS + 1)
    (tmp_path / "ae.csv").write_text(f"STUDYID,AETERM\nS1,ok\nS1,{long_value}\n")
    raw = read_raw_file(tmp_path, "ae.csv")
    assert raw.frame is None
    assert f"row 3 column AETERM: a value of {MAX_VALUE_CHARS + 1:,} characters" in (
        raw.findings.rows(["message"])[0][0]
    )
