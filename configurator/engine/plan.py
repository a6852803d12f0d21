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
from datetime import date  # noqa: F401  (mypyc reads a dataclass field's type by its bare name)
from typing import Any, Final

from ..cases.outcome import ExclusionOut
from ..compiler.compile import CompiledProduct, Period, RuleInfo, exclusion_flag
from ..conditions.evaluate import EvaluationError, Fn, compile_fn
from ..conditions.nodes import Node
from ..product.derived import derived_order
from ..product.model import Benefit, Checkup, EligibilityRule, Exclusion, Product, Text
from ..product.params import in_force
from ..product.wording import render_text
from . import durable
from .amounts import Numbers
from .checkups import Schedule
from .claims import Terms
from .timeline import MetricSpec, metric_specs

_PLANS: Final[dict[str, Plan]] = {}


@dataclass
class PeriodPlan:
    index: int
    start: dt.date
    constants: dict[str, Any]
    route: dict[str, list[int]]  # fact kind -> engine handles of rulesets with rules on it
    derived: list[tuple[str, Fn]]
    lifted: dict[str, list[tuple[str, Fn]]]
    metric_filters: dict[str, Fn]
    numbers: Numbers  # NumberRefs read under `constants` (as Decimals for money arithmetic)
    schedules: dict[str, Schedule]  # each check-up's, by id, in the product's order
    memo: dict[tuple, Any] = field(default_factory=dict)  # amounts by plain-value keys

    def number(self, value: Any) -> Any:
        """A NumberRef's value: a literal, or the parameter it names."""
        return self.numbers.value(value)


@dataclass
class Plan:
    compiled: CompiledProduct
    product: Product
    periods: list[PeriodPlan]
    rules: dict[str, RuleInfo]
    fact_names: dict[str, list[str]]  # plain (non-system) attributes per fact kind
    identity: dict[str, str] = field(default_factory=dict)
    eligibility: dict[str, EligibilityRule] = field(default_factory=dict)
    checkups: dict[str, Checkup] = field(default_factory=dict)
    checkup_events: dict[str, list[str]] = field(default_factory=dict)  # ids by visit event
    exclusions: dict[str, Exclusion] = field(default_factory=dict)
    claim_types: frozenset[str] = frozenset()
    event_triggers: frozenset[str] = frozenset()
    exclusion_flags: tuple[str, ...] = ()
    visit_readers: dict[str, list[Checkup]] = field(default_factory=dict)
    benefit_rules: tuple[tuple[Benefit, str], ...] = ()  # (benefit, its rule id), in order
    benefit_terms: dict[str, Terms] = field(default_factory=dict)  # by benefit id
    # every metric (`timeline.MetricSpec`) by name, in the product's order
    metric_specs: dict[str, MetricSpec] = field(default_factory=dict)
    # per fact kind, the metrics its facts carry, in `fact_names` order
    metrics_read: dict[str, tuple[MetricSpec, ...]] = field(default_factory=dict)
    # per benefit: its waiting rule, and the exclusions that can refuse it with their rules
    claim_rules: dict[str, tuple[str, tuple[tuple[Exclusion, str], ...]]] = \
        field(default_factory=dict)
    # event types the walk acts on (a check-up's visit, a trigger, a claim); the others
    # (e.g. a refill) only feed metrics, which read the case's events themselves
    event_readers: frozenset[str] = frozenset()
    _texts: dict[tuple, str] = field(default_factory=dict)
    _general: dict[tuple, list[ExclusionOut]] = field(default_factory=dict)

    def general_exclusions(self, period: PeriodPlan, locale: str) -> list[ExclusionOut]:
        """The exclusions that apply to everyone (shared, immutable records)."""
        key = (period.index, locale)
        found = self._general.get(key)
        if found is None:
            found = [ExclusionOut(x.id, self.text(f"exclusion.{x.id}", x.text, period, locale),
                                  "product") for x in self.exclusions.values()
                     if not x.added_by_underwriting]
            self._general[key] = found
        return found

    def period_at(self, day: dt.date) -> PeriodPlan:
        return in_force(self.periods, day, lambda period: period.start)

    def text(self, key: str, text: Text | None, period: PeriodPlan, locale: str) -> str:
        """Wording with parameters injected, cached per (item, period, locale)."""
        cache_key = (key, period.index, locale)
        found = self._texts.get(cache_key)
        if found is None:
            found = render_text(text, self.product, period.constants, locale)
            self._texts[cache_key] = found
        return found

    def node(self, rule_id: str) -> Node | None:
        """The parsed condition of a rule, for explanations (none for waiting periods)."""
        text = self.compiled.conditions.get(rule_id)
        if text is None or text.startswith("_days"):
            return None
        return text.node


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
    plan = Plan(compiled, product, periods, compiled.rules, names,
                identity={"id": product.id, "version": product.version, "hash": product.hash},
                eligibility={f"eligibility.{r.id}": r for r in product.eligibility},
                checkups={c.id: c for c in product.checkups},
                checkup_events=_checkup_events(product),
                exclusions={x.id: x for x in product.exclusions},
                claim_types=frozenset(b.event for b in product.benefits),
                event_triggers=frozenset(c.trigger.on for c in product.checkups
                                         if c.trigger.when and c.trigger.on in product.events)
                | {t for c in product.checkups for t in (c.trigger.on_any or ())},
                exclusion_flags=tuple(exclusion_flag(x.id) for x in product.exclusions
                                      if x.added_by_underwriting),
                visit_readers=_visit_readers(product),
                benefit_rules=tuple((b, f"benefit.{b.id}") for b in product.benefits))
    plan.event_readers = (frozenset(c.event for c in product.checkups) | plan.claim_types
                          | plan.event_triggers | set(plan.visit_readers))
    plan.metric_specs = metric_specs(product)
    plan.benefit_terms = {b.id: Terms(b, product) for b in product.benefits}
    plan.metrics_read = {kind: tuple(plan.metric_specs[name] for name in attrs
                                     if name in plan.metric_specs)
                         for kind, attrs in names.items()}
    plan.claim_rules = {b.id: (f"waiting.{b.id}", tuple(
        (x, f"exclusion.{x.id}") for x in product.exclusions
        if x.applies_to is None or b.id in x.applies_to)) for b in product.benefits}
    return plan


def _checkup_events(product: Product) -> dict[str, list[str]]:
    """Check-up ids by the event type that records their visits, in the product's order."""
    found: dict[str, list[str]] = {}
    for checkup in product.checkups:
        found.setdefault(checkup.event, []).append(checkup.id)
    return found


def _visit_readers(product: Product) -> dict[str, list[Checkup]]:
    """Check-ups whose visit results some rule reads, by the event type that records them."""
    watched = {c.trigger.on for c in product.checkups if c.trigger.when}
    readers: dict[str, list[Checkup]] = {}
    for checkup in product.checkups:
        if checkup.results or checkup.id in watched:
            readers.setdefault(checkup.event, []).append(checkup)
    return readers


def _period(product: Product, compiled: CompiledProduct, index: int, period: Period
            ) -> PeriodPlan:
    constants = period.parameters
    route: dict[str, list[int]] = {}
    for ruleset in period.rulesets:
        handle = durable.ruleset(ruleset.name, ruleset.rules)
        for kind in ruleset.kinds:
            route.setdefault(kind, []).append(handle)
    order = derived_order(product.derived)
    derived = [(name, compile_fn(product.derived[name].expr.node, constants))
               for name in (order if isinstance(order, list) else [])]
    lifted: dict[str, list[tuple[str, Fn]]] = {}
    for name, info in compiled.lifted.items():
        fn = _guarded(compile_fn(info.node, constants))
        for kind in info.kinds:
            lifted.setdefault(kind, []).append((name, fn))
    filters = {}
    for name, metric in product.metrics.items():
        spec = metric.count or metric.on_time
        if spec is not None and spec.when:
            filters[name] = compile_fn(spec.when.node, constants)
    numbers = Numbers(constants)
    return PeriodPlan(index, period.start, constants, route, derived, lifted, filters,
                      numbers, {c.id: Schedule(c, numbers) for c in product.checkups})


def _guarded(fn: Fn) -> Callable[[Any], Any]:
    """A lifted comparison over names a fact lacks is simply absent (matches nothing)."""

    def run(env: Any) -> Any:
        try:
            return bool(fn(env))
        except EvaluationError:
            return None

    return run
