"""Checks of a written Define-XML 2.1 document: the XSD, and what the XSD cannot check.

``validate_define`` validates against the Define-XML 2.1 schema (XP0021);
``check_define_structure`` checks cross-references and item completeness (XP0022, XP0023,
XP0025). Both read the serialised document, so they judge any define.xml, not only ours.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from sdtm.export.define_xml import DEF_NS, ODM_NS, SCHEMA_FILE
from sdtm.export.rules import make_finding
from sdtm.findings import FindingsTable
from sdtm.safe_parse import xml_parser

RULE_IDS: tuple[str, ...] = ("XP0021", "XP0022", "XP0023", "XP0025")


def validate_define(document: bytes, schema_dir: Path) -> FindingsTable:
    """Validate a Define-XML document against the Define-XML 2.1 XSD.

    Args:
        document: The serialised document.
        schema_dir: Folder holding ``cdisc-define-2.1/define2-1-0.xsd`` and the schemas it
            imports (CDISC's release package layout).

    Returns:
        One XP0021 finding per schema error (line and message).
    """
    # Entity expansion, DTDs and network access stay off for the schema and the document.
    schema = etree.XMLSchema(etree.parse(str(schema_dir / SCHEMA_FILE), parser=xml_parser()))
    parsed = etree.fromstring(document, parser=xml_parser())
    if schema.validate(parsed):
        return FindingsTable()
    return FindingsTable.from_findings(
        make_finding("XP0021", f"define.xml line {error.line}: {error.message}")
        for error in schema.error_log
    )


def check_define_structure(document: bytes) -> FindingsTable:
    """Check the cross-references and item completeness the XSD cannot check.

    Rules: every ItemDef has a label (Description), DataType, Length and ``def:Origin``
    (XP0023); every ItemRef, CodeListRef, WhereClauseRef (and the item its RangeCheck names),
    ValueListRef, MethodOID, CommentOID and ArchiveLocationID resolves (XP0022); every ItemRef
    whose item is Derived names a method (XP0025, a warning: the schema allows it, reviewers
    expect the method).
    """
    root = etree.fromstring(document, parser=xml_parser())
    ns = {"odm": ODM_NS, "def": DEF_NS}
    item_defs = {e.get("OID"): e for e in root.iterfind(".//odm:ItemDef", ns)}
    found = []
    for oid, element in item_defs.items():
        text = element.findtext("odm:Description/odm:TranslatedText", namespaces=ns)
        missing = [
            what
            for what, present in (
                ("label", bool(text and text.strip())),
                ("DataType", bool(element.get("DataType"))),
                ("Length", bool(element.get("Length"))),
                ("def:Origin", element.find("def:Origin", ns) is not None),
            )
            if not present
        ]
        if missing:
            found.append(
                make_finding(
                    "XP0023",
                    f"ItemDef {oid} has no {', '.join(missing)}",
                    variable=element.get("Name"),
                    value=oid,
                )
            )
    targets = {
        "CodeList": {e.get("OID") for e in root.iterfind(".//odm:CodeList", ns)},
        "WhereClauseDef": {e.get("OID") for e in root.iterfind(".//def:WhereClauseDef", ns)},
        "ValueListDef": {e.get("OID") for e in root.iterfind(".//def:ValueListDef", ns)},
        "MethodDef": {e.get("OID") for e in root.iterfind(".//odm:MethodDef", ns)},
        "CommentDef": {e.get("OID") for e in root.iterfind(".//def:CommentDef", ns)},
        "leaf": {e.get("ID") for e in root.iterfind(".//def:leaf", ns)},
        "ItemDef": set(item_defs),
    }
    references = (
        (".//odm:ItemRef", "ItemOID", "ItemDef"),
        (".//odm:CodeListRef", "CodeListOID", "CodeList"),
        (".//def:WhereClauseRef", "WhereClauseOID", "WhereClauseDef"),
        (".//def:ValueListRef", "ValueListOID", "ValueListDef"),
        (".//odm:ItemRef[@MethodOID]", "MethodOID", "MethodDef"),
        (".//*[@def:CommentOID]", f"{{{DEF_NS}}}CommentOID", "CommentDef"),
        (".//odm:ItemGroupDef", f"{{{DEF_NS}}}ArchiveLocationID", "leaf"),
        (".//odm:RangeCheck", f"{{{DEF_NS}}}ItemOID", "ItemDef"),
    )
    for path, attribute, kind in references:
        for element in root.iterfind(path, ns):
            value = element.get(attribute)
            if value is None or value not in targets[kind]:
                found.append(
                    make_finding(
                        "XP0022",
                        f"{etree.QName(element).localname} {attribute.split('}')[-1]}="
                        f"{value!r} names no {kind}",
                        value=value,
                    )
                )
    for ref in root.iterfind(".//odm:ItemRef", ns):
        item = item_defs.get(ref.get("ItemOID"))
        origin = item.find("def:Origin", ns) if item is not None else None
        if origin is not None and origin.get("Type") == "Derived" and not ref.get("MethodOID"):
            oid = str(ref.get("ItemOID"))
            parts = oid.split(".")
            found.append(
                make_finding(
                    "XP0025",
                    f"ItemRef {oid} is Derived but names no MethodOID; give the method in the "
                    "mapping metadata (VariableOrigin.method_id/method_text)",
                    dataset=parts[1] if len(parts) > 2 else None,
                    variable=parts[2] if len(parts) > 2 else None,
                    value=oid,
                )
            )
    return FindingsTable.from_findings(found)
