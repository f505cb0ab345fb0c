"""The bundled study's define.xml: origins, methods and roles a reviewer reads (issue 11).

Expected roles are read from the CDISC Library export of SDTMIG 3.4 in ``../shared/reference``
(not from ``specs/``, which the code reads); origins and methods are written out by hand from
what produces each variable (docs/derive.md); the AETOXGR value levels list, by hand, the
MedDRA preferred terms of the bundled AE log graded on each scale (sample_data README, AE
section: CRS and ICANS on ASTCT 2019, IEC-HS on ASTCT 2023, every other event on CTCAE v5.0).
"""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture(scope="module")
def define(bundled):
    return etree.parse(str(bundled.out_dir / "define.xml")).getroot()


@pytest.fixture(scope="module")
def ig_roles(reference_dir):
    with (reference_dir / "sdtmig-3.4" / "Variables.csv").open(encoding="utf-8-sig") as stream:
        return {
            (row["Dataset Name"], row["Variable Name"]): row["Role"]
            for row in csv.DictReader(stream)
        }


def _item_ref(root, dataset, variable):
    return root.find(
        f".//odm:ItemGroupDef[@OID='IG.{dataset}']/odm:ItemRef[@ItemOID='IT.{dataset}.{variable}']",
        NS,
    )


def _origin(root, oid):
    item = root.find(f".//odm:ItemDef[@OID='{oid}']", NS)
    origin = item.find("def:Origin", NS)
    return origin.get("Type"), origin.get("Source")


def _method_name(root, method_oid):
    return root.find(f".//odm:MethodDef[@OID='{method_oid}']", NS).get("Name")


@pytest.mark.parametrize(
    ("dataset", "variable", "origin", "method"),
    [
        # RFSTDTC: first exposure to the CAR-T product, from EX (derive_reference_dates)
        ("DM", "RFSTDTC", ("Derived", "Sponsor"), "derive_reference_dates"),
        # AETOXGR: worst of the collected grade and the daily FA grades (derive_worst_grade)
        ("AE", "AETOXGR", ("Derived", "Sponsor"), "derive_worst_grade"),
        # LBSTRESN: original result converted to the standard unit
        ("LB", "LBSTRESN", ("Derived", "Sponsor"), "derive_standard_results"),
        # EPOCH of every subject-level record: the subject's element in SE at the record date
        ("AE", "EPOCH", ("Derived", "Sponsor"), "derive_epoch"),
        ("LB", "EPOCH", ("Derived", "Sponsor"), "derive_epoch"),
        # PPSTRESN: non-compartmental analysis of the PC profile
        ("PP", "PPSTRESN", ("Derived", "Sponsor"), "derive_pp"),
        # collected by the site, by the lab vendor; fixed by the mapping
        ("AE", "AETERM", ("Collected", "Investigator"), None),
        ("LB", "LBORRES", ("Collected", "Vendor"), None),
        ("EX", "EXCAT", ("Assigned", "Sponsor"), None),
        # trial design from the protocol
        ("TE", "ELEMENT", ("Protocol", "Sponsor"), None),
    ],
    ids=[
        "dm-rfstdtc",
        "ae-aetoxgr",
        "lb-lbstresn",
        "ae-epoch",
        "lb-epoch",
        "pp-ppstresn",
        "ae-aeterm",
        "lb-lborres",
        "ex-excat",
        "te-element",
    ],
)
def test_origin_method_and_role(define, ig_roles, dataset, variable, origin, method):
    ref = _item_ref(define, dataset, variable)
    assert ref.get("Role") == ig_roles[(dataset, variable)]
    assert _origin(define, f"IT.{dataset}.{variable}") == origin
    method_oid = ref.get("MethodOID")
    assert (_method_name(define, method_oid) if method_oid else None) == method


def test_every_item_ref_of_a_standard_dataset_has_the_ig_role(define, ig_roles):
    wrong = []
    for group in define.iterfind(".//odm:ItemGroupDef", NS):
        name = group.get("Name")
        domain = "SUPPQUAL" if name.startswith("SUPP") else name
        for ref in group.iterfind("odm:ItemRef", NS):
            variable = ref.get("ItemOID").split(".", 2)[2]
            expected = ig_roles.get((domain, variable))
            if expected is not None and ref.get("Role") != expected:
                wrong.append((name, variable, ref.get("Role"), expected))
    assert wrong == []


def test_aetoxgr_value_level_metadata_names_the_scale_per_term(define):
    value_list = define.find(".//def:ValueListDef[@OID='VL.AE.AETOXGR']", NS)
    entries = {}
    for ref in value_list.iterfind("odm:ItemRef", NS):
        item = define.find(f".//odm:ItemDef[@OID='{ref.get('ItemOID')}']", NS)
        label = item.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
        where_oid = ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
        check = define.find(f".//def:WhereClauseDef[@OID='{where_oid}']/odm:RangeCheck", NS)
        assert check.get("{http://www.cdisc.org/ns/def/v2.1}ItemOID") == "IT.AE.AEDECOD"
        values = [v.text for v in check.iterfind("odm:CheckValue", NS)]
        entries[label] = (check.get("Comparator"), values)
        assert _method_name(define, ref.get("MethodOID")) == "derive_worst_grade"
    assert entries["Standard Toxicity Grade, ASTCT 2019"] == (
        "IN",
        ["Cytokine release syndrome", "Immune effector cell-associated neurotoxicity syndrome"],
    )
    assert entries["Standard Toxicity Grade, ASTCT 2023"] == (
        "EQ",
        ["Haemophagocytic lymphohistiocytosis"],
    )
    comparator, ctcae = entries["Standard Toxicity Grade, CTCAE V5.0"]
    assert comparator == "IN"
    assert "Neutropenia" in ctcae and "Cytokine release syndrome" not in ctcae


def test_meddra_is_an_external_codelist_with_the_study_version(define):
    codelist = define.find(".//odm:CodeList[@OID='CL.MEDDRA']", NS)
    external = codelist.find("odm:ExternalCodeList", NS)
    assert (external.get("Dictionary"), external.get("Version")) == ("MedDRA", "27.0")
    decod = define.find(".//odm:ItemDef[@OID='IT.AE.AEDECOD']/odm:CodeListRef", NS)
    assert decod.get("CodeListOID") == "CL.MEDDRA"


def test_comment_of_a_derived_variable_lists_its_sources(define):
    item = define.find(".//odm:ItemDef[@OID='IT.AE.AETOXGR']", NS)
    comment_oid = item.get("{http://www.cdisc.org/ns/def/v2.1}CommentOID")
    text = define.findtext(
        f".//def:CommentDef[@OID='{comment_oid}']/odm:Description/odm:TranslatedText", namespaces=NS
    )
    # every collected grade column the mapping reads, and the daily grades in FA
    for source in ("AECRSGR", "AEICANSGR", "AEIECHSGR", "AEGRADE", "FA.FAORRES"):
        assert source in text


def test_sdtm_export_with_the_mapping_writes_the_same_define(bundled, tmp_path):
    out = tmp_path / "export"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sdtm",
            "export",
            "define",
            str(bundled.out_dir),
            "--out",
            str(out),
            "--mapping",
            str(REPO / "mappings" / "cart-psca-001"),
            "--creation-datetime",
            "2024-11-01T12:00:00",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    # The run's stamp carries its time zone (the fixture passes 2024-11-01T12:00Z), the CLI
    # option is read as local time: the one attribute is compared as a date-time, the rest
    # byte for byte.
    exported = (out / "define.xml").read_bytes()
    written = (bundled.out_dir / "define.xml").read_bytes()
    stamp = re.compile(rb'CreationDateTime="2024-11-01T12:00:00(\+00:00)?"')
    assert len(stamp.findall(exported)) == len(stamp.findall(written)) == 1
    assert stamp.sub(b"", exported) == stamp.sub(b"", written)


def test_actsub_is_derived_and_the_other_ts_values_are_the_protocols(define):
    value_list = define.find(".//def:ValueListDef[@OID='VL.TS.TSVAL']", NS)
    found = {}
    for ref in value_list.iterfind("odm:ItemRef", NS):
        where_oid = ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
        check = define.find(f".//def:WhereClauseDef[@OID='{where_oid}']/odm:RangeCheck", NS)
        values = [v.text for v in check.iterfind("odm:CheckValue", NS)]
        method = ref.get("MethodOID")
        found[(check.get("Comparator"), *values)] = (
            _origin(define, ref.get("ItemOID"))[0],
            _method_name(define, method) if method else None,
        )
    assert found == {
        ("EQ", "ACTSUB"): ("Derived", "derive_ts_actual_subjects"),
        ("NOTIN", "ACTSUB"): ("Protocol", None),
    }
