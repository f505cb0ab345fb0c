"""CDISC ODM 1.3 ClinicalData exports -> one text table per ItemGroup.

OpenClinica, Medidata Rave and REDCap all export a study's data as ODM XML. Each
``ItemGroupData`` element becomes one row of the table of its ``ItemGroupOID``, with the keys
that locate it and one column per ``ItemOID``:

``SubjectKey``, ``StudyEventOID``, ``StudyEventRepeatKey``, ``FormOID``, ``FormRepeatKey``,
``ItemGroupRepeatKey``, then the items in the order the ``ItemGroupDef`` lists them (items
without a definition follow in the order first seen). An item whose ``ItemDef`` has a
``CodeListRef`` also gets ``<ItemOID>_DECODE``: the ``Decode`` text of its coded value (the
first ``TranslatedText``), from the file's own metadata.

``_src_row`` is the physical line of the ``ItemGroupData`` element in the file. Audit records,
signatures and annotations are not data and are not read. The parser resolves no entities,
loads no DTD and never reaches the network; a file that declares a DTD (where entity
declarations live, e.g. an entity-expansion "billion laughs" bomb) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from lxml import etree

from sdtm.read.raw import SRC_ROW

KEY_COLUMNS = (
    "SubjectKey",
    "StudyEventOID",
    "StudyEventRepeatKey",
    "FormOID",
    "FormRepeatKey",
    "ItemGroupRepeatKey",
)
"""Columns locating each ItemGroupData, in front of the item columns."""
DECODE_SUFFIX = "_DECODE"
"""Suffix of the column holding the codelist decode of a coded item."""
MAX_ODM_BYTES = 500_000_000
"""Largest ODM file read (bytes)."""


class OdmRefusedError(ValueError):
    """The file is not read: it declares a DTD, or it is not ODM ClinicalData."""


@dataclass(frozen=True, slots=True)
class OdmTables:
    """The tables of one ODM file."""

    tables: Mapping[str, pd.DataFrame]
    """ItemGroupOID -> text frame with ``_src_row``."""


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _parser() -> etree.XMLParser:
    """An XML parser that expands no entity, loads no DTD and never uses the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse(path: Path) -> etree._Element:
    size = path.stat().st_size
    if size > MAX_ODM_BYTES:
        raise OdmRefusedError(f"the file has {size} bytes, more than the {MAX_ODM_BYTES} read")
    head = path.read_bytes()[:65536]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise OdmRefusedError(
            "the file declares a DTD (<!DOCTYPE ...>) or entities: an ODM export has none, and "
            "entity declarations can expand a few bytes into gigabytes (an XML entity-expansion "
            "bomb); refused, not read"
        )
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as error:
        raise OdmRefusedError(f"not well-formed XML: {error}") from error
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise OdmRefusedError("the file declares a DTD; refused, not read")
    root = tree.getroot()
    if _local(root) != "ODM":
        raise OdmRefusedError(f"the root element is {_local(root)!r}, not ODM (CDISC ODM 1.3)")
    return root


def _metadata(root: etree._Element) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Item order per ItemGroupDef, and the decode table of each coded ItemOID."""
    order: dict[str, list[str]] = {}
    codelists: dict[str, dict[str, str]] = {}
    item_codelist: dict[str, str] = {}
    for element in root.iter():
        name = _local(element)
        if name == "ItemGroupDef":
            order[element.get("OID", "")] = [
                ref.get("ItemOID", "") for ref in element if _local(ref) == "ItemRef"
            ]
        elif name == "ItemDef":
            for child in element:
                if _local(child) == "CodeListRef":
                    item_codelist[element.get("OID", "")] = child.get("CodeListOID", "")
        elif name == "CodeList":
            decodes: dict[str, str] = {}
            for item in element:
                if _local(item) not in ("CodeListItem", "EnumeratedItem"):
                    continue
                texts = [t.text or "" for t in item.iter() if _local(t) == "TranslatedText"]
                coded = item.get("CodedValue", "")
                decodes[coded] = texts[0] if texts else coded
            codelists[element.get("OID", "")] = decodes
    decode_by_item = {
        item: codelists[codelist]
        for item, codelist in item_codelist.items()
        if codelist in codelists
    }
    return order, decode_by_item


def _item_value(element: etree._Element) -> str | None:
    """The value of an ItemData (``Value`` attribute) or a typed ItemData* (its text)."""
    if element.get("Value") is not None:
        return element.get("Value")
    return element.text


def _refuse_transactions(root: etree._Element) -> None:
    """Refuse ClinicalData that changes earlier data (``TransactionType`` other than Insert).

    Read as a snapshot, a removed record would be submitted and an update would stand beside
    the value it replaces; such a file needs the EDC's snapshot export instead.
    """
    for element in root.iter():
        kind = element.get("TransactionType")
        if kind is not None and kind != "Insert":
            raise OdmRefusedError(
                f"line {element.sourceline}: {_local(element)} has TransactionType {kind!r}: a "
                "transactional ODM file is not read as data (export a snapshot, FileType "
                "Snapshot, from the EDC)"
            )


def read_odm(path: Path) -> OdmTables:
    """Read every ItemGroup of an ODM file's ClinicalData into a table.

    Raises:
        OdmRefusedError: when the file declares a DTD or entities, is not well-formed, or its root
            is not ``ODM``.
    """
    root = _parse(path)
    _refuse_transactions(root)
    order, decodes = _metadata(root)
    rows: dict[str, list[dict[str, object]]] = {}
    seen: dict[str, dict[str, None]] = {}
    for clinical in (e for e in root if _local(e) == "ClinicalData"):
        for subject in (e for e in clinical if _local(e) == "SubjectData"):
            for event in (e for e in subject if _local(e) == "StudyEventData"):
                for form in (e for e in event if _local(e) == "FormData"):
                    for group in (e for e in form if _local(e) == "ItemGroupData"):
                        oid = group.get("ItemGroupOID", "")
                        row: dict[str, object] = {
                            "SubjectKey": subject.get("SubjectKey"),
                            "StudyEventOID": event.get("StudyEventOID"),
                            "StudyEventRepeatKey": event.get("StudyEventRepeatKey"),
                            "FormOID": form.get("FormOID"),
                            "FormRepeatKey": form.get("FormRepeatKey"),
                            "ItemGroupRepeatKey": group.get("ItemGroupRepeatKey"),
                            SRC_ROW: group.sourceline,
                        }
                        items = seen.setdefault(oid, {})
                        for item in group:
                            if not _local(item).startswith("ItemData"):
                                continue  # AuditRecord, Signature, Annotation: not data
                            item_oid = item.get("ItemOID", "")
                            value = _item_value(item)
                            row[item_oid] = value
                            items.setdefault(item_oid, None)
                            if item_oid in decodes and value is not None:
                                # a code the file's codelist does not decode stays visible
                                # (mapping then reports it) rather than becoming a null
                                row[item_oid + DECODE_SUFFIX] = decodes[item_oid].get(value, value)
                        rows.setdefault(oid, []).append(row)
    tables = {}
    for oid, records in rows.items():
        listed = [i for i in order.get(oid, []) if i in seen[oid]]
        items = listed + [i for i in seen[oid] if i not in listed]
        columns: list[str] = list(KEY_COLUMNS)
        for item in items:
            columns.append(item)
            if item in decodes:
                columns.append(item + DECODE_SUFFIX)
        frame = pd.DataFrame.from_records(records, columns=[*columns, SRC_ROW])
        text = frame[columns].astype("string")
        text[SRC_ROW] = frame[SRC_ROW].astype("int64")
        tables[oid] = text
    return OdmTables(tables)


def read_odm_table(
    path: Path, relative: str, item_group: str | None
) -> tuple[pd.DataFrame, int, list[dict[str, object]]]:
    """Read the table of one ItemGroup of an ODM file.

    Raises:
        ValueError: when ``item_group`` is not given or the file has no such ItemGroup data.
    """
    odm = read_odm(path)
    if item_group is None:
        raise ValueError("an ODM file holds one table per ItemGroup: name read: {item_group}")
    if item_group not in odm.tables:
        known = ", ".join(sorted(odm.tables)) or "none"
        raise ValueError(f"no ItemGroupData with ItemGroupOID {item_group!r} (found: {known})")
    frame = odm.tables[item_group].copy()
    return frame, len(frame), []
