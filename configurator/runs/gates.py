"""Publish gates: what a product version must pass before the registry takes it.

A gate is ``(product, path) -> problems``; any problem refuses registering.
The registry itself only insists that a product compiles
(`registry.store.validation_gate`); the standard gates add no lint errors
under the product's own jurisdiction and every scenario suite beside the
product file passing. The CLI and the server open stores with them.
"""

from __future__ import annotations

from pathlib import Path

from ..compliance.lint import errors
from ..environment import default_environment
from ..errors import ConfigError
from ..product.model import Product
from ..registry.store import PublishGate, validation_gate
from .suites import failures, suites_for


def suite_gate(product: Product, path: Path | None) -> list[str]:
    """Every scenario suite beside the product file passes."""
    if path is None:
        return []
    compiled = default_environment().compile(product)
    found: list[str] = []
    for suite in suites_for(path):
        try:
            found += failures(suite, compiled)
        except ConfigError as exc:
            found += [str(p) for p in exc.problems]
    return found


def lint_gate(product: Product, path: Path | None) -> list[str]:
    """No lint errors under the product's own jurisdiction profile (warnings do not block)."""
    return errors(product, default_environment().illustration(product))


STANDARD_GATES: tuple[PublishGate, ...] = (validation_gate, lint_gate, suite_gate)
