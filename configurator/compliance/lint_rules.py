"""The lint framework: findings, the rule registry and the context every rule reads.

A lint rule is one small function registered in `RULES` with its code,
severity, the profiles that use it and its source. It receives a `Context`
and yields ``(path, message)`` pairs; `lint.lint` turns them into positioned
`Finding`s. Rules live in `lint_regulation`, `lint_logic` and `lint_document`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..cases.outcome import Illustration
from ..conditions.expression import Expression
from ..conditions.nodes import Node
from ..errors import Span
from ..product.cells import possible
from ..product.model import LocalizedText, Product, text_variants
from ..product.params import parameter_periods
from ..product.ranges import domains, resolve
from ..product.source import PathKey
from ..product.texts import texts

ERROR, WARNING = "error", "warning"
MAX_WAITING_DAYS = 180
MAX_HEALTH_MANAGEMENT_SHARE = Decimal("0.20")
MIN_COOLING_OFF_DAYS = 15
PROFILES = ("CN", "US")



@dataclass(frozen=True)
class Finding:
    """One problem lint found, where it is, and how serious it is."""

    span: Span
    code: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.span}: {self.code}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.span.file, "line": self.span.line, "column": self.span.col,
                "code": self.code, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    profiles: frozenset[str]
    source: str
    check: Callable[[Context], Iterable[tuple[PathKey, str]]]


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str = ERROR, profiles: tuple[str, ...] = PROFILES,
         source: str = "") -> Callable:
    """Register a lint rule: `@rule("CODE", profiles=("CN",), source="...")`."""
    def register(check: Callable) -> Callable:
        RULES[code] = Rule(code, severity, frozenset(profiles), source, check)
        return check
    return register



# ------------------------------------------------------------ context


class Context:
    """The product and what several rules need: values over time, texts, conditions."""

    def __init__(self, product: Product, profile: str, illustration: Illustration | None = None):
        self.product = product
        self.profile = profile
        self.illustration = illustration  # the worked example, as the policy shows it
        self.periods = [constants for _, constants in parameter_periods(product)]
        self.locales = ("en",) if profile == "US" else ("en", "zh-CN")

    def span(self, path: PathKey) -> Span:
        doc = self.product.source
        if doc is None:
            return Span(self.product.source_file, 1, 1)
        if path[:1] == ("parameters",) and len(path) == 2:
            return doc.key_span(path)
        return doc.span(path)

    def values(self, ref: Any) -> list[Any]:
        """Every value a number (or parameter name) takes while the product is on sale."""
        if isinstance(ref, str):
            return list(dict.fromkeys(c[ref] for c in self.periods if ref in c))
        return [ref]

    def texts(self) -> Iterator[tuple[PathKey, str, str]]:
        """Every (path, locale, string) of every text field; a plain string counts as 'en'."""
        for path, text in texts(self.product):
            for locale, value in text_variants(text):
                yield (path + (locale,) if isinstance(text, LocalizedText) else path), locale, \
                    value

    def conditions(self) -> Iterator[tuple[PathKey, str, Expression, dict]]:
        """(path of `when`, owner, condition, scope) for every rule condition."""
        p = self.product
        for item in p.eligibility:
            yield item.path + ("when",), f"eligibility rule {item.id}", item.when, {
                "metrics": False}
        for checkup in p.checkups:
            yield from self._checkup_conditions(checkup)
        for programme in p.adherence:
            yield programme.path + ("when",), f"adherence programme {programme.id}", \
                programme.when, {}
        for benefit in p.benefits:
            if benefit.when:
                yield benefit.path + ("when",), f"benefit {benefit.id}", benefit.when, {
                    "event": benefit.event, "metrics": False}
        for exclusion in p.exclusions:
            if exclusion.when:
                yield exclusion.path + ("when",), f"exclusion {exclusion.id}", exclusion.when, {
                    "event": self.exclusion_event(exclusion), "metrics": False}

    def _checkup_conditions(self, checkup) -> Iterator[tuple[PathKey, str, Expression, dict]]:
        trigger = checkup.trigger
        if trigger.when:
            on = trigger.on or "applicant"
            event = on if on in self.product.events else next(
                (c.event for c in self.product.checkups if c.id == on), None)
            yield trigger.path + ("when",), f"the trigger of check-up {checkup.id}", \
                trigger.when, {"event": event, "metrics": on != "applicant"}
        for result in checkup.results:
            yield result.path + ("when",), f"result {result.id} of check-up {checkup.id}", \
                result.when, {"event": checkup.event}

    def exclusion_event(self, exclusion) -> str | None:
        applies = exclusion.applies_to or [b.id for b in self.product.benefits]
        return next((b.event for b in self.product.benefits if b.id in applies), None)

    def resolved(self, text: Expression) -> list[tuple[Node, dict]]:
        """The condition with each period's parameters folded in, and those constants."""
        node = text.node
        return [(resolve(node, constants), constants) for constants in self.periods]

    def never(self, text: Expression, scope: dict) -> bool:
        """True when the condition can hold in no period, given the declared ranges."""
        return all(True not in possible(node, domains(self.product, constants, **scope))
                   for node, constants in self.resolved(text))

    def always(self, text: Expression, scope: dict) -> bool:
        """True when the condition holds in every period, given the declared ranges."""
        return all(possible(node, domains(self.product, constants, **scope)) == {True}
                   for node, constants in self.resolved(text))

