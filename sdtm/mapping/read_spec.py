"""The ``read:`` key of a block, join or skip: reader options, checked when the spec loads.

```yaml
- file: lab/central_lab.csv
  read: {encoding: latin-1, delimiter: ";", skip_rows: 3, decimal: ",", na_values: [ND]}
```

Every option is checked against the file's format (``sdtm.read.options.option_problems``);
the uses of one table must not declare different values for one option (a use that declares
nothing inherits the others').
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdtm.mapping.problems import SpecProblem
from sdtm.mapping.spec import MappingSpec
from sdtm.read.options import OPTION_KEYS, ReadOptions, merge_options, option_problems

if TYPE_CHECKING:
    from sdtm.mapping.load_yaml import Node, _Reader

_INTEGER_KEYS = ("header_row", "skip_rows")


def read_options(reader: _Reader, node: Node | None, file: str | None) -> ReadOptions | None:
    """Build the ``ReadOptions`` of a ``read:`` mapping; report bad keys and values.

    Args:
        reader: The YAML reader of the spec file (collects problems with their lines).
        node: The ``read:`` node, or ``None`` when not written.
        file: The raw file the options are for.

    Returns:
        The options, or ``None`` when no ``read:`` is written.
    """
    if node is None or node.data is None:
        return None
    data = reader.mapping(node, "read", OPTION_KEYS)
    values: dict[str, object] = {}
    for key in OPTION_KEYS:
        if key not in data:
            continue
        if key == "na_values":
            values[key] = reader.texts(data[key], "na_values")
            continue
        text = reader.text(data, key, "read", required=False)
        if text is None:
            continue
        if key in _INTEGER_KEYS:
            try:
                values[key] = int(text)
            except ValueError:
                reader.problem(data[key].line, f"read: {key} must be a whole number, not {text!r}")
            continue
        values[key] = "\t" if key == "delimiter" and text == "\\t" else text
    options = ReadOptions(**values)  # type: ignore[arg-type]
    for problem in option_problems(file or "", options):
        reader.problem(node.line, f"read: {problem}")
    return options


def conflicting_options(spec: MappingSpec) -> list[SpecProblem]:
    """Uses of one raw table that declare an option with different values (MP0106)."""
    problems = []
    first: dict[str, tuple[ReadOptions, str]] = {}
    for key, _file, options, location in spec.uses():
        if key not in first:
            first[key] = (options, str(location))
            continue
        merged, conflicts = merge_options(first[key][0], options)
        for option in conflicts:
            problems.append(
                SpecProblem(
                    "MP0106",
                    location,
                    f"{key}: read option {option} is {getattr(options, option)!r} here but "
                    f"{getattr(first[key][0], option)!r} at {first[key][1]}; declare the options "
                    "of a file once (or the same everywhere)",
                )
            )
        first[key] = (merged, first[key][1])
    return problems
