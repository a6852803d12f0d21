"""Walking a condition tree: the one `NodeVisitor`, and the small visitors every stage needs.

Every stage that reads a condition (type check, evaluation, words, the
compiler's translation, range analysis, polarity) is a `NodeVisitor`
subclass with a `visit_<ClassName>` method per construct it cares about, as
in jinja's ``visitor.py``. Adding a construct to the language then means a
node class and a method in each visitor, and `tests/test_condition.py`
checks none was forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num, Str


class NodeVisitor:
    """Calls `visit_<ClassName>(node, *args)` for each node, or `generic_visit`.

    The method for a node class is looked up once per visitor class and kept
    (`_methods`), since range analysis visits the same few classes many
    thousands of times. Extra arguments are passed through unchanged, so a
    visitor can stay stateless and be shared.
    """

    _methods: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {}  # each class its own: a subclass may override what a base found

    def visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        """Visit `node` with the method for its class."""
        node_type = type(node)
        method = self._methods.get(node_type)
        if method is None:
            method = self._methods[node_type] = getattr(
                type(self), f"visit_{node_type.__name__}", type(self).generic_visit)
        return method(self, node, *args, **kwargs)

    def generic_visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        """Visit every child in source order (for nodes without a method); returns None."""
        for child in node.iter_child_nodes():
            self.visit(child, *args, **kwargs)


# ------------------------------------------------------------ names


class _Names(NodeVisitor):
    def visit_Name(self, node: Name, found: list[Name]) -> None:
        found.append(node)


_NAMES = _Names()


def names(node: Node) -> list[Name]:
    """Every name the expression reads, in source order."""
    found: list[Name] = []
    _NAMES.visit(node, found)
    return found


# ------------------------------------------------------------ unparse

# What must be wrapped in parentheses to read back as the same tree: as an
# operand of arithmetic, `not` or `if`, anything but an atom; as a side of a
# comparison, anything looser than arithmetic, or `(a < b) == c` would read
# back as the chain a < b == c.
_LOOSE = (BoolOp, Compare, In, Not, IfElse)
_COMPOUND = (Arith, *_LOOSE)


class _Unparser(NodeVisitor):
    def visit_Num(self, node: Num) -> str:
        return repr(node.value)

    def visit_Str(self, node: Str) -> str:
        return f'"{node.value}"' if "'" in node.value else f"'{node.value}'"

    def visit_Bool(self, node: Bool) -> str:
        return "true" if node.value else "false"

    def visit_Name(self, node: Name) -> str:
        return node.id

    def visit_Neg(self, node: Neg) -> str:
        return f"-{self.wrap(node.operand)}"

    def visit_Arith(self, node: Arith) -> str:
        return f"{self.wrap(node.left)} {node.op} {self.wrap(node.right)}"

    def visit_Compare(self, node: Compare) -> str:
        return f"{self.side(node.left)} {node.op} {self.side(node.right)}"

    def visit_In(self, node: In) -> str:
        options = ", ".join(self.visit(option) for option in node.options)
        return f"{self.side(node.operand)} {'not in' if node.negated else 'in'} [{options}]"

    def visit_Not(self, node: Not) -> str:
        return f"not {self.wrap(node.operand)}"

    def visit_IfElse(self, node: IfElse) -> str:
        return (f"{self.wrap(node.then)} if {self.wrap(node.test)} else "
                f"{self.wrap(node.otherwise)}")

    def visit_BoolOp(self, node: BoolOp) -> str:
        return f" {node.op} ".join(self.wrap(item) for item in node.items)

    def side(self, node: Node) -> str:
        """A side of a comparison: arithmetic binds tighter and stands bare (`alt > 2 * uln`)."""
        text = self.visit(node)
        return f"({text})" if isinstance(node, _LOOSE) else text

    def wrap(self, node: Node) -> str:
        """An operand of arithmetic, `not`, `and`, `or` or `if`: bare only if an atom."""
        text = self.visit(node)
        return f"({text})" if isinstance(node, _COMPOUND) else text


_UNPARSER = _Unparser()


def unparse(node: Node) -> str:
    """Canonical source text for a node (used in traces and compiled names)."""
    return _UNPARSER.visit(node)
