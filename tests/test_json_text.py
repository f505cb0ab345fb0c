"""``dumps_indented`` gives the standard library's indented JSON text, byte for byte."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.json_text import dumps_indented

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
