"""Reader and writer of the Pinnacle-21-style Excel spec workbook, for reviewers.

``write_excel_spec`` lays a ``MappingSpec`` out on sheets a reviewer reads (Study, Datasets,
Variables, Value Level, Codelists, Methods, plus Joins, Visits, Units, Design, Skips);
``read_excel_spec`` reads such a workbook back into the same ``MappingSpec``. The round trip
YAML -> Excel -> spec gives an equal spec. Cells are written as text so that codes such as
``1`` or ``Y`` come back exactly as written. Locations are ``<workbook>:<sheet>`` and the row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sdtm.errors import SpecError
from sdtm.fileio import atomic_path
from sdtm.mapping.algorithms import ALGORITHMS
from sdtm.mapping.load_yaml import FALSE_WORDS, SPEC_STATUSES, TRUE_WORDS, parse_confidence
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
from sdtm.read.options import ReadOptions

LIST_SEPARATOR = " | "

STEP_COLUMNS = (
    ("Variable", "target"),
    ("Algorithm", "algorithm"),
    ("Source", "source"),
    ("Sources", "sources"),
    ("Separator", "separator"),
    ("Value", "value"),
    ("Codelist", "codelist"),
    ("Date", "date"),
    ("Time", "time"),
    ("Format", "date_format"),
    ("Time Format", "time_format"),
    ("Pattern", "pattern"),
    ("Lookup", "lookup"),
    ("Source Codelist", "source_codelist"),
    ("When", "when"),
    ("QLABEL", "qlabel"),
    ("QORIG", "qorig"),
    ("QEVAL", "qeval"),
    ("RDOMAIN", "rdomain"),
    ("RVARIABLE", "rvariable"),
    ("Reason", "reason"),
    ("To ASCII", "to_ascii"),
    ("Confidence", "confidence"),
    ("Rationale", "rationale"),
)

OPTIONAL_COLUMNS = MappingProxyType({"Variables": ("Confidence", "Rationale")})
"""Columns a workbook written before they existed may lack (read as empty)."""

SHEETS = MappingProxyType(
    {
        "Study": ("Key", "Value"),
        "Datasets": ("Dataset", "Block", "File", "Where", "Read"),
        "Joins": ("Dataset", "Block", "Join", "File", "On", "Prefix", "Where", "Read"),
        "Variables": ("Dataset", "Block", "Order", *(title for title, _ in STEP_COLUMNS)),
        "Value Level": ("Condition Set", "Mode", "Order", "Column", "Operator", "Value"),
        "Codelists": ("Codelist", "Raw Value", "Submission Value"),
        "Methods": ("Algorithm", "Kind", "Required", "Description"),
        "Visits": ("VISITNUM", "VISIT", "VISITDY", "EPOCH", "Raw Names", "TVSTRL"),
        "Units": ("TESTCD", "From", "To", "Factor", "Decimals"),
        "Design": ("Table", "Row", "Field", "Value"),
        "Skips": ("File", "Reason", "Where", "Read"),
        "Lookups": ("Lookup", "Raw Value", "Value"),
    }
)


def _read_cell(options: ReadOptions | None) -> str | None:
    """Reader options as a JSON cell (``{"delimiter": ";"}``); empty when none declared."""
    if options is None:
        return None
    given = {k: list(v) if isinstance(v, tuple) else v for k, v in options.given().items()}
    return json.dumps(given, ensure_ascii=False)


def _read_options(cell: str | None, location: Location) -> ReadOptions | None:
    if cell is None:
        return None
    try:
        data = json.loads(cell)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if "na_values" in data:
            data["na_values"] = tuple(str(v) for v in data["na_values"])
        return ReadOptions(**data)
    except (ValueError, TypeError) as error:
        raise SpecError(
            f"{location}: Read must be a JSON object of reader options ({error})"
        ) from error


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _join_list(items: tuple[str, ...]) -> str | None:
    """Return a list as one cell, items joined by :data:`LIST_SEPARATOR` (empty: no cell).

    Args:
        items: The items to write.

    Returns:
        The cell text, or ``None`` (an empty cell) when there are no items.
    """
    return LIST_SEPARATOR.join(items) if items else None


class _ConditionSets:
    """Collects ``When`` objects under ids, for the Value Level sheet."""

    def __init__(self) -> None:
        self.rows: list[tuple[str | None, ...]] = []

    def add(self, set_id: str, when: When | None) -> str | None:
        if when is None:
            return None
        for order, condition in enumerate(when.conditions, start=1):
            if isinstance(condition.value, tuple):
                value = LIST_SEPARATOR.join(condition.value)
            else:
                value = _text(condition.value)
            self.rows.append(
                (set_id, when.mode, str(order), condition.column, condition.op.value, value)
            )
        return set_id


def _sheet(workbook: Workbook, name: str, rows: Iterable[Iterable[Any]]) -> None:
    sheet = workbook.create_sheet(name)
    sheet.append(list(SHEETS[name]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([None if v is None else str(v) for v in row])
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)


def write_excel_spec(spec: MappingSpec, path: Path) -> None:
    """Write a spec as a reviewer's workbook.

    Args:
        spec: The spec to write.
        path: Target ``.xlsx`` file (overwritten).
    """
    conditions = _ConditionSets()
    workbook = Workbook()
    workbook.remove(workbook.active)
    study_rows = [("study", spec.study), ("studyid", spec.studyid)]
    if spec.status:
        study_rows.append(("status", spec.status))
    study_rows += [(f"setting:{key}", value) for key, value in spec.settings.items()]
    _sheet(workbook, "Study", study_rows)
    datasets, joins, variables = [], [], []
    for name, mapping in spec.domains.items():
        for b, block in enumerate(mapping.blocks, start=1):
            where = conditions.add(f"{name}.{b}.where", block.where)
            datasets.append((name, b, block.file, where, _read_cell(block.read)))
            for j, join in enumerate(block.joins, start=1):
                on = "; ".join(f"{main}={other}" for main, other in join.on)
                join_where = conditions.add(f"{name}.{b}.join{j}", join.where)
                joins.append(
                    (name, b, j, join.file, on, join.prefix, join_where, _read_cell(join.read))
                )
            for s, step in enumerate(block.steps, start=1):
                cells: list[Any] = [name, b, s]
                for _, attribute in STEP_COLUMNS:
                    value = getattr(step, attribute)
                    if attribute == "when":
                        value = conditions.add(f"{name}.{b}.{s}", value)
                    elif attribute == "sources":
                        value = _join_list(value)
                    elif attribute == "to_ascii":
                        value = "yes" if value else None
                    elif attribute == "confidence" and value is not None:
                        value = _number_text(value)
                    cells.append(value)
                variables.append(cells)
    skips = []
    for k, skip in enumerate(spec.skips, start=1):
        skips.append(
            (
                skip.file,
                skip.reason,
                conditions.add(f"skip.{k}", skip.where),
                _read_cell(skip.read),
            )
        )
    _sheet(workbook, "Datasets", datasets)
    _sheet(workbook, "Variables", variables)
    _sheet(workbook, "Value Level", conditions.rows)
    _sheet(
        workbook,
        "Codelists",
        [
            (codelist, raw, value)
            for codelist, terms in spec.synonyms.items()
            for raw, value in terms.items()
        ],
    )
    _sheet(
        workbook,
        "Methods",
        [
            (name, algorithm.kind, ", ".join(algorithm.required), algorithm.description)
            for name, algorithm in ALGORITHMS.items()
        ],
    )
    _sheet(workbook, "Joins", joins)
    _sheet(
        workbook,
        "Visits",
        [
            (
                _number_text(v.visitnum),
                v.visit,
                None if v.visitdy is None else str(v.visitdy),
                v.epoch,
                _join_list(v.raw_names),
                v.tvstrl,
            )
            for v in spec.visits
        ],
    )
    _sheet(
        workbook,
        "Units",
        [
            (
                u.testcd,
                u.from_unit,
                u.to_unit,
                _number_text(u.factor),
                None if u.decimals is None else str(u.decimals),
            )
            for u in spec.unit_conversions
        ],
    )
    _sheet(
        workbook,
        "Design",
        [
            (table, str(r), key, value)
            for table, rows in spec.design.items()
            for r, row in enumerate(rows, start=1)
            for key, value in row.items()
        ],
    )
    _sheet(workbook, "Skips", skips)
    _sheet(
        workbook,
        "Lookups",
        [
            (name, raw, value)
            for name, table in spec.lookups.items()
            for raw, value in table.items()
        ],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, operation="write the workbook") as temp:
        workbook.save(temp)


def _rows(workbook_name: str, sheet: Worksheet) -> list[tuple[Location, dict[str, str | None]]]:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h) if h is not None else "" for h in rows[0]]
    expected = SHEETS[sheet.title]
    optional = OPTIONAL_COLUMNS.get(sheet.title, ())
    missing = [h for h in expected if h not in header and h not in optional]
    if missing:
        raise SpecError(
            f"{workbook_name}:{sheet.title}: missing column(s) {', '.join(missing)} in row 1"
        )
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        values = {
            name: (None if cell is None or str(cell) == "" else str(cell))
            for name, cell in zip(header, row, strict=False)
        }
        out.append((Location(f"{workbook_name}:{sheet.title}", number), values))
    return out


_SHOWN_CELLS = 20


def _formula_cells(path: Path) -> list[tuple[str, str]]:
    """Every formula cell of the spec sheets: ``(Sheet!A1, formula)``, in sheet order."""
    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        return [
            (f"{title}!{cell.coordinate}", str(cell.value))
            for title in SHEETS
            if title in workbook.sheetnames
            for row in workbook[title].iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f"
        ]
    finally:
        workbook.close()


def read_excel_spec(path: Path, *, formula_values: bool = False) -> MappingSpec:
    """Read a spec workbook written by ``write_excel_spec`` (possibly edited by a reviewer).

    A cell holding a formula is refused, naming the cell: the spec is data, and a formula's
    value is only in the file if Excel calculated and saved it (a workbook saved by another
    tool has none, so the cell would read as empty: a USUBJID separator or a hard-coded value
    silently lost, issue 12). With ``formula_values`` the value Excel last saved is used
    instead, and a formula without a saved value is still refused.

    Args:
        path: The ``.xlsx`` workbook.
        formula_values: Use the saved values of formula cells instead of refusing them.

    Returns:
        The spec.

    Raises:
        SpecError: when the workbook cannot be read, a sheet or column is missing, a cell
            holds a formula (listing ``Sheet!A1`` references), or a cell holds a value that
            does not fit (each message names sheet and row).
    """
    name = path.name
    try:
        formulas = _formula_cells(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise SpecError(f"{name}: cannot read the spec workbook ({error})") from error
    missing = [sheet for sheet in SHEETS if sheet not in workbook.sheetnames]
    if missing:
        raise SpecError(f"{name}: missing sheet(s) {', '.join(missing)}")
    if formulas and formula_values:
        saved = {
            f"{title}!{cell.coordinate}": cell.value
            for title in SHEETS
            for row in workbook[title].iter_rows()
            for cell in row
            if getattr(cell, "coordinate", None)
        }
        formulas = [(ref, formula) for ref, formula in formulas if saved.get(ref) is None]
        why = "has no value saved by Excel (open and save the workbook in Excel, or type it)"
    else:
        why = "holds a formula; a spec holds values (type the value, or pass --formula-values)"
    if formulas:
        workbook.close()
        listing = "\n  ".join(
            f"{name}:{ref}: {formula} {why}" for ref, formula in formulas[:_SHOWN_CELLS]
        )
        hidden = len(formulas) - _SHOWN_CELLS
        more = f"\n  ... {hidden} more" if hidden > 0 else ""
        raise SpecError(f"{name}: {len(formulas)} formula cell(s) refused:\n  {listing}{more}")
    sheets = {title: _rows(name, workbook[title]) for title in SHEETS}
    workbook.close()

    whens = _read_conditions(sheets["Value Level"])
    study: dict[str, str] = {}
    settings: dict[str, str] = {}
    for _, row in sheets["Study"]:
        key, value = row["Key"] or "", row["Value"] or ""
        if key.startswith("setting:"):
            settings[key.removeprefix("setting:")] = value
        else:
            study[key] = value

    steps: dict[tuple[str, str], list[Step]] = {}
    for location, row in sheets["Variables"]:
        fields: dict[str, Any] = {}
        for title, attribute in STEP_COLUMNS:
            value = row.get(title)
            if attribute == "when":
                value = _condition_set(whens, value)
            elif attribute == "sources":
                value = _split_list(value)
            elif attribute == "to_ascii":
                if value and value.lower() not in (*TRUE_WORDS, *FALSE_WORDS):
                    raise SpecError(f"{location}: To ASCII must be yes or no, not {value!r}")
                value = bool(value) and value.lower() in TRUE_WORDS
            elif attribute == "confidence":
                value, problem = parse_confidence(value)
                if problem is not None:
                    raise SpecError(f"{location}: {problem}")
            fields[attribute] = value
        if not fields["target"] or not fields["algorithm"]:
            raise SpecError(f"{location}: Variable and Algorithm are required")
        key = (row["Dataset"] or "", row["Block"] or "")
        steps.setdefault(key, []).append(Step(location=location, **fields))

    joins: dict[tuple[str, str], list[Join]] = {}
    for location, row in sheets["Joins"]:
        pairs = []
        for pair in (row["On"] or "").split(";"):
            main, _, other = pair.strip().partition("=")
            if not main or not other:
                raise SpecError(f"{location}: On must read 'main column=lookup column; ...'")
            pairs.append((main.strip(), other.strip()))
        join = Join(
            row["File"] or "",
            tuple(pairs),
            row["Prefix"] or "",
            _condition_set(whens, row["Where"]),
            _read_options(row.get("Read"), location),
            location,
        )
        joins.setdefault((row["Dataset"] or "", row["Block"] or ""), []).append(join)

    blocks: dict[str, list[Block]] = {}
    for location, row in sheets["Datasets"]:
        key = (row["Dataset"] or "", row["Block"] or "")
        blocks.setdefault(key[0], []).append(
            Block(
                file=row["File"] or "",
                steps=tuple(steps.get(key, ())),
                where=_condition_set(whens, row["Where"]),
                joins=tuple(joins.get(key, ())),
                read=_read_options(row.get("Read"), location),
                location=location,
            )
        )
    domains = {
        dataset: DomainMapping(dataset, tuple(items), items[0].location)
        for dataset, items in blocks.items()
    }

    synonyms: dict[str, dict[str, str]] = {}
    for _, row in sheets["Codelists"]:
        synonyms.setdefault(row["Codelist"] or "", {})[row["Raw Value"] or ""] = (
            row["Submission Value"] or ""
        )
    visits = tuple(
        Visit(
            visitnum=_float(row["VISITNUM"], location),
            visit=row["VISIT"] or "",
            visitdy=None if row["VISITDY"] is None else int(_float(row["VISITDY"], location)),
            raw_names=_split_list(row["Raw Names"]),
            tvstrl=row.get("TVSTRL"),
            epoch=row["EPOCH"],
            location=location,
        )
        for location, row in sheets["Visits"]
    )
    conversions = tuple(
        UnitConversion(
            row["TESTCD"] or "",
            row["From"] or "",
            row["To"] or "",
            _float(row["Factor"], location),
            None if row["Decimals"] is None else int(_float(row["Decimals"], location)),
            location,
        )
        for location, row in sheets["Units"]
    )
    design: dict[str, dict[str, dict[str, str]]] = {}
    for _, row in sheets["Design"]:
        table = design.setdefault(row["Table"] or "", {})
        table.setdefault(row["Row"] or "", {})[row["Field"] or ""] = row["Value"] or ""
    skips = tuple(
        Skip(
            row["File"] or "",
            row["Reason"] or "",
            _condition_set(whens, row["Where"]),
            _read_options(row.get("Read"), location),
            location,
        )
        for location, row in sheets["Skips"]
    )
    lookups: dict[str, dict[str, str]] = {}
    for _, row in sheets["Lookups"]:
        lookups.setdefault(row["Lookup"] or "", {})[row["Raw Value"] or ""] = row["Value"] or ""
    status = study.get("status") or None
    if status is not None and status not in SPEC_STATUSES:
        raise SpecError(
            f"{name}:Study: status must be one of {', '.join(SPEC_STATUSES)}, not {status!r}"
        )
    return MappingSpec(
        study=study.get("study", path.stem),
        status=status,
        studyid=study.get("studyid", ""),
        domains=domains,
        settings=settings,
        visits=visits,
        unit_conversions=conversions,
        synonyms=synonyms,
        design={table: tuple(rows.values()) for table, rows in design.items()},
        skips=skips,
        sources=(name,),
        lookups=lookups,
    )


def _split_list(cell: str | None) -> tuple[str, ...]:
    """Return the items of a list cell written with :data:`LIST_SEPARATOR` (empty cell: ``()``).

    Args:
        cell: The cell text, ``None`` when the cell is empty.

    Returns:
        The items in the order written.
    """
    return tuple(cell.split(LIST_SEPARATOR)) if cell else ()


def _condition_set(whens: dict[str, When], set_id: str | None) -> When | None:
    """Return the condition set a ``Where``/``When`` cell names (``None`` for an empty cell).

    Args:
        whens: Condition sets of the Value Level sheet by id.
        set_id: The cell text.

    Returns:
        The set, or ``None`` when the cell is empty or names no set.
    """
    return whens.get(set_id) if set_id else None


def _float(text: str | None, location: Location) -> float:
    try:
        return float(text or "")
    except ValueError as error:
        raise SpecError(f"{location}: {text!r} is not a number") from error


def _read_conditions(rows: list[tuple[Location, dict[str, str | None]]]) -> dict[str, When]:
    grouped: dict[str, list[tuple[Location, dict[str, str | None]]]] = {}
    for location, row in rows:
        grouped.setdefault(row["Condition Set"] or "", []).append((location, row))
    whens = {}
    for set_id, items in grouped.items():
        conditions = []
        for location, row in items:
            try:
                op = Operator(row["Operator"] or "")
            except ValueError as error:
                raise SpecError(f"{location}: unknown operator {row['Operator']!r}") from error
            value: str | tuple[str, ...] | None = row["Value"]
            if op in (Operator.IN, Operator.NOT_IN):
                value = _split_list(value)
            conditions.append(Condition(row["Column"] or "", op, value, location))
        whens[set_id] = When(items[0][1]["Mode"] or "all", tuple(conditions), items[0][0])
    return whens
