"""``lookups.yaml``: study lookup tables that ``assign_lookup`` reads (e.g. LOINC -> LBTESTCD).

```yaml
lookups:
  loinc_lbtestcd:
    "26881-3": INTLK6
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sdtm.mapping.problems import SpecProblem
from sdtm.mapping.spec import MappingSpec

if TYPE_CHECKING:
    from sdtm.mapping.load_yaml import Node, _Reader


def read_lookups(reader: _Reader, root: Node, out: dict[str, Any]) -> None:
    """Read ``lookups.yaml`` into ``out["lookups"]`` (name -> raw value -> value)."""
    data = reader.mapping(root, "lookups.yaml", ("lookups",))
    tables: dict[str, dict[str, str]] = {}
    if "lookups" in data:
        by_name = reader.mapping(data["lookups"], "lookups", None)
        for name, node in by_name.items():
            entries = reader.mapping(node, f"lookup table {name}", None)
            tables[name] = {
                key: value
                for key in entries
                if (value := reader.text(entries, key, f"lookup table {name}", required=True))
            }
            if not tables[name]:
                reader.problem(node.line, f"lookup table {name} is empty")
    out["lookups"] = tables


def unknown_lookups(spec: MappingSpec) -> list[SpecProblem]:
    """Steps naming a lookup table that ``lookups.yaml`` does not define."""
    return [
        SpecProblem(
            "MP0106",
            step.location,
            f"{name}.{step.target}: lookup table {step.lookup!r} is not in lookups.yaml "
            f"(tables: {', '.join(sorted(spec.lookups)) or 'none'})",
        )
        for name, mapping in spec.domains.items()
        for block in mapping.blocks
        for step in block.steps
        if step.lookup is not None and step.lookup not in spec.lookups
    ]
