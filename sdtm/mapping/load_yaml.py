"""Reader: ``mappings/<study>/*.yaml`` -> ``MappingSpec``, keeping the line of every element.

PyYAML's composer gives nodes with their marks; we build plain values from the nodes ourselves,
so that every mapping key and sequence item keeps its line. Scalars are kept as the text
written (``Y`` stays ``Y``, ``1`` stays ``"1"``): specs hold codes, not YAML booleans.

Files in the study folder:

- ``study.yaml``: ``study: {studyid, status, settings}`` and ``skip:`` (raw rows not submitted);
  ``status: draft`` marks a spec proposed by ``sdtm propose`` and not yet reviewed.
- ``visits.yaml``: ``visits:`` planned visits with the raw labels that mean them.
- ``units.yaml``: ``conversions:`` unit conversions to standard units.
- ``synonyms.yaml``: ``synonyms:`` study CT synonym maps by codelist.
- ``design.yaml``: trial design tables (each key a list of flat rows).
- ``lookups.yaml``: ``lookups:`` study lookup tables by name (raw value -> value), read by the
  ``assign_lookup`` algorithm (e.g. LOINC code -> LBTESTCD).
- any other ``*.yaml`` with a ``domain:`` key: one target dataset. ``waivers.yaml`` is read by
  the validation stage and ``review.yaml`` by ``sdtm report`` (``sdtm.review``), not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from sdtm.errors import SpecError
from sdtm.mapping.algorithms import ALGORITHMS
from sdtm.mapping.dates import date_format_problem, time_format_problem
from sdtm.mapping.lookups import read_lookups, unknown_lookups
from sdtm.mapping.problems import SpecProblem
from sdtm.mapping.read_spec import conflicting_options, read_options
from sdtm.mapping.spec import (
    Block,
    Condition,
    DomainMapping,
    Join,
    Location,
    MappingSpec,
    Operator,
    Skip,
    Step,
    UnitConversion,
    Visit,
    When,
)
from sdtm.mapping.text_algorithms import extract_group
from sdtm.safe_parse import UnsafeYamlError, compose_yaml

STUDY_FILES = (
    "study.yaml",
    "visits.yaml",
    "units.yaml",
    "synonyms.yaml",
    "design.yaml",
    "lookups.yaml",
)
IGNORED_FILES = ("waivers.yaml", "review.yaml")

STEP_KEYS = (
    "target",
    "algorithm",
    "source",
    "sources",
    "separator",
    "value",
    "codelist",
    "date",
    "time",
    "format",
    "time_format",
    "pattern",
    "lookup",
    "source_codelist",
    "when",
    "qlabel",
    "qorig",
    "qeval",
    "rdomain",
    "rvariable",
    "reason",
    "to_ascii",
    "confidence",
    "rationale",
)
_STEP_FIELD = MappingProxyType({"format": "date_format"})
TRUE_WORDS = ("true", "yes")
FALSE_WORDS = ("false", "no")
"""Spellings of a yes/no step option (``to_ascii``) in YAML and the Excel workbook."""
SPEC_STATUSES = ("draft", "reviewed")
"""Values of ``study.status``: ``draft`` until a reviewer has decided every proposed step."""


def parse_confidence(text: str | None) -> tuple[float | None, str | None]:
    """Read a step's ``confidence`` (a number from 0 to 1).

    Args:
        text: The value as written, ``None`` when absent.

    Returns:
        The number (``None`` when absent) and a problem message (``None`` when it is fine).
    """
    if text is None:
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, f"confidence must be a number from 0 to 1, not {text!r}"
    if not 0.0 <= value <= 1.0:
        return None, f"confidence must be from 0 to 1, not {text!r}"
    return value, None


class Node:
    """A YAML value with its line: ``data`` is a dict, list, str or None."""

    __slots__ = ("data", "key_lines", "line")

    def __init__(self, data: Any, line: int, key_lines: dict[str, int] | None = None) -> None:
        """Wrap ``data`` written at ``line`` (``key_lines``: line of each mapping key)."""
        self.data = data
        self.line = line
        self.key_lines = key_lines or {}


@dataclass
class _Reader:
    """Collects problems while converting nodes of one file."""

    file: str
    problems: list[SpecProblem] = field(default_factory=list)

    def at(self, line: int) -> Location:
        return Location(self.file, line)

    def problem(self, line: int, message: str, rule_id: str = "MP0106") -> None:
        self.problems.append(SpecProblem(rule_id, self.at(line), message))

    def build(self, node: yaml.Node) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            data: dict[str, Node] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                key_line = key_node.start_mark.line + 1
                if key in data:
                    self.problem(
                        key_line, f"duplicate key {key!r} (first at line {key_lines[key]})"
                    )
                    continue
                data[key] = self.build(value_node)
                key_lines[key] = key_line
            return Node(data, line, key_lines)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.build(item) for item in node.value], line)
        if node.tag == "tag:yaml.org,2002:null" or (node.value == "" and node.style is None):
            return Node(None, line)
        return Node(str(node.value), line)

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...] | None) -> dict[str, Node]:
        if not isinstance(node.data, dict):
            self.problem(node.line, f"{what} must be a mapping")
            return {}
        if allowed is not None:
            for key, line in node.key_lines.items():
                if key not in allowed:
                    self.problem(
                        line, f"unknown key {key!r} in {what} (allowed: {', '.join(allowed)})"
                    )
        return node.data

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None or node.data is None:
            return []
        if not isinstance(node.data, list):
            self.problem(node.line, f"{what} must be a list")
            return []
        return node.data

    def text(self, data: dict[str, Node], key: str, what: str, *, required: bool) -> str | None:
        node = data.get(key)
        if node is None or node.data is None:
            if required:
                line = next(iter(data.values())).line if data else 0
                self.problem(line, f"{what} needs '{key}'")
            return None
        if not isinstance(node.data, str):
            self.problem(node.line, f"'{key}' in {what} must be a single value")
            return None
        return node.data

    def number(self, data: dict[str, Node], key: str, what: str, *, required: bool) -> float | None:
        raw = self.text(data, key, what, required=required)
        if raw is None:
            return None
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.problem(data[key].line, f"'{key}' in {what} must be a number, not {raw!r}")
            return None
        return number

    def texts(self, node: Node | None, what: str) -> tuple[str, ...]:
        if node is None or node.data is None:
            return ()
        if isinstance(node.data, str):
            return (node.data,)
        out = []
        for item in self.sequence(node, what):
            if isinstance(item.data, str):
                out.append(item.data)
            else:
                self.problem(item.line, f"items of {what} must be single values")
        return tuple(out)

    def when(self, node: Node | None, what: str) -> When | None:
        if node is None or node.data is None:
            return None
        data = self.mapping(node, what, None)
        for mode in ("all", "any"):
            if mode in data:
                if len(data) > 1:
                    self.problem(node.line, f"{what}: '{mode}' cannot be mixed with other keys")
                items = self.sequence(data[mode], f"{what}.{mode}")
                conditions = tuple(
                    c for c in (self.condition(item, what) for item in items) if c is not None
                )
                if not conditions:
                    self.problem(node.line, f"{what}: '{mode}' needs at least one condition")
                    return None
                return When(mode, conditions, self.at(node.line))
        condition = self.condition(node, what)
        return None if condition is None else When("all", (condition,), self.at(node.line))

    def condition(self, node: Node, what: str) -> Condition | None:
        data = self.mapping(node, f"condition in {what}", ("column", "op", "value"))
        column = self.text(data, "column", f"condition in {what}", required=True)
        op_text = self.text(data, "op", f"condition in {what}", required=True)
        if column is None or op_text is None:
            return None
        try:
            op = Operator(op_text)
        except ValueError:
            self.problem(
                data["op"].line,
                f"unknown operator {op_text!r} (allowed: {', '.join(o.value for o in Operator)})",
            )
            return None
        value: str | tuple[str, ...] | None
        value_node = data.get("value")
        if op in (Operator.IN, Operator.NOT_IN):
            value = self.texts(value_node, f"value of {op.value}")
        elif op in (Operator.IS_NULL, Operator.NOT_NULL):
            value = None
        else:
            value = self.text(data, "value", f"condition in {what}", required=True)
            if value is not None and op in (Operator.GT, Operator.GE, Operator.LT, Operator.LE):
                try:
                    float(value)
                except ValueError:
                    self.problem(data["value"].line, f"operator {op.value} needs a number")
                    return None
        return Condition(column, op, value, self.at(node.line))


def _read_file(path: Path, relative: str) -> tuple[Node | None, list[SpecProblem]]:
    reader = _Reader(relative)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{relative}: cannot read the spec file ({error})") from error
    try:
        node = compose_yaml(text)
    except UnsafeYamlError as error:
        return None, [SpecProblem("MP0106", Location(relative, error.line), f"refused: {error}")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or str(error)
        return None, [SpecProblem("MP0106", Location(relative, line), f"invalid YAML: {problem}")]
    if node is None:
        return None, []
    return reader.build(node), reader.problems


def _step(reader: _Reader, node: Node, domain: str) -> Step | None:
    data = reader.mapping(node, "step", STEP_KEYS)
    target = reader.text(data, "target", "step", required=True)
    algorithm = reader.text(data, "algorithm", "step", required=True)
    if target is None or algorithm is None:
        return None
    fields: dict[str, Any] = {}
    for key in STEP_KEYS:
        if key in ("target", "algorithm", "when", "sources", "to_ascii", "confidence"):
            continue
        fields[_STEP_FIELD.get(key, key)] = reader.text(data, key, "step", required=False)
    sources = reader.texts(data.get("sources"), "sources")
    spec = ALGORITHMS.get(algorithm)
    if spec is None:
        reader.problem(
            data["algorithm"].line,
            f"{domain}.{target}: unknown algorithm {algorithm!r} "
            f"(known: {', '.join(sorted(ALGORITHMS))})",
            "MP0101",
        )
    else:
        for key in spec.required:
            given = sources if key == "sources" else fields.get(_STEP_FIELD.get(key, key))
            if not given:
                reader.problem(node.line, f"{domain}.{target}: algorithm {algorithm} needs '{key}'")
    date_format = fields.get("date_format")
    if algorithm == "assign_datetime" or date_format is not None:
        problem = date_format_problem(date_format)
        if problem is not None:
            line = data["format"].line if "format" in data else node.line
            reader.problem(line, f"{domain}.{target}: {problem}")
    problem = time_format_problem(fields.get("time_format"))
    if problem is not None:
        reader.problem(data["time_format"].line, f"{domain}.{target}: {problem}")
    if fields.get("pattern") is not None:
        problem = extract_group(fields["pattern"])
        if problem is not None:
            reader.problem(data["pattern"].line, f"{domain}.{target}: {problem}")
    flag = reader.text(data, "to_ascii", "step", required=False)
    to_ascii = (flag or "false").lower() in TRUE_WORDS
    if flag is not None and flag.lower() not in (*TRUE_WORDS, *FALSE_WORDS):
        reader.problem(
            data["to_ascii"].line,
            f"{domain}.{target}: to_ascii must be true or false, not {flag!r}",
        )
    confidence, problem = parse_confidence(
        reader.text(data, "confidence", "step", required=False)
    )
    if problem is not None:
        reader.problem(data["confidence"].line, f"{domain}.{target}: {problem}")
    return Step(
        target=target,
        algorithm=algorithm,
        sources=sources,
        to_ascii=to_ascii,
        confidence=confidence,
        when=reader.when(data.get("when"), f"when of {domain}.{target}"),
        location=reader.at(node.line),
        **fields,
    )


def read_step_cells(
    cells: dict[str, str | tuple[str, ...] | None],
    when_text: str | None,
    location: Location,
    domain: str,
) -> tuple[Step | None, tuple[SpecProblem, ...]]:
    """Read one step given as cells (a reviewer's workbook row), with the YAML reader's checks.

    Args:
        cells: Step key (as in YAML: ``target``, ``format`` ...) -> text, or a tuple of texts for
            ``sources``; ``None`` for an empty cell.
        when_text: The condition as YAML flow text (``{column: X, op: eq, value: "1"}``).
        location: Where the row is (``review.xlsx:Review`` and the row number).
        domain: The dataset the step belongs to (for messages).

    Returns:
        The step (``None`` when it cannot be built) and every problem, each at ``location``.
    """
    reader = _Reader(location.file)
    line = location.line
    data: dict[str, Node] = {}
    for key, value in cells.items():
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            data[key] = Node([Node(item, line) for item in value], line)
        else:
            data[key] = Node(value, line)
    if when_text:
        try:
            composed = yaml.compose(when_text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error)
            return None, (SpecProblem("MP0106", location, f"invalid When: {problem}"),)
        if composed is not None:
            built = reader.build(composed)
            _relocate(built, line)
            data["when"] = built
    step = _step(reader, Node(data, line, dict.fromkeys(data, line)), domain)
    return step, tuple(reader.problems)


def _relocate(node: Node, line: int) -> None:
    """Give a node built from a cell's text the cell's row as its line, recursively."""
    node.line = line
    node.key_lines = dict.fromkeys(node.key_lines, line)
    children = node.data.values() if isinstance(node.data, dict) else node.data
    if isinstance(children, list) or isinstance(node.data, dict):
        for child in children:
            _relocate(child, line)


def _join(reader: _Reader, node: Node) -> Join | None:
    data = reader.mapping(node, "join", ("file", "on", "prefix", "where", "read"))
    file = reader.text(data, "file", "join", required=True)
    prefix = reader.text(data, "prefix", "join", required=True)
    pairs: list[tuple[str, str]] = []
    on = data.get("on")
    if on is None or not isinstance(on.data, dict):
        reader.problem(node.line, "join needs 'on' as a mapping {main column: lookup column}")
    else:
        for key, value in on.data.items():
            if not isinstance(value.data, str):
                reader.problem(value.line, "join 'on' values must be column names")
                continue
            pairs.append((key, value.data))
    if file is None or prefix is None or not pairs:
        return None
    where = reader.when(data.get("where"), f"where of join {file}")
    options = read_options(reader, data.get("read"), file)
    return Join(file, tuple(pairs), prefix, where, options, reader.at(node.line))


def _block(reader: _Reader, data: dict[str, Node], line: int, domain: str) -> Block | None:
    file = reader.text(data, "file", f"{domain} block", required=True)
    steps = tuple(
        step
        for step in (
            _step(reader, item, domain) for item in reader.sequence(data.get("steps"), "steps")
        )
        if step is not None
    )
    joins = tuple(
        j
        for j in (_join(reader, item) for item in reader.sequence(data.get("join"), "join"))
        if j is not None
    )
    if file is None:
        return None
    if not steps:
        reader.problem(line, f"{domain} block for {file} has no steps")
    return Block(
        file=file,
        steps=steps,
        where=reader.when(data.get("where"), f"where of {domain} block"),
        joins=joins,
        read=read_options(reader, data.get("read"), file),
        location=reader.at(line),
    )


_BLOCK_KEYS = ("file", "read", "where", "join", "steps")


def _domain(reader: _Reader, root: Node) -> DomainMapping | None:
    data = reader.mapping(root, "dataset spec", ("domain", "blocks", *_BLOCK_KEYS))
    name = reader.text(data, "domain", "dataset spec", required=True)
    if name is None:
        return None
    name = name.upper()
    blocks: list[Block] = []
    if "blocks" in data:
        if any(key in data for key in _BLOCK_KEYS):
            reader.problem(root.line, "give either 'blocks' or one block (file, steps), not both")
        for item in reader.sequence(data["blocks"], "blocks"):
            block_data = reader.mapping(item, "block", _BLOCK_KEYS)
            block = _block(reader, block_data, item.line, name)
            if block is not None:
                blocks.append(block)
    else:
        block = _block(reader, data, root.line, name)
        if block is not None:
            blocks.append(block)
    return DomainMapping(name, tuple(blocks), reader.at(root.line))


def _study(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    data = reader.mapping(root, "study.yaml", ("study", "skip"))
    study = (
        reader.mapping(data["study"], "study", ("studyid", "status", "settings"))
        if "study" in data
        else {}
    )
    out["studyid"] = reader.text(study, "studyid", "study", required=True) if study else None
    status = reader.text(study, "status", "study", required=False) if study else None
    if status is not None and status not in SPEC_STATUSES:
        reader.problem(
            study["status"].line,
            f"study status must be one of {', '.join(SPEC_STATUSES)}, not {status!r}",
        )
        status = None
    out["status"] = status
    if study and "settings" in study:
        settings = reader.mapping(study["settings"], "settings", None)
        out["settings"] = {
            key: value
            for key in settings
            if (value := reader.text(settings, key, "settings", required=False)) is not None
        }
    skips = []
    for item in reader.sequence(data.get("skip"), "skip"):
        skip = reader.mapping(item, "skip", ("file", "reason", "where", "read"))
        file = reader.text(skip, "file", "skip", required=True)
        reason = reader.text(skip, "reason", "skip", required=True)
        if file and reason:
            where = reader.when(skip.get("where"), "where of skip")
            options = read_options(reader, skip.get("read"), file)
            skips.append(Skip(file, reason, where, options, reader.at(item.line)))
    out["skips"] = tuple(skips)


def _visits(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    data = reader.mapping(root, "visits.yaml", ("visits",))
    visits = []
    for item in reader.sequence(data.get("visits"), "visits"):
        visit = reader.mapping(
            item, "visit", ("visitnum", "visit", "visitdy", "epoch", "raw", "tvstrl")
        )
        number = reader.number(visit, "visitnum", "visit", required=True)
        name = reader.text(visit, "visit", "visit", required=True)
        day = reader.number(visit, "visitdy", "visit", required=False)
        if day is not None and day == 0:
            reader.problem(visit["visitdy"].line, f"visit {name}: VISITDY cannot be 0 (no day 0)")
        if number is None or name is None:
            continue
        visits.append(
            Visit(
                visitnum=number,
                visit=name,
                visitdy=None if day is None else int(day),
                raw_names=reader.texts(visit.get("raw"), "raw"),
                epoch=reader.text(visit, "epoch", "visit", required=False),
                tvstrl=reader.text(visit, "tvstrl", "visit", required=False),
                location=reader.at(item.line),
            )
        )
    out["visits"] = tuple(visits)


def _units(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    data = reader.mapping(root, "units.yaml", ("conversions",))
    conversions = []
    keys = ("testcd", "from", "to", "factor", "decimals")
    for item in reader.sequence(data.get("conversions"), "conversions"):
        row = reader.mapping(item, "conversion", keys)
        testcd = reader.text(row, "testcd", "conversion", required=True)
        from_unit = reader.text(row, "from", "conversion", required=True)
        to_unit = reader.text(row, "to", "conversion", required=True)
        factor = reader.number(row, "factor", "conversion", required=True)
        decimals = reader.number(row, "decimals", "conversion", required=False)
        if None in (testcd, from_unit, to_unit, factor):
            continue
        conversions.append(
            UnitConversion(
                testcd,  # type: ignore[arg-type]
                from_unit,  # type: ignore[arg-type]
                to_unit,  # type: ignore[arg-type]
                factor,  # type: ignore[arg-type]
                None if decimals is None else int(decimals),
                reader.at(item.line),
            )
        )
    out["unit_conversions"] = tuple(conversions)


def _synonyms(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    data = reader.mapping(root, "synonyms.yaml", ("synonyms",))
    maps: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    if "synonyms" in data:
        by_codelist = reader.mapping(data["synonyms"], "synonyms", None)
        for codelist, node in by_codelist.items():
            terms = reader.mapping(node, f"synonyms of {codelist}", None)
            maps[codelist] = {
                raw: value
                for raw in terms
                if (value := reader.text(terms, raw, f"synonyms of {codelist}", required=True))
            }
            lines[codelist] = data["synonyms"].key_lines[codelist]
    out["synonyms"] = maps
    out["synonym_lines"] = lines


def _design(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    data = reader.mapping(root, "design.yaml", None)
    tables: dict[str, tuple[dict[str, str], ...]] = {}
    for table, node in data.items():
        rows = []
        for item in reader.sequence(node, table):
            row = reader.mapping(item, f"row of {table}", None)
            rows.append(
                {
                    key: value
                    for key in row
                    if (value := reader.text(row, key, f"row of {table}", required=False))
                    is not None
                }
            )
        tables[table] = tuple(rows)
    out["design"] = tables


_STUDY_READERS = MappingProxyType(
    {
        "lookups.yaml": read_lookups,
        "study.yaml": _study,
        "visits.yaml": _visits,
        "units.yaml": _units,
        "synonyms.yaml": _synonyms,
        "design.yaml": _design,
    }
)


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """A spec read from files plus the problems found while reading it."""

    spec: MappingSpec
    """The spec (possibly incomplete when there are problems)."""
    problems: tuple[SpecProblem, ...]
    """Syntax and structure problems, each with ``file:line``."""
    synonym_lines: dict[str, Location] = field(default_factory=dict)
    """Where each study synonym map is written (for later checks)."""


def read_yaml_spec(mapping_dir: Path) -> LoadedSpec:
    """Read every YAML file of a study's mapping folder into a ``MappingSpec``.

    Args:
        mapping_dir: ``mappings/<study>``; the folder name is the study name.

    Returns:
        The spec and every syntax or structure problem found (all files are read, nothing stops
        at the first problem).

    Raises:
        SpecError: when the folder does not exist or a file cannot be read at all.
    """
    if not mapping_dir.is_dir():
        raise SpecError(f"mapping folder not found: {mapping_dir}")
    study = mapping_dir.name
    problems: list[SpecProblem] = []
    out: dict[str, Any] = {}
    domains: dict[str, DomainMapping] = {}
    sources: list[str] = []
    for path in sorted(mapping_dir.glob("*.yaml")):
        relative = f"{study}/{path.name}"
        if path.name in IGNORED_FILES:
            continue
        sources.append(relative)
        root, file_problems = _read_file(path, relative)
        problems.extend(file_problems)
        if root is None:
            continue
        reader = _Reader(relative)
        if path.name in _STUDY_READERS:
            _STUDY_READERS[path.name](reader, root, out)
        else:
            mapping = _domain(reader, root)
            if mapping is not None:
                if mapping.domain in domains:
                    reader.problem(
                        root.line,
                        f"dataset {mapping.domain} is also mapped in "
                        f"{domains[mapping.domain].location.file}",
                    )
                else:
                    domains[mapping.domain] = mapping
        problems.extend(reader.problems)
    if not out.get("studyid"):
        if not (mapping_dir / "study.yaml").is_file():
            problems.append(
                SpecProblem("MP0106", Location(f"{study}/study.yaml"), "study.yaml is missing")
            )
        out["studyid"] = ""
    synonym_lines = {
        codelist: Location(f"{study}/synonyms.yaml", line)
        for codelist, line in out.pop("synonym_lines", {}).items()
    }
    spec = MappingSpec(study=study, domains=domains, sources=tuple(sources), **out)
    problems.extend(conflicting_options(spec))
    problems.extend(unknown_lookups(spec))
    return LoadedSpec(spec, tuple(problems), synonym_lines)
