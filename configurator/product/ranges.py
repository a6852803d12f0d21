"""What a condition can do over the declared ranges of the names it reads.

`lint` asks "can this rule ever fire?" and "can these two rules both hold?";
`diff` asks "which way does this constant push the condition?". Both are
answered here by interval reasoning, never by running the engine:

* every name a condition reads gets a `Domain`: a numeric interval (inputs
  and event fields from ``min``/``max``, derived values by interval
  arithmetic, metrics from what they count), or a finite set of values
  (enums, booleans);
* parameters are folded in first (`resolve`), so a condition is a boolean
  combination of comparisons between names and constants;
* each name compared with a constant is split at those constants into a few
  representative values (`cells`), and the condition is evaluated three-valued
  (`{True}`, `{False}` or both) in every combination of them. Comparisons
  between two names are evaluated on intervals and may stay undecided.

The answer is sound in one direction: "never" and "always" are only claimed
when they are certain; anything undecided counts as "may". Names are treated
as independent, which can only make more outcomes look possible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..conditions.evaluate import OPS, fold, is_constant
from ..conditions.nodes import (
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
)
from ..conditions.visitor import NodeVisitor
from .derived import derived_order
from .model import PART_MONTHS, InputSpec, Product

INF = math.inf
BOTH: frozenset = frozenset({True, False})


@dataclass(frozen=True)
class Domain:
    """The values a name can take: an interval, or a finite set of values."""

    lo: float = -INF
    hi: float = INF
    integer: bool = False
    values: tuple | None = None

    @property
    def finite(self) -> bool:
        return self.values is not None


ANY = Domain()
BOOLEAN = Domain(values=(False, True))


def spec_domain(spec: InputSpec) -> Domain:
    """The domain an input or event field declares."""
    if spec.type == "boolean":
        return BOOLEAN
    if spec.type == "enum":
        return Domain(values=tuple(spec.values or ()))
    if spec.type in ("number", "integer"):
        lo = spec.min if spec.min is not None else -INF
        hi = spec.max if spec.max is not None else INF
        return Domain(lo, hi, spec.type == "integer")
    return ANY


def metric_domain(product: Product, name: str) -> Domain:
    metric = product.metrics[name]
    if metric.pdc is not None:
        return Domain(0.0, 1.0)
    parts = getattr(metric, "parts", None)
    if parts is not None:  # how many quarters or halves of the year: 0..4 or 0..2
        return Domain(0, 12 // PART_MONTHS[parts.of], True)
    lowest = getattr(metric, "lowest", None)
    if lowest is not None:  # the lowest of an event field, seeded by an input
        event = product.events.get(lowest.event)
        spec = event.fields.get(lowest.field) if event is not None else None
        seed = product.inputs.get(lowest.initial)
        bounds = [spec_domain(s) for s in (spec, seed) if s is not None]
        if not bounds:
            return ANY
        return Domain(min(b.lo for b in bounds), max(b.hi for b in bounds))
    return Domain(0, INF, True)


def domains(product: Product, constants: Mapping[str, Any], event: str | None = None,
            metrics: bool = True) -> dict[str, Domain]:
    """Domains of every name visible to a condition (an event's fields shadow inputs)."""
    out = {name: spec_domain(spec) for name, spec in product.inputs.items() if not spec.personal}
    order = derived_order(product.derived)
    for name in order if isinstance(order, list) else product.derived:
        node = resolve(product.derived[name].expr.node, constants)
        out[name] = _derived_domain(node, out)
    if metrics:
        out.update({name: metric_domain(product, name) for name in product.metrics})
    if event is not None and event in product.events:
        out.update({n: spec_domain(s) for n, s in product.events[event].fields.items()})
    return out


def _derived_domain(node: Node, doms: Mapping[str, Domain]) -> Domain:
    truth = _boolean_shape(node)
    if truth:
        return BOOLEAN
    lo, hi = interval(node, {n: d for n, d in doms.items()})
    return Domain(lo, hi)


def _boolean_shape(node: Node) -> bool:
    return isinstance(node, (Compare, In, Not, BoolOp, Bool))


# ------------------------------------------------------------ resolving


def resolve(node: Node, constants: Mapping[str, Any]) -> Node:
    """`node` with parameters replaced by their values, constant parts folded, positions 0."""
    return _RESOLVER.visit(node, constants)


class _Resolver(NodeVisitor):
    """Each `visit_*` returns its node rebuilt without positions, parameters folded in."""

    def visit_Num(self, node: Num, constants: Mapping[str, Any]) -> Node:
        return Num(node.value)

    def visit_Str(self, node: Str, constants: Mapping[str, Any]) -> Node:
        return Str(node.value)

    def visit_Bool(self, node: Bool, constants: Mapping[str, Any]) -> Node:
        return Bool(node.value)

    def visit_Name(self, node: Name, constants: Mapping[str, Any]) -> Node:
        return literal(constants[node.id]) if node.id in constants else Name(node.id)

    def visit_Neg(self, node: Neg, constants: Mapping[str, Any]) -> Node:
        if is_constant(node, {}):
            return literal(fold(node, {}))
        inner = self.visit(node.operand, constants)
        return Num(-inner.value) if isinstance(inner, Num) else Neg(inner)

    def visit_Arith(self, node: Arith, constants: Mapping[str, Any]) -> Node:
        if is_constant(node, {}):
            return literal(fold(node, {}))
        out = Arith(node.op, self.visit(node.left, constants), self.visit(node.right, constants))
        return literal(fold(out, {})) if is_constant(out, {}) else out

    def visit_IfElse(self, node: IfElse, constants: Mapping[str, Any]) -> Node:
        if is_constant(node, {}):
            return literal(fold(node, {}))
        return IfElse(self.visit(node.then, constants), self.visit(node.test, constants),
                      self.visit(node.otherwise, constants))

    # Boolean parts are rebuilt even when they read no name (only arithmetic and
    # `if` fold): `polarity` judges the constants inside them.

    def visit_Compare(self, node: Compare, constants: Mapping[str, Any]) -> Node:
        return Compare(node.op, self.visit(node.left, constants),
                       self.visit(node.right, constants))

    def visit_In(self, node: In, constants: Mapping[str, Any]) -> Node:
        return In(self.visit(node.operand, constants),
                  tuple(self.visit(o, constants) for o in node.options), node.negated)

    def visit_Not(self, node: Not, constants: Mapping[str, Any]) -> Node:
        return Not(self.visit(node.operand, constants))

    def visit_BoolOp(self, node: BoolOp, constants: Mapping[str, Any]) -> Node:
        return BoolOp(node.op, tuple(self.visit(item, constants) for item in node.items))


_RESOLVER = _Resolver()


def literal(value: Any) -> Node:
    """A parameter's value as a node (a whole float as an int, as conditions write it)."""
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, (int, float)):
        return Num(int(value) if isinstance(value, float) and value.is_integer() else value)
    return Str(str(value))


# ------------------------------------------------------------ intervals


def interval(node: Node, env: Mapping[str, Any]) -> tuple[float, float]:
    """Bounds of a numeric expression; `env` maps names to a Domain or a point value."""
    return _INTERVAL.visit(node, env)


class _Interval(NodeVisitor):
    def visit_Num(self, node: Num, env: Mapping[str, Any]) -> tuple[float, float]:
        return (node.value, node.value)

    def visit_Bool(self, node: Bool, env: Mapping[str, Any]) -> tuple[float, float]:
        return (int(node.value), int(node.value))

    def visit_Name(self, node: Name, env: Mapping[str, Any]) -> tuple[float, float]:
        found = env.get(node.id, ANY)
        if isinstance(found, Domain):
            if found.finite:
                numbers = [v for v in found.values if isinstance(v, (int, float))]
                return (min(numbers), max(numbers)) if numbers else (-INF, INF)
            return (found.lo, found.hi)
        return (found, found) if isinstance(found, (int, float)) else (-INF, INF)

    def visit_Neg(self, node: Neg, env: Mapping[str, Any]) -> tuple[float, float]:
        lo, hi = self.visit(node.operand, env)
        return (-hi, -lo)

    def visit_Arith(self, node: Arith, env: Mapping[str, Any]) -> tuple[float, float]:
        return _arith(node.op, self.visit(node.left, env), self.visit(node.right, env))

    def visit_IfElse(self, node: IfElse, env: Mapping[str, Any]) -> tuple[float, float]:
        test = truth(node.test, env)
        parts = ([node.then] if True in test else []) + ([node.otherwise] if False in test else [])
        bounds = [self.visit(p, env) for p in parts]
        return (min(b[0] for b in bounds), max(b[1] for b in bounds))

    def generic_visit(self, node: Node, env: Mapping[str, Any]) -> tuple[float, float]:
        return (-INF, INF)  # a string, or a yes/no part: no numeric bound


_INTERVAL = _Interval()


def _arith(op: str, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    if op == "+":
        return (a[0] + b[0], a[1] + b[1])
    if op == "-":
        return (a[0] - b[1], a[1] - b[0])
    if op == "/":
        if b[0] <= 0 <= b[1]:
            return (-INF, INF)
        b = (1 / b[1], 1 / b[0])
    products = [_mul(x, y) for x in a for y in b]
    return (min(products), max(products))


def _mul(x: float, y: float) -> float:
    if x == 0 or y == 0:
        return 0.0
    return x * y


def sign(node: Node, env: Mapping[str, Any]) -> int:
    """+1 if the expression is never negative, -1 if never positive, else 0."""
    lo, hi = interval(node, env)
    return 1 if lo >= 0 else -1 if hi <= 0 else 0


# ------------------------------------------------------------ three-valued truth


def truth(node: Node, env: Mapping[str, Any]) -> frozenset:
    """The truth values `node` can take when names range over `env`."""
    return _TRUTH.visit(node, env)


class _Truth(NodeVisitor):
    def visit_Bool(self, node: Bool, env: Mapping[str, Any]) -> frozenset:
        return frozenset({node.value})

    def visit_Name(self, node: Name, env: Mapping[str, Any]) -> frozenset:
        return _name_truth(env.get(node.id, ANY))

    def visit_Not(self, node: Not, env: Mapping[str, Any]) -> frozenset:
        return frozenset(not v for v in self.visit(node.operand, env))

    def visit_BoolOp(self, node: BoolOp, env: Mapping[str, Any]) -> frozenset:
        return _combine(node.op, [self.visit(item, env) for item in node.items])

    def visit_IfElse(self, node: IfElse, env: Mapping[str, Any]) -> frozenset:
        test = self.visit(node.test, env)
        out: set = set()
        if True in test:
            out |= self.visit(node.then, env)
        if False in test:
            out |= self.visit(node.otherwise, env)
        return frozenset(out)

    def visit_In(self, node: In, env: Mapping[str, Any]) -> frozenset:
        return _in_truth(node, env)

    def visit_Compare(self, node: Compare, env: Mapping[str, Any]) -> frozenset:
        return _compare_truth(node, env)

    def generic_visit(self, node: Node, env: Mapping[str, Any]) -> frozenset:
        return BOTH  # a number or a string standing as a condition: undecided


_TRUTH = _Truth()


def _name_truth(found: Any) -> frozenset:
    if isinstance(found, bool):
        return frozenset({found})
    if isinstance(found, Domain) and found.finite:
        return frozenset(bool(v) for v in found.values) or BOTH
    return BOTH


def _combine(op: str, parts: list[frozenset]) -> frozenset:
    absorbing = op == "or"  # True absorbs an 'or', False absorbs an 'and'
    out = set()
    if any(absorbing in p for p in parts):
        out.add(absorbing)
    if all((not absorbing) in p for p in parts):
        out.add(not absorbing)
    return frozenset(out)


def _values(node: Node, env: Mapping[str, Any]) -> tuple | None:
    """The finite set of values a non-numeric operand can take, or None."""
    return _VALUES.visit(node, env)


class _Values(NodeVisitor):

    def visit_Str(self, node: Str | Bool, env: Mapping[str, Any]) -> tuple | None:
        return (node.value,)

    visit_Bool = visit_Str

    def visit_Name(self, node: Name, env: Mapping[str, Any]) -> tuple | None:
        found = env.get(node.id, ANY)
        if isinstance(found, Domain):
            return found.values
        return (found,)

    def generic_visit(self, node: Node, env: Mapping[str, Any]) -> tuple | None:
        return None


_VALUES = _Values()


def _in_truth(node: In, env: Mapping[str, Any]) -> frozenset:
    options = {o.value for o in node.options}
    values = _values(node.operand, env)
    if values is None:
        lo, hi = interval(node.operand, env)
        values = (lo,) if lo == hi else None
    if values is None:
        return BOTH
    found = frozenset((v in options) != node.negated for v in values)
    return found or BOTH


def _compare_truth(node: Compare, env: Mapping[str, Any]) -> frozenset:
    left, right = _values(node.left, env), _values(node.right, env)
    if left is not None and right is not None and not _numeric(left + right):
        if node.op not in ("==", "!="):
            return BOTH
        found = frozenset(OPS[node.op](a, b) for a in left for b in right)
        return found or BOTH
    (a, b), (c, d) = interval(node.left, env), interval(node.right, env)
    op = node.op
    if op in (">", ">="):
        (a, b), (c, d), op = (c, d), (a, b), "<" if op == ">" else "<="
    if op == "<":
        return _decided(b < c, a >= d)
    if op == "<=":
        return _decided(b <= c, a > d)
    same = a == b == c == d
    disjoint = b < c or d < a
    return _decided(same, disjoint) if op == "==" else _decided(disjoint, same)


def _numeric(values: tuple) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _decided(surely: bool, never: bool) -> frozenset:
    if surely:
        return frozenset({True})
    if never:
        return frozenset({False})
    return BOTH
