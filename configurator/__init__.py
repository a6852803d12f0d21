"""configurator: managed-care single-disease insurance products as YAML, run by durable-rules.

    >>> from configurator import Environment
    >>> env = Environment()
    >>> product = env.load("products/hepatitis_b.yaml")        # or "hepatitis_b@1.0.0"
    >>> outcome = env.evaluate(product, env.case("case.yaml", product))
    >>> outcome.decision
    'accept'
    >>> pdf = env.render_pdf(product, env.case("case.yaml", product))

The stages underneath (`load`, `compile_product`, `evaluate`, ...) are
importable on their own; the `Environment` holds the configuration and the
compile cache every face of configurator goes through.
"""

from __future__ import annotations

from . import native  # noqa: F401  (first: the compiled hot modules, if built from this source)
from .cases.case import Case, Event, case_from_data, load_case, loads_case
from .cases.outcome import Outcome
from .compiler.compile import CompiledProduct, compile_product
from .engine.evaluate import evaluate
from .environment import Environment
from .errors import (
    CaseError,
    CompileError,
    ConfigError,
    ConfiguratorError,
    EngineError,
    Problem,
    ProductError,
    Span,
    StoreError,
)
from .product.load import load, loads
from .product.model import Product, json_schema

__all__ = [
    "Case",
    "CaseError",
    "CompileError",
    "CompiledProduct",
    "ConfigError",
    "ConfiguratorError",
    "EngineError",
    "Environment",
    "Event",
    "Outcome",
    "Problem",
    "Product",
    "ProductError",
    "Span",
    "StoreError",
    "case_from_data",
    "compile_product",
    "evaluate",
    "json_schema",
    "load",
    "load_case",
    "loads",
    "loads_case",
]
