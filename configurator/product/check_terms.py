"""Cross-checks of the timeline and claims terms of issue 13 (part A), for `check.Checker`.

Kept apart from `check` so each construct's check is one small function: a
lapsing exclusion's months, a yearly deductible, the share paid by a claim
field (`ratio_by`: an enum field of the event, every value given a share), and a
check-up set off by any of several event types (`trigger.on_any`), a count over
several event types (`also`) or over the events carrying a tag (`tag`).
"""

from __future__ import annotations

from typing import Any

from ..errors import did_you_mean
from .bounds import RATIO
from .model import Benefit, Checkup, Exclusion
from .tags import all_tags, tagged_types


def exclusion_terms(checker: Any, exclusion: Exclusion) -> None:
    checker.numbers(exclusion, "lapses_after_months")


def benefit_terms(checker: Any, benefit: Benefit) -> None:
    """A benefit's yearly deductible and its share by a claim field."""
    pays = benefit.pays
    checker.numbers(pays, "yearly_deductible")
    by = pays.ratio_by
    if by is None:
        return
    path = by.path
    spec = checker.product.events[benefit.event].fields.get(by.field)
    if spec is None or spec.type != "enum":
        fields = checker.product.events[benefit.event].fields
        enums = [name for name, f in fields.items() if f.type == "enum"]
        checker.fail(path + ("field",), f"'{by.field}' is not an enum field of event "
                     f"'{benefit.event}'", did_you_mean(by.field, enums) or
                     "ratio_by reads a field whose values are listed (type: enum)")
        return
    values = list(spec.values or ())
    for value, share in by.percent.items():
        if value not in values:
            checker.fail(path + ("percent", value), f"'{value}' is not a value of field "
                         f"'{by.field}' ({', '.join(values)})", did_you_mean(value, values),
                         key=True)
        else:
            checker.number(path + ("percent", value), share, RATIO)
    missing = [v for v in values if v not in by.percent]
    if missing:
        checker.fail(path + ("percent",), f"no share for {', '.join(missing)}: every value of "
                     f"'{by.field}' needs one", f"add {missing[0]}: <percent>")


def any_event_trigger(checker: Any, checkup: Checkup) -> None:
    """`on_any`: event types only (not check-ups or 'applicant'), read through the fields
    they all have."""
    trigger = checkup.trigger
    path = checkup.path + ("trigger",)
    events = checker.product.events
    known = [e for e in trigger.on_any if e in events]
    for index, name in enumerate(trigger.on_any):
        if name not in events:
            checker.fail(path + ("on_any", index), f"'{name}' is not an event type",
                         did_you_mean(name, events))
    if len(set(trigger.on_any)) != len(trigger.on_any):
        checker.fail(path + ("on_any",), "an event type is listed twice")
    if len(known) != len(trigger.on_any):
        return
    shared = checker.scopes.common_fields(known)
    scope = checker.scopes.with_metrics().with_symbols(
        {n: s for n, s in shared.symbols.items() if s.kind == "field"},
        f"the fields every one of {', '.join(known)} has, the inputs, metrics or parameters")
    checker.condition(path + ("when",), trigger.when, scope, events=tuple(known), metrics=True)



def count_terms(checker: Any, path: tuple, spec: Any) -> None:
    """A count's event types (event and also, or the types declaring its tag) and its
    filter: with also, read on each type's own fields; with a tag, on the fields every
    tagged type has."""
    events = checker.product.events
    if spec.tag is not None:
        types = tagged_types(checker.product, spec.tag)
        if not types:
            checker.fail(path + ("tag",), f"no event type declares the tag '{spec.tag}'",
                         did_you_mean(spec.tag, all_tags(checker.product)) or
                         f"list it under events.<type>.tags: [{spec.tag}]")
        elif spec.when:
            shared = checker.scopes.common_fields(types)
            scope = checker.scopes.applicant().with_symbols(
                {n: s for n, s in shared.symbols.items() if s.kind == "field"},
                f"the fields every event type tagged '{spec.tag}' ({', '.join(types)}) has, "
                "the inputs or parameters")
            checker.condition(path + ("when",), spec.when, scope, events=types)
        return
    if not checker.reference(path + ("event",), spec.event, "events", events, "event type"):
        return
    for index, other in enumerate(spec.also):
        if checker.reference(path + ("also", index), other, "events", events, "event type") \
                and spec.when:  # the filter reads each type's own fields
            checker.condition(path + ("when",), spec.when, checker.scopes.event(other, False),
                              events=(other,))
    if spec.when:
        checker.condition(path + ("when",), spec.when, checker.scopes.event(spec.event, False),
                          events=(spec.event,))
