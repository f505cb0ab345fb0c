"""Define-XML 2.1 writer (its checks are in ``sdtm.export.define_checks``).

The document is built from three sources: the standards (dataset class, structure, keys,
variable labels, codelists with NCI C-codes), the mapping metadata (``DefineMetadata``: origins,
methods, comments, study facts) and the data (lengths, integer/float, the codelist terms
actually used, value-level metadata). It follows the shape of CDISC's SDTM example
``defineV21-SDTM.xml``:

* ``ItemGroupDef`` per dataset with keys (``KeySequence``), structure, class, ``def:leaf`` to
  the ``.xpt``;
* ``ItemDef`` per variable with label, data type, length (from the data), origin;
* ``CodeList`` per codelist used, holding only the terms that occur, each with its NCI C-code
  (``Alias Context="nci:ExtCodeID"``); sponsor values in an extensible codelist are marked
  ``def:ExtendedValue="Yes"``;
* value-level metadata (``def:ValueListDef`` + ``def:WhereClauseDef``) for LB and PC results
  by ``--TESTCD`` and for SUPPxx ``QVAL`` by ``QNAM``;
* ``MethodDef`` per derivation method, ``def:CommentDef`` per comment.

OIDs: ``IG.<dataset>``, ``IT.<dataset>.<variable>``, ``IT.<dataset>.<variable>.<value>`` (value
level), ``VL.<dataset>.<variable>``, ``WC.<dataset>.<variable>.<value>``, ``CL.<codelist>``,
``MT.<method>``, ``COM.<...>``, ``LF.<dataset>``, ``STD.<...>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

import numpy as np
import pandas as pd
from lxml import etree

from sdtm.export.dataset_json import iso_datetime, item_group_oid, item_oid
from sdtm.export.define_metadata import DefineMetadata, ValueLevel, VariableOrigin
from sdtm.export.metadata import (
    ColumnMeta,
    DatasetMeta,
    PreparedDataset,
    text_values,
    utf8_byte_lengths,
)
from sdtm.export.xpt import xpt_file_name
from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards

RULE_IDS: tuple[str, ...] = ()
"""The document's checks (XP0021-XP0025) live in ``sdtm.export.define_checks``."""

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP: Mapping[str | None, str] = MappingProxyType({None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS})
DEFINE_VERSION = "2.1.0"
SCHEMA_FILE = "cdisc-define-2.1/define2-1-0.xsd"
STYLESHEET = "define2-1.xsl"
VALUE_LEVEL: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "LB": ("LBTESTCD", ("LBORRES", "LBSTRESC", "LBSTRESN")),
        "PC": ("PCTESTCD", ("PCORRES", "PCSTRESC", "PCSTRESN")),
        "FA": ("FATESTCD", ("FAORRES", "FASTRESC", "FASTRESN")),
    }
)
"""Domain -> (variable the value level is keyed by, result variables described per value)."""
_CLASS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "EVENTS": "EVENTS",
        "FINDINGS": "FINDINGS",
        "FINDINGS ABOUT": "FINDINGS ABOUT",
        "INTERVENTIONS": "INTERVENTIONS",
        "SPECIAL-PURPOSE": "SPECIAL PURPOSE",
        "SPECIAL PURPOSE": "SPECIAL PURPOSE",
        "TRIAL DESIGN": "TRIAL DESIGN",
        "RELATIONSHIP": "RELATIONSHIP",
        "STUDY REFERENCE": "STUDY REFERENCE",
    }
)


def _odm(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _description(parent: etree._Element, text: str, tag: str = "Description") -> None:
    holder = etree.SubElement(parent, _odm(tag))
    translated = etree.SubElement(holder, _odm("TranslatedText"))
    translated.set(f"{{{XML_NS}}}lang", "en")
    translated.text = text


@dataclass(frozen=True, slots=True)
class _Item:
    """One ItemDef to write."""

    oid: str
    name: str
    label: str
    data_type: str
    length: int
    significant_digits: int | None
    codelist_oid: str | None
    origin: VariableOrigin
    value_list_oid: str | None
    comment_oid: str | None


def _number_shape(values: pd.Series) -> tuple[int, int]:
    """Return (length, significant digits) of numbers as Define-XML counts them."""
    present = values.dropna().unique()
    if len(present) == 0:
        return 1, 0
    texts = [repr(float(v)).removesuffix(".0") for v in present]
    length = max(len(t.lstrip("-").replace(".", "")) for t in texts)
    digits = max((len(t.split(".")[1]) if "." in t else 0) for t in texts)
    return max(length, 1), digits


def _define_type(column: ColumnMeta) -> str:
    if column.data_type == "Num":
        return "integer" if column.integer else "float"
    if column.name.endswith("DTC"):
        return "datetime"
    if column.name.endswith("DUR"):
        return "durationDatetime"
    return "text"


def _item_for(
    column: ColumnMeta,
    values: pd.Series,
    *,
    oid: str,
    label: str,
    origin: VariableOrigin,
    codelist_oid: str | None,
    value_list_oid: str | None,
    comment_oid: str | None,
    longest: int | None = None,
) -> _Item:
    """The ItemDef of ``column`` over ``values``.

    ``longest`` is their longest text in UTF-8 bytes when already measured
    (``PreparedDataset.text``).
    """
    if column.data_type == "Num":
        numbers = pd.to_numeric(values, errors="coerce")
        length, digits = _number_shape(numbers)
        integer = bool(((numbers.dropna() % 1) == 0).all())
        data_type = "integer" if integer else "float"
        significant = digits if data_type == "float" else None
    else:
        if longest is None:
            _, text = text_values(values)
            longest = int(utf8_byte_lengths(text).max()) if len(text) else 0
        length = max(1, longest)
        data_type = _define_type(column)
        significant = None
    return _Item(
        oid=oid,
        name=column.name,
        label=label,
        data_type=data_type,
        length=length,
        significant_digits=significant,
        codelist_oid=codelist_oid,
        origin=origin,
        value_list_oid=value_list_oid,
        comment_oid=comment_oid,
    )


def _qorig_origin(dataset: str, qnam: str, qorig: str | None) -> VariableOrigin:
    text = (qorig or "").strip()
    mapping = {"CRF": "Collected", "EDT": "Collected", "COLLECTED": "Collected"}
    origin_type = mapping.get(text.upper())
    if origin_type is None:
        origin_type = next(
            (
                t
                for t in ("Derived", "Assigned", "Protocol", "Predecessor")
                if t.upper() == text.upper()
            ),
            "Collected",
        )
    return VariableOrigin(dataset, f"QVAL.{qnam}", origin_type)


def _first_text(frame: pd.DataFrame, mask: np.ndarray, column: str) -> str | None:
    """Return the first non-missing value of ``column`` among the rows in ``mask``."""
    if column not in frame.columns:
        return None
    present = frame.loc[mask, column].dropna()
    return str(present.iloc[0]) if len(present) else None


def _value_level_items(
    prepared: PreparedDataset,
    column: ColumnMeta,
    key: str,
    origin: VariableOrigin,
    metadata: DefineMetadata,
) -> list[tuple[_Item, str, str]]:
    """Return one value-level ItemDef per value of ``key`` (e.g. LBTESTCD, QNAM).

    Returns:
        (item, WhereClauseDef OID, key value) per value, sorted by value. For SUPPxx the label
        is the QLABEL of the QNAM and the origin is the mapping's (``VariableOrigin`` with the
        QNAM as variable) or else read from QORIG; for results the label names the test.
    """
    meta = prepared.meta
    frame = prepared.frame
    found = []
    # One hashing pass over the key; each value's rows are then an integer comparison.
    codes, uniques = pd.factorize(frame[key].to_numpy(dtype=object), use_na_sentinel=True)
    code_of = {value: code for code, value in enumerate(uniques) if isinstance(value, str)}
    for value in sorted(frame[key].dropna().astype(str).unique()):
        mask = codes == code_of.get(value, -2)
        if key == "QNAM":
            label = _first_text(frame, mask, "QLABEL") or value
            given = [o for o in metadata.origins if o.dataset == meta.name and o.variable == value]
            value_origin = (
                given[0]
                if given
                else _qorig_origin(meta.name, value, _first_text(frame, mask, "QORIG"))
            )
        else:
            test_name = _first_text(frame, mask, f"{meta.domain}TEST") or value
            label = f"{column.label} for {test_name}"
            value_origin = origin
        oid = f"{item_oid(meta.name, column.name)}.{value}"
        item = _item_for(
            column,
            frame.loc[mask, column.name],
            oid=oid,
            label=label,
            origin=value_origin,
            codelist_oid=None,
            value_list_oid=None,
            comment_oid=f"COM.{oid[3:]}" if key == "QNAM" and value_origin.comment else None,
        )
        found.append((item, f"WC.{meta.name}.{key}.{value}", value))
    return found


def _custom_value_level_items(
    prepared: PreparedDataset, column: ColumnMeta, level: ValueLevel
) -> list[tuple[_Item, str, tuple[str, ...], str]]:
    """One value-level ItemDef per entry of a declared ``ValueLevel`` (e.g. AETOXGR by scale).

    Returns:
        (item, WhereClauseDef OID, key values, comparator) per entry, in the entry order.
    """
    frame = prepared.frame
    meta = prepared.meta
    found = []
    for entry in level.entries:
        inside = frame[level.key].astype("string").isin(list(entry.values)).fillna(False)
        mask = ~inside & frame[level.key].notna() if entry.comparator == "NOTIN" else inside
        item = _item_for(
            column,
            frame.loc[mask.to_numpy(), column.name],
            oid=f"{item_oid(meta.name, column.name)}.{entry.name}",
            label=entry.label,
            origin=entry.origin,
            codelist_oid=None,
            value_list_oid=None,
            comment_oid=f"COM.{meta.name}.{column.name}.{entry.name}"
            if entry.origin.comment
            else None,
        )
        found.append(
            (item, f"WC.{meta.name}.{column.name}.{entry.name}", entry.values, entry.comparator)
        )
    return found


def _register_value_item(
    value_item: _Item,
    where_oid: str,
    methods: dict[str, str],
    comments: dict[str, str],
    items: dict[str, _Item],
) -> tuple[str, str, str | None]:
    """Record a value-level item, its method and comment; return its ValueListDef entry."""
    method_id = value_item.origin.method_id
    if method_id:
        methods.setdefault(method_id, value_item.origin.method_text or method_id)
    if value_item.comment_oid:
        comments[value_item.comment_oid] = value_item.origin.comment
    items[value_item.oid] = value_item
    return (value_item.oid, where_oid, f"MT.{method_id}" if method_id else None)


@dataclass
class DefineContent:
    """What define.xml says about the datasets, gathered one dataset at a time.

    ``add_to_define`` reads a prepared dataset's frame (codelist terms used, value-level
    metadata, lengths) and keeps only this summary, so that an export can write and release
    each dataset before the next is prepared; ``define_document`` builds the XML from it.
    """

    metadata: DefineMetadata
    value_lists: list[tuple[str, list[tuple[str, str, str | None]]]] = field(default_factory=list)
    where_clauses: dict[str, tuple[str, tuple[str, ...], str]] = field(default_factory=dict)
    item_groups: list[tuple[DatasetMeta, list[tuple[ColumnMeta, _Item]]]] = field(
        default_factory=list
    )
    items: dict[str, _Item] = field(default_factory=dict)
    used_terms: dict[str, set[str]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)


def build_define(
    datasets: Mapping[str, PreparedDataset],
    standards: Standards,
    *,
    metadata: DefineMetadata,
    creation_datetime: datetime,
) -> tuple[etree._ElementTree, FindingsTable]:
    """Build the Define-XML 2.1 document for prepared datasets.

    Args:
        datasets: Prepared datasets by name.
        standards: SDTMIG metadata and CT (codelist names, C-codes, extensibility).
        metadata: Origins, methods, comments and study facts from the mapping stage.
        creation_datetime: ``ODM/@CreationDateTime`` (never the clock).

    Returns:
        The document and any findings raised while building it (none today; structural and
        schema problems are found by ``check_define_structure`` and ``validate_define``).
    """
    content = DefineContent(metadata)
    for name in sorted(datasets):
        add_to_define(content, datasets[name], standards)
    return define_document(content, standards, creation_datetime=creation_datetime)


def add_to_define(content: DefineContent, prepared: PreparedDataset, standards: Standards) -> None:
    """Add one dataset to ``content``; datasets are added in name order, as define lists them."""
    custom_levels = {(v.dataset, v.variable): v for v in content.metadata.value_levels}
    dictionary_of = {
        variable: dictionary
        for dictionary in content.metadata.external_codelists
        for variable in dictionary.variables
    }

    meta = prepared.meta
    frame = prepared.frame
    refs: list[tuple[ColumnMeta, _Item]] = []
    vlm_key, vlm_targets = VALUE_LEVEL.get(meta.domain, ("", ()))
    if meta.name.startswith("SUPP") and "QNAM" in frame.columns:
        vlm_key, vlm_targets = "QNAM", ("QVAL",)
    for column in meta.columns:
        origin = content.metadata.origin(meta.name, column.name)
        if origin.method_id:
            content.methods.setdefault(origin.method_id, origin.method_text or origin.method_id)
        comment_oid = None
        if origin.comment:
            comment_oid = f"COM.{meta.name}.{column.name}"
            content.comments[comment_oid] = origin.comment
        codelist_oid = None
        dictionary = dictionary_of.get((meta.name, column.name))
        if dictionary is not None and frame[column.name].notna().any():
            codelist_oid = dictionary.oid
        for code in () if dictionary is not None else column.codelists:
            codelist = standards.codelists.get(code)
            values = frame[column.name].dropna().astype(str).unique()
            # A codelist needs at least one item (ODM schema); an all-null variable
            # therefore gets no CodeListRef.
            if codelist is not None and len(values):
                codelist_oid = f"CL.{codelist.short_name}"
                content.used_terms.setdefault(code, set()).update(values)
                break
        entries: list[tuple[str, str, str | None]] = []
        level = custom_levels.get((meta.name, column.name))
        if level is not None and level.key in frame.columns:
            for value_item, where_oid, values, comparator in _custom_value_level_items(
                prepared, column, level
            ):
                content.where_clauses.setdefault(
                    where_oid, (item_oid(meta.name, level.key), values, comparator)
                )
                entries.append(
                    _register_value_item(
                        value_item, where_oid, content.methods, content.comments, content.items
                    )
                )
        elif column.name in vlm_targets and vlm_key in frame.columns:
            for value_item, where_oid, key_value in _value_level_items(
                prepared, column, vlm_key, origin, content.metadata
            ):
                content.where_clauses.setdefault(
                    where_oid, (item_oid(meta.name, vlm_key), (key_value,), "")
                )
                entries.append(
                    _register_value_item(
                        value_item, where_oid, content.methods, content.comments, content.items
                    )
                )
        # A ValueListDef needs at least one ItemRef (Define-XML 2.1 schema): a dataset
        # without records (or without the key's values) gets none.
        value_list_oid = f"VL.{meta.name}.{column.name}" if entries else None
        if entries:
            content.value_lists.append((value_list_oid, entries))
        summary = prepared.text_summary(column.name)
        item = _item_for(
            column,
            frame[column.name],
            oid=item_oid(meta.name, column.name),
            label=column.label,
            origin=origin,
            codelist_oid=codelist_oid,
            value_list_oid=value_list_oid,
            comment_oid=comment_oid,
            longest=summary.max_bytes if summary is not None else None,
        )
        content.items[item.oid] = item
        refs.append((column, item))
    if meta.name in content.metadata.dataset_comments:
        content.comments[f"COM.{meta.name}"] = content.metadata.dataset_comments[meta.name]
    content.item_groups.append((meta, refs))


def merge_define_content(content: DefineContent, part: DefineContent) -> None:
    """Add ``part`` (datasets summarised on their own) to ``content``, as if added in order.

    ``add_to_define`` keeps the first method text and where clause of an OID and the last
    item and comment; merged in dataset order, the result is the one of adding every dataset
    to one ``content`` in that order, so a process can summarise its datasets on its own.
    """
    content.value_lists.extend(part.value_lists)
    for oid, clause in part.where_clauses.items():
        content.where_clauses.setdefault(oid, clause)
    content.item_groups.extend(part.item_groups)
    content.items.update(part.items)
    for code, terms in part.used_terms.items():
        content.used_terms.setdefault(code, set()).update(terms)
    for method_id, text in part.methods.items():
        content.methods.setdefault(method_id, text)
    content.comments.update(part.comments)


def define_document(
    content: DefineContent, standards: Standards, *, creation_datetime: datetime
) -> tuple[etree._ElementTree, FindingsTable]:
    """Build the Define-XML 2.1 document from what ``add_to_define`` gathered.

    Returns:
        The document and its findings (none today, as ``build_define``).
    """
    study = content.metadata.study
    mdv_oid = metadata_version_oid(study.study_oid, standards)
    root = etree.Element(_odm("ODM"), nsmap=dict(NSMAP))
    root.set("ODMVersion", "1.3.2")
    root.set("FileOID", f"{study.study_oid}.Define-XML_{DEFINE_VERSION}")
    root.set("FileType", "Snapshot")
    root.set("CreationDateTime", iso_datetime(creation_datetime))
    root.set("Originator", study.originator)
    root.set("SourceSystem", "sdtm")
    root.set(_def("Context"), "Submission")
    study_element = etree.SubElement(root, _odm("Study"), OID=study.study_oid)
    global_vars = etree.SubElement(study_element, _odm("GlobalVariables"))
    etree.SubElement(global_vars, _odm("StudyName")).text = study.name
    etree.SubElement(global_vars, _odm("StudyDescription")).text = study.description
    etree.SubElement(global_vars, _odm("ProtocolName")).text = study.protocol
    mdv = etree.SubElement(
        study_element,
        _odm("MetaDataVersion"),
        OID=mdv_oid,
        Name=f"{study.name} SDTM {standards.sdtmig_version}",
        Description=f"SDTM datasets of {study.name}",
    )
    mdv.set(_def("DefineVersion"), DEFINE_VERSION)
    standards_element = etree.SubElement(mdv, _def("Standards"))
    etree.SubElement(
        standards_element,
        _def("Standard"),
        OID="STD.SDTMIG",
        Name="SDTMIG",
        Type="IG",
        Version=standards.sdtmig_version,
        Status="Final",
    )
    etree.SubElement(
        standards_element,
        _def("Standard"),
        OID="STD.CT",
        Name="CDISC/NCI",
        Type="CT",
        PublishingSet="SDTM",
        Version=standards.ct_version,
        Status="Final",
    )

    for list_oid, entries in content.value_lists:
        element = etree.SubElement(mdv, _def("ValueListDef"), OID=list_oid)
        for order, (oid, where_oid, method_oid) in enumerate(entries, start=1):
            ref = etree.SubElement(
                element, _odm("ItemRef"), ItemOID=oid, OrderNumber=str(order), Mandatory="No"
            )
            if method_oid:
                ref.set("MethodOID", method_oid)
            etree.SubElement(ref, _def("WhereClauseRef"), WhereClauseOID=where_oid)
    for where_oid, (key_item, values, comparator) in content.where_clauses.items():
        element = etree.SubElement(mdv, _def("WhereClauseDef"), OID=where_oid)
        check = etree.SubElement(
            element,
            _odm("RangeCheck"),
            Comparator=comparator or ("EQ" if len(values) == 1 else "IN"),
            SoftHard="Soft",
        )
        check.set(_def("ItemOID"), key_item)
        for value in values:
            etree.SubElement(check, _odm("CheckValue")).text = value

    for meta, refs in content.item_groups:
        is_supp = meta.name.startswith("SUPP") and len(meta.name) > 4
        class_name = (
            "RELATIONSHIP"
            if is_supp
            else _CLASS_NAMES.get(meta.observation_class.upper().replace("_", " "), "")
        )
        group = etree.SubElement(
            mdv,
            _odm("ItemGroupDef"),
            OID=item_group_oid(meta.name),
            Domain=meta.name[4:]
            if is_supp
            else meta.domain[:2]
            if len(meta.domain) > 2
            else meta.domain,
            Name=meta.name,
            Repeating="No" if meta.domain == "DM" else "Yes",
            IsReferenceData="Yes" if class_name == "TRIAL DESIGN" else "No",
            SASDatasetName=meta.name,
            Purpose="Tabulation",
        )
        group.set(_def("Structure"), meta.structure or "One record per row of the dataset")
        group.set(_def("StandardOID"), "STD.SDTMIG")
        group.set(_def("ArchiveLocationID"), f"LF.{meta.name}")
        if f"COM.{meta.name}" in content.comments:
            group.set(_def("CommentOID"), f"COM.{meta.name}")
        _description(group, meta.label)
        for order, (column, item) in enumerate(refs, start=1):
            mandatory = column.core == "Req" or column.key_sequence is not None
            ref = etree.SubElement(
                group,
                _odm("ItemRef"),
                ItemOID=item.oid,
                Mandatory="Yes" if mandatory else "No",
                OrderNumber=str(order),
            )
            if column.key_sequence is not None:
                ref.set("KeySequence", str(column.key_sequence))
            if item.origin.method_id:
                ref.set("MethodOID", f"MT.{item.origin.method_id}")
            if column.role:
                # SDTMIG 3.4 role of the variable (CORE-001081 / CG0010 compares them).
                ref.set("Role", column.role)
        if meta.domain != meta.name and not is_supp:
            domain_spec = standards.domain(meta.domain)
            if domain_spec is not None:
                etree.SubElement(
                    group, _odm("Alias"), Context="DomainDescription", Name=domain_spec.label
                )
        if class_name:
            etree.SubElement(group, _def("Class"), Name=class_name)
        leaf = etree.SubElement(group, _def("leaf"), ID=f"LF.{meta.name}")
        leaf.set(f"{{{XLINK_NS}}}href", xpt_file_name(meta.name))
        etree.SubElement(leaf, _def("title")).text = xpt_file_name(meta.name)

    for item in content.items.values():
        element = etree.SubElement(
            mdv,
            _odm("ItemDef"),
            OID=item.oid,
            Name=item.name,
            DataType=item.data_type,
            Length=str(item.length),
        )
        if item.significant_digits is not None:
            element.set("SignificantDigits", str(item.significant_digits))
        element.set("SASFieldName", item.name)
        if item.comment_oid:
            element.set(_def("CommentOID"), item.comment_oid)
        _description(element, item.label)
        if item.codelist_oid:
            etree.SubElement(element, _odm("CodeListRef"), CodeListOID=item.codelist_oid)
        origin = etree.SubElement(element, _def("Origin"), Type=item.origin.origin_type)
        if item.origin.origin_type in ("Collected", "Derived", "Assigned", "Protocol"):
            origin.set("Source", item.origin.source)
        if item.origin.description:
            _description(origin, item.origin.description)
        if item.value_list_oid:
            etree.SubElement(element, _def("ValueListRef"), ValueListOID=item.value_list_oid)

    for code in sorted(content.used_terms, key=lambda c: standards.codelists[c].short_name):
        codelist = standards.codelists[code]
        element = etree.SubElement(
            mdv,
            _odm("CodeList"),
            OID=f"CL.{codelist.short_name}",
            Name=codelist.name,
            DataType="text",
        )
        element.set(_def("StandardOID"), "STD.CT")
        for order, value in enumerate(sorted(content.used_terms[code]), start=1):
            term = codelist.term(value)
            entry = etree.SubElement(
                element, _odm("EnumeratedItem"), CodedValue=value, OrderNumber=str(order)
            )
            if term is not None:
                etree.SubElement(entry, _odm("Alias"), Context="nci:ExtCodeID", Name=term.code)
            elif codelist.extensible:
                entry.set(_def("ExtendedValue"), "Yes")
        etree.SubElement(element, _odm("Alias"), Context="nci:ExtCodeID", Name=codelist.code)
    used_dictionaries = {item.codelist_oid for item in content.items.values() if item.codelist_oid}
    for dictionary in content.metadata.external_codelists:
        if dictionary.oid not in used_dictionaries:
            continue
        element = etree.SubElement(
            mdv,
            _odm("CodeList"),
            OID=dictionary.oid,
            Name=dictionary.name,
            DataType=dictionary.data_type,
        )
        etree.SubElement(
            element,
            _odm("ExternalCodeList"),
            Dictionary=dictionary.dictionary,
            Version=dictionary.version,
        )

    for method_id in sorted(content.methods):
        element = etree.SubElement(
            mdv,
            _odm("MethodDef"),
            OID=f"MT.{method_id}",
            Name=method_id,
            Type="Computation",
        )
        _description(element, content.methods[method_id])
    for comment_oid in sorted(content.comments):
        element = etree.SubElement(mdv, _def("CommentDef"), OID=comment_oid)
        _description(element, content.comments[comment_oid])

    tree = etree.ElementTree(root)
    stylesheet = etree.ProcessingInstruction(
        "xml-stylesheet", f'type="text/xsl" href="{STYLESHEET}"'
    )
    root.addprevious(stylesheet)
    return tree, FindingsTable()


def metadata_version_oid(study_oid: str, standards: Standards) -> str:
    """Return the MetaDataVersion OID shared by Define-XML and Dataset-JSON."""
    return f"MDV.{study_oid}.SDTMIG.{standards.sdtmig_version}"


def define_bytes(tree: etree._ElementTree) -> bytes:
    """Serialise the document (UTF-8, declaration, stylesheet instruction, indented)."""
    etree.indent(tree, space="  ")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
