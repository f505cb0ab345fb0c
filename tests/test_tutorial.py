"""docs/tutorial-new-study.md can be followed as written (issue 10).

The tutorial's first spec (its `study.yaml` and `dm.yaml`, taken from the page itself) is run on
the second bundled study; what the page says about that run must hold.
"""

import re
from pathlib import Path

import pytest

from sdtm import run_study
from sdtm.errors import SpecError

REPO = Path(__file__).resolve().parents[1]
PAGE = (REPO / "docs" / "tutorial-new-study.md").read_text(encoding="utf-8")
STUDY = REPO / "sample_data" / "cart-cd19-002"


def _study_yaml() -> str:
    return re.search(r"cat > mappings/cd19/study.yaml <<'EOF'\n(.*?)\nEOF", PAGE, re.S).group(1)


def _dm_yaml() -> str:
    after = PAGE.split("Write `mappings/cd19/dm.yaml`", 1)[1]
    return re.search(r"```yaml\n(.*?)```", after, re.S).group(1)


def _spec(tmp_path: Path, dm_yaml: str) -> Path:
    mapping = tmp_path / "mappings" / "cd19"
    mapping.mkdir(parents=True)
    (mapping / "study.yaml").write_text(_study_yaml() + "\n", encoding="utf-8")
    (mapping / "dm.yaml").write_text(dm_yaml, encoding="utf-8")
    return mapping


def test_the_first_spec_of_the_tutorial_maps_dm_and_reports_every_other_row(tmp_path):
    result = run_study(STUDY, _spec(tmp_path, _dm_yaml()), tmp_path / "out" / "cd19")
    assert len(result.frames["DM"]) == 10
    counts = result.counts.set_index("file")
    assert (counts["rows_in"] == counts["rows_mapped"] + counts["rows_reported"]).all()
    assert counts.loc["edc/DM.csv"].tolist() == [10, 10, 0]
    rules = set(result.findings.frame["rule_id"])
    # the rules the page names for this first run
    assert {"MP0001", "RD0008", "RD0022", "RD0003", "RD0004"} <= rules


def test_without_the_country_step_the_run_stops_with_the_message_the_page_quotes(tmp_path):
    dm = "\n".join(line for line in _dm_yaml().splitlines() if "COUNTRY" not in line) + "\n"
    with pytest.raises(SpecError) as raised:
        run_study(STUDY, _spec(tmp_path, dm), tmp_path / "out" / "cd19")
    assert "DM.COUNTRY is required (Req) but no step assigns it" in str(raised.value)
    assert "DM.COUNTRY is required (Req) but no step assigns it" in PAGE
