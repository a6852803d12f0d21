"""The condition language: nodes, parser, the one `NodeVisitor`, types, evaluation, words.

A condition is parsed once, by its `Expression` (the text as the product
model holds it); every later stage walks that one tree with a `NodeVisitor`.
"""

from __future__ import annotations

from .evaluate import (
    FLIP,
    NEGATE,
    OPS,
    Check,
    EvaluationError,
    compile_fn,
    explain,
    fold,
    is_constant,
    show_value,
    values_read,
)
from .expression import Expression, as_expression
from .nodes import (
    NODE_TYPES,
    Arith,
    Bool,
    BoolOp,
    Compare,
    IfElse,
    In,
    Literal,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
)
from .parser import COMPARISONS, KEYWORDS, ConditionSyntaxError, Token, parse, tokenize
from .types import Scope, Symbol, TypeProblem, check, infer
from .visitor import NodeVisitor, names, unparse
from .words import words

__all__ = [
    "COMPARISONS", "FLIP", "KEYWORDS", "NEGATE", "NODE_TYPES", "OPS",
    "Arith", "Bool", "BoolOp", "Check", "Compare", "ConditionSyntaxError", "EvaluationError",
    "Expression", "IfElse", "In", "Literal", "Name", "Neg", "Node", "NodeVisitor", "Not", "Num",
    "Scope", "Str", "Symbol", "Token", "TypeProblem",
    "as_expression", "check", "compile_fn", "explain", "fold", "infer", "is_constant", "names",
    "parse", "show_value", "tokenize", "unparse", "values_read", "words",
]
