"""`Expression`: a condition's source text that parses itself once and keeps the tree."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .nodes import Node
from .parser import parse


class Expression(str):
    """The source text of a condition or value expression, with its tree on `.node`.

    A `str` subclass, so the product models dump, compare and hash exactly as
    before; the text is parsed on the first `.node` and the tree kept, so
    every stage after the check (compiler, engine, documents, lint, diff)
    reads the same tree instead of parsing the text again. `.node` raises
    `ConditionSyntaxError` for text that does not parse (the checker reports
    it with its position).
    """

    @cached_property
    def node(self) -> Node:
        """The parsed tree (parsed on first use, then kept on the instance)."""
        return parse(self)

    # The tree is immutable, so a copy may share it; a pickle (a worker
    # process) carries only the text and parses again on first use there.
    def __copy__(self) -> Expression:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expression:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Expression, (str(self),))


def as_expression(text: str) -> Expression:
    """`text` as an `Expression`: itself when it already is one, so its tree is kept.

    For the few places handed plain text (data dumped from a model, say)
    rather than a model's field.
    """
    return text if isinstance(text, Expression) else Expression(text)
