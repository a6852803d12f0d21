"""The condition language: tokens and a recursive-descent parser into `nodes`.

Conditions are short expressions such as ``age < min_age or age > max_age``
or ``alt > 2 * alt_uln``. They are parsed once (see `Expression`); every node
keeps the character offset it started at so errors can point inside the YAML
string. There is no ``eval`` and no attribute access: names resolve only
through the product's declared inputs, metrics, fields and parameters (see
`types`).

Grammar::

    expr    := or ["if" or "else" expr]
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (CMP sum)* | sum ["not"] "in" "[" literal ("," literal)* "]"
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "true" | "false" | NAME | "(" expr ")"

A condition is at most `MAX_CONDITION_LENGTH` characters and its tree at most
`MAX_CONDITION_DEPTH` deep (brackets, `not`, `if`, and chains of arithmetic all
count), so neither this parser nor any visitor after it can run out of stack;
a number literal must be finite and within `MAX_NUMBER`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..limits import (
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LENGTH,
    MAX_NUMBER,
    MAX_NUMBER_DIGITS,
    number_problem,
)
from .nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Literal, Name, Neg, Node, Not, Num, Str

COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")
KEYWORDS = {"and", "or", "not", "in", "true", "false", "if", "else"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)


class ConditionSyntaxError(ValueError):
    """A condition that does not parse; `pos` is the character offset."""

    def __init__(self, message: str, pos: int, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.hint = hint


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind (a keyword is its own kind), text and offset."""

    kind: str
    text: str
    pos: int


# ---------------------------------------------------------------- lexer


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an `end` token; raises `ConditionSyntaxError`."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            char = text[pos]
            hint = "use == to compare" if char == "=" else None
            if char in "&|!":
                hint = "write 'and', 'or' and 'not' as words"
            raise ConditionSyntaxError(f"unexpected character {char!r}", pos, hint)
        kind = match.lastgroup or ""
        if kind != "space":
            value = match.group()
            if kind == "name" and value in KEYWORDS:
                kind = value
            tokens.append(Token(kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ---------------------------------------------------------------- parser


_SPLIT_HINT = "split it: give parts of it names as derived values"


class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_CONDITION_LENGTH:
            raise ConditionSyntaxError(f"the condition is too long ({len(text):,} characters; "
                                       f"at most {MAX_CONDITION_LENGTH:,})", 0, _SPLIT_HINT)
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.level = 0  # open brackets, `not`s, unary minuses and `else` branches

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def at(self, *kinds: str) -> bool:
        return self.token.kind in kinds or (self.token.kind == "op" and self.token.text in kinds)

    def expect(self, text: str) -> Token:
        if not self.at(text):
            self.fail(f"expected '{text}'")
        return self.take()

    def fail(self, message: str, hint: str | None = None) -> None:
        token = self.token
        found = "end of condition" if token.kind == "end" else f"'{token.text}'"
        raise ConditionSyntaxError(f"{message}, found {found}", token.pos, hint)

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ConditionSyntaxError("empty condition", 0)
        node = self.parse_expr()
        if self.token.kind != "end":
            hint = "join conditions with 'and' or 'or'" if self.token.kind == "name" else None
            self.fail("expected end of condition", hint)
        _check_depth(node)
        return node

    def enter(self) -> None:
        """One level deeper into the parser's recursion; refused past the limit."""
        self.level += 1
        if self.level > MAX_CONDITION_DEPTH:
            raise ConditionSyntaxError(f"the condition is nested too deeply (more than "
                                       f"{MAX_CONDITION_DEPTH} levels)", self.token.pos,
                                       _SPLIT_HINT)

    def parse_expr(self) -> Node:
        then = self.parse_or()
        if not self.at("if"):
            return then
        token = self.take()
        test = self.parse_or()
        self.expect("else")
        self.enter()
        otherwise = self.parse_expr()
        self.level -= 1
        return IfElse(then, test, otherwise, token.pos)

    def parse_or(self) -> Node:
        return self._bool_chain("or", self.parse_and)

    def parse_and(self) -> Node:
        return self._bool_chain("and", self.parse_not)

    def _bool_chain(self, op: str, operand) -> Node:
        start = self.token.pos
        items = [operand()]
        while self.at(op):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else BoolOp(op, tuple(items), start)

    def parse_not(self) -> Node:
        if self.at("not"):
            token = self.take()
            self.enter()
            operand = self.parse_not()
            self.level -= 1
            return Not(operand, token.pos)
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_sum()
        if self.at("in") or (self.at("not") and self.tokens[self.index + 1].kind == "in"):
            return self.parse_in(left)
        pairs: list[Compare] = []
        while self.at(*COMPARISONS):
            op = self.take()
            right = self.parse_sum()
            pairs.append(Compare(op.text, left, right, op.pos))
            left = right
        if not pairs:
            return left
        return pairs[0] if len(pairs) == 1 else BoolOp("and", tuple(pairs), pairs[0].pos)

    def parse_in(self, operand: Node) -> Node:
        negated = self.at("not")
        if negated:
            self.take()
        start = self.take().pos
        self.expect("[")
        options: list[Literal] = []
        while True:
            options.append(self.parse_literal())
            if self.at("]"):
                break
            self.expect(",")
        self.take()
        return In(operand, tuple(options), negated, start)

    def parse_literal(self) -> Literal:
        token = self.token
        negative = False
        if self.at("-"):
            self.take()
            negative, token = True, self.token
        node = self.parse_atom()
        if isinstance(node, Num):
            return Num(-node.value, token.pos) if negative else node
        if isinstance(node, (Str, Bool)) and not negative:
            return node
        raise ConditionSyntaxError(
            "a list after 'in' may hold only numbers, strings, true or false", token.pos)

    def parse_sum(self) -> Node:
        node = self.parse_term()
        while self.at("+", "-"):
            op = self.take()
            node = Arith(op.text, node, self.parse_term(), op.pos)
        return node

    def parse_term(self) -> Node:
        node = self.parse_unary()
        while self.at("*", "/"):
            op = self.take()
            node = Arith(op.text, node, self.parse_unary(), op.pos)
        return node

    def parse_unary(self) -> Node:
        if self.at("-"):
            token = self.take()
            self.enter()
            operand = self.parse_unary()
            self.level -= 1
            if isinstance(operand, Num):
                return Num(-operand.value, token.pos)
            return Neg(operand, token.pos)
        return self.parse_atom()

    def parse_atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            return Num(_number(token), token.pos)
        if token.kind == "string":
            self.take()
            return Str(token.text[1:-1], token.pos)
        if token.kind in ("true", "false"):
            self.take()
            return Bool(token.kind == "true", token.pos)
        if token.kind == "name":
            self.take()
            if self.at("("):
                raise ConditionSyntaxError(f"'{token.text}' is not a function; conditions have "
                                           "no function calls", token.pos)
            return Name(token.text, token.pos)
        if self.at("("):
            self.enter()
            self.take()
            node = self.parse_expr()
            self.expect(")")
            self.level -= 1
            return node
        self.fail("expected a number, a name, a quoted string or '('")
        raise AssertionError("unreachable")


def _number(token: Token) -> int | float:
    """The value of a number token: finite and at most `MAX_NUMBER` in size."""
    text = token.text
    if sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
        raise ConditionSyntaxError(f"the number {text[:12]}... has too many digits (at most "
                                   f"{MAX_NUMBER_DIGITS})", token.pos)
    is_int = "." not in text and "e" not in text.lower()
    value = int(text) if is_int else float(text)
    if number_problem(value):
        raise ConditionSyntaxError(f"the number {text} is too large (numbers may be at most "
                                   f"{MAX_NUMBER:,.0f} in size)", token.pos)
    return value


def _check_depth(root: Node) -> None:
    """Refuse a tree deeper than the limit (chains of + - * / grow it without brackets)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CONDITION_DEPTH:
            raise ConditionSyntaxError(f"the condition is nested too deeply (more than "
                                       f"{MAX_CONDITION_DEPTH} levels)", node.pos, _SPLIT_HINT)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


def parse(text: str) -> Node:
    """Parse a condition or value expression; raises `ConditionSyntaxError`."""
    return _Parser(text).parse()
