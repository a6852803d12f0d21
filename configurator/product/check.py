"""Cross-checks a schema cannot express: names, references, conditions, wording.

Runs on whatever validated (see `load.Partial`), so schema errors and
cross-check errors are reported together; names of items that failed schema
validation still resolve (with an unknown type) so one mistake does not
cascade into many. Numbers are held to the bound their field needs (`bounds`),
through the parameters they name; once everything else checks, every division
is checked for a divisor that can be 0 (`divisions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..conditions.expression import Expression
from ..conditions.parser import ConditionSyntaxError
from ..conditions.types import BOOLEAN, NUMBER, Scope, Symbol, infer, with_article
from ..errors import Problem, did_you_mean
from . import check_terms
from .bounds import Bound, bound_of
from .derived import derived_cycle, derived_order
from .divisions import Written, division_problems
from .model import (
    Checkup,
    Effect,
    InputSpec,
    Model,
    Parameter,
    Product,
)
from .rewards import check_rewards
from .salvage import check_failed_items
from .scopes import INPUT_TYPES, Scopes, parameter_type
from .source import Document, PathKey, format_path
from .values import coerce_value  # the same rules the case loader applies
from .wording_check import wording_problems

RESERVED = {"id", "sid", "kind", "ref", "true", "false", "and", "or", "not", "in"}
DISCOUNT_CAP = Bound("a cap on a premium discount in percent", 0, 100)


class Checker:
    def __init__(self, product: Product, doc: Document, raw: dict[str, set[str]],
                 failed_items: dict[str, list[int]] | None = None):
        self.product = product
        self.doc = doc
        self.raw = raw
        self.failed_items = failed_items or {}  # list items that did not validate (salvage)
        self.problems: list[Problem] = []
        self.scopes = Scopes(product, raw)
        self.written: list[Written] = []  # expressions that type-checked, for `divisions`

    def fail(self, path: PathKey, message: str, hint: str | None = None, key: bool = False,
             code: str = "reference") -> None:
        span = self.doc.key_span(path) if key else self.doc.span(path)
        self.problems.append(Problem(span, format_path(path), message, hint, code))

    def known(self, section: str, ids: Iterable[str]) -> set[str]:
        return set(ids) | set(self.raw.get(section, ()))

    # -------------------------------------------------------------- driver

    def run(self) -> list[Problem]:
        for step in (self.names, self.inputs, self.parameters, self.derived, self.coverage,
                     self.term, self.ids, self.eligibility, self.checkups, self.metrics,
                     self.adherence, self.benefits, self.exclusions, self.wording):
            step()
        check_failed_items(self)
        if not self.problems:  # range analysis needs a product that checks
            self.problems += division_problems(self.product, self.doc, self.written)
        return self.problems

    # -------------------------------------------------------------- conditions

    def condition(self, path: PathKey, text: Expression, scope: Scope,
                  want: str | None = BOOLEAN, events: tuple[str, ...] = (),
                  metrics: bool = False) -> str | None:
        """Check the condition at `path` against `scope`; its type, or None if unknown.

        `events` (whose fields it reads) and `metrics` (visible or not) say what
        the division check gives the names it reads.
        """
        try:
            node = text.node  # kept on the Expression: later stages read this same tree
        except ConditionSyntaxError as exc:
            self.problems.append(Problem(self.doc.text_span(path, exc.pos), format_path(path),
                                         f"invalid condition: {exc.message}", exc.hint, "syntax"))
            return None
        got, problems = infer(node, scope)
        for problem in problems:
            self.problems.append(Problem(self.doc.text_span(path, problem.pos), format_path(path),
                                         problem.message, problem.hint, "condition"))
        if not problems and want and got is not None and got != want:
            self.fail(path, f"this must be a yes/no condition, but it is {with_article(got)}",
                      "compare it with something, e.g. 'x > 0'", code="condition")
        if not problems:
            self.written.append((path, text, events, metrics))
        return got

    def number(self, path: PathKey, value: Any, bound: Bound) -> None:
        """A NumberRef within `bound`: a literal, or the name of a numeric parameter
        whose every dated value is (each refusal points at the parameter's value)."""
        if not isinstance(value, str):
            problem = bound.problem(value)
            if problem:
                self.fail(path, problem, code="range")
            return
        parameters = self.product.parameters
        if value not in self.known("parameters", parameters):
            self.fail(path, f"unknown parameter '{value}'", did_you_mean(value, parameters))
        elif value in parameters and parameter_type(parameters[value]) != NUMBER:
            self.fail(path, f"parameter '{value}' is not a number")
        elif value in parameters:
            for where, number in self.dated_values(value):
                problem = bound.problem(number) if _is_number(number) else None
                if problem:
                    self.fail(where, f"{problem} (used as {format_path(path)})",
                              "change the parameter, or name another one there", code="range")

    def dated_values(self, name: str) -> list[tuple[PathKey, Any]]:
        """(where, value) of each value a parameter takes (a bare value: at the parameter)."""
        parameter = self.product.parameters[name]
        if parameter.values is None:
            where = ("parameters", name, "value")
            return [(where if where in self.doc.spans else where[:-1], parameter.value)]
        return [(("parameters", name, "values", index, "value"), dated.value)
                for index, dated in enumerate(parameter.values)]

    def numbers(self, node: Model, *fields: str) -> None:
        for name in fields:
            value = getattr(node, name)
            if value is not None:
                self.number(node.path + (name,), value, bound_of(type(node), name))

    def reference(self, path: PathKey, value: str | None, section: str, choices: Iterable[str],
                  what: str) -> bool:
        choices = self.known(section, choices)
        if value is None or value in choices:
            return True
        self.fail(path, f"unknown {what} '{value}'", did_you_mean(value, choices))
        return False

    # -------------------------------------------------------------- sections

    def names(self) -> None:
        p = self.product
        owners: dict[str, str] = {}
        for section, names in (("inputs", p.inputs), ("derived", p.derived),
                               ("metrics", p.metrics), ("parameters", p.parameters)):
            for name in names:
                if name in RESERVED:
                    self.fail((section, name), f"'{name}' is reserved", "choose another name",
                              key=True, code="name")
                elif name in owners:
                    self.fail((section, name), f"'{name}' is already declared in {owners[name]}",
                              "every input, derived value, metric and parameter needs its own name",
                              key=True, code="name")
                owners.setdefault(name, section)
        for event, spec in p.events.items():
            for name in spec.fields:
                if name in RESERVED or name == "tags":  # a case's event lists its tags
                    self.fail(("events", event, "fields", name), f"'{name}' is reserved",
                              "choose another name", key=True, code="name")

    def inputs(self) -> None:
        for event, spec in self.product.events.items():
            for name, field in spec.fields.items():
                self.input_spec(("events", event, "fields", name), field)
        for name, spec in self.product.inputs.items():
            self.input_spec(("inputs", name), spec)

    def input_spec(self, path: PathKey, spec: InputSpec) -> None:
        if spec.type == "enum" and not spec.values:
            self.fail(path + ("type",), "an enum needs 'values'", code="input")
        if spec.type != "enum" and spec.values:
            self.fail(path + ("values",), "'values' only applies to type: enum", code="input")
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            self.fail(path + ("min",), f"min {spec.min} is above max {spec.max}", code="input")
        if not spec.required and spec.default is None and not spec.personal:
            self.fail(path, "an optional input needs a default", "add 'default:' (rules read "
                      "every input, so each needs a value)", code="input")
        if spec.default is not None and (spec.type != "enum" or spec.values):
            error = coerce_value(spec, spec.default)[1]
            if error:
                self.fail(path + ("default",), f"default {error}", code="input")

    def parameters(self) -> None:
        start = self.product.effective_from
        for name, parameter in self.product.parameters.items():
            if parameter.values is None:
                continue
            path = ("parameters", name, "values")
            dates = [v.from_ for v in parameter.values]
            if dates != sorted(set(dates)):
                self.fail(path, "dated values must be in increasing date order, each date once",
                          code="parameter")
            kinds = {parameter_type(Parameter(value=v.value)) for v in parameter.values}
            if len(kinds) > 1:
                self.fail(path, "every dated value must have the same type", code="parameter")
            if dates and start is not None and dates[0] > start:
                self.fail(path + (0, "from"), f"parameter '{name}' has no value before "
                          f"{dates[0]}, but the product is effective from {start}",
                          "add a value from the product's effective date", code="parameter")

    def derived(self) -> None:
        order = derived_order(self.product.derived)
        if isinstance(order, str):
            loop = " -> ".join(derived_cycle(self.product.derived, order))
            self.fail(("derived", order), f"'{order}' depends on itself: {loop}",
                      "define one of them from inputs and parameters only", key=True,
                      code="cycle")
            return
        for name in order:
            scope = self.scopes.applicant()
            got = self.condition(("derived", name, "expr"), self.product.derived[name].expr,
                                 scope, want=None)
            if got not in (None, NUMBER, BOOLEAN):
                self.fail(("derived", name, "expr"), "a derived value must be a number or yes/no",
                          code="condition")
            self.scopes.derived_types[name] = got

    def coverage(self) -> None:
        cover = self.product.coverage
        if cover is None:
            return
        self.numbers(cover, "sum_insured")
        for tier in cover.tiers.values():
            self.numbers(tier, "percent")
        for limit in cover.limits.values():
            self.numbers(limit, "amount")
        if cover.tiers and cover.initial_tier is None:
            self.fail(("coverage",), "tiers are declared but no initial_tier",
                      "name the tier cover starts at, e.g. initial_tier: base")
        self.reference(("coverage", "initial_tier"), cover.initial_tier, "", cover.tiers, "tier")

    def term(self) -> None:
        term = self.product.term
        if term is None or term.renewal_max_age is None:
            return
        self.numbers(term, "renewal_max_age")
        if "age" not in self.product.inputs:
            self.fail(("term", "renewal_max_age"), "renewal_max_age needs an input named 'age'",
                      "declare inputs.age (integer, years)")

    def ids(self) -> None:
        for section in ("definitions", "eligibility", "checkups", "adherence", "benefits",
                        "exclusions"):
            self.unique(section, getattr(self.product, section))
        for checkup in self.product.checkups:
            self.unique(checkup.path[0:2] + ("results",), checkup.results)

    def unique(self, path: Any, items: list) -> None:
        path = path if isinstance(path, tuple) else (path,)
        seen: dict[str, Any] = {}
        for item in items:
            if item.id in seen:
                line = seen[item.id].span.line if seen[item.id].span else "?"
                self.fail(item.path + ("id",), f"duplicate id '{item.id}' (also at line {line})",
                          "every rule needs its own id", code="duplicate")
            seen.setdefault(item.id, item)

    def eligibility(self) -> None:
        exclusions = {x.id: x for x in self.product.exclusions}
        programmes = [p.id for p in self.product.adherence]
        for rule in self.product.eligibility:
            self.condition(rule.path + ("when",), rule.when, self.scopes.applicant())
            self.numbers(rule, "percent")
            if self.reference(rule.path + ("exclusion",), rule.exclusion, "exclusions",
                              exclusions, "exclusion") and rule.exclusion in exclusions:
                self.added_exclusion(rule.path + ("exclusion",), exclusions[rule.exclusion])
            self.reference(rule.path + ("removed_by",), rule.removed_by, "adherence", programmes,
                           "adherence programme")

    def added_exclusion(self, path: PathKey, exclusion) -> None:
        if not exclusion.added_by_underwriting:
            self.fail(path, f"exclusion '{exclusion.id}' already applies to everyone",
                      "mark it added_by_underwriting: true if rules add it")

    def checkups(self) -> None:
        ids = [c.id for c in self.product.checkups]
        for checkup in self.product.checkups:
            self.checkup(checkup, ids)

    def checkup(self, checkup: Checkup, ids: list[str]) -> None:
        path = checkup.path
        events = self.product.events
        if not self.reference(path + ("event",), checkup.event, "events", events, "event type"):
            return
        fields = events[checkup.event].fields if checkup.event in events else {}
        for index, item in enumerate(checkup.items):
            if item not in fields:
                self.fail(path + ("items", index), f"'{item}' is not a field of event "
                          f"'{checkup.event}'", did_you_mean(item, fields))
        self.numbers(checkup, "due_days", "window_days", "extension_days", "missed_in_a_row")
        if checkup.missed_in_a_row != 1 and checkup.on_missed is None:
            self.fail(path + ("missed_in_a_row",), "misses in a row are counted, but a miss "
                      "does nothing", "add 'on_missed' (what the misses do) or remove "
                      "'missed_in_a_row'")
        self.trigger(checkup, ids)
        scope = self.scopes.event(checkup.event)
        for result in checkup.results:
            self.condition(result.path + ("when",), result.when, scope,
                           events=(checkup.event,), metrics=True)
            self.effect(result, checkup.id, ids)
        for effect in (checkup.on_done, checkup.on_missed):
            if effect is not None:
                self.effect(effect, checkup.id, ids)

    def trigger(self, checkup: Checkup, ids: list[str]) -> None:
        trigger = checkup.trigger
        path = checkup.path + ("trigger",)
        self.numbers(trigger, "every_months")
        if trigger.each is not None and checkup.window_days != 0:
            self.fail(checkup.path + ("window_days",), f"a check-up due in each {trigger.each} "
                      "can be done on any day of it", "remove window_days (extension_days "
                      "still gives grace after the part)")
        if trigger.when is None:
            return
        if trigger.on_any is not None:
            check_terms.any_event_trigger(self, checkup)
            return
        on = trigger.on or "applicant"
        events: tuple[str, ...] = ()
        if on == "applicant":
            scope = self.scopes.applicant()
        elif on in self.product.events:
            scope, events = self.scopes.event(on), (on,)
        elif on in ids and on != checkup.id:
            source = next(c for c in self.product.checkups if c.id == on)
            scope, events = self.scopes.event(source.event), (source.event,)
        else:
            choices = ["applicant", *self.product.events, *[i for i in ids if i != checkup.id]]
            self.fail(path + ("on",), f"'{on}' is not 'applicant', an event type or another "
                      "check-up", did_you_mean(on, choices))
            return
        self.condition(path + ("when",), trigger.when, scope, events=events, metrics=bool(events))

    def effect(self, effect: Effect, owner: str, ids: list[str]) -> None:
        path = effect.path
        cover = self.product.coverage
        tiers = cover.tiers if cover else {}
        self.reference(path + ("tier",), effect.tier, "", tiers, "tier")
        exclusions = {x.id: x for x in self.product.exclusions}
        for index, exclusion in enumerate(effect.exclude):
            if self.reference(path + ("exclude", index), exclusion, "exclusions", exclusions,
                              "exclusion") and exclusion in exclusions:
                self.added_exclusion(path + ("exclude", index), exclusions[exclusion])
        self.numbers(effect, "loading", "premium_rebate_percent")
        if effect.schedule == owner:
            self.fail(path + ("schedule",), "a check-up cannot schedule itself")
        else:
            self.reference(path + ("schedule",), effect.schedule, "checkups", ids, "check-up")

    def metrics(self) -> None:
        events = self.product.events
        programmes = [p.id for p in self.product.adherence]
        for name, metric in self.product.metrics.items():
            path = ("metrics", name, metric.kind)
            spec = getattr(metric, metric.kind)
            if metric.kind == "consecutive_years":
                self.reference(path + ("programme",), spec.programme, "adherence", programmes,
                               "adherence programme")
                continue
            if metric.kind == "parts":
                self.parts(path, spec)
                continue
            if metric.kind == "count":
                check_terms.count_terms(self, path, spec)
                continue
            if not self.reference(path + ("event",), spec.event, "events", events, "event type"):
                continue
            fields = self.scopes.event_fields(spec.event)
            if metric.kind == "pdc":
                field = fields.get(spec.days_field)
                if field is None or field.type != NUMBER:
                    self.fail(path + ("days_field",), f"'{spec.days_field}' is not a number "
                              f"field of event '{spec.event}'",
                              did_you_mean(spec.days_field, fields))
            if metric.kind == "on_time":
                self.numbers(spec, "every_months", "tolerance_months")
            if metric.kind == "lowest":
                self.lowest(path, spec, fields)
            if getattr(spec, "when", None):
                self.condition(path + ("when",), spec.when, self.scopes.event(spec.event, False),
                               events=(spec.event,))

    def parts(self, path: PathKey, spec) -> None:
        """A quarters/halves metric measures a count, pdc or on_time metric over each part."""
        self.numbers(spec, "at_least")
        inner = self.product.metrics.get(spec.metric)
        if inner is None or inner.kind not in ("count", "pdc", "on_time"):
            fit = [n for n, m in self.product.metrics.items()
                   if m.kind in ("count", "pdc", "on_time")]
            self.fail(path + ("metric",), f"'{spec.metric}' is not a count, pdc or on_time "
                      "metric", did_you_mean(spec.metric, fit))

    def lowest(self, path: PathKey, spec, fields: dict[str, Symbol]) -> None:
        field = fields.get(spec.field)
        if field is None or field.type != NUMBER:
            self.fail(path + ("field",), f"'{spec.field}' is not a number field of event "
                      f"'{spec.event}'", did_you_mean(spec.field, fields))
        initial = self.product.inputs.get(spec.initial)
        if initial is None or INPUT_TYPES[initial.type] != NUMBER:
            self.fail(path + ("initial",), f"'{spec.initial}' is not a number input",
                      did_you_mean(spec.initial, self.product.inputs))

    def adherence(self) -> None:
        limits = self.product.coverage.limits if self.product.coverage else {}
        for programme in self.product.adherence:
            if programme.same_as is None:  # a shared condition is checked where it is written
                self.condition(programme.path + ("when",), programme.when,
                               self.scopes.with_metrics(), metrics=True)
            change = programme.change
            if change is not None:
                self.numbers(change, "step_percent", "cap_percent")
                if change.target == "premium_discount":
                    self.number(change.path + ("cap_percent",), change.cap_percent, DISCOUNT_CAP)
                for index, limit in enumerate(change.limits):
                    self.reference(change.path + ("limits", index), limit, "", limits, "limit")
            for metric_name, metric in self.product.metrics.items():
                consecutive = metric.consecutive_years
                if consecutive and consecutive.programme == programme.id and re.search(
                        rf"\b{metric_name}\b", programme.when or ""):
                    self.fail(programme.path + ("when",), f"'{metric_name}' counts this "
                              "programme's own adherent years, so it cannot decide them",
                              code="cycle")

    def benefits(self) -> None:
        limits = self.product.coverage.limits if self.product.coverage else {}
        for benefit in self.product.benefits:
            path = benefit.path
            if not self.reference(path + ("event",), benefit.event, "events", self.product.events,
                                  "event type"):
                continue
            if benefit.when:
                self.condition(path + ("when",), benefit.when,
                               self.scopes.event(benefit.event, False), events=(benefit.event,))
            fields = self.scopes.event_fields(benefit.event)
            for key in ("days_field", "expenses_field"):
                name = getattr(benefit.pays, key)
                if name is not None and (name not in fields or fields[name].type != NUMBER):
                    self.fail(path + ("pays", key), f"'{name}' is not a number field of event "
                              f"'{benefit.event}'", did_you_mean(name, fields))
            self.numbers(benefit.pays, "percent_of_sum_insured", "amount", "per_day",
                         "ratio_percent", "deductible")
            self.numbers(benefit.limits, "per_claim", "per_year", "per_year_days", "lifetime",
                         "per_year_percent_of_sum_insured")
            self.numbers(benefit.frequency, "per_policy_year", "lifetime")
            self.numbers(benefit, "waiting_period_days")
            self.reference(path + ("limits", "shared"), benefit.limits.shared, "", limits,
                           "limit")
            check_terms.benefit_terms(self, benefit)

    def exclusions(self) -> None:
        benefits = {b.id: b for b in self.product.benefits}
        for exclusion in self.product.exclusions:
            check_terms.exclusion_terms(self, exclusion)
            applies = exclusion.applies_to if exclusion.applies_to is not None else list(benefits)
            for index, benefit in enumerate(exclusion.applies_to or ()):
                self.reference(exclusion.path + ("applies_to", index), benefit, "benefits",
                               benefits, "benefit")
            if exclusion.when is None and not exclusion.added_by_underwriting:
                self.fail(exclusion.path, f"exclusion '{exclusion.id}' applies to everyone but "
                          "has no 'when' condition, so it would refuse every claim",
                          "add a condition on the claim's fields, or mark it "
                          "added_by_underwriting: true")
            if exclusion.when and self._claim_events_known(exclusion.applies_to, benefits):
                events = sorted({benefits[b].event for b in applies if b in benefits})
                self.condition(exclusion.path + ("when",), exclusion.when,
                               self.scopes.common_fields(events), events=tuple(events))

    def _claim_events_known(self, applies_to: list[str] | None, benefits: dict) -> bool:
        """False when a benefit the exclusion covers failed to load or names an unknown
        event: the claim's fields are then unknown, and that mistake is already reported."""
        failed = set(self.raw.get("benefits", ())) - set(benefits)
        names = set(applies_to) if applies_to is not None else set(benefits) | failed
        if names & failed:
            return False
        return all(benefits[b].event in self.product.events for b in names if b in benefits)

    def wording(self) -> None:
        parameters = self.known("parameters", self.product.parameters)
        self.problems += wording_problems(self.product, self.doc, parameters)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_product(product: Product, doc: Document, partial) -> list[Problem]:
    """Every cross-check problem in a (possibly partial) product."""
    raw = {section: names for section, names in partial.raw_names.items()}
    checker = Checker(product, doc, raw, getattr(partial, "failed_items", {}))
    checker.run()
    check_rewards(checker)  # issue 13: shared conditions, the total discount cap
    return checker.problems
