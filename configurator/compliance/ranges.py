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
  representative values, and the condition is evaluated three-valued
  (`{True}`, `{False}` or both) in every combination of them. Comparisons
  between two names are evaluated on intervals and may stay undecided.

The answer is sound in one direction: "never" and "always" are only claimed
when they are certain; anything undecided counts as "may". Names are treated
as independent, which can only make more outcomes look possible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
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
from ..conditions.parser import parse
from ..product.derived import derived_order
from ..product.model import InputSpec, Product

INF = math.inf
MAX_CELLS = 4096
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
        node = resolve(parse(product.derived[name].expr), constants)
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
    if isinstance(node, Name) and node.id in constants:
        return literal(constants[node.id])
    if not isinstance(node, (Num, Str, Bool, Name)) and is_constant(node, {}) and not isinstance(
            node, (BoolOp, Not, In, Compare)):
        return literal(fold(node, {}))
    if isinstance(node, Num):
        return Num(node.value)
    if isinstance(node, Str):
        return Str(node.value)
    if isinstance(node, Bool):
        return Bool(node.value)
    if isinstance(node, Name):
        return Name(node.id)
    return _resolve_inner(node, constants)


def _resolve_inner(node: Node, constants: Mapping[str, Any]) -> Node:
    r = resolve
    if isinstance(node, Neg):
        inner = r(node.operand, constants)
        return Num(-inner.value) if isinstance(inner, Num) else Neg(inner)
    if isinstance(node, Arith):
        out = Arith(node.op, r(node.left, constants), r(node.right, constants))
        return literal(fold(out, {})) if is_constant(out, {}) else out
    if isinstance(node, Compare):
        return Compare(node.op, r(node.left, constants), r(node.right, constants))
    if isinstance(node, In):
        return In(r(node.operand, constants), tuple(r(o, constants) for o in node.options),
                  node.negated)
    if isinstance(node, Not):
        return Not(r(node.operand, constants))
    if isinstance(node, IfElse):
        return IfElse(r(node.then, constants), r(node.test, constants),
                      r(node.otherwise, constants))
    return BoolOp(node.op, tuple(r(item, constants) for item in node.items))


def literal(value: Any) -> Node:
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, (int, float)):
        return Num(int(value) if isinstance(value, float) and value.is_integer() else value)
    return Str(str(value))


# ------------------------------------------------------------ intervals


def interval(node: Node, env: Mapping[str, Any]) -> tuple[float, float]:
    """Bounds of a numeric expression; `env` maps names to a Domain or a point value."""
    if isinstance(node, Num):
        return (node.value, node.value)
    if isinstance(node, Bool):
        return (int(node.value), int(node.value))
    if isinstance(node, Name):
        found = env.get(node.id, ANY)
        if isinstance(found, Domain):
            if found.finite:
                numbers = [v for v in found.values if isinstance(v, (int, float))]
                return (min(numbers), max(numbers)) if numbers else (-INF, INF)
            return (found.lo, found.hi)
        return (found, found) if isinstance(found, (int, float)) else (-INF, INF)
    if isinstance(node, Neg):
        lo, hi = interval(node.operand, env)
        return (-hi, -lo)
    if isinstance(node, Arith):
        return _arith(node.op, interval(node.left, env), interval(node.right, env))
    if isinstance(node, IfElse):
        test = truth(node.test, env)
        parts = ([node.then] if True in test else []) + ([node.otherwise] if False in test else [])
        bounds = [interval(p, env) for p in parts]
        return (min(b[0] for b in bounds), max(b[1] for b in bounds))
    return (-INF, INF)


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
    if isinstance(node, Bool):
        return frozenset({node.value})
    if isinstance(node, Name):
        return _name_truth(env.get(node.id, ANY))
    if isinstance(node, Not):
        return frozenset(not v for v in truth(node.operand, env))
    if isinstance(node, BoolOp):
        return _combine(node.op, [truth(item, env) for item in node.items])
    if isinstance(node, IfElse):
        test = truth(node.test, env)
        out: set = set()
        if True in test:
            out |= truth(node.then, env)
        if False in test:
            out |= truth(node.otherwise, env)
        return frozenset(out)
    if isinstance(node, In):
        return _in_truth(node, env)
    if isinstance(node, Compare):
        return _compare_truth(node, env)
    return BOTH


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
    if isinstance(node, (Str, Bool)):
        return (node.value,)
    if isinstance(node, Name):
        found = env.get(node.id, ANY)
        if isinstance(found, Domain):
            return found.values
        return (found,)
    return None


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


# ------------------------------------------------------------ splitting into cells


def split_points(nodes: list[Node]) -> dict[str, set[float]]:
    """Constants each name is compared with (``age > 60`` splits age at 60)."""
    points: dict[str, set[float]] = {}
    for node in nodes:
        for compare in _compares(node):
            for side, other in ((compare.left, compare.right), (compare.right, compare.left)):
                if isinstance(side, Name) and isinstance(other, Num):
                    points.setdefault(side.id, set()).add(other.value)
    return points


def _compares(node: Node) -> Iterator[Compare]:
    if isinstance(node, Compare):
        yield node
    for child in _children(node):
        yield from _compares(child)


def _children(node: Node) -> tuple:
    if isinstance(node, (Not, Neg)):
        return (node.operand,)
    if isinstance(node, (Arith, Compare)):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.items
    if isinstance(node, IfElse):
        return (node.then, node.test, node.otherwise)
    return ()


def read_names(nodes: list[Node]) -> list[str]:
    seen: list[str] = []
    for node in nodes:
        for name in _names(node):
            if name not in seen:
                seen.append(name)
    return seen


def _names(node: Node) -> Iterator[str]:
    if isinstance(node, Name):
        yield node.id
    for child in _children(node):
        yield from _names(child)


def representatives(domain: Domain, points: set[float]) -> list[Any] | None:
    """A value from each region the split points cut the domain into (None: keep whole)."""
    if domain.finite:
        return list(domain.values)
    inside = sorted(p for p in points if domain.lo <= p <= domain.hi)
    if not inside:
        return None
    lo = domain.lo if domain.lo > -INF else inside[0] - 1
    hi = domain.hi if domain.hi < INF else inside[-1] + 1
    edges = sorted({lo, *inside, hi})
    out: list[Any] = []
    for a, b in itertools.pairwise(edges):
        out.append(a)
        middle = _between(a, b, domain.integer)
        if middle is not None:
            out.append(middle)
    out.append(edges[-1])
    if domain.integer:
        out = [v for v in out if float(v).is_integer()]
    return sorted(set(out))


def _between(a: float, b: float, integer: bool) -> float | None:
    if not integer:
        return (a + b) / 2
    low = math.floor(a) + 1
    return low if low < b else None


@dataclass
class Cells:
    """Every combination of representative values for the names a set of conditions split."""

    names: list[str]
    choices: list[list[Any]]
    base: dict[str, Any]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for combo in itertools.product(*self.choices):
            env = dict(self.base)
            env.update(zip(self.names, combo, strict=True))
            yield env


def cells(nodes: list[Node], doms: Mapping[str, Domain]) -> Cells:
    """Cells for `nodes` (already resolved); too many cells: keep the widest names whole."""
    points = split_points(nodes)
    picked: list[tuple[str, list[Any]]] = []
    for name in read_names(nodes):
        domain = doms.get(name, ANY)
        reps = representatives(domain, points.get(name, set()))
        if reps:
            picked.append((name, reps))
    while picked and math.prod(len(r) for _, r in picked) > MAX_CELLS:
        picked.remove(max(picked, key=lambda item: len(item[1])))
    return Cells([n for n, _ in picked], [r for _, r in picked], dict(doms))


def possible(node: Node, doms: Mapping[str, Domain]) -> frozenset:
    """Every truth value a resolved condition can take over the domains."""
    out: set = set()
    for env in cells([node], doms):
        out |= truth(node, env)
        if out == BOTH:
            break
    return frozenset(out)


def jointly_possible(a: Node, b: Node, doms: Mapping[str, Domain]) -> bool:
    """Whether two resolved conditions can hold at once."""
    return any(True in truth(a, env) and True in truth(b, env) for env in cells([a, b], doms))


def restricting_names(a: Node, b: Node, doms: Mapping[str, Domain]) -> list[str]:
    """Names both conditions restrict, on values where both can hold.

    A name is restricted by a condition when some of its values make the
    condition false whatever the other names are. Two rules that restrict the
    same name over the same values overlap by design, not by accident.
    """
    space = cells([a, b], doms)
    shared = [n for n in read_names([a]) if n in read_names([b]) and n in space.names]
    found = []
    for name in shared:
        may_a: dict[Any, bool] = {}
        may_b: dict[Any, bool] = {}
        both: set = set()
        for env in space:
            value = env[name]
            ta, tb = True in truth(a, env), True in truth(b, env)
            may_a[value] = may_a.get(value, False) or ta
            may_b[value] = may_b.get(value, False) or tb
            if ta and tb:
                both.add(value)
        if both and not all(may_a.values()) and not all(may_b.values()):
            found.append(name)
    return found
