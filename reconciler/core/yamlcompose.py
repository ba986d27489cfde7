"""YAML nodes from libyaml's C parser, for :mod:`reconciler.core.yamlsource` (a fast path).

PyYAML's pure-Python scanner and parser cost most of the time of reading a long manifest;
libyaml's (``yaml.cyaml.CParser``) produce the same events several times faster. Only its
*events* are used: PyYAML's C composer recurses without a bound (a deeply nested document
crashes the interpreter), so nodes are composed here, without recursion, by the rules of
``yaml.composer.Composer``.

The fast path gives up (:func:`compose_documents` returns ``None``) whenever the two parsers
might disagree or the result is not plainly good: libyaml reports an error, the text holds a
character the parsers may read or count differently (tabs, BOMs, control characters, the
Unicode line breaks), a collection nests deeper than ``max_depth``, or an alias is undefined or
an anchor repeated. The caller then reads the text with the pure-Python loader, which produces
the very nodes, and the very error messages, that it always has. So does an empty value
(``key:`` with nothing after it): libyaml marks it at another place.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

# Printable text without tab, BOM, NEL, LS and PS: anything else goes the pure-Python way.
_UNUSUAL_ASCII = re.compile("[^\n\r\x20-\x7e]")


@cache
def _unusual() -> re.Pattern[str]:  # compiling this class takes ~8 ms: only once a text needs it
    return re.compile(
        "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )


class ManifestResolver(Resolver):
    """YAML's implicit types; also ``1e3`` and ``2.5e3`` are numbers, as in YAML 1.2 and editors."""


ManifestResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


class PythonLoader(Reader, Scanner, Parser, Composer, ManifestResolver):
    """PyYAML's pure-Python reader, scanner, parser and composer (no constructor)."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        ManifestResolver.__init__(self)


LIBYAML = bool(yaml.__with_libyaml__)  # False for a PyYAML built without it: all texts go the slow way

if LIBYAML:
    from yaml._yaml import CParser

    class _EventsParser(CParser, ManifestResolver):
        """libyaml's parser, used for its events only."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            ManifestResolver.__init__(self)


_NULL = "tag:yaml.org,2002:null"


class _GiveUp(Exception):
    pass


def compose_documents(text: str, max_depth: int) -> list[Node] | None:
    """The root node of every document of ``text``, as :class:`PythonLoader` composes them;
    ``None`` when :class:`PythonLoader` must read it instead."""
    if not LIBYAML or (_UNUSUAL_ASCII if text.isascii() else _unusual()).search(text):
        return None
    parser = _EventsParser(text)
    try:
        if type(parser.get_event()) is not StreamStartEvent:
            return None
        documents: list[Node] = []
        while type(event := parser.get_event()) is DocumentStartEvent:
            documents.append(_compose(parser, max_depth))
            if type(parser.get_event()) is not DocumentEndEvent:
                return None
        return documents if type(event) is StreamEndEvent else None
    except (yaml.YAMLError, _GiveUp):
        return None
    finally:
        parser.dispose()


def _compose(parser: _EventsParser, max_depth: int) -> Node:
    """One document's root node, with ``Composer``'s tags, marks and anchor rules."""
    anchors: dict[str, Node] = {}
    stack: list[CollectionNode] = []
    keys: list[Node | None] = []  # per open mapping: a key waiting for its value
    resolved: dict[tuple[str, Any], str] = {}  # a plain scalar's tag depends on its text alone
    while True:
        event: Any = parser.get_event()
        kind = type(event)
        node: Node
        if kind is AliasEvent:
            if event.anchor not in anchors:
                raise _GiveUp
            node = anchors[event.anchor]
        elif kind is ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                key = (event.value, event.implicit)
                tag = resolved.get(key) or resolved.setdefault(
                    key, _resolve(parser, ScalarNode, event.value, event.implicit)
                )
            if not event.value and not event.style and (stack or tag != _NULL):
                raise _GiveUp  # an empty value: the two parsers place it differently
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            _anchor(anchors, event.anchor, node)
        elif kind is SequenceStartEvent or kind is MappingStartEvent:
            node_type = SequenceNode if kind is SequenceStartEvent else MappingNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(parser, node_type, None, event.implicit)
            collection = node_type(tag, [], event.start_mark, None, flow_style=event.flow_style)
            _anchor(anchors, event.anchor, collection)
            stack.append(collection)
            keys.append(None)
            if len(stack) > max_depth:
                raise _GiveUp
            continue
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            node = stack.pop()
            keys.pop()
            node.end_mark = event.end_mark
        else:
            raise _GiveUp
        if not stack:
            return node
        parent = stack[-1]
        if type(parent) is SequenceNode:
            parent.value.append(node)
        elif keys[-1] is None:
            keys[-1] = node
        else:
            parent.value.append((keys[-1], node))
            keys[-1] = None


def _anchor(anchors: dict[str, Node], anchor: str | None, node: Node) -> None:
    if anchor is not None:
        if anchor in anchors:
            raise _GiveUp  # the pure-Python composer words this error
        anchors[anchor] = node


def _resolve(parser: _EventsParser, kind: type[Node], value: str | None, implicit: Any) -> str:
    tag: str = parser.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
    return tag
