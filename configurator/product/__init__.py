"""Floor 2, the product: YAML with positions -> checked pydantic models.

`load`/`loads` read a product file (ruamel.yaml, every node with its span),
validate it section by section and cross-check names, references, conditions
and wording placeholders, reporting every problem at once. Also here: the
helpers several later floors share (effective-dated parameters, wording with
parameters injected, clause numbers, derived-value order).
"""

from __future__ import annotations

from .load import load, loads
from .model import Product, json_schema

__all__ = ["Product", "json_schema", "load", "loads"]
