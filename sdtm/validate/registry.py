"""The conformance rule registry: rule metadata from ``specs/rules/*.yaml`` bound to checks.

Rules are data. Each YAML file describes one rule (id, name, severity, message, references,
doc); :data:`sdtm.validate.checks.CHECKS` maps the ids of the cross-record and cross-domain
rules to the functions that implement them. :func:`build_registry` reads the YAML once, binds
every id to its check and refuses to start when the two disagree (a check without YAML, or a
YAML rule of the checks' id ranges without a check). Rules of other stages (``RD``, ``MP``,
``XP``, and the per-column schema rules) are implemented by the modules that list them in their
``RULE_IDS`` constant; :func:`collect_module_rule_ids` finds those constants.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from sdtm.errors import SpecError
from sdtm.findings import FindingsTable, Severity, Stage
from sdtm.safe_parse import UnsafeYamlError, load_yaml
from sdtm.standards.model import Standards

Check = Callable[[Mapping[str, pd.DataFrame], Standards], FindingsTable]
"""A check: frames by dataset name and the standards in, findings out."""

RULE_ID_PATTERN = re.compile(r"^(RD|MP|CT|ST|XR|XP)\d{4}$")
RULE_NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RULE_STATES = ("preview", "stable", "deprecated", "removed")

# The id ranges whose rules are implemented as checks in sdtm.validate.checks (issue 5).
CHECK_ID_RANGES: tuple[tuple[str, int, int], ...] = (
    ("ST", 50, 999),
    ("CT", 10, 999),
    ("XR", 1, 999),
)

# Fields a check-rule message template may use; they are columns of the findings table plus
# ``detail``, the check's own specific text for the finding, and ``where``: "AE row 2
# CART01-001" for a record, just "AE" for a finding about a whole dataset (rules that report
# both kinds use it, so a dataset-level message does not read "AE row  : ...").
MESSAGE_FIELDS = frozenset(
    {"dataset", "variable", "value", "usubjid", "row", "seq", "detail", "where"}
)

# Ids in the check ranges that are implemented by sdtm.validate.waivers, not by a check.
_WAIVER_RULE_IDS = frozenset({"ST0900"})

_REQUIRED_KEYS = ("id", "name", "severity", "stage", "status", "message", "fix", "doc")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, "references", "default_enabled", "follows_from"))


@dataclass(frozen=True, slots=True)
class Reference:
    """One authority a rule implements."""

    source: str
    """Document or rule set, e.g. ``CDISC CORE`` or ``SDTMIG 3.4``."""
    locator: str
    """Id or section inside it, e.g. ``CORE-000239 (CG0148)``."""


@dataclass(frozen=True, slots=True)
class Rule:
    """The metadata of one conformance rule, as read from ``specs/rules/<id>.yaml``."""

    id: str
    """Stable id, e.g. ``XR0001``; never reused."""
    name: str
    """Kebab-case name of the problem, e.g. ``usubjid-not-in-dm``."""
    severity: Severity
    """Severity of its findings."""
    stage: Stage
    """Pipeline stage that evaluates it."""
    state: str
    """``preview``, ``stable``, ``deprecated`` or ``removed``."""
    since: str
    """Version that introduced the rule."""
    message: str
    """Message template of its findings."""
    fix: str
    """What to do about a finding."""
    references: tuple[Reference, ...]
    """Authorities implemented (CORE, FDA, Pinnacle 21 ids; IG sections)."""
    doc: str
    """What is checked, why it matters, known limits."""
    default_enabled: bool = True
    """False for sponsor rules that run only when selected explicitly."""
    follows_from: tuple[str, ...] = ()
    """Rules whose finding on the same record is the cause of this rule's finding there
    (tried in order); such a finding names it in ``caused_by`` (``sdtm.findings.link_causes``)."""
    path: Path | None = None
    """The YAML file the rule came from."""


@dataclass(frozen=True, slots=True)
class Registry:
    """All rules and the checks bound to them; built once per run and passed down."""

    rules: Mapping[str, Rule]
    """Every rule by id (including rules implemented outside ``sdtm.validate.checks``)."""
    checks: Mapping[str, Check]
    """The check implementing each check-rule id."""

    def rule(self, rule_id: str) -> Rule:
        """Return the rule ``rule_id``.

        Raises:
            SpecError: when no rule has that id.
        """
        try:
            return self.rules[rule_id.upper()]
        except KeyError:
            raise SpecError(f"unknown rule id {rule_id!r} (see `sdtm rules`)") from None

    def follows(self) -> Mapping[str, tuple[str, ...]]:
        """Rule id -> the rules its findings can follow from (``follows_from``)."""
        return MappingProxyType(
            {rid: rule.follows_from for rid, rule in self.rules.items() if rule.follows_from}
        )

    def check_rules(
        self,
        *,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] = (),
        include_optional: bool = False,
    ) -> tuple[Rule, ...]:
        """Return the check rules to run, in id order.

        Args:
            select: Rule ids or id prefixes (``XR``, ``ST00``) to run; ``None`` runs all.
                A rule selected by its full id runs even when it is off by default.
            ignore: Rule ids or prefixes to skip.
            include_optional: Also run the rules that are off by default.
        """
        chosen = []
        selected = tuple(s.upper() for s in select) if select is not None else None
        ignored = tuple(s.upper() for s in ignore)
        for rule_id in sorted(self.checks):
            rule = self.rules[rule_id]
            if rule.state == "removed" or rule_id.startswith(ignored):
                continue
            if selected is not None and not rule_id.startswith(selected):
                continue
            explicitly = selected is not None and rule_id in selected
            if not (rule.default_enabled or include_optional or explicitly):
                continue
            chosen.append(rule)
        return tuple(chosen)


def default_rules_dir() -> Path:
    """Return ``specs/rules`` of the standards folder in use."""
    from sdtm.config import default_specs_dir

    return default_specs_dir() / "rules"


def _parse_rule(path: Path, data: Any, problems: list[str]) -> Rule | None:
    """Turn one YAML document into a Rule, appending every problem found to ``problems``."""
    where = path.name
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping of rule fields")
        return None
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if missing:
        problems.append(f"{where}: missing keys {missing}")
    if unknown:
        problems.append(f"{where}: unknown keys {unknown}")
    if missing:
        return None
    rule_id = str(data["id"])
    count = len(problems)
    if not RULE_ID_PATTERN.match(rule_id):
        problems.append(f"{where}: id {rule_id!r} is not a family prefix and four digits")
    if path.stem != rule_id:
        problems.append(f"{where}: file name does not match id {rule_id!r}")
    if not RULE_NAME_PATTERN.match(str(data["name"])):
        problems.append(f"{where}: name {data['name']!r} is not kebab-case")
    if data["severity"] not in {s.value for s in Severity}:
        problems.append(f"{where}: severity {data['severity']!r} is not error|warning|notice")
    if data["stage"] not in {s.value for s in Stage}:
        problems.append(f"{where}: stage {data['stage']!r} is not a pipeline stage")
    status = data["status"]
    if not isinstance(status, dict) or status.get("state") not in RULE_STATES:
        problems.append(f"{where}: status must be {{state: {'|'.join(RULE_STATES)}, since}}")
    references = data.get("references") or []
    refs: list[Reference] = []
    for item in references:
        if not isinstance(item, dict) or not {"source", "locator"} <= set(item):
            problems.append(f"{where}: each reference needs source and locator")
            continue
        refs.append(Reference(str(item["source"]), str(item["locator"])))
    follows = data.get("follows_from") or []
    if not isinstance(follows, list) or not all(
        isinstance(item, str) and RULE_ID_PATTERN.match(item) for item in follows
    ):
        problems.append(f"{where}: follows_from must be a list of rule ids")
        follows = []
    if len(problems) > count:
        return None
    return Rule(
        id=rule_id,
        name=str(data["name"]),
        severity=Severity(data["severity"]),
        stage=Stage(data["stage"]),
        state=str(status["state"]),
        since=str(status.get("since", "")),
        message=str(data["message"]),
        fix=str(data["fix"]).strip(),
        references=tuple(refs),
        doc=" ".join(str(data["doc"]).split()),
        default_enabled=bool(data.get("default_enabled", True)),
        follows_from=tuple(follows),
        path=path,
    )


def load_rules(rules_dir: Path) -> Mapping[str, Rule]:
    """Read every ``<ID>.yaml`` in ``rules_dir`` into frozen :class:`Rule` objects.

    Args:
        rules_dir: The ``specs/rules`` folder.

    Returns:
        A read-only mapping of rule id to rule, in id order.

    Raises:
        SpecError: listing every malformed file (all problems, not only the first).
    """
    if not rules_dir.is_dir():
        raise SpecError(f"rules folder not found: {rules_dir}")
    problems: list[str] = []
    rules: dict[str, Rule] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except UnsafeYamlError as error:
            problems.append(f"{path.name}:{error.line}: refused: {error}")
            continue
        except yaml.YAMLError as error:
            problems.append(f"{path.name}: not valid YAML ({error})")
            continue
        rule = _parse_rule(path, data, problems)
        if rule is None:
            continue
        if rule.id in rules:
            problems.append(f"{path.name}: duplicate rule id {rule.id}")
            continue
        rules[rule.id] = rule
    if problems:
        raise SpecError(f"{len(problems)} problem(s) in {rules_dir}:\n  " + "\n  ".join(problems))
    return MappingProxyType(dict(sorted(rules.items())))


def in_check_ranges(rule_id: str) -> bool:
    """Return whether ``rule_id`` falls in the id ranges implemented by ``checks``."""
    prefix, number = rule_id[:2], rule_id[2:]
    if not number.isdigit():
        return False
    return any(p == prefix and lo <= int(number) <= hi for p, lo, hi in CHECK_ID_RANGES)


def build_registry(
    rules_dir: Path | None = None, checks: Mapping[str, Check] | None = None
) -> Registry:
    """Load the rules and bind each check-rule id to its check, cross-checking both.

    Args:
        rules_dir: The ``specs/rules`` folder; defaults to the one of the standards in use.
        checks: Checks by rule id; defaults to :data:`sdtm.validate.checks.CHECKS`.

    Returns:
        The registry.

    Raises:
        SpecError: when a check has no YAML, a YAML rule of the check ranges has no check, or
            a check rule's message template uses a field checks do not provide.
    """
    if checks is None:
        from sdtm.validate.checks import CHECKS

        checks = CHECKS
    rules = load_rules(rules_dir or default_rules_dir())
    problems = [
        f"check {rule_id} has no specs/rules/{rule_id}.yaml"
        for rule_id in checks
        if rule_id not in rules
    ]
    for rule_id, rule in rules.items():
        unbound = rule_id not in checks and rule_id not in _WAIVER_RULE_IDS
        if in_check_ranges(rule_id) and rule.state != "removed" and unbound:
            problems.append(f"rule {rule_id} ({rule.path}) has no check in CHECKS")
        if rule_id in checks:
            unknown = _template_fields(rule.message) - MESSAGE_FIELDS
            if unknown:
                problems.append(f"rule {rule_id}: message uses unknown fields {sorted(unknown)}")
        problems.extend(
            f"rule {rule_id}: follows_from names unknown rule {cause}"
            for cause in rule.follows_from
            if cause not in rules
        )
    if problems:
        raise SpecError("rule registry inconsistent:\n  " + "\n  ".join(problems))
    return Registry(rules=rules, checks=MappingProxyType(dict(checks)))


def _template_fields(template: str) -> set[str]:
    """Return the field names a ``str.format`` template refers to."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def format_messages(template: str, frame: pd.DataFrame) -> pd.Series:
    """Fill a message template for every row of a findings frame, without a Python row loop.

    Supports ``{field}`` and ``{field!r}`` (the value in single quotes); a missing value
    renders as an empty string (``!r``: as ``null``).

    Args:
        template: ``str.format``-style template over :data:`MESSAGE_FIELDS`.
        frame: Findings frame with the finding columns and an optional ``detail`` column.

    Returns:
        One message per row, aligned on ``frame``'s index.
    """
    out = pd.Series("", index=frame.index, dtype="object")
    if "where" in _template_fields(template):
        frame = frame.assign(where=_where(frame))
    for literal, field, _spec, conversion in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if not field:
            continue
        if field in frame.columns:
            column = frame[field]
            present = column.notna()
            text = column.astype("object").where(present, "").astype(str)
            text = text.str.replace(r"\.0$", "", regex=True) if field in ("row", "seq") else text
        else:
            present = pd.Series(False, index=frame.index)
            text = pd.Series("", index=frame.index, dtype="object")
        if conversion == "r":
            text = ("'" + text + "'").where(present, "null")
        out = out + text
    return out


def _where(frame: pd.DataFrame) -> pd.Series:
    """Return ``dataset row N USUBJID`` per finding, leaving out the parts a finding lacks."""

    def part(column: str, prefix: str = " ") -> pd.Series:
        if column not in frame.columns:
            return pd.Series("", index=frame.index, dtype="object")
        values = frame[column]
        text = values.astype("object").where(values.notna(), "").astype(str)
        text = text.str.replace(r"\.0$", "", regex=True) if column == "row" else text
        return (prefix + text).where(text != "", "")

    dataset = frame["dataset"].astype("object").where(frame["dataset"].notna(), "").astype(str)
    return dataset + part("row", " row ") + part("usubjid")


def run_rules(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    registry: Registry,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    include_optional: bool = False,
    jobs: int = 1,
) -> FindingsTable:
    """Run the registry's checks on a package and return their findings.

    Each check returns located findings whose ``message`` holds its specific detail; this
    fills ``severity``, ``rule_name``, ``stage`` and the final message from the rule's YAML.

    Args:
        frames: Datasets by name (``DM``, ``AE``, ``SUPPAE``, ``LBCH`` ...).
        standards: The SDTMIG metadata and CT in use.
        registry: Rules and checks.
        select: Rule ids or prefixes to run (see :meth:`Registry.check_rules`).
        ignore: Rule ids or prefixes to skip.
        include_optional: Also run rules that are off by default.
        jobs: Processes that share out the checks (:func:`sdtm.workers.run_calls`); the
            findings are the same for any number.

    Returns:
        All findings, in rule order.
    """
    from sdtm.workers import run_calls

    calls = check_calls(
        frames,
        standards,
        registry,
        select=select,
        ignore=ignore,
        include_optional=include_optional,
    )
    return FindingsTable.concat(run_calls(calls, jobs=jobs))


def check_calls(
    frames: Mapping[str, pd.DataFrame],
    standards: Standards,
    registry: Registry,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    include_optional: bool = False,
) -> list[Callable[[], FindingsTable]]:
    """One call per check rule to run, in rule order (arguments as for :func:`run_rules`).

    The frames' text columns are normalised here, once for all the calls
    (:func:`sdtm.validate.checks.common.prepare_frames`); each call returns its rule's
    finalized findings.
    """
    from sdtm.validate.checks.common import prepare_frames

    prepared = prepare_frames(frames)
    rules = registry.check_rules(select=select, ignore=ignore, include_optional=include_optional)
    return [
        partial(_run_check, registry.checks[rule.id], rule, prepared, standards) for rule in rules
    ]


def _run_check(
    check: Check, rule: Rule, frames: Mapping[str, pd.DataFrame], standards: Standards
) -> FindingsTable:
    found = check(frames, standards)
    return finalize(found, rule) if len(found) else FindingsTable()


def finalize(found: FindingsTable, rule: Rule) -> FindingsTable:
    """Give raw check findings their rule's id, name, severity, stage and message."""
    frame = found.frame
    frame["detail"] = frame["message"]
    frame["message"] = format_messages(rule.message, frame) + f" [{rule.id} {rule.name}]"
    frame = frame.drop(columns="detail")
    frame["rule_id"] = rule.id
    frame["rule_name"] = rule.name
    frame["severity"] = rule.severity.value
    frame["stage"] = rule.stage.value
    return FindingsTable.from_frame(frame)


def collect_module_rule_ids(package: str = "sdtm") -> Mapping[str, tuple[str, ...]]:
    """Import every module of ``package`` and collect its ``RULE_IDS`` constant.

    Args:
        package: Dotted name of the package to scan.

    Returns:
        Module name -> the rule ids it declares, for modules that declare any.
    """
    root = importlib.import_module(package)
    found: dict[str, tuple[str, ...]] = {}
    seen: list[object] = []
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        module = importlib.import_module(info.name)
        ids = getattr(module, "RULE_IDS", None)
        # A module that re-exports another module's constant holds the same object: count once.
        if ids is None or any(ids is other for other in seen):
            continue
        seen.append(ids)
        found[info.name] = tuple(ids)
    return MappingProxyType(found)


def render_rule_doc(rule: Rule) -> str:
    """Return the Markdown page of one rule (the text of ``docs/rules/<id>.md``)."""
    lines = [
        f"# {rule.id} {rule.name}",
        "",
        f"- severity: {rule.severity.value}",
        f"- stage: {rule.stage.value}",
        f"- status: {rule.state} (since {rule.since})",
        f"- on by default: {'yes' if rule.default_enabled else 'no (select it explicitly)'}",
        *(
            [f"- follows from (reported as caused by): {', '.join(rule.follows_from)}"]
            if rule.follows_from
            else []
        ),
        "",
        "## What it checks",
        "",
        rule.doc,
        "",
        "## Message",
        "",
        f"`{rule.message}`",
        "",
        "## How to fix",
        "",
        rule.fix,
        "",
        "## References",
        "",
        *(f"- {ref.source}: {ref.locator}" for ref in rule.references),
    ]
    if not rule.references:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def render_rule_index(rules: Mapping[str, Rule]) -> str:
    """Return the Markdown index of all rules (``docs/rules/README.md``)."""
    lines = [
        "# Conformance rules",
        "",
        "Generated from `specs/rules/*.yaml` by `sdtm rules --write-docs docs/rules`; do not edit.",
        "",
        "| id | name | severity | stage | default |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| [{r.id}]({r.id}.md) | {r.name} | {r.severity.value} | {r.stage.value} | "
        f"{'on' if r.default_enabled else 'off'} |"
        for r in rules.values()
    ]
    return "\n".join(lines) + "\n"


def expected_rule_docs(rules: Mapping[str, Rule]) -> Mapping[str, str]:
    """Return file name -> content of every page ``docs/rules/`` must hold."""
    pages = {f"{rule_id}.md": render_rule_doc(rule) for rule_id, rule in rules.items()}
    pages["README.md"] = render_rule_index(rules)
    return MappingProxyType(pages)


def write_rule_docs(rules: Mapping[str, Rule], out_dir: Path) -> tuple[Path, ...]:
    """Write ``docs/rules/`` from the rules, removing pages of rules that no longer exist.

    Only pages named like a rule id are ever removed; any other file of the folder is kept.

    Returns:
        The files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = expected_rule_docs(rules)
    for stale in out_dir.glob("*.md"):
        # Only a page named like a rule (CT0001.md) can be a stale one: other pages of the
        # folder (a README, docs/*.md when pointed at docs/) are never deleted (issue 12).
        if stale.name not in pages and RULE_ID_PATTERN.fullmatch(stale.stem):
            stale.unlink()
    written = []
    for name, content in pages.items():
        path = out_dir / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return tuple(written)


def stale_rule_docs(rules: Mapping[str, Rule], out_dir: Path) -> tuple[str, ...]:
    """Return the names of pages in ``out_dir`` that are missing, outdated or orphaned."""
    pages = expected_rule_docs(rules)
    present = {p.name for p in out_dir.glob("*.md")} if out_dir.is_dir() else set()
    problems = sorted(present - set(pages))
    for name, content in pages.items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            problems.append(name)
    return tuple(sorted(problems))
