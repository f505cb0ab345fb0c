"""Data flows one way: no stage imports a later stage, and base modules import no stage.

Every module of ``sdtm/`` is imported (so that none is broken) and its import statements,
those inside functions included, are read from its source. Stage order (DESIGN.md):
read -> mapping -> derive -> validate -> export. Base modules (findings, errors, config,
standards, stage) are shared by every stage and import none of them; the entry points (cli,
pipeline, the package itself) and tools that read finished packages may import any stage.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import sdtm

STAGES = ("read", "mapping", "derive", "validate", "export")
BASE = (
    "findings",
    "errors",
    "config",
    "standards",
    "stage",
    "fileio",
    "json_text",
    "workers",
    "memory",
    "safe_parse",
    "__version__",
)
PACKAGE_DIR = Path(sdtm.__file__).parent


def _modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(sdtm.__path__, prefix="sdtm."))


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(module: str) -> int | None:
    """0 for base modules, 1..5 for the stages, None for entry points and tools."""
    part = _part(module)
    if part in BASE:
        return 0
    if part in STAGES:
        return STAGES.index(part) + 1
    return None


def _source(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = PACKAGE_DIR / relative / "__init__.py"
    return package if package.is_file() else PACKAGE_DIR / relative.with_suffix(".py")


def _imported(module: str) -> set[str]:
    return _imported_by(_source(module).read_text(encoding="utf-8"))


def _imported_by(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("sdtm.")}


@pytest.mark.parametrize("module", _modules())
def test_module_imports(module):
    importlib.import_module(module)


@pytest.mark.parametrize("module", [m for m in _modules() if _rank(m) is not None])
def test_no_stage_imports_a_later_stage(module):
    rank = _rank(module)
    later = sorted(
        name
        for name in _imported(module)
        if (other := _rank(name)) is None or other > rank
    )
    assert later == []


def test_every_stage_package_exists_and_is_checked():
    parts = {_part(m) for m in _modules()}
    assert set(STAGES) <= parts
    assert {"findings", "errors", "config", "standards", "stage"} <= parts


def test_the_check_sees_a_late_import_inside_a_function():
    source = "def f():\n    from sdtm.export.xpt import write_xpt\n"
    assert "sdtm.export.xpt" in _imported_by(source)
    assert _rank("sdtm.export.xpt") > _rank("sdtm.read.raw")
