"""Type-check conditions against the names a product declares.

Every name must resolve through an allow-list (`Scope`): the product's inputs,
derived values, metrics, event fields and parameters visible where the
condition is written. Unknown names and enum values get "did you mean"; the
types of both sides of every comparison must agree. Errors carry the character
offset of the offending node so the loader can point inside the YAML string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import did_you_mean
from .nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num, Str
from .visitor import NodeVisitor

NUMBER, BOOLEAN, ENUM, STRING = "number", "boolean", "enum", "string"
PERSONAL, DATE, UNKNOWN = "personal", "date", None


def with_article(kind: str) -> str:
    """`kind` with its article: 'a number', 'an enum'."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


@dataclass(frozen=True)
class Symbol:
    """A name a condition may read."""

    name: str
    type: str
    kind: str  # input | derived | field | metric | parameter
    values: tuple[str, ...] = ()
    unit: str | None = None

    @property
    def constant(self) -> bool:
        return self.kind == "parameter"


@dataclass(frozen=True)
class TypeProblem:
    """A type error at character offset `pos` of the condition."""

    pos: int
    message: str
    hint: str | None = None


@dataclass
class Scope:
    """The names visible to one condition; nearer scopes shadow outer ones."""

    symbols: dict[str, Symbol] = field(default_factory=dict)
    where: str = "this product"

    def with_symbols(self, symbols: dict[str, Symbol], where: str | None = None) -> Scope:
        merged = dict(self.symbols)
        merged.update(symbols)
        return Scope(merged, where or self.where)

    def __contains__(self, name: str) -> bool:
        return name in self.symbols


def infer(node: Node, scope: Scope) -> tuple[str | None, list[TypeProblem]]:
    """The type `node` produces (None when unknown) and every problem found."""
    checker = _Checker(scope)
    return checker.visit(node), checker.problems


def check(node: Node, scope: Scope, want: str = BOOLEAN) -> list[TypeProblem]:
    """All type problems in `node`, which should produce a value of type `want`."""
    checker = _Checker(scope)
    got = checker.visit(node)
    if got is not None and got != want and not (want == STRING and got == ENUM):
        article = "a yes/no condition" if want == BOOLEAN else with_article(want)
        checker.problems.append(TypeProblem(
            0, f"this must be {article}, but it is {with_article(got)}"))
    return checker.problems


class _Checker(NodeVisitor):
    """Each `visit_*` returns the type its node produces (None when unknown) and
    records every problem it finds, so one pass reports them all."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.problems: list[TypeProblem] = []

    def fail(self, node: Node, message: str, hint: str | None = None) -> None:
        self.problems.append(TypeProblem(node.pos, message, hint))

    def visit_Num(self, node: Num) -> str:
        return NUMBER

    def visit_Str(self, node: Str) -> str:
        return STRING

    def visit_Bool(self, node: Bool) -> str:
        return BOOLEAN

    def visit_Name(self, node: Name) -> str | None:
        symbol = self.scope.symbols.get(node.id)
        if symbol is None:
            hint = did_you_mean(node.id, self.scope.symbols)
            self.fail(node, f"unknown name '{node.id}' (not declared in {self.scope.where})", hint)
            return None
        if symbol.type == PERSONAL:
            self.fail(node, f"'{node.id}' is personal data and is never given to the rules engine",
                      "base rules on clinical or policy facts instead")
            return None
        if symbol.type == DATE:
            self.fail(node, f"'{node.id}' is a date; conditions compare numbers",
                      "declare a number such as months_since_diagnosis instead")
            return None
        return symbol.type

    def visit_Neg(self, node: Neg) -> str | None:
        self._expect_number(node.operand, "'-'")
        return NUMBER

    def visit_Arith(self, node: Arith) -> str | None:
        self._expect_number(node.left, f"'{node.op}'")
        self._expect_number(node.right, f"'{node.op}'")
        if node.op == "/" and isinstance(node.right, Num) and node.right.value == 0:
            self.fail(node.right, "division by zero")
        return NUMBER

    def _expect_number(self, node: Node, what: str) -> None:
        got = self.visit(node)
        if got is not None and got != NUMBER:
            self.fail(node, f"{what} needs a number, but this is {with_article(got)}")

    def visit_Compare(self, node: Compare) -> str:
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None:
            return BOOLEAN
        if node.op in ("<", "<=", ">", ">="):
            for side, got in ((node.left, left), (node.right, right)):
                if got != NUMBER:
                    self.fail(side, f"'{node.op}' compares numbers, but this is "
                              f"{with_article(got)}")
            return BOOLEAN
        self._same_kind(node, node.left, left, node.right, right)
        return BOOLEAN

    def _same_kind(self, node: Node, a: Node, a_type: str, b: Node, b_type: str) -> None:
        textual = {ENUM, STRING}
        if a_type in textual and b_type in textual:
            self._enum_value(a, b)
            self._enum_value(b, a)
        elif a_type != b_type:
            self.fail(node, f"cannot compare {with_article(a_type)} with {with_article(b_type)}")

    def _enum_value(self, named: Node, literal: Node) -> None:
        if not (isinstance(named, Name) and isinstance(literal, Str)):
            return
        symbol = self.scope.symbols.get(named.id)
        if symbol and symbol.values and literal.value not in symbol.values:
            allowed = ", ".join(symbol.values)
            hint = did_you_mean(literal.value, symbol.values) or f"use one of: {allowed}"
            self.fail(literal, f"'{literal.value}' is not a value of {named.id}", hint)

    def visit_In(self, node: In) -> str:
        operand = self.visit(node.operand)
        if operand is None:
            return BOOLEAN
        for option in node.options:
            option_type = self.visit(option)
            if option_type is not None:
                self._same_kind(option, node.operand, operand, option, option_type)
        return BOOLEAN

    def visit_Not(self, node: Not) -> str:
        self._expect_boolean(node.operand, "'not'")
        return BOOLEAN

    def visit_IfElse(self, node: IfElse) -> str | None:
        self._expect_boolean(node.test, "'if'")
        then, otherwise = self.visit(node.then), self.visit(node.otherwise)
        if then is None or otherwise is None:
            return None
        if {then, otherwise} <= {ENUM, STRING}:
            return STRING
        if then != otherwise:
            self.fail(node, f"both branches must have the same type, not {with_article(then)} and "
                      f"{with_article(otherwise)}")
            return None
        return then

    def visit_BoolOp(self, node: BoolOp) -> str:
        for item in node.items:
            self._expect_boolean(item, f"'{node.op}'")
        return BOOLEAN

    def _expect_boolean(self, node: Node, what: str) -> None:
        got = self.visit(node)
        if got is not None and got != BOOLEAN:
            self.fail(node, f"{what} joins yes/no conditions, but this is {with_article(got)}",
                      "compare it with something, e.g. 'x > 0'")
