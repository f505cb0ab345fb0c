"""Writer: ``MappingSpec`` -> ``mappings/<study>/*.yaml`` (the inverse of ``load_yaml``).

Used by ``sdtm spec import-excel --write`` so that a reviewer's edits in the workbook can go
back into the YAML the project keeps under version control.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sdtm.fileio import atomic_write_text
from sdtm.mapping.spec import (
    Block,
    Condition,
    DomainMapping,
    Join,
    MappingSpec,
    Operator,
    Step,
    When,
)
from sdtm.read.options import ReadOptions

_STEP_ORDER = (
    ("target", "target"),
    ("algorithm", "algorithm"),
    ("source", "source"),
    ("sources", "sources"),
    ("separator", "separator"),
    ("value", "value"),
    ("codelist", "codelist"),
    ("date", "date"),
    ("time", "time"),
    ("format", "date_format"),
    ("time_format", "time_format"),
    ("pattern", "pattern"),
    ("lookup", "lookup"),
    ("source_codelist", "source_codelist"),
    ("qlabel", "qlabel"),
    ("qorig", "qorig"),
    ("qeval", "qeval"),
    ("rdomain", "rdomain"),
    ("rvariable", "rvariable"),
    ("reason", "reason"),
    ("to_ascii", "to_ascii"),
    ("when", "when"),
    ("confidence", "confidence"),
    ("rationale", "rationale"),
)


class _Dumper(yaml.SafeDumper):
    """Quotes every string value so that codes such as ``Y`` or ``1`` stay text when read back.

    Keys that are plain names (``target``, ``SUBJID``) are written bare, and each step is one
    flow mapping (``- {target: AETERM, algorithm: assign_no_ct, source: AETERM}``), as specs are
    written by hand.
    """


class _Flow(dict):
    """A mapping written in flow style (one step per item)."""


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _quoted(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")


def _mapping(dumper: yaml.SafeDumper, data: dict[str, Any], flow: bool) -> yaml.MappingNode:
    pairs = []
    for key, value in data.items():
        text = str(key)
        style = None if _PLAIN_KEY.match(text) and text.lower() not in _YAML_WORDS else '"'
        pairs.append(
            (
                dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style),
                dumper.represent_data(value),
            )
        )
    return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=flow)


_YAML_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)
"""Bare words YAML 1.1 readers would take for booleans or null: always quoted as keys."""

_Dumper.add_representer(str, _quoted)
_Dumper.add_representer(dict, lambda dumper, data: _mapping(dumper, data, False))
_Dumper.add_representer(_Flow, lambda dumper, data: _mapping(dumper, data, True))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _condition(condition: Condition) -> dict[str, Any]:
    out: dict[str, Any] = {"column": condition.column, "op": condition.op.value}
    if condition.op not in (Operator.IS_NULL, Operator.NOT_NULL):
        out["value"] = (
            list(condition.value) if isinstance(condition.value, tuple) else condition.value
        )
    return out


def when_text(when: When) -> str:
    """Return a condition as one line of YAML flow text (``read_step_cells`` reads it back)."""
    text = yaml.dump(_when(when), Dumper=_Dumper, default_flow_style=True, width=10_000)
    return text.strip()


def _when(when: When) -> dict[str, Any]:
    if when.mode == "all" and len(when.conditions) == 1:
        return _condition(when.conditions[0])
    return {when.mode: [_condition(c) for c in when.conditions]}


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, attribute in _STEP_ORDER:
        value = getattr(step, attribute)
        if value is None or value == () or value is False:
            continue
        if attribute == "when":
            value = _when(value)
        elif attribute == "sources":
            value = list(value)
        elif attribute == "confidence":
            value = _number(value)
        out[key] = value
    return out


def _read(options: ReadOptions | None) -> dict[str, Any]:
    """The ``read:`` entry of a block, join or skip (nothing when no option is declared)."""
    if options is None or not options.given():
        return {}
    given = {k: list(v) if isinstance(v, tuple) else v for k, v in options.given().items()}
    return {"read": given}


def _join(join: Join) -> dict[str, Any]:
    out: dict[str, Any] = {"file": join.file, "on": dict(join.on), "prefix": join.prefix}
    if join.where is not None:
        out["where"] = _when(join.where)
    out |= _read(join.read)
    return out


def _block(block: Block) -> dict[str, Any]:
    out: dict[str, Any] = {"file": block.file, **_read(block.read)}
    if block.where is not None:
        out["where"] = _when(block.where)
    if block.joins:
        out["join"] = [_join(j) for j in block.joins]
    out["steps"] = [_Flow(_step(s)) for s in block.steps]
    return out


def _dump(path: Path, data: dict[str, Any]) -> None:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    atomic_write_text(path, text)


def study_document(spec: MappingSpec) -> dict[str, Any]:
    """Return the content of ``study.yaml`` for ``spec``."""
    study: dict[str, Any] = {"study": {"studyid": spec.studyid}}
    if spec.status:
        study["study"]["status"] = spec.status
    if spec.settings:
        study["study"]["settings"] = dict(spec.settings)
    if spec.skips:
        study["skip"] = [
            {
                "file": s.file,
                "reason": s.reason,
                **({"where": _when(s.where)} if s.where else {}),
                **_read(s.read),
            }
            for s in spec.skips
        ]
    return study


def domain_document(mapping: DomainMapping) -> dict[str, Any]:
    """Return the content of a dataset spec file (``ae.yaml``) for ``mapping``."""
    blocks = [_block(b) for b in mapping.blocks]
    data: dict[str, Any] = {"domain": mapping.domain}
    if len(blocks) == 1:
        data |= blocks[0]
    else:
        data["blocks"] = blocks
    return data


def write_document(path: Path, data: dict[str, Any]) -> None:
    """Write one spec file (every string quoted, so that codes stay text)."""
    _dump(path, data)


def write_yaml_spec(spec: MappingSpec, folder: Path) -> list[Path]:
    """Write a spec as YAML files that ``read_yaml_spec`` reads back into an equal spec.

    Args:
        spec: The spec.
        folder: Target folder (created); existing files of the same names are replaced.

    Returns:
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    files: dict[str, dict[str, Any]] = {"study.yaml": study_document(spec)}
    if spec.visits:
        files["visits.yaml"] = {
            "visits": [
                {
                    "visitnum": _number(v.visitnum),
                    "visit": v.visit,
                    **({"visitdy": v.visitdy} if v.visitdy is not None else {}),
                    **({"epoch": v.epoch} if v.epoch else {}),
                    **({"raw": list(v.raw_names)} if v.raw_names else {}),
                    **({"tvstrl": v.tvstrl} if v.tvstrl else {}),
                }
                for v in spec.visits
            ]
        }
    if spec.unit_conversions:
        files["units.yaml"] = {
            "conversions": [
                {
                    "testcd": u.testcd,
                    "from": u.from_unit,
                    "to": u.to_unit,
                    "factor": _number(u.factor),
                    **({"decimals": u.decimals} if u.decimals is not None else {}),
                }
                for u in spec.unit_conversions
            ]
        }
    if spec.synonyms:
        files["synonyms.yaml"] = {"synonyms": {k: dict(v) for k, v in spec.synonyms.items()}}
    if spec.lookups:
        files["lookups.yaml"] = {"lookups": {k: dict(v) for k, v in spec.lookups.items()}}
    if spec.design:
        files["design.yaml"] = {k: [dict(r) for r in v] for k, v in spec.design.items()}
    for name, mapping in spec.domains.items():
        files[f"{name.lower()}.yaml"] = domain_document(mapping)
    for file_name, data in files.items():
        path = folder / file_name
        _dump(path, data)
        written.append(path)
    return written
