"""A condition said in plain words, for the policy document and explanations."""

from __future__ import annotations

from collections.abc import Callable

from .evaluate import show_value
from .nodes import Arith, Bool, BoolOp, Compare, IfElse, In, Name, Neg, Node, Not, Num, Str
from .visitor import NodeVisitor

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
    return _Words(label, value, locale).visit(node)


class _Words(NodeVisitor):
    def __init__(self, label: Callable[[str], str], value: Callable[[str], str | None],
                 locale: str):
        self.label = label
        self.value = value
        self.chinese = locale == "zh-CN"
        self.vocab = _WORDS.get(locale, _WORDS["en"])
        self.gap = "" if self.chinese else " "  # Chinese runs words together

    def visit_Num(self, node: Num) -> str:
        return show_value(node.value)

    def visit_Str(self, node: Str) -> str:
        return node.value.replace("_", " ")

    def visit_Bool(self, node: Bool) -> str:
        return self.vocab["true" if node.value else "false"]

    def visit_Name(self, node: Name) -> str:
        shown = self.value(node.id)
        return shown if shown is not None else self.label(node.id)

    def visit_Neg(self, node: Neg) -> str:
        return f"-{self.visit(node.operand)}"

    def visit_Arith(self, node: Arith | Compare) -> str:
        return self.gap.join((self.visit(node.left), self.vocab[node.op], self.visit(node.right)))

    visit_Compare = visit_Arith

    def visit_In(self, node: In) -> str:
        listed = ", ".join(self.visit(option) for option in node.options)
        said = self.vocab["not in" if node.negated else "in"]
        return self.gap.join((self.visit(node.operand), said, listed))

    def visit_Not(self, node: Not) -> str:
        return self.gap.join((self.vocab["not"], self.visit(node.operand)))

    def visit_IfElse(self, node: IfElse) -> str:
        then, test, otherwise = (self.visit(part) for part in (node.then, node.test,
                                                               node.otherwise))
        if self.chinese:
            return f"{test}时为{then}，否则为{otherwise}"
        return f"{then} if {test}, otherwise {otherwise}"

    def visit_BoolOp(self, node: BoolOp) -> str:
        if self.chinese:  # a Chinese comma before the joining word, no spaces
            joiner = "，且" if node.op == "and" else "，或"
        else:
            joiner = f" {self.vocab[node.op]} "
        return joiner.join(self.visit(item) for item in node.items)
