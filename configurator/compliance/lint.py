"""Regulatory and plain-language checks on a loaded product, by jurisdiction profile.

    >>> from configurator import load
    >>> from configurator.compliance.lint import lint
    >>> [str(f) for f in lint(load("products/hepatitis_b.yaml"))]
    []

A lint rule is one small function registered in `RULES` with its code,
severity, the profiles that use it and its source. It receives a `Context`
and yields ``(path, message)`` pairs; `lint` turns them into positioned
`Finding`s. A product that loads is well-formed; lint asks whether it is
lawful, consistent and readable. The regulatory facts come from
``shared/reference/domain.md`` §0, §5 and §7.5.

READABILITY and HIGHLIGHT read the rendered policy document; they live in
`lint_document`; the regulatory rules in `lint_regulation`, the logic
rules in `lint_logic` and the clause-title rules (TITLE_MISSING,
TITLE_DUPLICATE) in `lint_titles`. All four register into `lint_rules.RULES`
when imported here.
"""

from __future__ import annotations

from ..cases.outcome import Illustration
from ..product.model import Product
from . import (  # noqa: F401  (they register the rules)
    lint_document,
    lint_logic,
    lint_regulation,
    lint_terms,
    lint_titles,
)
from .lint_rules import ERROR, PROFILES, RULES, WARNING, Context, Finding, Rule, rule

__all__ = ["ERROR", "PROFILES", "RULES", "WARNING", "Context", "Finding", "Rule", "errors",
           "lint", "rule"]


def lint(product: Product, profile: str = "CN", illustration: Illustration | None = None
         ) -> list[Finding]:
    """Every finding of the rules `profile` selects, in file order.

    `illustration` is the worked example's Outcomes (`Environment.illustration`):
    the readability rules score the policy as it is printed, example included.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    context = Context(product, profile, illustration)
    findings = []
    for item in RULES.values():
        if profile in item.profiles:
            for path, message in item.check(context):
                findings.append(Finding(context.span(path), item.code, message, item.severity))
    return sorted(set(findings), key=lambda f: (f.span, f.code, f.message))


def errors(product: Product, illustration: Illustration | None = None) -> list[str]:
    """Lint errors (not warnings) under the product's own jurisdiction, one line each."""
    return [str(f) for f in lint(product, product.jurisdiction, illustration)
            if f.severity == ERROR]
