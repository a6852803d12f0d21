"""What the engine needs at run time, built once per compiled product per process.

A `Plan` holds the live parts a `CompiledProduct` (plain data) cannot:
engine handles for its rulesets, closures for derived values, lifted
comparisons and metric filters, and cached wording. Handles cannot be pickled,
so each worker process builds its own plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import durable
from .check import derived_order
from .compile import CompiledProduct, Period, RuleInfo
from .condition import Node, parse
from .condition_eval import EvaluationError, Fn, compile_fn
from .model import Product, Text
from .wording import render_text

_PLANS: dict[str, Plan] = {}


@dataclass
class PeriodPlan:
    index: int
    start: dt.date
    constants: dict[str, Any]
    route: dict[str, list[int]]  # fact kind -> engine handles of rulesets with rules on it
    derived: list[tuple[str, Fn]]
    lifted: dict[str, list[tuple[str, Fn]]]
    metric_filters: dict[str, Fn]


@dataclass
class Plan:
    compiled: CompiledProduct
    product: Product
    periods: list[PeriodPlan]
    rules: dict[str, RuleInfo]
    fact_names: dict[str, list[str]]  # plain (non-system) attributes per fact kind
    nodes: dict[str, Node] = field(default_factory=dict)
    _texts: dict[tuple, str] = field(default_factory=dict)

    def period_at(self, day: dt.date) -> PeriodPlan:
        found = self.periods[0]
        for period in self.periods:
            if period.start <= day:
                found = period
        return found

    def text(self, key: tuple, text: Text | None, period: PeriodPlan, locale: str) -> str:
        """Wording with parameters injected, cached per (item, period, locale)."""
        cache_key = (key, period.index, locale)
        found = self._texts.get(cache_key)
        if found is None:
            found = render_text(text, self.product, period.constants, locale)
            self._texts[cache_key] = found
        return found

    def node(self, rule_id: str) -> Node | None:
        """The parsed condition of a rule, for explanations."""
        text = self.compiled.conditions.get(rule_id)
        if text is None or text.startswith("_days"):
            return None
        if rule_id not in self.nodes:
            self.nodes[rule_id] = parse(text)
        return self.nodes[rule_id]


def plan_for(compiled: CompiledProduct) -> Plan:
    """The plan for a compiled product, built on first use in this process."""
    plan = _PLANS.get(compiled.name)
    if plan is None or plan.compiled is not compiled:
        plan = _PLANS[compiled.name] = _build(compiled)
    return plan


def _build(compiled: CompiledProduct) -> Plan:
    product = compiled.product
    periods = [_period(product, compiled, index, period)
               for index, period in enumerate(compiled.periods)]
    names = {kind: [a for a in attrs if not a.startswith("_")]
             for kind, attrs in compiled.facts.items()}
    return Plan(compiled, product, periods, compiled.rules, names)


def _period(product: Product, compiled: CompiledProduct, index: int, period: Period
            ) -> PeriodPlan:
    constants = period.parameters
    route: dict[str, list[int]] = {}
    for ruleset in period.rulesets:
        handle = durable.ruleset(ruleset.name, ruleset.rules)
        for kind in ruleset.kinds:
            route.setdefault(kind, []).append(handle)
    order = derived_order(product.derived)
    derived = [(name, compile_fn(parse(product.derived[name].expr), constants))
               for name in (order if isinstance(order, list) else [])]
    lifted: dict[str, list[tuple[str, Fn]]] = {}
    for name, info in compiled.lifted.items():
        fn = _guarded(compile_fn(parse(info.expression), constants))
        for kind in info.kinds:
            lifted.setdefault(kind, []).append((name, fn))
    filters = {}
    for name, metric in product.metrics.items():
        spec = metric.count or metric.on_time
        if spec is not None and spec.when:
            filters[name] = compile_fn(parse(spec.when), constants)
    return PeriodPlan(index, period.start, constants, route, derived, lifted, filters)


def _guarded(fn: Fn) -> Callable[[Any], Any]:
    """A lifted comparison over names a fact lacks is simply absent (matches nothing)."""

    def run(env: Any) -> Any:
        try:
            return bool(fn(env))
        except EvaluationError:
            return None

    return run
