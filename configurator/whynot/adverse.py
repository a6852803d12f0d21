"""The adverse parts of an Outcome, each with a test for whether another Outcome still has it.

Read from the Outcome's reasons (which rule fired, and when), its loadings,
added exclusions, check-ups and claims. Programmes whose current year is not
on track need the engine to tell (`events.programme_items`). Stable order:
reasons in the order the engine gave them, then check-ups, then claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..cases.calendar import ONE_DAY
from ..cases.outcome import CheckupOut, Outcome, Reason
from ..compiler.compile import RuleInfo
from ..product.model import Effect, Product, text_in
from .model import Adverse


def best_tier(product: Product, constants: Mapping[str, object]) -> str | None:
    """The tier with the largest share of the sum insured (None: the product has no tiers)."""
    tiers = product.coverage.tiers
    if not tiers:
        return None
    def share(item):
        value = item[1].percent
        return float(constants.get(value, 0) if isinstance(value, str) else value)
    return max(tiers.items(), key=share)[0]


def find(outcome: Outcome, product: Product, rules: Mapping[str, RuleInfo],
         constants: Mapping[str, object], locale: str = "en") -> list[Adverse]:
    """Every adverse part of `outcome`, once each, in a stable order."""
    best = best_tier(product, constants)
    found: list[Adverse] = []
    for reason in outcome.reasons:
        item = _from_reason(reason, outcome, product, rules, best)
        if item is not None and item not in found:
            found.append(item)
    covered = {a.subject for a in found if a.kind in ("checkup", "tier")}
    for checkup in outcome.checkups:
        subject = f"{checkup.id}@{checkup.due.isoformat()}"
        if checkup.status == "overdue" and subject not in covered:
            rule = _checkup_rule(checkup.id, rules)
            info = rules.get(rule)
            name = next(text_in(c.name, locale) for c in product.checkups if c.id == checkup.id)
            found.append(Adverse("checkup", rule, subject, info.clause if info else "",
                                 info.source if info else "", checkup.due, name))
    for claim in outcome.claims:
        if claim.status != "declined" or not claim.reasons or outcome.decision == "decline":
            continue  # a declined application's claims follow from the decline
        why = claim.reasons[0]
        item = Adverse("claim", why.rule, f"{claim.id}:{claim.benefit or ''}", why.clause,
                       why.source, claim.date, why.text)
        if item not in found:
            found.append(item)
    return found


def _checkup_rule(checkup_id: str, rules: Mapping[str, RuleInfo]) -> str:
    for rule in (f"missed.{checkup_id}", f"done.{checkup_id}", f"trigger.{checkup_id}"):
        if rule in rules:
            return rule
    return f"missed.{checkup_id}"


def _from_reason(reason: Reason, outcome: Outcome, product: Product,
                 rules: Mapping[str, RuleInfo], best: str | None) -> Adverse | None:
    kind_of, _, rest = reason.rule.partition(".")
    if kind_of == "eligibility":
        rule = next((r for r in product.eligibility if r.id == rest), None)
        if rule is None:
            return None
        if rule.outcome == "loading" and not any(
                x.rule == reason.rule and x.removed is None for x in outcome.loadings):
            return None  # removed already (by a programme kept), or no cover to load
        subject = rule.exclusion if rule.outcome == "exclusion" else reason.rule
        return _item(rule.outcome, reason, subject)
    if kind_of == "result":
        checkup_id, _, result_id = rest.partition(".")
        checkup = next((c for c in product.checkups if c.id == checkup_id), None)
        result = next((r for r in checkup.results if r.id == result_id), None) if checkup else None
        kind = _effect_kind(result, best) if result is not None else None
        date = reason.date.isoformat() if reason.date else ""
        return _item(kind, reason, f"{reason.rule}@{date}") if kind else None
    if kind_of == "missed":
        checkup = next((c for c in product.checkups if c.id == rest), None)
        kind = _effect_kind(checkup.on_missed, best) if checkup else None
        if kind is None:
            return None
        kind = "tier" if kind == "tier" else "checkup" if kind != "refer" else "refer"
        occurrence = _missed_occurrence(outcome.checkups, rest, reason.date)
        due = occurrence.due.isoformat() if occurrence else ""
        return _item(kind, reason, f"{rest}@{due}", occurrence.due if occurrence else None)
    return None


def _item(kind: str | None, reason: Reason, subject: str, date: dt.date | None = None
          ) -> Adverse | None:
    if kind is None:
        return None
    return Adverse(kind, reason.rule, subject, reason.clause, reason.source,
                   date or reason.date, reason.text)


def _effect_kind(effect: Effect | None, best: str | None) -> str | None:
    """The worst thing an effect does to the insured (None: nothing adverse)."""
    if effect is None:
        return None
    if effect.refer:
        return "refer"
    if effect.loading is not None:
        return "loading"
    if effect.exclude:
        return "exclusion"
    if effect.tier is not None and effect.tier != best:
        return "tier"
    return "checkup" if effect.schedule is not None else None


def _missed_occurrence(checkups: list[CheckupOut], checkup_id: str, day: dt.date | None
                       ) -> CheckupOut | None:
    missed = [c for c in checkups if c.id == checkup_id and c.status == "missed"]
    for checkup in missed:
        last = checkup.deadline or (checkup.window[1] if checkup.window else checkup.due)
        if day is not None and last + ONE_DAY == day:
            return checkup
    return missed[-1] if missed else None


def present(item: Adverse, outcome: Outcome) -> bool:
    """Whether `outcome` still has the adverse part `item` (a rule-based one)."""
    if item.kind == "loading" and any(x.rule == item.rule and x.removed is not None
                                      for x in outcome.loadings):
        return False  # removed (by a programme kept)
    if item.kind == "claim":
        claim_id, _, benefit = item.subject.partition(":")
        return any(c.id == claim_id and (c.benefit or "") == benefit and c.status == "declined"
                   for c in outcome.claims)
    if item.rule.startswith("result."):
        return any(r.rule == item.rule and r.date == item.date for r in outcome.reasons)
    return any(r.rule == item.rule for r in outcome.reasons)


RANK = {"accept": 0, "refer": 1, "decline": 2}


def not_worse(changed: Outcome, before: Outcome) -> bool:
    """No worse anywhere else: the decision no worse, no loading or added exclusion new."""
    if RANK.get(changed.decision, 2) > RANK.get(before.decision, 2):
        return False
    if before.decision != "accept":  # no cover before: any cover is no worse
        return True
    loadings = {x.rule for x in before.loadings if x.removed is None}
    if any(x.removed is None and x.rule not in loadings for x in changed.loadings):
        return False
    added = {(x.id, x.source) for x in before.exclusions}
    return all((x.id, x.source) in added for x in changed.exclusions)
