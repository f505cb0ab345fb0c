"""Indented JSON text, byte for byte what ``json.dumps(obj, indent=2, ensure_ascii=False)`` gives.

The standard library only uses its C encoder when no ``indent`` is asked for; with one, every
value goes through a chain of Python generators, which made writing ``findings.json`` one of the
slowest steps of a large run. Here each scalar is encoded once by the C string encoder (or
``repr``) and containers are joined as whole strings. The output format is the standard
library's, so the files stay byte-identical; ``tests/test_json_text.py`` holds the two equal on
generated documents. ``iter_indented`` gives the same text in pieces and takes an iterator
where a list would be, so that a long list (the findings of a large run) is written as it is
produced instead of being built whole in memory first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from operator import add
from typing import Any

_INFINITY = float("inf")


def _float_text(value: float) -> str:
    # The standard encoder's spelling of the special values (allow_nan=True).
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _key_text(key: Any) -> str:
    # Keys as the standard encoder turns them into strings (skipkeys=False): a number, bool
    # or None key is its JSON value text, quoted.
    if isinstance(key, str):
        return encode_basestring(key)
    if key is None or isinstance(key, int | float):
        return encode_basestring(_render(key, "", 0))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _render(value: Any, indent: str, level: int) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float_text(value)
    inner = "\n" + indent * (level + 1)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [_render(item, indent, level + 1) for item in value]
        return "[" + inner + ("," + inner).join(items) + "\n" + indent * level + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            _key_text(key) + ": " + _render(item, indent, level + 1)
            for key, item in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + "\n" + indent * level + "}"
    # Anything else is what json.dumps would refuse; let it say so in its own words.
    return json.dumps(value)


def dumps_indented(document: Any, indent: int = 2) -> str:
    """Return ``document`` as indented JSON text, faster than the standard library.

    The text equals ``json.dumps(document, indent=indent, ensure_ascii=False)``.

    Raises:
        TypeError: For a value or key JSON cannot hold, as ``json.dumps`` does.
    """
    return _render(document, " " * indent, 0)


@dataclass(frozen=True, slots=True)
class ColumnRecords:
    """An array of flat objects given by columns, chunk by chunk, for :func:`iter_indented`.

    Each chunk is ``(names, columns)``: the keys of every object in the chunk (at least one)
    and one sequence of scalar values per key. Rendering a column at a time is several times
    faster than rendering the same objects one dictionary at a time.
    """

    chunks: Iterable[tuple[Sequence[str], Sequence[Sequence[Any]]]]


def _scalar_texts(values: Sequence[Any], indent: str, level: int) -> list[str]:
    return [
        encode_basestring(value) if type(value) is str else _render(value, indent, level)
        for value in values
    ]


def _record_pieces(records: ColumnRecords, indent: str, level: int) -> Iterator[str]:
    inner = "\n" + indent * (level + 1)
    field = "\n" + indent * (level + 2)
    close = "\n" + indent * (level + 1) + "}"
    opening = "["
    separator = "," + field
    for names, columns in records.chunks:
        if not names:
            raise ValueError("ColumnRecords needs at least one column per chunk")
        prefixes = [_key_text(name) + ": " for name in names]
        texts = [_scalar_texts(column, indent, level + 2) for column in columns]
        for row in zip(*texts, strict=True):
            yield opening + inner + "{" + field + separator.join(map(add, prefixes, row)) + close
            opening = ","
    yield "[]" if opening == "[" else "\n" + indent * level + "]"


def _pieces(value: Any, indent: str, level: int) -> Iterator[str]:
    inner = "\n" + indent * (level + 1)
    if isinstance(value, ColumnRecords):
        yield from _record_pieces(value, indent, level)
    elif isinstance(value, dict) and value:
        yield "{"
        separator = ""
        for key, item in value.items():
            yield separator + inner + _key_text(key) + ": "
            separator = ","
            yield from _pieces(item, indent, level + 1)
        yield "\n" + indent * level + "}"
    elif isinstance(value, Iterator):
        opening = "["
        for item in value:
            yield opening + inner + _render(item, indent, level + 1)
            opening = ","
        yield "[]" if opening == "[" else "\n" + indent * level + "]"
    else:
        yield _render(value, indent, level)


def iter_indented(document: Any, indent: int = 2) -> Iterator[str]:
    """Yield the text of :func:`dumps_indented` in pieces, rendering iterators as arrays.

    A value of ``document`` (at any depth inside dictionaries) that is an iterator, such as a
    generator, is written as a JSON array of the items it yields, one item at a time, and a
    ``ColumnRecords`` as the array of its objects; joined, the pieces equal ``dumps_indented``
    of the document with those values as lists.

    Raises:
        TypeError: For a value or key JSON cannot hold, as ``json.dumps`` does.
    """
    return _pieces(document, " " * indent, 0)
