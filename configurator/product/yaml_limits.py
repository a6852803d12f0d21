"""YAML held to `configurator.limits` while ruamel composes it, each refusal positioned.

`LimitedComposer` counts as it builds the node graph, before anything is
constructed or copied: nesting depth, values (an alias counts as a copy of
what it names, so nine aliases of nine aliases stop at `MAX_NODES` at once,
while the few aliases and merge keys real products use cost what they copy),
string length, digits in a number, lone surrogates, keys that are lists or
mappings, and tags other than YAML's core ones (``!custom``, ``!!omap``,
``!!set``, ``!!binary``, ``!!python/...`` are refused rather than given a
meaning). A refusal is a `Refused` with ruamel's mark; `source` positions it.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..errors import Problem, Span
from ..limits import MAX_DEPTH, MAX_NODES, MAX_NUMBER_DIGITS, MAX_STRING_LENGTH

_CORE = "tag:yaml.org,2002:"
_CORE_TAGS = frozenset(_CORE + name for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge"))
_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGIT = re.compile(r"\d")
_TOO_DEEP_HINT = "products and cases nest a few levels deep; flatten this part"


class Refused(Exception):
    """A document over a limit (or with a tag configurator does not read), and where."""

    def __init__(self, mark: Any, message: str, hint: str | None = None):
        super().__init__(message)
        self.mark, self.message, self.hint = mark, message, hint

    def problem(self, file: str) -> Problem:
        span = Span(file, self.mark.line + 1, self.mark.column + 1)
        return Problem(span, "", self.message, self.hint, "limit")


class LimitedComposer(Composer):
    """ruamel's composer, holding the document to the limits as it builds it.

    `_sizes` keeps how many values each node stands for with its aliases
    expanded, so an alias costs what it names, counted before anything copies it.
    """

    def __init__(self, loader: Any = None):
        super().__init__(loader)
        self._sizes: dict[int, int] = {}
        self._total = 0
        self._level = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # its anchor is still open: the alias is inside what it names
                raise Refused(event.start_mark, f"the alias '*{event.anchor}' refers to a "
                               "mapping or list it is inside", "an alias cannot repeat itself")
            self._count(size, event.start_mark)
            return node
        self._level += 1
        if self._level > MAX_DEPTH:
            raise Refused(event.start_mark, f"nested too deeply (more than {MAX_DEPTH} levels "
                           "of mappings and lists)", _TOO_DEEP_HINT)
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        self._level -= 1
        _check_node(node)
        children: Any = ()
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        return node

    def _count(self, values: int, mark: Any) -> None:
        self._total += values
        if self._total > MAX_NODES:
            raise Refused(mark, f"the document holds more than {MAX_NODES:,} values (an "
                           "alias counts as a copy of what it names)",
                           "split it into smaller files; aliases cannot multiply a document")


def _check_node(node: Any) -> None:
    tag = str(node.tag)
    if tag not in _CORE_TAGS:
        shown = "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
        raise Refused(node.start_mark, f"the tag '{shown}' is not allowed",
                       "products and cases are plain YAML (text, numbers, true/false, dates, "
                       "lists and mappings): remove the tag")
    if isinstance(node, MappingNode):
        for key, _ in node.value:
            if not isinstance(key, ScalarNode):
                kind = "list" if isinstance(key, SequenceNode) else "mapping"
                raise Refused(key.start_mark, f"a key must be a name or text, not a {kind}",
                               "write the key as plain text")
    if isinstance(node, ScalarNode):
        problem = text_problem(node.value)
        if problem is None and tag in (_CORE + "int", _CORE + "float"):
            digits = len(_DIGIT.findall(node.value))
            if digits > MAX_NUMBER_DIGITS:
                problem = (f"a number written with {digits} digits is too long (at most "
                           f"{MAX_NUMBER_DIGITS})")
        if problem:
            raise Refused(node.start_mark, problem)


def text_problem(text: str) -> str | None:
    """Why a string cannot be read (too long, or a lone surrogate), or None."""
    if len(text) > MAX_STRING_LENGTH:
        return f"text of {len(text):,} characters is too long (at most {MAX_STRING_LENGTH:,})"
    found = _SURROGATE.search(text)
    if found:
        return (f"the text holds a lone surrogate (\\u{ord(found.group()):04x}), which is "
                "not a character and cannot be stored as UTF-8")
    return None
