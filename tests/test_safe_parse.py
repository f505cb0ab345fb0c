import pytest

from sdtm.safe_parse import check_yaml_node, compose_yaml, load_yaml


def test_plain_document_loads_with_its_node_count():
    text = "x: &x {c: d}\na: [1, 2]\nb: *x\n"
    assert load_yaml(text) == {"x": {"c": "d"}, "a": [1, 2], "b": {"c": "d"}}
    node = compose_yaml(text)
    # root + x + {c: d}(3) + a + [1, 2](3) + b + alias of {c: d}(3, counted again) = 13
    assert check_yaml_node(node) == 13


def test_limits_are_parameters(monkeypatch):
    from sdtm import safe_parse

    node = compose_yaml("[1, 2, 3]\n")
    with pytest.raises(safe_parse.UnsafeYamlError, match="more than 3 nodes"):
        safe_parse.check_yaml_node(node, max_nodes=3)
    monkeypatch.setattr(safe_parse, "MAX_YAML_BYTES", 5)
    with pytest.raises(safe_parse.UnsafeYamlError, match="larger than 5 bytes"):
        load_yaml("a: 123456\n")


def test_bare_equals_sign_is_text():
    assert load_yaml("k: =\n") == {"k": "="}


def test_empty_document():
    assert (compose_yaml(""), load_yaml("")) == (None, None)


def _documents() -> list:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return sorted([*root.glob("specs/**/*.yaml"), *root.glob("mappings/**/*.yaml")])


def test_libyaml_and_pure_python_loaders_read_the_project_yaml_alike():
    import yaml

    from sdtm import safe_parse

    documents = _documents()
    assert len(documents) > 250  # the rule files alone are more than that
    for path in documents:
        text = path.read_text(encoding="utf-8")
        pure = yaml.load(text, Loader=safe_parse._SafeLoader)
        assert load_yaml(text) == pure, path


def test_nesting_is_measured_before_libyaml_builds_the_nodes():
    from sdtm.safe_parse import _nesting_within

    # The mapping is one level, each [ another.
    assert _nesting_within("a: " + "[" * 199 + "]" * 199 + "\n", 200)
    assert not _nesting_within("a: " + "[" * 200 + "]" * 200 + "\n", 200)
    assert not _nesting_within("a: [1, 2\n", 200)  # not valid YAML: left to the pure loader


def test_a_document_nested_a_hundred_thousand_deep_is_refused():
    from sdtm.safe_parse import UnsafeYamlError

    with pytest.raises(UnsafeYamlError, match="nesting deeper than 200 levels"):
        load_yaml("[" * 100_000 + "]" * 100_000)
