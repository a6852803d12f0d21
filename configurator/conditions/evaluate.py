"""Evaluate conditions directly, explain them, and say them in words.

The direct evaluator turns an AST into nested closures once; a closure reads
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

from .parser import (
    Arith,
    Bool,
    BoolOp,
    Compare,
    IfElse,
    In,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
    names,
    unparse,
)

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
    if isinstance(node, (Num, Str, Bool)):
        value = node.value
        return lambda env: value
    if isinstance(node, Name):
        if node.id in constants:
            value = constants[node.id]
            return lambda env: value
        key = node.id

        def read(env: Env) -> Any:
            try:
                return env[key]
            except KeyError:
                raise EvaluationError(f"no value for '{key}'") from None

        return read
    if isinstance(node, Neg):
        inner = compile_fn(node.operand, constants)
        return lambda env: -inner(env)
    if isinstance(node, (Arith, Compare)):
        op = OPS[node.op]
        left, right = compile_fn(node.left, constants), compile_fn(node.right, constants)
        if node.op == "/":
            return lambda env: _divide(left(env), right(env))
        return lambda env: op(left(env), right(env))
    if isinstance(node, In):
        operand = compile_fn(node.operand, constants)
        options = frozenset(option.value for option in node.options)
        if node.negated:
            return lambda env: operand(env) not in options
        return lambda env: operand(env) in options
    if isinstance(node, Not):
        inner = compile_fn(node.operand, constants)
        return lambda env: not inner(env)
    if isinstance(node, IfElse):
        then, test = compile_fn(node.then, constants), compile_fn(node.test, constants)
        otherwise = compile_fn(node.otherwise, constants)
        return lambda env: then(env) if test(env) else otherwise(env)
    items = tuple(compile_fn(item, constants) for item in node.items)
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
    value = compile_fn(node, constants)(env)
    checks = [Check(_with_values(node, env, constants), value, depth)]
    if isinstance(node, BoolOp):
        for item in node.items:
            checks += explain(item, env, constants, depth + 1)
    elif isinstance(node, Not):
        checks += explain(node.operand, env, constants, depth + 1)
    return checks


def _with_values(node: Node, env: Env, constants: Mapping[str, Any]) -> str:
    """Source text with each name followed by the value it had: `alt (=120) > 2 * alt_uln (=50)`."""
    if isinstance(node, (BoolOp, Not)):
        return unparse(node)
    text = unparse(node)
    shown = []
    for name in names(node):
        if name.id in shown:
            continue
        shown.append(name.id)
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


# ------------------------------------------------------------ words

_WORDS = {
    "en": {"<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least",
           "==": "is", "!=": "is not", "in": "is one of", "not in": "is not one of",
           "and": "and", "or": "or", "not": "it is not the case that", "true": "yes",
           "false": "no", "+": "plus", "-": "minus", "*": "times", "/": "divided by"},
    "zh-CN": {"<": "小于", "<=": "不超过", ">": "大于", ">=": "至少为", "==": "为", "!=": "不为",
              "in": "为以下之一：", "not in": "不为以下任何一项：", "and": "且", "or": "或",
              "not": "并非", "true": "是", "false": "否", "+": "加", "-": "减", "*": "乘以",
              "/": "除以"},
}


def words(node: Node, label: Callable[[str], str], value: Callable[[str], str | None],
          locale: str = "en") -> str:
    """The condition in plain words: names by their labels, parameters by their values."""
    vocab = _WORDS.get(locale, _WORDS["en"])
    gap = "" if locale == "zh-CN" else " "

    def say(n: Node) -> str:
        if isinstance(n, Num):
            return show_value(n.value)
        if isinstance(n, Str):
            return n.value.replace("_", " ")
        if isinstance(n, Bool):
            return vocab["true" if n.value else "false"]
        if isinstance(n, Name):
            shown = value(n.id)
            return shown if shown is not None else label(n.id)
        if isinstance(n, Neg):
            return f"-{say(n.operand)}"
        if isinstance(n, (Arith, Compare)):
            return gap.join((say(n.left), vocab[n.op], say(n.right)))
        if isinstance(n, In):
            listed = ", ".join(say(o) for o in n.options)
            return gap.join((say(n.operand), vocab["not in" if n.negated else "in"], listed))
        if isinstance(n, Not):
            return gap.join((vocab["not"], say(n.operand)))
        if isinstance(n, IfElse):
            if locale == "zh-CN":
                return f"{say(n.test)}时为{say(n.then)}，否则为{say(n.otherwise)}"
            return f"{say(n.then)} if {say(n.test)}, otherwise {say(n.otherwise)}"
        joiner = f"{gap}{vocab[n.op]}{gap}" if gap else ("，且" if n.op == "and" else "，或")
        return joiner.join(say(item) for item in n.items)

    return say(node)
