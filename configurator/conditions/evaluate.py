"""Evaluate conditions directly, and explain them.

The direct evaluator turns a tree into nested closures once; a closure reads
fact attributes from a dict and has parameters folded in as constants. It is
the floor the durable-rules path is measured against, the oracle the
property tests compare it with, and the source of the "values it read" in an
explanation.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num, Str
from .visitor import NodeVisitor, names, unparse

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne, "+": operator.add, "-": operator.sub,
    "*": operator.mul, "/": operator.truediv,
}
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


class EvaluationError(ValueError):
    """A value the condition needs is missing (a bug: cases are checked first)."""


def is_constant(node: Node, constants: Mapping[str, Any]) -> bool:
    """True when the node reads only literals and parameters."""
    return all(name.id in constants for name in names(node))


def fold(node: Node, constants: Mapping[str, Any]) -> Any:
    """The value of a constant node."""
    return compile_fn(node, constants)({})


def compile_fn(node: Node, constants: Mapping[str, Any]) -> Fn:
    """A closure computing `node` from a fact dict; parameters are folded in."""
    return _Closures(constants).visit(node)


class _Closures(NodeVisitor):
    """Each `visit_*` returns the closure for its node, built from its children's."""

    def __init__(self, constants: Mapping[str, Any]):
        self.constants = constants

    def visit_Num(self, node: Num | Str | Bool) -> Fn:
        value = node.value
        return lambda env: value

    visit_Str = visit_Bool = visit_Num

    def visit_Name(self, node: Name) -> Fn:
        if node.id in self.constants:
            value = self.constants[node.id]
            return lambda env: value
        key = node.id

        def read(env: Env) -> Any:
            try:
                return env[key]
            except KeyError:
                raise EvaluationError(f"no value for '{key}'") from None

        return read

    def visit_Neg(self, node: Neg) -> Fn:
        inner = self.visit(node.operand)
        return lambda env: -inner(env)

    def visit_Arith(self, node: Arith | Compare) -> Fn:
        op = OPS[node.op]
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op == "/":
            return lambda env: _divide(left(env), right(env))
        return lambda env: op(left(env), right(env))

    visit_Compare = visit_Arith

    def visit_In(self, node: In) -> Fn:
        operand = self.visit(node.operand)
        options = frozenset(option.value for option in node.options)
        if node.negated:
            return lambda env: operand(env) not in options
        return lambda env: operand(env) in options

    def visit_Not(self, node: Not) -> Fn:
        inner = self.visit(node.operand)
        return lambda env: not inner(env)

    def visit_IfElse(self, node: IfElse) -> Fn:
        then, test = self.visit(node.then), self.visit(node.test)
        otherwise = self.visit(node.otherwise)
        return lambda env: then(env) if test(env) else otherwise(env)

    def visit_BoolOp(self, node: BoolOp) -> Fn:
        items = tuple(self.visit(item) for item in node.items)
        if node.op == "and":
            return lambda env: all(item(env) for item in items)
        return lambda env: any(item(env) for item in items)


def _divide(left: float, right: float) -> float:
    """Division that never raises: x / 0 is +inf or -inf by the sign of x, and 0 / 0 is 0."""
    if right:
        return left / right
    return math.copysign(math.inf, left) if left else 0.0


@dataclass(frozen=True)
class Check:
    """One sub-condition of an explanation and what it came to."""

    text: str
    value: Any
    depth: int = 0


def explain(node: Node, env: Env, constants: Mapping[str, Any], depth: int = 0) -> list[Check]:
    """Every boolean sub-condition with its value, outermost first."""
    return _Explainer(env, constants).visit(node, depth)


class _Explainer(NodeVisitor):
    """A check for the node, then (for `and`, `or` and `not`) one for each part below it."""

    def __init__(self, env: Env, constants: Mapping[str, Any]):
        self.env = env
        self.constants = constants

    def check(self, node: Node, text: str, depth: int) -> Check:
        return Check(text, compile_fn(node, self.constants)(self.env), depth)

    def generic_visit(self, node: Node, depth: int) -> list[Check]:
        return [self.check(node, _with_values(node, self.env, self.constants), depth)]

    def visit_BoolOp(self, node: BoolOp, depth: int) -> list[Check]:
        checks = [self.check(node, unparse(node), depth)]
        for item in node.items:
            checks += self.visit(item, depth + 1)
        return checks

    def visit_Not(self, node: Not, depth: int) -> list[Check]:
        return [self.check(node, unparse(node), depth), *self.visit(node.operand, depth + 1)]


def _with_values(node: Node, env: Env, constants: Mapping[str, Any]) -> str:
    """Source text with the value of each name it reads: `alt > 2 * alt_uln  [alt=120, ...]`."""
    text = unparse(node)
    shown = list(dict.fromkeys(name.id for name in names(node)))
    values = ", ".join(f"{n}={show_value(env[n] if n in env else constants.get(n))}" for n in shown)
    return f"{text}  [{values}]" if values else text


def show_value(value: Any) -> str:
    """A value as conditions write it: true/false, 2 rather than 2.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def values_read(node: Node, env: Env, constants: Mapping[str, Any]) -> dict[str, Any]:
    """The value of every name a condition reads (facts and parameters)."""
    out: dict[str, Any] = {}
    for name in names(node):
        if name.id in env:
            out[name.id] = env[name.id]
        elif name.id in constants:
            out[name.id] = constants[name.id]
    return out
