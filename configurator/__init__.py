"""configurator: managed-care single-disease insurance products as YAML, run by durable-rules.

    >>> from configurator import load, compile_product, load_case, evaluate
    >>> product = load("products/hepatitis_b.yaml")
    >>> outcome = evaluate(compile_product(product), load_case("case.yaml", product))
    >>> outcome.decision
    'accept'
"""

from __future__ import annotations

from .cases.case import Case, Event, case_from_data, load_case, loads_case
from .cases.outcome import Outcome
from .compiler.compile import CompiledProduct, compile_product
from .engine.evaluate import evaluate
from .errors import CaseError, CompileError, ConfigError, Problem, ProductError, Span
from .product.load import load, loads
from .product.model import Product, json_schema

__all__ = [
    "Case",
    "CaseError",
    "CompileError",
    "CompiledProduct",
    "ConfigError",
    "Event",
    "Outcome",
    "Problem",
    "Product",
    "ProductError",
    "Span",
    "case_from_data",
    "compile_product",
    "evaluate",
    "json_schema",
    "load",
    "load_case",
    "loads",
    "loads_case",
]
