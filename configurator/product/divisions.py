"""A division whose divisor can be 0 is refused where it is written.

``alt / alt_uln`` with ``alt_uln_female: 0`` would make the ratio infinite:
the direct evaluator says ``alt_ratio > 2`` holds while the engine, handed
an infinite number, cannot decide it. So every ``/`` in a derived value or a
condition is checked over the declared ranges of the names it reads (range
analysis, `ranges`) with the parameter values of every period in force: if
the divisor can be 0, the product does not load.

A divisor that can come within 1/`MAX_NUMBER` of 0 counts as one that can be
0: a quotient of numbers up to `MAX_NUMBER` by it could overflow to infinity.

A division is allowed when an ``if`` guards it: ``x / d if d > 0 else 0``
(or ``d != 0``, ``d >= 1``, ``0 if d == 0 else x / d``...). The guard must
compare the divisor itself, as written, with a constant that rules 0 out.
An ``and`` is no guard: the engine need not evaluate it left to right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..conditions.evaluate import FLIP, NEGATE
from ..conditions.expression import Expression
from ..conditions.nodes import Arith, BoolOp, Compare, IfElse, Node, Not, Num
from ..conditions.visitor import NodeVisitor, unparse
from ..errors import Problem
from ..limits import MAX_NUMBER
from .model import Product
from .params import parameter_periods
from .ranges import domains, interval, resolve, truth
from .source import Document, PathKey, format_path

NEAR_ZERO = 1 / MAX_NUMBER

# (where it is written, the expression, the event types whose fields it reads, metrics visible)
Written = tuple[PathKey, Expression, tuple[str, ...], bool]


def division_problems(product: Product, doc: Document, written: Iterable[Written]
                      ) -> list[Problem]:
    """A problem at every `/` whose divisor can be 0, in any period of the parameters."""
    written = list(written)
    found: dict[tuple[PathKey, int], Problem] = {}
    periods = parameter_periods(product)
    for start, constants in periods:
        envs: dict[tuple[str | None, bool], dict] = {}
        for path, expression, events, metrics in written:
            for event in events or (None,):
                env = envs.get((event, metrics))
                if env is None:
                    env = envs[(event, metrics)] = domains(product, constants, event, metrics)
                for node, low, high in zero_divisors(expression.node, constants, env):
                    if (path, node.pos) in found:
                        continue
                    when = f" with the parameters in force from {start}" if len(periods) > 1 else ""
                    found[(path, node.pos)] = _problem(doc, path, node, low, high, when)
    return list(found.values())


def _problem(doc: Document, path: PathKey, node: Arith, low: float, high: float,
             when: str) -> Problem:
    divisor = unparse(node.right)
    ranges = f" (it ranges from {_show(low)} to {_show(high)}{when})"
    guarded = f"{unparse(node)} if {divisor} != 0 else 0"
    zero = "be 0" if low <= 0 <= high else "come within 1e-15 of 0"
    return Problem(doc.text_span(path, node.pos), format_path(path),
                   f"division by '{divisor}', which can {zero}{ranges}",
                   f"guard it, e.g. '{guarded}', or change the ranges or parameters it is "
                   "computed from so that it cannot be 0", "division")


def _show(value: float) -> str:
    if value in (float("inf"), float("-inf")):
        return "-infinity" if value < 0 else "infinity"
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class _Walk:
    constants: Mapping[str, Any]
    env: Mapping[str, Any]
    nonzero: frozenset[str] = frozenset()
    found: list[tuple[Arith, float, float]] = field(default_factory=list)

    def guarded(self, test: Node, holds: bool) -> _Walk:
        more = _nonzero(test, holds)
        return _Walk(self.constants, self.env, self.nonzero | more, self.found) if more else self


def zero_divisors(node: Node, constants: Mapping[str, Any], env: Mapping[str, Any]
                  ) -> list[tuple[Arith, float, float]]:
    """Each division in `node` whose divisor can be 0 over `env`, with the divisor's bounds."""
    walk = _Walk(constants, env)
    _DIVISORS.visit(node, walk)
    return walk.found


class _Divisors(NodeVisitor):
    def generic_visit(self, node: Node, walk: _Walk) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, walk)

    def visit_Arith(self, node: Arith, walk: _Walk) -> None:
        self.generic_visit(node, walk)
        if node.op != "/":
            return
        divisor = resolve(node.right, walk.constants)
        if unparse(divisor) in walk.nonzero:
            return
        low, high = interval(divisor, walk.env)
        if not (low >= NEAR_ZERO or high <= -NEAR_ZERO):  # NaN bounds count as "can be 0"
            walk.found.append((node, low, high))

    def visit_IfElse(self, node: IfElse, walk: _Walk) -> None:
        self.visit(node.test, walk)
        test = resolve(node.test, walk.constants)
        possible = truth(test, walk.env)
        if True in possible:
            self.visit(node.then, walk.guarded(test, True))
        if False in possible:
            self.visit(node.otherwise, walk.guarded(test, False))


_DIVISORS = _Divisors()


def _nonzero(test: Node, holds: bool) -> frozenset[str]:
    """Expressions (as text) that cannot be 0 when `test` is `holds`."""
    if isinstance(test, Not):
        return _nonzero(test.operand, not holds)
    if isinstance(test, BoolOp):
        if (test.op == "and") == holds:  # every item has the same truth as the whole
            return frozenset().union(*(_nonzero(item, holds) for item in test.items))
        return frozenset()
    if not isinstance(test, Compare):
        return frozenset()
    op = test.op if holds else NEGATE[test.op]
    out = set()
    if isinstance(test.right, Num) and _excludes_zero(op, test.right.value):
        out.add(unparse(test.left))
    if isinstance(test.left, Num) and _excludes_zero(FLIP[op], test.left.value):
        out.add(unparse(test.right))
    return frozenset(out)


def _excludes_zero(op: str, bound: float) -> bool:
    """Whether `x op bound` rules out x == 0."""
    return {"<": bound <= 0, "<=": bound < 0, ">": bound >= 0, ">=": bound > 0,
            "==": bound != 0, "!=": bound == 0}[op]
