"""``sdtm --version`` and ``sdtm --help`` must not import the heavy stack (issue 13).

Start-up time itself is measured by ``bench/bench_cli_startup.py`` (tests never assert on time);
these tests pin what makes it fast: which modules the two commands import.
"""

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pandera", "pyreadstat", "lxml", "openpyxl", "jsonschema", "rich")

PROBE = """
import sys
from sdtm.cli import main
try:
    main({argv!r})
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("CODE", code)
print("HEAVY", ",".join(heavy))
"""


@pytest.mark.parametrize("argv", [["--version"], ["--help"]], ids=["version", "help"])
def test_version_and_help_import_no_heavy_module(argv):
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = dict(line.split(" ", 1) for line in completed.stdout.splitlines() if " " in line)
    assert lines["CODE"] == "0"
    assert completed.stdout.rstrip().endswith("HEAVY"), completed.stdout
    if argv == ["--version"]:
        assert "sdtm, version 0.1.0" in completed.stdout
    else:
        for command in ("run", "validate", "export", "sample", "rules", "trace", "spec", "ct"):
            assert f"  {command} " in completed.stdout


def test_cli_copies_of_defaults_match_their_owners():
    from sdtm.cli import defaults
    from sdtm.export.submission import FORMATS
    from sdtm.findings import Severity
    from sdtm.mapping.status import REVIEW_THRESHOLD
    from sdtm.pipeline import DEFAULT_MAPPINGS_DIR, DEFAULT_OUT_DIR, DEFAULT_STUDY_DIR
    from sdtm.sample.generate import DEFAULT_SEED, DEFAULT_SUBJECTS

    assert tuple(level.value for level in Severity) == defaults.SEVERITIES
    assert defaults.DEFAULT_STUDY_DIR == DEFAULT_STUDY_DIR
    assert defaults.DEFAULT_OUT_DIR == DEFAULT_OUT_DIR
    assert defaults.DEFAULT_MAPPINGS_DIR == DEFAULT_MAPPINGS_DIR
    assert defaults.DEFAULT_SUBJECTS == DEFAULT_SUBJECTS
    assert defaults.DEFAULT_SEED == DEFAULT_SEED
    assert defaults.EXPORT_FORMATS == FORMATS
    assert defaults.REVIEW_THRESHOLD == REVIEW_THRESHOLD
    from sdtm.sample import cd19
    from sdtm.sample.layout import LAYOUT

    assert defaults.SAMPLE_LAYOUTS == (LAYOUT, cd19.LAYOUT)
    assert defaults.SECOND_LAYOUT_SUBJECTS == cd19.DEFAULT_SUBJECTS
    assert defaults.SECOND_LAYOUT_SEED == cd19.DEFAULT_SEED


def test_public_api_is_still_importable_from_the_package():
    import sdtm
    from sdtm import RunResult, load_mapping, run_study
    from sdtm.pipeline import run_study as original

    assert run_study is original
    assert callable(load_mapping) and RunResult.__name__ == "RunResult"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sdtm.nothing  # noqa: B018
