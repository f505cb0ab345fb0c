"""``dumps_indented`` gives the standard library's indented JSON text, byte for byte."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.json_text import ColumnRecords, dumps_indented, iter_indented

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_KEYS = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=5)
    | st.tuples(children, children)
    | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_DOCUMENTS, st.sampled_from([0, 1, 2, 4]))
def test_equals_the_standard_library_on_generated_documents(document, indent):
    assert dumps_indented(document, indent=indent) == json.dumps(
        document, indent=indent, ensure_ascii=False
    )


def test_special_values_and_non_ascii_text_are_spelled_as_the_standard_library_does():
    document = {
        "nan": math.nan,
        "inf": [math.inf, -math.inf],
        "text": 'Größe "µg/L"\n\t\u2028 ✓ \x00',
        1.5: None,
        True: False,
        "empty": [{}, [], ""],
        "big": 2**70,
        "tiny": 5e-324,
    }
    text = dumps_indented(document)
    assert text == json.dumps(document, indent=2, ensure_ascii=False)
    assert '"Größe' in text  # kept as written, not \\u-escaped
    assert "NaN" in text and "-Infinity" in text


@pytest.mark.parametrize("bad", [{1j: 1}, [object()], {"set": {1, 2}}])
def test_what_json_cannot_hold_is_refused_with_a_type_error(bad):
    with pytest.raises(TypeError):
        json.dumps(bad, indent=2)
    with pytest.raises(TypeError):
        dumps_indented(bad)


@settings(max_examples=200, deadline=None)
@given(_DOCUMENTS)
def test_pieces_join_to_the_standard_library_text(document):
    assert "".join(iter_indented(document)) == json.dumps(document, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("items", [[], [{"a": 1, "b": [1.5, None]}], [{"x": "é"}, 2, "three"]])
def test_an_iterator_is_written_as_the_array_of_its_items(items):
    streamed = {"head": {"n": len(items)}, "rows": iter(items), "tail": list(items)}
    expected = json.dumps(
        {"head": {"n": len(items)}, "rows": items, "tail": list(items)},
        indent=2,
        ensure_ascii=False,
    )
    assert "".join(iter_indented(streamed)) == expected


def test_a_long_generator_is_consumed_lazily():
    produced = []

    def rows():
        for number in range(3):
            produced.append(number)
            yield {"row": number}

    pieces = iter_indented({"rows": rows()})
    next(pieces)
    assert produced == []  # nothing generated before its place in the text is reached
    assert json.loads("".join(["{", *pieces])) == {"rows": [{"row": 0}, {"row": 1}, {"row": 2}]}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True).flatmap(
        lambda names: st.tuples(
            st.just(names),
            st.lists(st.tuples(*[_SCALARS for _ in names]), max_size=6),
            st.integers(min_value=1, max_value=4),
        )
    )
)
def test_records_given_by_columns_render_as_the_list_of_their_objects(case):
    names, rows, size = case
    objects = [dict(zip(names, row, strict=True)) for row in rows]
    chunks = [
        (names, [list(column) for column in zip(*rows[start : start + size], strict=True)])
        for start in range(0, len(rows), size)
    ]
    document = {"head": 1, "records": ColumnRecords(iter(chunks)), "tail": [2]}
    expected = {"head": 1, "records": objects, "tail": [2]}
    assert "".join(iter_indented(document)) == json.dumps(
        expected, indent=2, ensure_ascii=False
    )


def test_records_without_columns_are_refused():
    with pytest.raises(ValueError, match="at least one column"):
        "".join(iter_indented(ColumnRecords(iter([([], [])]))))
