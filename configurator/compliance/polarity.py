"""Which way a condition moved between two versions: widened, narrowed, mixed or the same.

Two resolved conditions (parameters folded in) are walked side by side. A
constant that differs pushes the whole condition one way, by its polarity:
in ``age > 60`` a larger 60 makes the condition harder to meet (polarity -1
for the right side of ``>``); ``and``/``or`` pass polarity through, ``not``
flips it, a factor passes it on times the sign of the other factor (from the
declared ranges), and a list after ``in`` that gains values widens. An added
``or`` branch widens; an added ``and`` term narrows.

Where the shapes differ in any other way, both conditions are evaluated over
the declared ranges (`condition_range.cells`): a cell where only the new one
can hold is evidence of widening, and vice versa.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..conditions.nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num
from ..conditions.parser import parse
from ..product.model import Product
from ..product.params import parameters_at
from .ranges import Domain, cells, domains, resolve, sign, truth

WIDENED, NARROWED, MIXED, SAME, UNKNOWN = "widened", "narrowed", "mixed", "same", "unknown"


class _Unknown(Exception):
    """The two shapes cannot be compared constant by constant."""


def compare_conditions(old: Node | None, new: Node | None, doms: Mapping[str, Domain]) -> str:
    """How the set of cases meeting a condition changed from `old` to `new`.

    `None` stands for "no condition": as a rule's `when` that means always
    (a benefit with no `when` pays every claim of its event).
    """
    old = Bool(True) if old is None else old
    new = Bool(True) if new is None else new
    if old == new:
        return SAME
    pushes: list[int] = []
    try:
        _walk(old, new, 1, doms, pushes)
    except _Unknown:
        return _by_cells(old, new, doms)
    found = set(pushes)
    if found == {1}:
        return WIDENED
    if found == {-1}:
        return NARROWED
    return MIXED if found else SAME


def _walk(a: Node, b: Node, polarity: int, doms, pushes: list[int]) -> None:
    if a == b:
        return
    if type(a) is not type(b):
        raise _Unknown
    if isinstance(a, (Num, Bool)):
        if polarity == 0:
            raise _Unknown
        pushes.append(polarity * ((b.value > a.value) - (b.value < a.value)))
    elif isinstance(a, (Neg, Not)):
        _walk(a.operand, b.operand, -polarity, doms, pushes)
    elif isinstance(a, Arith):
        _arith(a, b, polarity, doms, pushes)
    elif isinstance(a, Compare):
        _compare(a, b, polarity, doms, pushes)
    elif isinstance(a, In):
        _membership(a, b, polarity, pushes)
    elif isinstance(a, BoolOp):
        _boolean(a, b, polarity, doms, pushes)
    elif isinstance(a, IfElse) and a.test == b.test:
        _walk(a.then, b.then, polarity, doms, pushes)
        _walk(a.otherwise, b.otherwise, polarity, doms, pushes)
    else:
        raise _Unknown


def _arith(a: Arith, b: Arith, polarity: int, doms, pushes: list[int]) -> None:
    if a.op != b.op:
        raise _Unknown
    if a.op == "+":
        sides = (polarity, polarity)
    elif a.op == "-":
        sides = (polarity, -polarity)
    elif a.op == "*":
        sides = (polarity * sign(a.right, doms), polarity * sign(a.left, doms))
    else:  # a / b: rises with a when b > 0, falls with b when a > 0
        divisor = sign(a.right, doms)
        sides = (polarity * divisor, -polarity * sign(a.left, doms) if divisor else 0)
    _walk(a.left, b.left, sides[0], doms, pushes)
    _walk(a.right, b.right, sides[1], doms, pushes)


def _compare(a: Compare, b: Compare, polarity: int, doms, pushes: list[int]) -> None:
    if a.op != b.op:
        raise _Unknown
    if a.op in (">", ">="):
        sides = (polarity, -polarity)
    elif a.op in ("<", "<="):
        sides = (-polarity, polarity)
    else:
        sides = (0, 0)
    _walk(a.left, b.left, sides[0], doms, pushes)
    _walk(a.right, b.right, sides[1], doms, pushes)


def _membership(a: In, b: In, polarity: int, pushes: list[int]) -> None:
    if a.operand != b.operand or a.negated != b.negated:
        raise _Unknown
    old, new = {o.value for o in a.options}, {o.value for o in b.options}
    direction = -polarity if a.negated else polarity
    if new - old:
        pushes.append(direction)
    if old - new:
        pushes.append(-direction)


def _boolean(a: BoolOp, b: BoolOp, polarity: int, doms, pushes: list[int]) -> None:
    if a.op != b.op:
        raise _Unknown
    if len(a.items) == len(b.items):
        for x, y in zip(a.items, b.items, strict=True):
            _walk(x, y, polarity, doms, pushes)
        return
    old, new = set(a.items), set(b.items)
    adding = polarity if a.op == "or" else -polarity
    if old < new:
        pushes.append(adding)
    elif new < old:
        pushes.append(-adding)
    else:
        raise _Unknown


def _by_cells(old: Node, new: Node, doms: Mapping[str, Domain]) -> str:
    wider = narrower = undecided = False
    for env in cells([old, new], doms):
        a, b = truth(old, env), truth(new, env)
        if len(a) > 1 or len(b) > 1:
            undecided = True
            continue
        wider |= b == {True} and a == {False}
        narrower |= a == {True} and b == {False}
    if wider and narrower:
        return MIXED
    if wider or narrower:
        return WIDENED if wider else NARROWED
    return UNKNOWN if undecided else SAME


# ------------------------------------------------------------ which way a name pushes


def name_polarity(product: Product, name: str) -> int:
    """+1 if a larger `name` makes every adherence programme easier to earn, -1 harder, else 0."""
    constants = parameters_at(product, product.effective_from)
    doms = domains(product, constants)
    found: set[int] = set()
    for programme in product.adherence:
        _polarities(resolve(parse(programme.when), constants), name, 1, doms, found)
    return found.pop() if len(found) == 1 else 0


def _polarities(node: Node, name: str, polarity: int, doms, found: set[int]) -> None:
    if isinstance(node, Name):
        if node.id == name:
            found.add(polarity)
        return
    if isinstance(node, (Neg, Not)):
        _polarities(node.operand, name, -polarity, doms, found)
    elif isinstance(node, BoolOp):
        for item in node.items:
            _polarities(item, name, polarity, doms, found)
    elif isinstance(node, Compare):
        left, right = {">": (1, -1), ">=": (1, -1), "<": (-1, 1), "<=": (-1, 1)}.get(
            node.op, (0, 0))
        _polarities(node.left, name, polarity * left, doms, found)
        _polarities(node.right, name, polarity * right, doms, found)
    elif isinstance(node, Arith):
        _arith_polarities(node, name, polarity, doms, found)
    elif isinstance(node, (In, IfElse)):
        found.add(0)


def _arith_polarities(node: Arith, name: str, polarity: int, doms, found: set[int]) -> None:
    if node.op in ("+", "-"):
        right = polarity if node.op == "+" else -polarity
        _polarities(node.left, name, polarity, doms, found)
        _polarities(node.right, name, right, doms, found)
    elif node.op == "*":
        _polarities(node.left, name, polarity * sign(node.right, doms), doms, found)
        _polarities(node.right, name, polarity * sign(node.left, doms), doms, found)
    else:
        _polarities(node.left, name, polarity * sign(node.right, doms), doms, found)
        _polarities(node.right, name, 0, doms, found)
