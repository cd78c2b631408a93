"""Reading a YAML file a user hands the CLI, with bounds a hostile file cannot get past.

PyYAML's safe loader builds only plain data, but it will still happily build a
structure that costs minutes or a traceback downstream. :func:`load_documents`
refuses, each with one error naming the file and the line:

- text that is not UTF-8;
- nesting deeper than :data:`MAX_DEPTH` levels, written out or reached through
  aliases (the composer and everything after it recurse);
- a recursive anchor (an alias inside the node it names: ``&a [*a]``);
- more than :data:`MAX_NODES` nodes once every alias is expanded (an "alias
  bomb", where nine lines of aliases expand to a billion strings);
- an integer of more than :data:`MAX_INT_DIGITS` digits (quote it to keep it
  as text);
- the same key twice in one mapping (YAML says keys are unique; PyYAML keeps the
  last silently). Keys brought in by a ``<<`` merge may still be overridden.

The checks run on the composed node graph, before any Python object is built,
and every document of a file is read before any of it is returned, so a caller
that applies documents sees either all of them or an error.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "YamlFileError",
    "decode_utf8",
    "load_documents",
]

MAX_DEPTH = 64
"""The deepest nesting of sequences and mappings accepted, aliases expanded."""

MAX_NODES = 1_000_000
"""The most nodes (scalars, sequences, mappings) a whole file may expand to."""

MAX_INT_DIGITS = 100
"""The most digits an unquoted integer may have."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(ValueError):
    """A file the CLI was given cannot be read as bounded YAML; the message names file and line."""


def _line(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def decode_utf8(raw: bytes, *, source: str) -> str:
    """``raw`` as UTF-8 text; YamlFileError naming the line of the first invalid byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlFileError(
            f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, "
            f"column {column})"
        ) from None


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that enforces the module's bounds while composing and constructing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._expanded = 0
        self._checked_mappings: set[int] = set()

    # -- composing: depth and recursive anchors, as the text is read -----------------

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            alias_mark: Any = event.start_mark
            if event.anchor in self._open_anchors:
                raise ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} is inside the node it names (a recursive anchor)",
                    alias_mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        anchor = getattr(event, "anchor", None)
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            if anchor is not None:
                self._open_anchors.add(anchor)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.discard(anchor)

    def compose_document(self) -> Node | None:
        node = super().compose_document()
        if node is not None:
            self._check_expansion(node)
        return node

    def _check_expansion(self, root: Node) -> None:
        """Count the nodes and depth ``root`` expands to, each shared node once (no recursion)."""
        measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, depth)
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if id(node) in measured:
                continue
            children = _children(node)
            if not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in children if id(child) not in measured)
                continue
            size = 1 + sum(measured[id(child)][0] for child in children)
            depth = 1 + max((measured[id(child)][1] for child in children), default=0)
            measured[id(node)] = (size, depth)
            mark: Any = node.start_mark
            if depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep once aliases are expanded",
                    mark,
                )
            if self._expanded + size > MAX_NODES:
                raise ComposerError(
                    None,
                    None,
                    f"expands to more than {MAX_NODES} values once aliases are expanded "
                    "(an alias bomb?)",
                    mark,
                )
        self._expanded += measured[id(root)][0]

    # -- constructing: duplicate keys and huge integers ------------------------------

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if id(node) not in self._checked_mappings:
            self._checked_mappings.add(id(node))
            first: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    earlier = first.get(key)
                    first[key] = key_node
                except TypeError:  # unhashable: the base class reports it
                    continue
                if earlier is not None:  # an alias used twice as a key counts too
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given at line "
                        f"{earlier.start_mark.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_bounded_int(self, node: ScalarNode) -> int:
        value = str(node.value)
        digits = sum(ch.isalnum() for ch in value) - (2 if value.lstrip("+-")[1:2].isalpha() else 0)
        if digits > MAX_INT_DIGITS:
            raise ConstructorError(
                None,
                None,
                f"integer of {digits} digits (at most {MAX_INT_DIGITS}; quote it to keep it "
                "as text)",
                node.start_mark,
            )
        result: int = super().construct_yaml_int(node)
        return result


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_bounded_int)


def _describe(exc: yaml.YAMLError, text: str) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return f"character #x{exc.character:04x} is not allowed in YAML at line {line}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return f"{problem}{_line(mark)}"


def load_documents(text: str, *, source: str) -> list[Any]:
    """Every non-empty document of ``text``, built only if the whole file is within bounds.

    Raises :class:`YamlFileError` (``"<source>: <problem> at line N, column M"``).
    """
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)  # the reader checks every character here
        documents: list[Any] = []
        while loader.check_data():  # type: ignore[no-untyped-call]
            document = loader.get_data()
            if document is not None:
                documents.append(document)
        return documents
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{source}: {_describe(exc, text)}") from None
    except RecursionError:  # a bound above should make this unreachable; never a traceback
        raise YamlFileError(f"{source}: nested too deeply to read") from None
    finally:
        if loader is not None:
            loader.dispose()
