"""Which way a condition moved between two versions: widened, narrowed, mixed or the same.

Two resolved conditions (parameters folded in) are walked side by side. A
constant that differs pushes the whole condition one way, by its polarity:
in ``age > 60`` a larger 60 makes the condition harder to meet (polarity -1
for the right side of ``>``); ``and``/``or`` pass polarity through, ``not``
flips it, a factor passes it on times the sign of the other factor (from the
declared ranges), and a list after ``in`` that gains values widens. An added
``or`` branch widens; an added ``and`` term narrows.

Where the shapes differ in any other way, both conditions are evaluated over
the declared ranges (`cells.cells`): a cell where only the new one
can hold is evidence of widening, and vice versa.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..conditions.nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num
from ..conditions.visitor import NodeVisitor
from ..product.cells import cells
from ..product.model import Product
from ..product.params import parameters_at
from ..product.ranges import Domain, domains, resolve, sign, truth

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
        _WALK.visit(old, new, 1, doms, pushes)
    except _Unknown:
        return _by_cells(old, new, doms)
    found = set(pushes)
    if found == {1}:
        return WIDENED
    if found == {-1}:
        return NARROWED
    return MIXED if found else SAME


class _Walk(NodeVisitor):
    """Walks `a` and `b` side by side; each moved constant appends its push (+1 widens).

    `polarity` is which way a larger value at this place moves the whole
    condition (+1 easier to meet, -1 harder, 0 unknown). Raises `_Unknown`
    where the shapes differ.
    """

    def visit(self, a: Node, b: Node, polarity: int, doms, pushes: list[int]) -> None:
        if a == b:
            return
        if type(a) is not type(b):
            raise _Unknown
        super().visit(a, b, polarity, doms, pushes)

    def generic_visit(self, a: Node, b: Node, polarity: int, doms, pushes: list[int]) -> None:
        raise _Unknown  # another name or string: not a constant that moved

    def visit_Num(self, a: Num, b: Num, polarity: int, doms, pushes: list[int]) -> None:
        if polarity == 0:
            raise _Unknown
        pushes.append(polarity * ((b.value > a.value) - (b.value < a.value)))

    visit_Bool = visit_Num

    def visit_Neg(self, a: Neg, b: Neg, polarity: int, doms, pushes: list[int]) -> None:
        self.visit(a.operand, b.operand, -polarity, doms, pushes)

    visit_Not = visit_Neg

    def visit_Arith(self, a: Arith, b: Arith, polarity: int, doms, pushes: list[int]) -> None:
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
        self.visit(a.left, b.left, sides[0], doms, pushes)
        self.visit(a.right, b.right, sides[1], doms, pushes)

    def visit_Compare(self, a: Compare, b: Compare, polarity: int, doms, pushes: list[int]
                      ) -> None:
        if a.op != b.op:
            raise _Unknown
        if a.op in (">", ">="):
            sides = (polarity, -polarity)
        elif a.op in ("<", "<="):
            sides = (-polarity, polarity)
        else:
            sides = (0, 0)
        self.visit(a.left, b.left, sides[0], doms, pushes)
        self.visit(a.right, b.right, sides[1], doms, pushes)

    def visit_In(self, a: In, b: In, polarity: int, doms, pushes: list[int]) -> None:
        if a.operand != b.operand or a.negated != b.negated:
            raise _Unknown
        old, new = {o.value for o in a.options}, {o.value for o in b.options}
        direction = -polarity if a.negated else polarity
        if new - old:
            pushes.append(direction)
        if old - new:
            pushes.append(-direction)

    def visit_BoolOp(self, a: BoolOp, b: BoolOp, polarity: int, doms, pushes: list[int]) -> None:
        if a.op != b.op:
            raise _Unknown
        if len(a.items) == len(b.items):
            for x, y in zip(a.items, b.items, strict=True):
                self.visit(x, y, polarity, doms, pushes)
            return
        old, new = set(a.items), set(b.items)
        adding = polarity if a.op == "or" else -polarity
        if old < new:
            pushes.append(adding)
        elif new < old:
            pushes.append(-adding)
        else:
            raise _Unknown

    def visit_IfElse(self, a: IfElse, b: IfElse, polarity: int, doms, pushes: list[int]) -> None:
        if a.test != b.test:
            raise _Unknown
        self.visit(a.then, b.then, polarity, doms, pushes)
        self.visit(a.otherwise, b.otherwise, polarity, doms, pushes)


_WALK = _Walk()


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
        _POLARITIES.visit(resolve(programme.when.node, constants), name, 1, doms, found)
    return found.pop() if len(found) == 1 else 0


class _Polarities(NodeVisitor):
    """Adds to `found` the polarity of every place `name` stands (0 where it cannot tell)."""

    def generic_visit(self, node: Node, name: str, polarity: int, doms, found: set[int]) -> None:
        return  # a literal: no name in it

    def visit_Name(self, node: Name, name: str, polarity: int, doms, found: set[int]) -> None:
        if node.id == name:
            found.add(polarity)

    def visit_Neg(self, node: Neg | Not, name: str, polarity: int, doms, found: set[int]) -> None:
        self.visit(node.operand, name, -polarity, doms, found)

    visit_Not = visit_Neg

    def visit_BoolOp(self, node: BoolOp, name: str, polarity: int, doms, found: set[int]
                     ) -> None:
        for item in node.items:
            self.visit(item, name, polarity, doms, found)

    def visit_Compare(self, node: Compare, name: str, polarity: int, doms, found: set[int]
                      ) -> None:
        left, right = {">": (1, -1), ">=": (1, -1), "<": (-1, 1), "<=": (-1, 1)}.get(
            node.op, (0, 0))
        self.visit(node.left, name, polarity * left, doms, found)
        self.visit(node.right, name, polarity * right, doms, found)

    def visit_Arith(self, node: Arith, name: str, polarity: int, doms, found: set[int]) -> None:
        if node.op in ("+", "-"):
            right = polarity if node.op == "+" else -polarity
            self.visit(node.left, name, polarity, doms, found)
            self.visit(node.right, name, right, doms, found)
        elif node.op == "*":
            self.visit(node.left, name, polarity * sign(node.right, doms), doms, found)
            self.visit(node.right, name, polarity * sign(node.left, doms), doms, found)
        else:
            self.visit(node.left, name, polarity * sign(node.right, doms), doms, found)
            self.visit(node.right, name, 0, doms, found)

    def visit_In(self, node: In | IfElse, name: str, polarity: int, doms, found: set[int]
                 ) -> None:
        found.add(0)  # membership and `if` have no one direction

    visit_IfElse = visit_In


_POLARITIES = _Polarities()
