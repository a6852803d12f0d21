"""One small comparer per part of a product; `compare_products` runs them all in order.

The rules (eligibility, check-ups, adherence, benefits, exclusions) are
compared in `diff_rules`; this module holds the product-level fields, what
cases carry (inputs, events, derived values, metrics), wording and parameters.

Each comparer matches items by id (or name), reports removals and additions,
and hands every field it keeps to `changes.Versions`, which resolves
parameters and judges the change for the insured. See `changes` for the
vocabulary of kinds and effects.
"""

from __future__ import annotations

import math
from typing import Any

from ..product.clauses import clause_numbers
from ..product.model import Product
from ..product.ranges import resolve
from ..product.source import format_path
from ..product.tags import count_types
from ..product.usage import RULES, WORDING, parameter_uses
from . import diff_terms
from .changes import (
    FAVOURABLE,
    MIXED,
    NEUTRAL,
    UNFAVOURABLE,
    Change,
    Field,
    Versions,
    by_key,
    label_of,
    matched,
)
from .diff_rules import DAYS, adherence, benefits, checkups, eligibility, exclusions, tier_percent
from .redline import subject_of, text_fields

WORDING_KINDS = {"wording_only", "wording_changed", "definition_added", "definition_removed"}
PATCH_KINDS = WORDING_KINDS | {"condition_rewritten"}  # no case comes out differently


def compare_products(old: Product, new: Product) -> list[Change]:
    """Every change from `old` to `new`, in the order of the product file."""
    v = Versions(old, new)
    for section in (metadata, term, premium, coverage, definitions, inputs, events, derived,
                    metrics, eligibility, checkups, adherence, benefits, exclusions, wording,
                    parameters, illustration):
        section(v)
    _finish(v)
    return v.changes


def illustration(v: Versions) -> None:
    """The sample case behind the worked example: the example's table changes, no rule does."""
    o, n = v.old.illustration, v.new.illustration
    if o == n:
        return
    what = "added" if o is None else "removed" if n is None else "changed"
    v.add("wording_only", "illustration", NEUTRAL, f"the worked example's sample case {what} "
          "(the example table in the adherence section)",
          old_node=v.spot("old", v.old, "illustration") if o is not None else None,
          new_node=v.spot("new", v.new, "illustration") if n is not None else None)


def _finish(v: Versions) -> None:
    semantic = {c.subject for c in v.changes if c.kind not in WORDING_KINDS}
    numbers = {**clause_numbers(v.old), **clause_numbers(v.new)}
    for change in v.changes:
        if change.kind == "wording_only" and change.subject in semantic:
            change.kind = "wording_changed"
        change.clause = numbers.get(change.subject, "")


# ------------------------------------------------------------ product-level fields


def metadata(v: Versions) -> None:
    o, n = v.old, v.new
    for name, label in (("effective_from", "effective date"), ("effective_to", "closing date"),
                        ("disease", "disease"), ("jurisdiction", "jurisdiction"),
                        ("languages", "languages")):
        v.flag("metadata", label, getattr(o, name), getattr(n, name), None, "metadata_changed",
               v.spot("old", o, name), v.spot("new", n, name))
    if o.id != n.id:
        v.add("metadata_changed", "metadata", MIXED, f"product id changed from {o.id} to {n.id}: "
              "these may not be two versions of one product", old=o.id, new=n.id)
    if o.currency != n.currency:
        v.add("metadata_changed", "metadata", MIXED, f"currency changed from {o.currency} to "
              f"{n.currency}", old=o.currency, new=n.currency)


def term(v: Versions) -> None:
    o, n = v.old.term, v.new.term
    spots = (v.spot("old", o), v.spot("new", n))
    v.number("term", "", Field("policy term", "term_changed", "term_changed", 1, "months", DAYS),
             o.months, n.months, *spots)
    v.flag("term", "renewal offered", o.renewable, n.renewable, True, "renewal_changed", *spots)
    v.number("term", "", Field("last age at which we renew", "renewal_changed", "renewal_changed",
                               1, "years", none=math.inf), o.renewal_max_age, n.renewal_max_age,
             *spots)
    v.flag("term", "guaranteed renewal", o.guaranteed_renewal, n.guaranteed_renewal, True,
           "renewal_changed", *spots)
    v.number("cooling_off_days", "", Field("cooling-off period", "cooling_off_changed",
                                           "cooling_off_changed", 1, "days", DAYS),
             v.old.cooling_off_days, v.new.cooling_off_days,
             v.spot("old", v.old, "cooling_off_days"), v.spot("new", v.new, "cooling_off_days"))


def premium(v: Versions) -> None:
    o, n = v.old.premium, v.new.premium
    spots = (v.spot("old", o), v.spot("new", n))
    v.number("premium", "", Field("net annual premium", "premium_raised", "premium_lowered", -1,
                                  "money"), o.net, n.net, *spots)
    v.number("premium", "", Field("health-management cost inside the premium", "premium_changed",
                                  "premium_changed", 0, "money"),
             o.health_management_cost, n.health_management_cost, *spots)
    v.flag("premium", "health management priced separately", o.separately_priced,
           n.separately_priced, None, "premium_changed", *spots)
    v.number("premium", "", Field("cap on the total premium discount", "premium_changed",
                                  "premium_changed", 1, "percent", none=math.inf),
             o.discount_cap_percent, n.discount_cap_percent, *spots)


def coverage(v: Versions) -> None:
    o, n = v.old.coverage, v.new.coverage
    spots = (v.spot("old", o), v.spot("new", n))
    v.number("coverage", "", Field("sum insured", "cover_raised", "cover_lowered", 1, "money"),
             o.sum_insured, n.sum_insured, *spots)
    if o.initial_tier != n.initial_tier:
        a, b = tier_percent(v, v.old, o.initial_tier), tier_percent(v, v.new, n.initial_tier)
        effect = FAVOURABLE if b > a else UNFAVOURABLE if b < a else NEUTRAL
        v.add("cover_raised" if b > a else "cover_lowered" if b < a else "cover_changed",
              "coverage", effect, f"cover now starts at tier {n.initial_tier} ({b:g}%) instead "
              f"of {o.initial_tier} ({a:g}%)", old=o.initial_tier, new=n.initial_tier)
    removed, kept, added = matched(o.tiers, n.tiers)
    for key in removed + added:
        v.add("cover_changed", "coverage", NEUTRAL,
              f"cover tier {key} {'removed' if key in removed else 'added'}")
    for key in kept:
        v.number("coverage", key, Field("cover at tier {name}", "cover_raised", "cover_lowered", 1,
                                        "percent"), o.tiers[key].percent, n.tiers[key].percent,
                 v.spot("old", o.tiers[key]), v.spot("new", n.tiers[key]))
    removed, kept, added = matched(o.limits, n.limits)
    for key in removed + added:
        v.add("limit_changed", "coverage", MIXED,
              f"shared limit {key} {'removed' if key in removed else 'added'}")
    for key in kept:
        v.number("coverage", label_of(n.limits[key], key),
                 Field("shared limit {name}", "limit_raised", "limit_lowered", 1, "money"),
                 o.limits[key].amount, n.limits[key].amount,
                 v.spot("old", o.limits[key]), v.spot("new", n.limits[key]))


def definitions(v: Versions) -> None:
    old, new = by_key(v.old.definitions), by_key(v.new.definitions)
    v.membership("definition.{}", "definition of '{}'", old, new,
                 ("definition_removed", "definition_added"), (NEUTRAL, NEUTRAL))


# ------------------------------------------------------------ what cases carry


def inputs(v: Versions) -> None:
    _specs(v, "inputs", "input", "input_changed", "input")


def events(v: Versions) -> None:
    _specs(v, "events", "event", "event_changed", "event type")


def _specs(v: Versions, section: str, prefix: str, kind: str, what: str) -> None:
    old, new = getattr(v.old, section), getattr(v.new, section)
    removed, kept, added = matched(old, new)
    for key in removed:
        v.add(kind, f"{prefix}.{key}", NEUTRAL, f"{what} '{key}' removed", old_node=old[key])
    for key in added:
        v.add(kind, f"{prefix}.{key}", NEUTRAL, f"{what} '{key}' added", new_node=new[key],
              existing=False)
    for key in kept:
        found = _spec_changes(old[key], new[key])
        if found:
            v.add(kind, f"{prefix}.{key}", NEUTRAL, f"{what} '{key}' changed: {'; '.join(found)}",
                  old_node=old[key], new_node=new[key])


_SPEC_SKIP = {"label", "description"}


def _spec_changes(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Field-by-field differences of two input or event specs (wording left out)."""
    a, b = old.model_dump(exclude=_SPEC_SKIP), new.model_dump(exclude=_SPEC_SKIP)
    if "fields" in a:
        out = []
        for name in sorted(set(a["fields"]) | set(b["fields"])):
            if name not in b["fields"]:
                out.append(f"field {name} removed")
            elif name not in a["fields"]:
                out.append(f"field {name} added")
            else:
                out += _spec_changes(old.fields[name], new.fields[name], f"{name}.")
        return out
    return [f"{prefix}{k} {a[k]!r} -> {b[k]!r}" for k in a if a[k] != b[k]]


def derived(v: Versions) -> None:
    old, new = v.old.derived, v.new.derived
    for key in old.keys() & new.keys():
        differs = any(resolve(old[key].expr.node, v.at[("old", d)]) !=
                      resolve(new[key].expr.node, v.at[("new", d)]) for d in v.dates)
        if not differs:
            continue
        same = " ".join(old[key].expr.split()) == " ".join(new[key].expr.split())
        moved = v.moved_parameters(old[key].expr, new[key].expr)
        causes = tuple(f"parameter.{n}" for n in moved) if same else (f"derived.{key}",)
        how = "; ".join(v.move_text(n) for n in moved) if same else (
            f"`{old[key].expr}` -> `{new[key].expr}`")
        v.add("derived_changed", f"derived.{key}", MIXED, f"derived value {key} changed ({how}); "
              "every rule that reads it moves", causes, old[key].expr, new[key].expr,
              old[key], new[key])


def metrics(v: Versions) -> None:
    old, new = v.old.metrics, v.new.metrics
    removed, kept, added = matched(old, new)
    for key in removed + added:
        v.add("metric_changed", f"metric.{key}", NEUTRAL,
              f"metric {key} {'removed' if key in removed else 'added'}",
              existing=key in removed)
    for key in kept:
        _metric(v, key, old[key], new[key])


def _metric(v: Versions, key: str, o: Any, n: Any) -> None:
    subject = f"metric.{key}"
    spots = (o, n)
    if o.kind != n.kind or _window(o.window) != _window(n.window):
        v.add("metric_changed", subject, MIXED, f"metric {key} now measured differently "
              f"({o.kind} over {_window(o.window)} -> {n.kind} over {_window(n.window)})",
              old_node=o, new_node=n)
        return
    a, b = o.kinds()[_KINDS.index(o.kind)], n.kinds()[_KINDS.index(n.kind)]
    event_a, event_b = getattr(a, "event", None), getattr(b, "event", None)
    v.flag(subject, f"event counted by metric {key}", event_a, event_b, None, "metric_changed",
           *spots)
    also_a, also_b = set(getattr(a, "also", ())), set(getattr(b, "also", ()))
    if also_a != also_b:  # more event types counted: more is easier to reach
        polarity_ = v.polarity(v.new, key)
        more = FAVOURABLE if polarity_ > 0 else UNFAVOURABLE if polarity_ < 0 else MIXED
        less = {FAVOURABLE: UNFAVOURABLE, UNFAVOURABLE: FAVOURABLE}.get(more, MIXED)
        v.add("metric_changed", subject, more if also_b > also_a else
              less if also_b < also_a else MIXED, f"metric {key} now also counts "
              f"{sorted(also_b) or 'nothing else'} (was {sorted(also_a) or 'nothing else'})",
              old=sorted(also_a), new=sorted(also_b), old_node=o, new_node=n)
    diff_terms.tag_terms(v, subject, key, a, b, o, n)
    polarity = v.polarity(v.new, key)
    widened = FAVOURABLE if polarity > 0 else UNFAVOURABLE if polarity < 0 else MIXED
    if hasattr(a, "when"):
        event_b = event_b or next(iter(count_types(v.new, b)), None)
        v.condition(subject, f"metric {key}", a.when, b.when, ("metric_changed", widened,
                    "events"), {"event": event_b, "metrics": False}, o, n)
    if o.kind == "on_time":
        v.number(subject, key, Field("tolerance of metric {name}", "metric_changed",
                                     "metric_changed", polarity, "months"),
                 a.tolerance_months, b.tolerance_months, *spots)
        v.number(subject, key, Field("interval of metric {name}", "metric_changed",
                                     "metric_changed", None, "months"),
                 a.every_months, b.every_months, *spots)
    if o.kind == "parts":
        v.number(subject, key, Field("threshold each part must reach in metric {name}",
                                     "metric_changed", "metric_changed", -polarity),
                 a.at_least, b.at_least, *spots)
    for name in ("days_field", "programme", "field", "initial", "of", "metric"):
        if getattr(a, name, None) != getattr(b, name, None):
            v.add("metric_changed", subject, MIXED, f"metric {key} now reads {name} "
                  f"{getattr(b, name)} instead of {getattr(a, name)}", old_node=o, new_node=n)


_KINDS = ("count", "pdc", "on_time", "consecutive_years", "lowest", "parts")


def _window(window: Any) -> str:
    """A metric window in words (models compare by their source spans too, so never by ==)."""
    return window if isinstance(window, str) else f"{window.days} days"


# ------------------------------------------------------------ wording and parameters


def wording(v: Versions) -> None:
    """Text templates that changed, where the thing they belong to is in both versions."""
    old, new = text_fields(v.old), text_fields(v.new)
    subjects_old = {subject_of(k) for k in old}
    subjects_new = {subject_of(k) for k in new}
    for key in list(new) + [k for k in old if k not in new]:
        subject = subject_of(key)
        if subject not in subjects_old or subject not in subjects_new:
            continue
        (path_a, a), (path_b, b) = old.get(key, (None, None)), new.get(key, (None, None))
        v.wording(subject, format_path(key), a, b,
                  v.old.source.span(path_a) if path_a and v.old.source else None,
                  v.new.source.span(path_b) if path_b and v.new.source else None)


def parameters(v: Versions) -> None:
    """Parameter changes no rule reported: used only in wording, or not at all."""
    reported = {cause for change in v.changes for cause in change.causes}
    uses_old, uses_new = parameter_uses(v.old), parameter_uses(v.new)
    for name in list(v.new.parameters) + [p for p in v.old.parameters if p not in v.new.parameters]:
        if f"parameter.{name}" in reported:
            continue
        uses = uses_new.get(name) or uses_old.get(name)
        in_rules, in_wording = bool(uses[RULES]), bool(uses[WORDING])
        if name not in v.old.parameters or name not in v.new.parameters:
            if not in_rules:
                what = "added" if name in v.new.parameters else "removed"
                v.add("wording_only" if in_wording else "parameter_changed", f"parameter.{name}",
                      NEUTRAL, f"parameter {name} {what}" + (" (used only in wording)"
                                                            if in_wording else ""))
            continue
        if v.history(v.old, name) == v.history(v.new, name):
            continue
        how = v.move_text(name)
        if not in_rules:
            v.add("wording_only" if in_wording else "parameter_changed", f"parameter.{name}",
                  NEUTRAL, f"parameter {how}" + (", used only in wording" if in_wording
                                                  else ", used nowhere"))
        else:
            places = ", ".join(format_path(p) for p in uses[RULES][:3])
            v.add("parameter_changed", f"parameter.{name}", MIXED, f"parameter {how}; read by "
                  f"{places}: review", (f"parameter.{name}",))
