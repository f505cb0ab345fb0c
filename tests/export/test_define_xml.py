import hashlib

import pandas as pd
import pytest
from lxml import etree

from sdtm.export.define_checks import check_define_structure, validate_define
from sdtm.export.define_metadata import DefineMetadata, StudyInfo, VariableOrigin
from sdtm.export.define_xml import (
    build_define,
    define_bytes,
)
from sdtm.export.metadata import prepare_dataset
from sdtm.read.xpt_v5 import read_xpt_v5

NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.1",
    "xlink": "http://www.w3.org/1999/xlink",
}


@pytest.fixture
def frames(ae_frame):
    lb = pd.DataFrame(
        {
            "STUDYID": ["CART1"] * 3,
            "DOMAIN": ["LB"] * 3,
            "USUBJID": ["CART1-001"] * 3,
            "LBSEQ": [1, 2, 3],
            "LBTESTCD": ["ALB", "INTLK6", "ALB"],
            "LBTEST": ["Albumin", "Interleukin 6", "Albumin"],
            "LBORRES": ["4.1", "1520.5", "3.9"],
            "LBSTRESN": [41.0, 1520.5, 39.0],
        }
    )
    supp = pd.DataFrame(
        {
            "STUDYID": ["CART1"] * 2,
            "RDOMAIN": ["AE"] * 2,
            "USUBJID": ["CART1-001"] * 2,
            "IDVAR": ["AESEQ"] * 2,
            "IDVARVAL": ["1", "1"],
            "QNAM": ["AETRTEM", "CRSGR"],
            "QLABEL": ["Treatment Emergent Flag", "CRS Grade (ASTCT)"],
            "QVAL": ["Y", "3"],
            "QORIG": ["DERIVED", "CRF"],
        }
    )
    return {"AE": ae_frame, "LB": lb, "SUPPAE": supp}


@pytest.fixture
def metadata():
    return DefineMetadata(
        study=StudyInfo(study_oid="CART1", name="CART1", protocol="CART-PSCA-001"),
        origins=(
            VariableOrigin(
                "AE", "AESEV", "Collected", source="Investigator", comment="CRF page AE"
            ),
            VariableOrigin(
                "SUPPAE",
                "AETRTEM",
                "Derived",
                method_id="TRTEM",
                method_text="Y when AESTDTC is on or after the first CAR-T infusion.",
            ),
        ),
        dataset_comments={"LB": "Central and local laboratory results."},
    )


def _document(frames, standards, metadata, creation):
    prepared = {name: prepare_dataset(name, frame, standards) for name, frame in frames.items()}
    tree, findings = build_define(
        prepared, standards, metadata=metadata, creation_datetime=creation
    )
    assert len(findings) == 0
    return define_bytes(tree)


def test_define_validates_against_xsd_and_has_no_structural_findings(
    frames, tiny_standards, metadata, creation, define_schema_dir
):
    document = _document(frames, tiny_standards, metadata, creation)
    assert validate_define(document, define_schema_dir).rows(["rule_id"]) == []
    assert check_define_structure(document).rows(["rule_id"]) == []


def test_a_dataset_without_records_gets_no_empty_value_list(
    frames, tiny_standards, metadata, creation, define_schema_dir
):
    # A raw file that could not be read leaves its dataset empty: LB keeps its columns but has
    # no LBTESTCD value to key a value list on, and the schema needs one ItemRef per list.
    empty = dict(frames, LB=frames["LB"].iloc[0:0])
    document = _document(empty, tiny_standards, metadata, creation)
    assert validate_define(document, define_schema_dir).rows(["rule_id"]) == []
    root = etree.fromstring(document)
    assert root.find(".//def:ValueListDef[@OID='VL.LB.LBORRES']", NS) is None
    lborres = root.find(".//odm:ItemDef[@OID='IT.LB.LBORRES']", NS)
    assert lborres.find("def:ValueListRef", NS) is None


def test_define_structure_checked_independently(frames, tiny_standards, metadata, creation):
    root = etree.fromstring(_document(frames, tiny_standards, metadata, creation))
    item_defs = root.findall(".//odm:ItemDef", NS)
    assert len(item_defs) > 20
    for item in item_defs:
        assert item.findtext("odm:Description/odm:TranslatedText", namespaces=NS), item.get("OID")
        assert item.get("DataType") in ("text", "integer", "float", "datetime")
        assert int(item.get("Length")) >= 1
        assert item.find("def:Origin", NS) is not None, item.get("OID")
    oids = {
        kind: {e.get("OID") for e in root.iterfind(f".//{kind}", NS)}
        for kind in (
            "odm:ItemDef",
            "odm:CodeList",
            "def:WhereClauseDef",
            "def:ValueListDef",
            "odm:MethodDef",
        )
    }
    for ref in root.iterfind(".//odm:CodeListRef", NS):
        assert ref.get("CodeListOID") in oids["odm:CodeList"]
    for ref in root.iterfind(".//def:WhereClauseRef", NS):
        assert ref.get("WhereClauseOID") in oids["def:WhereClauseDef"]
    for ref in root.iterfind(".//odm:ItemRef", NS):
        assert ref.get("ItemOID") in oids["odm:ItemDef"]
    for check in root.iterfind(".//def:WhereClauseDef/odm:RangeCheck", NS):
        assert check.get(f"{{{NS['def']}}}ItemOID") in oids["odm:ItemDef"]


def test_define_content(frames, tiny_standards, metadata, creation):
    document = _document(frames, tiny_standards, metadata, creation)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet")
    root = etree.fromstring(document)
    groups = {g.get("OID"): g for g in root.iterfind(".//odm:ItemGroupDef", NS)}
    assert sorted(groups) == ["IG.AE", "IG.LB", "IG.SUPPAE"]
    ae = groups["IG.AE"]
    assert ae.get(f"{{{NS['def']}}}Structure") == "One record per adverse event per subject"
    assert ae.find("def:Class", NS).get("Name") == "EVENTS"
    assert groups["IG.SUPPAE"].find("def:Class", NS).get("Name") == "RELATIONSHIP"
    assert groups["IG.SUPPAE"].get("Domain") == "AE"
    leaf = ae.find("def:leaf", NS)
    assert leaf.get(f"{{{NS['xlink']}}}href") == "ae.xpt"
    keys = [(r.get("ItemOID"), r.get("KeySequence")) for r in ae.iterfind("odm:ItemRef", NS)]
    assert keys[:3] == [("IT.AE.STUDYID", "1"), ("IT.AE.DOMAIN", None), ("IT.AE.USUBJID", "2")]
    refs = {r.get("ItemOID"): r for r in ae.iterfind("odm:ItemRef", NS)}
    assert refs["IT.AE.AESEQ"].get("MethodOID") == "MT.SEQ"
    assert refs["IT.AE.AESTDY"].get("MethodOID") == "MT.STUDYDAY"

    def item(oid):
        return root.find(f".//odm:ItemDef[@OID='{oid}']", NS)

    assert item("IT.AE.AETERM").get("Length") == "25"
    assert item("IT.AE.AESEQ").get("DataType") == "integer"
    assert item("IT.LB.LBSTRESN").get("DataType") == "float"
    assert item("IT.LB.LBSTRESN").get("SignificantDigits") == "1"
    origin = item("IT.AE.AESEV").find("def:Origin", NS)
    assert (origin.get("Type"), origin.get("Source")) == ("Collected", "Investigator")
    assert item("IT.AE.STUDYID").find("def:Origin", NS).get("Type") == "Assigned"
    assert item("IT.AE.AESEV").get(f"{{{NS['def']}}}CommentOID") == "COM.AE.AESEV"

    # Codelists hold only the terms used, each with its NCI code.
    severity = root.find(".//odm:CodeList[@OID='CL.AESEV']", NS)
    assert [
        (e.get("CodedValue"), e.find("odm:Alias", NS).get("Name"))
        for e in severity.iterfind("odm:EnumeratedItem", NS)
    ] == [("MILD", "C41338"), ("SEVERE", "C41340")]
    assert severity.find("odm:Alias", NS).get("Name") == "C66769"

    # Value level: LB results by LBTESTCD, SUPPAE.QVAL by QNAM.
    lb_values = root.find(".//def:ValueListDef[@OID='VL.LB.LBORRES']", NS)
    assert [r.get("ItemOID") for r in lb_values.iterfind("odm:ItemRef", NS)] == [
        "IT.LB.LBORRES.ALB",
        "IT.LB.LBORRES.INTLK6",
    ]
    assert item("IT.LB.LBORRES.INTLK6").get("Length") == "6"
    assert item("IT.LB.LBSTRESN.ALB").get("DataType") == "integer"
    where = root.find(".//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.INTLK6']/odm:RangeCheck", NS)
    assert where.findtext("odm:CheckValue", namespaces=NS) == "INTLK6"
    supp_values = root.find(".//def:ValueListDef[@OID='VL.SUPPAE.QVAL']", NS)
    supp_refs = {r.get("ItemOID"): r for r in supp_values.iterfind("odm:ItemRef", NS)}
    assert supp_refs["IT.SUPPAE.QVAL.AETRTEM"].get("MethodOID") == "MT.TRTEM"
    assert (
        item("IT.SUPPAE.QVAL.CRSGR").findtext("odm:Description/odm:TranslatedText", namespaces=NS)
        == "CRS Grade (ASTCT)"
    )
    assert item("IT.SUPPAE.QVAL.CRSGR").find("def:Origin", NS).get("Type") == "Collected"
    method = root.find(".//odm:MethodDef[@OID='MT.TRTEM']", NS)
    assert method.findtext("odm:Description/odm:TranslatedText", namespaces=NS).startswith("Y when")
    assert root.find(".//def:CommentDef[@OID='COM.LB']", NS) is not None


def test_define_is_deterministic(frames, tiny_standards, metadata, creation):
    first = _document(frames, tiny_standards, metadata, creation)
    second = _document(frames, tiny_standards, metadata, creation)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


@pytest.mark.parametrize(
    ("xpath", "expected"),
    [
        (".//odm:CodeList[@OID='CL.NY']", [["XP0022", "CL.NY"]]),
        (
            ".//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.ALB']",
            [
                ["XP0022", "WC.LB.LBTESTCD.ALB"],
                ["XP0022", "WC.LB.LBTESTCD.ALB"],
            ],
        ),
        (".//odm:ItemDef[@OID='IT.AE.AETERM']", [["XP0022", "IT.AE.AETERM"]]),
        (".//odm:ItemDef[@OID='IT.AE.AETERM']/def:Origin", [["XP0023", "IT.AE.AETERM"]]),
        (
            ".//odm:MethodDef[@OID='MT.SEQ']",
            [
                ["XP0022", "MT.SEQ"],  # AESEQ
                ["XP0022", "MT.SEQ"],  # LBSEQ
            ],
        ),
    ],
    ids=["codelist", "where-clause", "item-def", "origin", "method"],
)
def test_structure_check_finds_broken_documents(
    frames, tiny_standards, metadata, creation, xpath, expected
):
    root = etree.fromstring(_document(frames, tiny_standards, metadata, creation))
    for element in root.findall(xpath, NS):
        element.getparent().remove(element)
    findings = check_define_structure(etree.tostring(root))
    assert findings.rows(["rule_id", "value"]) == expected


def test_structure_check_warns_about_derived_item_without_method(frames, tiny_standards, creation):
    document = _document(frames, tiny_standards, DefineMetadata(), creation)
    # Without the mapping's method, SUPPAE.AETRTEM (QORIG DERIVED) has no MethodOID.
    assert check_define_structure(document).rows(
        ["rule_id", "severity", "dataset", "variable"]
    ) == [["XP0025", "warning", "SUPPAE", "QVAL"]]


def test_xsd_violation_is_reported_with_line(
    frames, tiny_standards, metadata, creation, define_schema_dir
):
    document = _document(frames, tiny_standards, metadata, creation)
    broken = document.replace(b'Repeating="Yes"', b'Repeating="Often"', 1)
    findings = validate_define(broken, define_schema_dir)
    assert findings.rows(["rule_id"])[:1] == [["XP0021"]]
    assert "Often" in findings.frame["message"].iloc[0]


def test_cdisc_example_passes_our_xsd_validation(reference_dir, define_schema_dir):
    example = (reference_dir / "define-xml-2.1" / "example-defineV21-SDTM.xml").read_bytes()
    assert len(validate_define(example, define_schema_dir)) == 0


def test_pilot_define_with_real_standards(pilot_dir, creation, define_schema_dir):
    from sdtm.standards import load_standards

    standards = load_standards()
    names = ["dm", "ae", "lbur", "suppae", "ta", "ts"]
    prepared = {
        name.upper(): prepare_dataset(name, read_xpt_v5(pilot_dir / f"{name}.xpt").frame, standards)
        for name in names
    }
    tree, _ = build_define(
        prepared, standards, metadata=DefineMetadata(), creation_datetime=creation
    )
    document = define_bytes(tree)
    assert validate_define(document, define_schema_dir).rows(["rule_id"]) == []
    # Only the SUPPAE value the pilot derived (QORIG DERIVED) lacks a method description.
    assert check_define_structure(document).rows(["rule_id", "value"]) == [
        ["XP0025", "IT.SUPPAE.QVAL.AETRTEM"]
    ]
    root = etree.fromstring(document)
    lbur = root.find(".//odm:ItemGroupDef[@OID='IG.LBUR']", NS)
    assert lbur.get("Domain") == "LB"
    assert lbur.find("odm:Alias", NS).get("Context") == "DomainDescription"
    assert root.find(".//def:ValueListDef[@OID='VL.LBUR.LBORRES']", NS) is not None
    sex = root.find(".//odm:CodeList[@OID='CL.SEX']", NS)
    assert [e.get("CodedValue") for e in sex.iterfind("odm:EnumeratedItem", NS)] == ["F", "M"]
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"


def test_datasets_summarised_apart_and_merged_give_the_same_define(pilot_dir, repo_dir):
    """What a worker process summarises on its own merges into the document of one pass."""
    from datetime import datetime

    from sdtm.export.define_xml import (
        DefineContent,
        add_to_define,
        define_document,
        merge_define_content,
    )
    from sdtm.read.sdtm_package import read_sdtm_package
    from sdtm.standards import load_standards

    standards = load_standards(repo_dir / "specs")
    frames, _ = read_sdtm_package(pilot_dir, encoding="cp1252")
    metadata = DefineMetadata(
        study=StudyInfo(study_oid="CDISCPILOT01"),
        dataset_comments={"DM": "One record per subject", "AE": "Treatment-emergent"},
    )
    names = ["AE", "DM", "LBCH", "SUPPAE", "SUPPDM", "TS", "VS"]
    prepared = [prepare_dataset(name, frames[name], standards) for name in names]

    one_pass = DefineContent(metadata)
    for dataset in prepared:
        add_to_define(one_pass, dataset, standards)
    merged = DefineContent(metadata)
    for dataset in prepared:
        part = DefineContent(metadata)
        add_to_define(part, dataset, standards)
        merge_define_content(merged, part)

    created = datetime(2024, 11, 1, 12)
    expected = define_bytes(define_document(one_pass, standards, creation_datetime=created)[0])
    actual = define_bytes(define_document(merged, standards, creation_datetime=created)[0])
    assert b"ValueListDef" in expected and b"CodeList " in expected  # value lists, codelists
    assert actual == expected
