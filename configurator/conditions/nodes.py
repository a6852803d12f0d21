"""The nodes of a condition: small frozen dataclasses, one per construct.

Every node keeps the character offset (`pos`) it started at, so an error
found by any later stage can point inside the YAML string. A node lists the
fields that hold its children (`child_fields`, in source order), which is all
`NodeVisitor.generic_visit` needs to walk a tree it has no method for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar


class Node:
    """Base of every condition node."""

    # The fields holding child nodes (a node or a tuple of nodes), in source order.
    child_fields: ClassVar[tuple[str, ...]] = ()
    pos: int

    def iter_child_nodes(self) -> Iterator[Node]:
        """The direct children, in source order."""
        for name in self.child_fields:
            value = getattr(self, name)
            if isinstance(value, tuple):
                yield from value
            else:
                yield value


@dataclass(frozen=True)
class Num(Node):
    """A number: ``60``, ``2.5``, ``1e3``; a minus before a number is folded in (``-3``)."""

    value: int | float
    pos: int = 0


@dataclass(frozen=True)
class Str(Node):
    """A quoted string: ``'male'``."""

    value: str
    pos: int = 0


@dataclass(frozen=True)
class Bool(Node):
    """``true`` or ``false``."""

    value: bool
    pos: int = 0


@dataclass(frozen=True)
class Name(Node):
    """A name the condition reads: an input, derived value, metric, field or parameter."""

    id: str
    pos: int = 0


@dataclass(frozen=True)
class Neg(Node):
    """``-operand`` (of anything but a number literal)."""

    operand: Node
    pos: int = 0
    child_fields = ("operand",)


@dataclass(frozen=True)
class Arith(Node):
    """``left op right`` for ``+ - * /``."""

    op: str  # + - * /
    left: Node
    right: Node
    pos: int = 0
    child_fields = ("left", "right")


@dataclass(frozen=True)
class Compare(Node):
    """``left op right`` for ``< <= > >= == !=`` (a chain ``a < b < c`` is an `and`)."""

    op: str  # < <= > >= == !=
    left: Node
    right: Node
    pos: int = 0
    child_fields = ("left", "right")


@dataclass(frozen=True)
class In(Node):
    """``operand in [options]``, or ``not in`` when `negated`."""

    operand: Node
    options: tuple[Num | Str | Bool, ...]
    negated: bool = False
    pos: int = 0
    child_fields = ("operand", "options")


@dataclass(frozen=True)
class Not(Node):
    """``not operand``."""

    operand: Node
    pos: int = 0
    child_fields = ("operand",)


@dataclass(frozen=True)
class IfElse(Node):
    """`then if test else otherwise`."""

    then: Node
    test: Node
    otherwise: Node
    pos: int = 0
    child_fields = ("then", "test", "otherwise")


@dataclass(frozen=True)
class BoolOp(Node):
    """``and`` or ``or`` over two or more items."""

    op: str  # and / or
    items: tuple[Node, ...]
    pos: int = 0
    child_fields = ("items",)


Literal = Num | Str | Bool
NODE_TYPES: tuple[type[Node], ...] = (Num, Str, Bool, Name, Neg, Arith, Compare, In, Not,
                                      IfElse, BoolOp)
