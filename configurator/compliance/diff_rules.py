"""The rules of a product compared version to version: eligibility, check-ups,
adherence programmes, benefits and exclusions (see `diff_sections`)."""

from __future__ import annotations

import math
from typing import Any

from ..product.model import Effect, Product
from . import diff_terms
from .changes import (
    FAVOURABLE,
    MIXED,
    NEUTRAL,
    UNFAVOURABLE,
    Field,
    Versions,
    by_key,
    label_of,
    matched,
)

SEVERITY = {"decline": 3, "refer": 2, "loading": 1, "exclusion": 1}
DAYS = ("lengthened", "shortened")
NO_EFFECT = Effect()


def tier_percent(v: Versions, product: Product, tier: str | None) -> float:
    """The share of the sum insured a cover tier gives (100 for no tier)."""
    if tier is None or tier not in product.coverage.tiers:
        return 100.0
    return float(v.history(product, product.coverage.tiers[tier].percent)[-1][1])


# ------------------------------------------------------------ rules


def eligibility(v: Versions) -> None:
    old, new = by_key(v.old.eligibility), by_key(v.new.eligibility)
    removed, kept, added = matched(old, new)
    for key in removed:
        rule = old[key]
        kind, _ = _outcome_kinds(rule.outcome)
        v.add(kind[1], f"eligibility.{key}", FAVOURABLE,
              f"eligibility rule {key} ({rule.outcome}) removed", old_node=rule)
    for key in added:
        rule = new[key]
        kind, _ = _outcome_kinds(rule.outcome)
        v.add(kind[0], f"eligibility.{key}", UNFAVOURABLE,
              f"eligibility rule {key} ({rule.outcome}) added", new_node=rule, existing=False)
    for key in kept:
        _eligibility_rule(v, old[key], new[key])


def _outcome_kinds(outcome: str) -> tuple[tuple[str, str], str]:
    """(kind when such a rule is added, kind when removed), and what it is about."""
    if outcome in ("decline", "refer"):
        return ("eligibility_narrowed", "eligibility_widened"), "eligibility"
    if outcome == "loading":
        return ("loading_raised", "loading_lowered"), "threshold_moved"
    return ("exclusion_added", "exclusion_removed"), "threshold_moved"


def _eligibility_rule(v: Versions, o: Any, n: Any) -> None:
    subject = f"eligibility.{n.id}"
    label = f"eligibility rule {n.id} ({n.outcome})"
    if o.outcome != n.outcome:
        a, b = SEVERITY[o.outcome], SEVERITY[n.outcome]
        effect = FAVOURABLE if b < a else UNFAVOURABLE if b > a else MIXED
        v.add("eligibility_outcome_changed", subject, effect, f"eligibility rule {n.id} now "
              f"gives {n.outcome} instead of {o.outcome}", old=o.outcome, new=n.outcome,
              old_node=v.spot("old", o, "outcome"), new_node=v.spot("new", n, "outcome"))
    _, kind = _outcome_kinds(n.outcome)
    v.condition(subject, label, o.when, n.when, (kind, UNFAVOURABLE, "applicants"),
                {"metrics": False}, v.spot("old", o, "when"), v.spot("new", n, "when"))
    v.number(subject, n.id, Field("loading of rule {name}", "loading_raised", "loading_lowered",
                                  -1, "percent", none=0), o.percent, n.percent,
             v.spot("old", o, "percent"), v.spot("new", n, "percent"))
    if o.exclusion != n.exclusion:
        v.add("exclusion_added", subject, MIXED, f"eligibility rule {n.id} now adds exclusion "
              f"{n.exclusion} instead of {o.exclusion}", old=o.exclusion, new=n.exclusion,
              old_node=o, new_node=n)
    if o.removed_by != n.removed_by:
        effect = FAVOURABLE if o.removed_by is None else UNFAVOURABLE if n.removed_by is None \
            else NEUTRAL
        v.add("loading_lowered" if effect == FAVOURABLE else "loading_raised", subject, effect,
              f"loading of rule {n.id} removed by programme {n.removed_by or 'none'} instead of "
              f"{o.removed_by or 'none'}", old=o.removed_by, new=n.removed_by,
              old_node=o, new_node=n)


def checkups(v: Versions) -> None:
    old, new = by_key(v.old.checkups), by_key(v.new.checkups)
    removed, kept, added = matched(old, new)
    for key in removed:
        adverse = _demands(v, v.old, old[key])
        v.add("checkup_removed", f"checkup.{key}", FAVOURABLE if adverse else NEUTRAL,
              f"check-up {label_of(old[key], key)} removed" + (
                  " (missing it no longer reduces cover)" if adverse else ""), old_node=old[key])
    for key in added:
        adverse = _demands(v, v.new, new[key])
        v.add("checkup_added", f"checkup.{key}", UNFAVOURABLE if adverse else NEUTRAL,
              f"check-up {label_of(new[key], key)} added" + (
                  " (missing it reduces cover)" if adverse else ""), new_node=new[key],
              existing=False)
    for key in kept:
        _checkup(v, old[key], new[key])


def _demands(v: Versions, product: Product, checkup: Any) -> bool:
    """Whether missing the check-up, or what it finds, can cost the insured cover."""
    effects = [checkup.on_missed, *checkup.results]
    return any(_adverse(v, product, e) for e in effects if e is not None)


def _adverse(v: Versions, product: Product, effect: Effect) -> bool:
    initial = tier_percent(v, product, product.coverage.initial_tier)
    lower = effect.tier is not None and tier_percent(v, product, effect.tier) < initial
    return bool(lower or effect.exclude or effect.refer or effect.loading)


def _checkup(v: Versions, o: Any, n: Any) -> None:
    subject, name = f"checkup.{n.id}", label_of(n, n.id)
    demands = _demands(v, v.new, n)
    v.flag(subject, f"event that records check-up {name}", o.event, n.event, None,
           "checkup_changed", o, n)
    if set(o.items) != set(n.items):
        v.add("checkup_changed", subject, NEUTRAL, f"tests in check-up {name} changed from "
              f"{sorted(o.items)} to {sorted(n.items)}", old=o.items, new=n.items,
              old_node=o, new_node=n)
    _trigger(v, subject, name, o, n, demands)
    for field_name, label in (("due_days", "time allowed for check-up {name}"),
                              ("window_days", "window around the due date of check-up {name}"),
                              ("extension_days", "grace period after check-up {name}")):
        v.number(subject, name, Field(label, "checkup_deadline_changed",
                                      "checkup_deadline_changed", 1, "days", DAYS, none=0),
                 getattr(o, field_name), getattr(n, field_name),
                 v.spot("old", o, field_name), v.spot("new", n, field_name))
    v.number(subject, name, Field("misses in a row of check-up {name} before a miss counts",
                                  "checkup_misses_changed", "checkup_misses_changed", 1,
                                  None, none=1),
             o.missed_in_a_row, n.missed_in_a_row, v.spot("old", o, "missed_in_a_row"),
             v.spot("new", n, "missed_in_a_row"))
    _effect(v, subject, f"after a missed check-up {name}", o.on_missed, n.on_missed)
    _effect(v, subject, f"after check-up {name}", o.on_done, n.on_done)
    _results(v, subject, name, o, n)
    diff_terms.late_results(v, subject, name, o, n)


def _trigger(v: Versions, subject: str, name: str, o: Any, n: Any, demands: bool) -> None:
    a, b = o.trigger, n.trigger
    kinds = (a.on_issue, a.every_months is not None, a.when is not None, a.each)
    if kinds != (b.on_issue, b.every_months is not None, b.when is not None, b.each):
        v.add("checkup_trigger_changed", subject, MIXED if demands else NEUTRAL,
              f"check-up {name} is now due on a different kind of trigger", old_node=a,
              new_node=b)
        return
    v.number(subject, name, Field("interval of check-up {name}", "checkup_trigger_changed",
                                  "checkup_trigger_changed", 1 if demands else 0, "months", DAYS),
             a.every_months, b.every_months, a, b)
    scope = {"event": _trigger_event(v.new, n),
             "metrics": (b.on or "applicant") != "applicant" or bool(b.on_any)}
    v.condition(subject, f"trigger of check-up {name}", a.when, b.when,
                ("checkup_trigger_changed", UNFAVOURABLE if demands else NEUTRAL, "cases"),
                scope, v.spot("old", a, "when"), v.spot("new", b, "when"))
    if not diff_terms.trigger_events(v, subject, name, a, b):
        v.flag(subject, f"what triggers check-up {name}", a.on, b.on, None,
               "checkup_trigger_changed", a, b)
    v.flag(subject, f"check-up {name} offered again at renewal after a miss", a.repeat_if_missed,
           b.repeat_if_missed, True, "checkup_trigger_changed", a, b)


def _trigger_event(product: Product, checkup: Any) -> str | None:
    on = checkup.trigger.on or (checkup.trigger.on_any or [None])[0]
    if on in product.events:
        return on
    for other in product.checkups:
        if other.id == on:
            return other.event
    return None


def _effect(v: Versions, subject: str, label: str, o: Effect | None, n: Effect | None) -> None:
    """What a check-up outcome does to cover: tier, exclusions, referral, loading."""
    a, b = o or NO_EFFECT, n or NO_EFFECT
    if a.tier != b.tier:
        pa, pb = tier_percent(v, v.old, a.tier), tier_percent(v, v.new, b.tier)
        effect = FAVOURABLE if pb > pa else UNFAVOURABLE if pb < pa else NEUTRAL
        v.add("checkup_effect_changed", subject, effect, f"cover tier {label} is now "
              f"{b.tier or 'unchanged'} ({pb:g}%) instead of {a.tier or 'unchanged'} ({pa:g}%)",
              old=a.tier, new=b.tier, old_node=o, new_node=n)
    for gone in sorted(set(a.exclude) - set(b.exclude)):
        v.add("checkup_effect_changed", subject, FAVOURABLE, f"{label} exclusion {gone} no "
              "longer added", old_node=o, new_node=n)
    for extra in sorted(set(b.exclude) - set(a.exclude)):
        v.add("checkup_effect_changed", subject, UNFAVOURABLE, f"{label} exclusion {extra} now "
              "added", old_node=o, new_node=n)
    v.flag(subject, f"referral to an underwriter {label}", a.refer, b.refer, False,
           "checkup_effect_changed", o, n)
    v.number(subject, label, Field("loading {name}", "checkup_effect_changed",
                                   "checkup_effect_changed", -1, "percent", none=0),
             a.loading, b.loading, o, n)
    v.number(subject, label, Field("premium rebate {name}", "checkup_effect_changed",
                                   "checkup_effect_changed", 1, "percent", none=0),
             a.premium_rebate_percent, b.premium_rebate_percent, o, n)
    v.flag(subject, f"check-up scheduled {label}", a.schedule, b.schedule, None,
           "checkup_effect_changed", o, n)


def _results(v: Versions, subject: str, name: str, o: Any, n: Any) -> None:
    old, new = by_key(o.results), by_key(n.results)
    removed, kept, added = matched(old, new)
    for key in removed:
        adverse = _adverse(v, v.old, old[key])
        v.add("checkup_effect_changed", subject, FAVOURABLE if adverse else NEUTRAL,
              f"result {key} of check-up {name} removed", old_node=old[key])
    for key in added:
        adverse = _adverse(v, v.new, new[key])
        v.add("checkup_effect_changed", subject, UNFAVOURABLE if adverse else NEUTRAL,
              f"result {key} of check-up {name} added", new_node=new[key], existing=False)
    for key in kept:
        a, b = old[key], new[key]
        widened = UNFAVOURABLE if _adverse(v, v.new, b) else NEUTRAL
        v.condition(subject, f"result {key} of check-up {name}", a.when, b.when,
                    ("threshold_moved", widened, "visits"), {"event": n.event},
                    v.spot("old", a, "when"), v.spot("new", b, "when"))
        _effect(v, subject, f"on result {key} of check-up {name}", a, b)


def adherence(v: Versions) -> None:
    old, new = by_key(v.old.adherence), by_key(v.new.adherence)
    for key in v.membership("adherence.{}", "adherence programme {}", old, new,
                            ("programme_removed", "programme_added"),
                            (UNFAVOURABLE, FAVOURABLE)):
        _programme(v, old[key], new[key])


def _programme(v: Versions, o: Any, n: Any) -> None:
    subject, name = f"adherence.{n.id}", label_of(n, n.id)
    v.condition(subject, f"the condition to earn {name}", o.when, n.when,
                ("threshold_moved", FAVOURABLE, "policy years"), {},
                v.spot("old", o, "when"), v.spot("new", n, "when"))
    a, b = o.change, n.change
    if a is None or b is None:
        if a is not b:
            v.add("adherence_bonus_raised" if a is None else "adherence_bonus_lowered", subject,
                  FAVOURABLE if a is None else UNFAVOURABLE, f"{name} " + (
                      "now also changes cover" if a is None else "no longer changes cover"),
                  old_node=o, new_node=n)
        return
    if a.target != b.target:
        v.add("adherence_changed", subject, MIXED, f"{name} now changes {b.target} instead of "
              f"{a.target}", old=a.target, new=b.target, old_node=a, new_node=b)
    for gone in sorted(set(a.limits) - set(b.limits)):
        v.add("adherence_bonus_lowered", subject, UNFAVOURABLE, f"{name} no longer raises "
              f"limit {gone}", old_node=a, new_node=b)
    for extra in sorted(set(b.limits) - set(a.limits)):
        v.add("adherence_bonus_raised", subject, FAVOURABLE, f"{name} now also raises limit "
              f"{extra}", old_node=a, new_node=b)
    v.number(subject, name, Field("yearly step of {name}", "adherence_bonus_raised",
                                  "adherence_bonus_lowered", 1, "percent"),
             a.step_percent, b.step_percent, v.spot("old", a, "step_percent"),
             v.spot("new", b, "step_percent"))
    v.number(subject, name, Field("cap of {name}", "adherence_cap_raised",
                                  "adherence_cap_lowered", 1, "percent"),
             a.cap_percent, b.cap_percent, v.spot("old", a, "cap_percent"),
             v.spot("new", b, "cap_percent"))
    v.flag(subject, f"what a missed year does to {name}", a.on_miss, b.on_miss, "freeze",
           "adherence_changed", v.spot("old", a, "on_miss"), v.spot("new", b, "on_miss"))
    v.flag(subject, f"what the bonus of {name} is a share of", a.basis, b.basis, "full",
           "adherence_changed", v.spot("old", a, "basis"), v.spot("new", b, "basis"))


def benefits(v: Versions) -> None:
    old, new = by_key(v.old.benefits), by_key(v.new.benefits)
    for key in v.membership("benefit.{}", "benefit {}", old, new,
                            ("benefit_removed", "benefit_added"), (UNFAVOURABLE, FAVOURABLE)):
        _benefit(v, old[key], new[key])


_PAYS = (("percent_of_sum_insured", "share of the sum insured paid for {name}", "percent"),
         ("amount", "amount paid for {name}", "money"),
         ("per_day", "daily amount paid for {name}", "money"))
_LIMITS = (("per_claim", "limit per claim of {name}", "money"),
           ("per_year", "yearly limit of {name}", "money"),
           ("per_year_days", "days paid per year for {name}", "days"),
           ("lifetime", "lifetime limit of {name}", "money"),
           ("per_year_percent_of_sum_insured", "yearly limit of {name} as a share of the sum "
            "insured", "percent"))


def _benefit(v: Versions, o: Any, n: Any) -> None:
    subject, name = f"benefit.{n.id}", label_of(n, n.id)
    v.flag(subject, f"event that claims {name}", o.event, n.event, None, "benefit_changed", o, n)
    v.condition(subject, f"cover of {name}", o.when, n.when, ("threshold_moved", FAVOURABLE,
                "claims"), {"event": n.event, "metrics": False},
                v.spot("old", o, "when"), v.spot("new", n, "when"))
    _pays(v, subject, name, o.pays, n.pays)
    for field_name, label, unit in _LIMITS:
        v.number(subject, name, Field(label, "limit_raised", "limit_lowered", 1, unit,
                                      none=math.inf),
                 getattr(o.limits, field_name), getattr(n.limits, field_name),
                 v.spot("old", o.limits, field_name), v.spot("new", n.limits, field_name))
    if o.limits.shared != n.limits.shared:
        v.add("limit_changed", subject, MIXED, f"{name} now shares limit "
              f"{n.limits.shared or 'none'} instead of {o.limits.shared or 'none'}",
              old_node=o.limits, new_node=n.limits)
    for field_name, label in (("per_policy_year", "claims paid per policy year for {name}"),
                              ("lifetime", "claims paid in a lifetime for {name}")):
        v.number(subject, name, Field(label, "limit_raised", "limit_lowered", 1, none=math.inf),
                 getattr(o.frequency, field_name), getattr(n.frequency, field_name),
                 v.spot("old", o.frequency, field_name), v.spot("new", n.frequency, field_name))
    v.number(subject, name, Field("waiting period for {name}", "waiting_period_lengthened",
                                  "waiting_period_shortened", -1, "days", DAYS, none=0),
             o.waiting_period_days, n.waiting_period_days,
             v.spot("old", o, "waiting_period_days"), v.spot("new", n, "waiting_period_days"))


def _pays(v: Versions, subject: str, name: str, a: Any, b: Any) -> None:
    way_a = [f for f, _, _ in _PAYS if getattr(a, f) is not None] or ["expenses"]
    way_b = [f for f, _, _ in _PAYS if getattr(b, f) is not None] or ["expenses"]
    if way_a != way_b or a.days_field != b.days_field or a.expenses_field != b.expenses_field:
        v.add("benefit_changed", subject, MIXED, f"{name} now pays by {way_b[0]} instead of "
              f"{way_a[0]}", old_node=a, new_node=b)
        return
    spots = (v.spot("old", a), v.spot("new", b))
    for field_name, label, unit in _PAYS:
        v.number(subject, name, Field(label, "benefit_raised", "benefit_lowered", 1, unit),
                 getattr(a, field_name), getattr(b, field_name), *spots)
    if a.ratio_by is None and b.ratio_by is None:  # else diff_terms compares each share
        v.number(subject, name, Field("share of expenses paid for {name}", "benefit_raised",
                                      "benefit_lowered", 1, "percent"),
                 a.ratio_percent, b.ratio_percent, *spots)
    v.number(subject, name, Field("deductible of {name}", "benefit_lowered", "benefit_raised", -1,
                                  "money"), a.deductible, b.deductible, *spots)
    diff_terms.pays_terms(v, subject, name, a, b)


def exclusions(v: Versions) -> None:
    old, new = by_key(v.old.exclusions), by_key(v.new.exclusions)
    removed, kept, added = matched(old, new)
    for key in removed:
        general = not old[key].added_by_underwriting
        v.add("exclusion_removed", f"exclusion.{key}", FAVOURABLE if general else NEUTRAL,
              f"exclusion {label_of(old[key], key)} removed" + _who(old[key]), old_node=old[key])
    for key in added:
        general = not new[key].added_by_underwriting
        v.add("exclusion_added", f"exclusion.{key}", UNFAVOURABLE if general else NEUTRAL,
              f"exclusion {label_of(new[key], key)} added" + _who(new[key]), new_node=new[key],
              existing=False)
    for key in kept:
        _exclusion(v, old[key], new[key])


def _who(exclusion: Any) -> str:
    return " (applies only when underwriting adds it)" if exclusion.added_by_underwriting else ""


def _exclusion(v: Versions, o: Any, n: Any) -> None:
    subject, name = f"exclusion.{n.id}", label_of(n, n.id)
    event = _first_event(v.new, n)
    v.condition(subject, f"exclusion {name}", o.when, n.when, ("threshold_moved", UNFAVOURABLE,
                "claims"), {"event": event, "metrics": False},
                v.spot("old", o, "when"), v.spot("new", n, "when"))
    before = set(o.applies_to or [b.id for b in v.old.benefits])
    after = set(n.applies_to or [b.id for b in v.new.benefits])
    if after - before:
        v.add("exclusion_added", subject, UNFAVOURABLE, f"exclusion {name} now also applies to "
              f"{', '.join(sorted(after - before))}", old_node=o, new_node=n)
    if before - after:
        v.add("exclusion_removed", subject, FAVOURABLE, f"exclusion {name} no longer applies to "
              f"{', '.join(sorted(before - after))}", old_node=o, new_node=n)
    diff_terms.exclusion_terms(v, subject, name, o, n)
    if o.added_by_underwriting != n.added_by_underwriting:
        general = not n.added_by_underwriting
        v.add("exclusion_added" if general else "exclusion_removed", subject,
              UNFAVOURABLE if general else FAVOURABLE, f"exclusion {name} now applies " + (
                  "to everyone" if general else "only when underwriting adds it"),
              old_node=o, new_node=n)


def _first_event(product: Product, exclusion: Any) -> str | None:
    applies = exclusion.applies_to or [b.id for b in product.benefits]
    for benefit in product.benefits:
        if benefit.id in applies:
            return benefit.event
    return None
