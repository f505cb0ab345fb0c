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
