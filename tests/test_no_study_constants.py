"""No study or therapy constant in ``sdtm/`` code (issue 10, DESIGN "What to avoid").

Study knowledge (follow-up boundaries, anchor treatment names, visit start rules) lives in
``mappings/<study>/``. This test reads every module of ``sdtm/`` and lists the string and
number constants that name a study, a therapy or its treatments (docstrings and comments,
which explain and give examples, are not constants). Anything it finds must move to a
study's YAML, or be added to ``ALLOWED`` with the reason it is not study knowledge.
"""

import ast
import itertools
import re
from pathlib import Path

SDTM = Path(__file__).resolve().parents[1] / "sdtm"

STUDY_WORDS = re.compile(
    r"car-?t|lymphodeplet|psca|infusion|fludarabine|cyclophosphamide|apheresis"
    r"|\bcd19\b|\bbcma\b|tisagenlecleucel|axicabtagene",
    re.IGNORECASE,
)
STUDY_NUMBERS = (28,)
"""The follow-up boundary of the first study (day 28) was once a constant in code."""

EXCLUDED_PACKAGES = ("sample",)
"""``sdtm/sample`` generates the bundled sample studies' raw data: writing one study's
files is its whole purpose (its layouts are named by ``sdtm sample --layout``)."""

ALLOWED = {
    ("cli/__init__.py", "Raw CAR-T trial data"):
        "the CLI's help describes what the tool is for, not a study",
    ("pipeline.py", "cart-psca-001"):
        "default study folder of `sdtm run` when none is given: the bundled sample study",
    ("cli/defaults.py", "cart-psca-001"):
        "light copies, for --help, of the bundled sample studies' folder names (pipeline "
        "default, sample layouts); tests/cli/test_startup.py checks them against their owners",
    ("cli/defaults.py", "cart-cd19-002"):
        "the second sample layout's name, a light copy for --help of sdtm.sample.cd19.LAYOUT",
    ("standards/ig_build.py", "Study decision 5 of the CAR-T brief"):
        "reason text of the LBLLOQ model addition in the standards build; it is reproduced "
        "in specs/sdtmig-3.4/domains/LB.yaml, which the build must keep matching",
    ("review/scale.py", 28):
        "a tick step of the report's time axis (4 weeks among 1, 2, 7, 14, 56 ... days), "
        "not a study boundary",
    ("review/svg.py", 28):
        "the number of characters a legend text of the report is shortened to",
}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
        # attribute docstrings: a string right after an assignment
        for before, after in itertools.pairwise(body):
            if (
                isinstance(before, ast.Assign | ast.AnnAssign)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
            ):
                found.add(id(after.value))
    return found


def _constants(root: Path = SDTM) -> list[tuple[str, int, object]]:
    out = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in EXCLUDED_PACKAGES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or id(node) in docstrings:
                continue
            value = node.value
            if (isinstance(value, str) and STUDY_WORDS.search(value)) or (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and value in STUDY_NUMBERS
            ):
                out.append((relative, node.lineno, value))
    return out


def _matches(value: object, allowed: object) -> bool:
    if isinstance(allowed, str):
        return isinstance(value, str) and allowed in value
    return value == allowed and not isinstance(value, str)


def _allowed(relative: str, value: object) -> bool:
    return any(relative == file and _matches(value, text) for file, text in ALLOWED)


def test_no_study_or_therapy_constant_in_sdtm_code():
    found = [
        f"sdtm/{relative}:{line}: {value!r}"
        for relative, line, value in _constants()
        if not _allowed(relative, value)
    ]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    # The scan must be able to fail: a module holding such constants is reported.
    package = tmp_path / "sdtm"
    package.mkdir()
    (package / "x.py").write_text(
        '"""Docstring naming CAR-T is fine."""\nFOLLOW_UP = 28\nANCHOR = "PSCA CAR-T"\n',
        encoding="utf-8",
    )
    assert [(r, line) for r, line, _ in _constants(package)] == [("x.py", 2), ("x.py", 3)]


def test_every_allowed_entry_is_still_needed():
    used = {
        (file, text)
        for relative, _, value in _constants()
        for file, text in ALLOWED
        if relative == file and _matches(value, text)
    }
    assert set(ALLOWED) - used == set()
