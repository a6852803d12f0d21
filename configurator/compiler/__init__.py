"""Floor 3, the compiler: a checked product -> durable-rules rulesets as plain data.

`compile_product` emits only the safe subset of durable-rules (checked again
by `safe_subset.verify_ruleset`) and an index from every rule id to its YAML
span, clause number and condition.
"""

from __future__ import annotations

from .compile import CompiledProduct, compile_product

__all__ = ["CompiledProduct", "compile_product"]
