"""Parsers for files a user or a third party hands the tool: YAML and XML with hard limits.

Mapping specs, waivers and rule files are YAML written by people, possibly copied from
elsewhere; Define-XML and schema files are XML. Both formats can be made to hang or to reach
out of the machine:

- YAML anchors and aliases let a few hundred bytes stand for billions of nodes (the "billion
  laughs" alias bomb), and tags such as ``!!python/object`` ask a loader to build objects.
  :func:`compose_yaml` and :func:`load_yaml` use PyYAML's safe loader, refuse every tag that is
  not a plain YAML type, refuse self-referencing anchors, and count the nodes the document would
  have with every alias expanded, refusing it past :data:`MAX_YAML_NODES`; the document size and
  nesting depth are limited too. The count walks each distinct node once, so a bomb is refused
  in milliseconds.
- XML entities can expand the same way and external entities or DTDs can read local files or
  the network. :func:`xml_parser` returns an lxml parser with entity resolution, DTD loading and
  network access off.
"""

from __future__ import annotations

from typing import Any

import yaml
from lxml import etree

MAX_COLUMNS = 2_000
"""Most columns a raw file or a dataset may have; SDTM datasets have well under 100 (a wider
file is refused with a finding rather than tying validation up for minutes)."""
MAX_VALUE_CHARS = 32_767
"""Longest value read from a raw file or a Dataset-JSON file (characters): the most an Excel
cell holds. SDTM text values are at most 200 bytes (XPT v5)."""
MAX_YAML_BYTES = 5_000_000
"""Largest YAML document read (bytes); a study's specs are a few kilobytes each."""
MAX_YAML_NODES = 1_000_000
"""Most nodes a YAML document may have with every alias expanded."""
MAX_YAML_DEPTH = 200
"""Deepest nesting of collections in a YAML document."""

_CORE = "tag:yaml.org,2002:"
ALLOWED_YAML_TAGS = frozenset(
    _CORE + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge", "value")
)
"""Tags a YAML node may carry: the plain types a safe loader resolves by itself."""


class UnsafeYamlError(ValueError):
    """A YAML document was refused: a tag, an alias bomb, a cycle, or too large or deep."""

    def __init__(self, message: str, line: int = 0) -> None:
        """Keep the 1-based line of the offending node (0 when the whole document)."""
        super().__init__(message)
        self.line = line


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_yaml_node(
    root: yaml.Node, *, max_nodes: int = MAX_YAML_NODES, max_depth: int = MAX_YAML_DEPTH
) -> int:
    """Check a composed YAML document against the limits; return its expanded node count.

    Every distinct node is visited once (an alias is the same node object as its anchor), and
    the expanded size of a node is one plus the expanded sizes of its children, so an alias bomb
    is measured without being expanded.

    Args:
        root: The document's root node.
        max_nodes: Most nodes allowed with aliases expanded.
        max_depth: Deepest nesting allowed.

    Returns:
        The number of nodes of the document with every alias expanded.

    Raises:
        UnsafeYamlError: At the first tag that is not a plain YAML type, an anchor used inside
            itself, nesting deeper than ``max_depth`` or more than ``max_nodes`` nodes.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 0)]
    while stack:
        node, finished, depth = stack.pop()
        key = id(node)
        line = node.start_mark.line + 1
        if finished:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > max_nodes:
                raise UnsafeYamlError(
                    f"the document expands to more than {max_nodes:,} nodes (anchors and "
                    "aliases used as an alias bomb?); refused",
                    line,
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise UnsafeYamlError("an anchor is used inside itself (a recursive alias)", line)
        if node.tag not in ALLOWED_YAML_TAGS:
            raise UnsafeYamlError(
                f"tag {node.tag!r} is not allowed: specs hold plain values only "
                "(strings, numbers, lists, mappings)",
                line,
            )
        if depth > max_depth:
            raise UnsafeYamlError(f"nesting deeper than {max_depth} levels", line)
        open_nodes.add(key)
        stack.append((node, True, depth))
        stack.extend(
            (child, False, depth + 1) for child in _children(node) if id(child) not in sizes
        )
    return sizes[id(root)]


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader; a bare ``=`` (YAML 1.1's ``value`` type) is read as the text."""


_SafeLoader.add_constructor(_CORE + "value", yaml.SafeLoader.construct_yaml_str)

_LibyamlLoader: type[yaml.SafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _LibyamlSafeLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """The same safe loader on libyaml's parser (ten times faster on rule files)."""

    _LibyamlSafeLoader.add_constructor(_CORE + "value", yaml.SafeLoader.construct_yaml_str)
    _LibyamlLoader = _LibyamlSafeLoader


def _nesting_within(text: str, limit: int) -> bool:
    """Whether libyaml parses ``text`` and its collections nest at most ``limit`` deep.

    libyaml's parser keeps its own stack, but the composer that builds the nodes recurses in C
    without Python's recursion limit: a document nested too deep, or one libyaml refuses, is
    left to the pure-Python loader, which refuses it as before with its own message.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_LibyamlLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return True


def _loader(text: str) -> yaml.SafeLoader:
    if len(text) > MAX_YAML_BYTES or len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise UnsafeYamlError(f"the document is larger than {MAX_YAML_BYTES:,} bytes; refused")
    if _LibyamlLoader is not None and _nesting_within(text, MAX_YAML_DEPTH):
        return _LibyamlLoader(text)
    return _SafeLoader(text)


def compose_yaml(text: str) -> yaml.Node | None:
    """Parse one YAML document into nodes (with their lines), after the safety checks.

    Args:
        text: The document.

    Returns:
        The root node, or ``None`` for an empty document.

    Raises:
        UnsafeYamlError: When the document breaks a limit or carries a tag (see the module).
        yaml.YAMLError: When it is not valid YAML.
    """
    loader = _loader(text)
    try:
        node = loader.get_single_node()
    except RecursionError as error:
        raise UnsafeYamlError(f"nesting deeper than {MAX_YAML_DEPTH} levels") from error
    finally:
        loader.dispose()
    if node is not None:
        check_yaml_node(node)
    return node


def load_yaml(text: str) -> Any:
    """Parse one YAML document into plain Python values, after the safety checks.

    Args:
        text: The document.

    Returns:
        Dicts, lists, strings, numbers, booleans, dates and ``None``.

    Raises:
        UnsafeYamlError: When the document breaks a limit or carries a tag (see the module).
        yaml.YAMLError: When it is not valid YAML.
    """
    loader = _loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_yaml_node(node)
        return loader.construct_document(node)
    except RecursionError as error:
        raise UnsafeYamlError(f"nesting deeper than {MAX_YAML_DEPTH} levels") from error
    finally:
        loader.dispose()


def xml_parser() -> etree.XMLParser:
    """Return an lxml parser that expands no entity and reads no DTD, file or URL it is not given.

    ``resolve_entities=False`` keeps entity references as they are (no "billion laughs", no
    ``file:///etc/passwd`` pulled in), ``no_network=True`` and ``load_dtd=False`` stop any
    fetch, and ``huge_tree=False`` keeps libxml2's own size and depth limits.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
