"""One condition -> a durable-rules single-fact condition, as plain data.

Only the safe subset is emitted (see `safe_subset`): a comparison of one
attribute with a constant becomes a leaf (``{"$gt": {"age": 60}}``); `and`
and `or` become ``$and``/``$or``; `not` is pushed inwards (`negate`) so it
never reaches the engine; parts that read only parameters are folded to
true or false; anything else (``alt > 2 * alt_uln``) is lifted: computed in
Python and asserted as a boolean attribute named by `lifted_name`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from ..conditions.evaluate import FLIP, NEGATE, fold, is_constant
from ..conditions.nodes import Bool, BoolOp, Compare, In, Name, Node, Not, Num, Str
from ..conditions.visitor import NodeVisitor, unparse

_CMP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
NEVER = "_never"  # an attribute no fact carries: a condition that cannot hold


class Translator(NodeVisitor):
    """One condition -> a durable-rules single-fact condition (or a constant).

    `lift(node)` names a part the engine cannot compare by itself and
    returns the boolean attribute that will carry it.
    """

    def __init__(self, constants: Mapping[str, Any], lift: Callable[[Node], str]):
        self.constants = constants
        self.lift = lift

    def __call__(self, node: Node) -> dict | bool:
        return self.visit(node)

    def visit_BoolOp(self, node: BoolOp) -> dict | bool:
        return self.boolean(node.op, [self.visit(item) for item in node.items])

    def visit_Not(self, node: Not) -> dict | bool:
        return self.visit(negate(node.operand))

    def visit_Num(self, node: Num | Str | Bool) -> dict | bool:
        return bool(node.value)

    visit_Str = visit_Bool = visit_Num

    def visit_Name(self, node: Name) -> dict | bool:
        if node.id in self.constants:
            return bool(self.constants[node.id])
        return {node.id: True}

    def visit_In(self, node: In) -> dict | bool:
        if is_constant(node, self.constants):
            return bool(fold(node, self.constants))
        return self.membership(node)

    def visit_Compare(self, node: Compare) -> dict | bool:
        if is_constant(node, self.constants):
            return bool(fold(node, self.constants))
        return self.compare(node)

    def generic_visit(self, node: Node) -> dict | bool:
        """Arithmetic and `if ... else`: folded when constant, else lifted."""
        if is_constant(node, self.constants):
            return bool(fold(node, self.constants))
        return {self.lift(node): True}

    @staticmethod
    def boolean(op: str, parts: list[dict | bool]) -> dict | bool:
        """`parts` joined by `and`/`or`, constants absorbed or dropped."""
        absorbing, neutral = (False, True) if op == "and" else (True, False)
        if absorbing in parts:
            return absorbing
        kept = [p for p in parts if p is not neutral]
        if not kept:
            return neutral
        return kept[0] if len(kept) == 1 else {f"${op}": kept}

    def membership(self, node: In) -> dict | bool:
        """`name in [...]` as an `or` of equalities (`not in`: an `and` of inequalities)."""
        if not isinstance(node.operand, Name):
            return {self.lift(node): True}
        op = "!=" if node.negated else "=="
        leaves = [leaf(op, node.operand.id, o.value) for o in node.options]
        return self.boolean("and" if node.negated else "or", leaves)

    def compare(self, node: Compare) -> dict | bool:
        """A name against a constant natively (either way round); anything else lifted."""
        left_const = is_constant(node.left, self.constants)
        right_const = is_constant(node.right, self.constants)
        if isinstance(node.left, Name) and right_const:
            return leaf(node.op, node.left.id, fold(node.right, self.constants))
        if isinstance(node.right, Name) and left_const:
            return leaf(FLIP[node.op], node.right.id, fold(node.left, self.constants))
        return {self.lift(node): True}


def leaf(op: str, attribute: str, value: Any) -> dict:
    """One attribute compared with a constant, as durable-rules writes it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if op == "==":
        return {attribute: value}
    return {_CMP[op]: {attribute: value}}


class _Negate(NodeVisitor):
    def visit_Compare(self, node: Compare) -> Node:
        return Compare(NEGATE[node.op], node.left, node.right, node.pos)

    def visit_BoolOp(self, node: BoolOp) -> Node:
        other = "or" if node.op == "and" else "and"
        return BoolOp(other, tuple(self.visit(item) for item in node.items), node.pos)

    def visit_Not(self, node: Not) -> Node:
        return node.operand

    def visit_In(self, node: In) -> Node:
        return In(node.operand, node.options, not node.negated, node.pos)

    def visit_Bool(self, node: Bool) -> Node:
        return Bool(not node.value, node.pos)

    def generic_visit(self, node: Node) -> Node:
        return Compare("==", node, Bool(False), node.pos)


_NEGATE = _Negate()


def negate(node: Node) -> Node:
    """`not node`, pushed inwards (De Morgan), so no `not` reaches the engine."""
    return _NEGATE.visit(node)


def lifted_name(node: Node) -> str:
    """The attribute a lifted part is asserted as: a hash of its canonical text."""
    digest = hashlib.sha256(unparse(node).encode("utf-8")).hexdigest()[:10]
    return f"_l{digest}"


def scoped(kind: str, extra: list[dict], condition: dict | bool) -> dict:
    """`_kind == kind` and the scoping equalities and the condition, flattened."""
    parts = [{"_kind": kind}, *extra]
    if condition is False:
        parts.append({NEVER: True})
    elif condition is not True:
        if "$and" in condition and len(condition) == 1:
            parts += condition["$and"]
        else:
            parts.append(condition)
    return {"$and": parts}
