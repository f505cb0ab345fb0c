import doctest

import pytest
import yaml

import sdtm.review.days
import sdtm.review.scale
from sdtm.errors import SpecError
from sdtm.review.config import PanelSpec, ReviewConfig, load_review_config, parse_review_config


def test_default_config_derives_everything_from_the_data():
    config = ReviewConfig()
    assert config.highlight_terms == ()
    assert config.panels == ()
    assert config.other_panels is True
    assert config.focus_days is None


def test_parse_review_config_reads_every_setting():
    text = """
review:
  highlight_terms: [Cytokine release syndrome]
  treatments: {categories: [VASOPRESSOR], indications: [ICANS]}
  panels:
    - {title: Cytokines, domain: lb, category: CYTOKINES, scale: log}
    - {domain: LB, tests: [psa]}
  other_panels: false
  focus_days: [-7, 29]
"""
    config = parse_review_config(yaml.safe_load(text), "review.yaml")
    assert config.highlight_terms == ("Cytokine release syndrome",)
    assert config.treatment_categories == ("VASOPRESSOR",)
    assert config.treatment_indications == ("ICANS",)
    assert config.panels == (
        PanelSpec("Cytokines", "LB", "CYTOKINES", (), "log"),
        # no title: built from domain and tests; test codes upper-cased
        PanelSpec("LB PSA", "LB", None, ("PSA",), "auto"),
    )
    assert config.other_panels is False
    assert config.focus_days == (-7, 29)


def test_parse_review_config_lists_every_problem():
    text = """
review:
  highlight: [CRS]
  panels:
    - {title: x, scale: sqrt}
    - {domain: LB, scale: cubic, colour: red}
  focus_days: [0, 29]
"""
    # 5: the unknown key, panel 1 without domain (its scale is not looked at then), panel 2's
    # unknown key and scale, and day 0
    with pytest.raises(SpecError, match="5 problem") as error:
        parse_review_config(yaml.safe_load(text), "review.yaml")
    message = str(error.value)
    assert "unknown keys ['highlight']" in message
    assert "panels #1: 'domain' is required" in message
    assert "panels #2: unknown keys ['colour']" in message
    assert "panels #2: scale 'cubic' is not one of" in message
    assert "there is no day 0" in message


def test_parse_review_config_needs_the_review_key():
    with pytest.raises(SpecError, match="expected a mapping under 'review:'"):
        parse_review_config({"panels": []}, "review.yaml")


def test_load_review_config_reads_the_bundled_study_file(repo_dir):
    config = load_review_config(repo_dir / "mappings" / "cart-psca-001" / "review.yaml")
    assert "Cytokine release syndrome" in config.highlight_terms
    assert config.source == "review.yaml"


def test_load_review_config_reports_bad_yaml(tmp_path):
    path = tmp_path / "review.yaml"
    path.write_text("review: [unclosed", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_review_config(path)


@pytest.mark.parametrize("module", [sdtm.review.days, sdtm.review.scale], ids=["days", "scale"])
def test_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
