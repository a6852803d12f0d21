"""The reading guide: what needs your special attention, what you must do, what you gain.

Every item says its consequence in one sentence and names its clause
(Insurance Law Art. 17: a prominent notice of what cuts or refuses cover). The
consequences are worded from the rules themselves - the tier a missed check-up
moves to and the benefits that depend on it, the exclusion a result adds, the
loading, the referral - so they cannot drift from what the engine does. The
highlighted list stays short: what is alike (waiting periods, exclusions) is
one entry naming each clause, and the limits and shares of cost follow,
unhighlighted, one line per benefit clause.

The caller is `policy._Builder`, passed in as `b` (words, values, clause
numbers and titles of the specimen wording).
"""

from __future__ import annotations

from typing import Any

from ..product.model import Checkup, Effect, Programme
from .blocks import Clause, Guide, GuideGroup, GuideItem, GuidePart, Section
from .policy_terms import guide_terms

ATTENTION, DUTIES, GAINS, BY_CLAUSE = "attention", "duties", "gains", "by_clause"


def reading_guide(b: Any, sections: list[Section]) -> Guide:
    """The guide of the specimen wording `b` builds, whose `sections` are already built."""
    clauses = {}
    for section in sections:
        for clause in section.clauses:
            clauses[clause.key] = clause
            clauses.update((sub.key, sub) for sub in clause.clauses)
    return _Guide(b, clauses).build()


def cuts_cover(effect: Effect) -> bool:
    """Whether a check-up result can change cover or price (the lint's list of them)."""
    return bool(effect.tier or effect.exclude or effect.loading is not None or effect.refer)


class _Guide:
    def __init__(self, b: Any, clauses: dict[str, Clause]):
        self.b = b
        self.p = b.product
        self.w = b.words
        self.v = b.values
        self.clauses = clauses

    def build(self) -> Guide:
        w = self.w
        parts = [GuidePart(ATTENTION, w("attention"), self.attention()),
                 GuidePart(DUTIES, w("guide_duties"), self.duties()),
                 GuidePart(GAINS, w("guide_gains"), self.gains()),
                 GuidePart(BY_CLAUSE, w("guide_by_clause"), self.by_clause())]
        return Guide([part for part in parts if part.entries])

    # -------------------------------------------------------------- helpers

    def ref(self, key: str) -> str:
        return self.b.clause(key)

    def both(self, parts: list[str]) -> str:
        """Consequences in one sentence: 'a and b' / 'a，b'."""
        return "，".join(parts) if self.b.locale == "zh-CN" else self.w.join(parts)

    def lower(self, name: str) -> str:
        """A name inside an English sentence: 'Liver cancer' -> 'liver cancer' (not 'ECG')."""
        if self.b.locale == "zh-CN" or name[1:2].isupper():
            return name
        return name[:1].lower() + name[1:]

    def items(self, keys: list[tuple[str, str]], attention: bool) -> list[GuideItem]:
        return [GuideItem(text, self.ref(key), attention) for text, key in keys]

    # -------------------------------------------------------------- special attention

    def attention(self) -> list[GuideItem | GuideGroup]:
        w, b, v, p = self.w, self.b, self.v, self.p
        out: list[GuideItem | GuideGroup] = []
        waiting = [(w("guide_waiting_item", benefit=self.lower(b.name(x.name)),
                      days=v.ref(x.waiting_period_days, "days")), f"benefit.{x.id}")
                   for x in p.benefits if v.number(x.waiting_period_days)]
        if waiting:
            out.append(GuideGroup(w("guide_waiting"), self.items(waiting, True), True))
        general = [(b.name(x.name), f"exclusion.{x.id}") for x in p.exclusions
                   if not x.added_by_underwriting]
        added = [(b.name(x.name), f"exclusion.{x.id}") for x in p.exclusions
                 if x.added_by_underwriting]
        if general:
            out.append(GuideGroup(w("guide_exclusions"), self.items(general, True), True))
        if added:
            out.append(GuideGroup(w("guide_added_exclusions"), self.items(added, True), True))
        out += [GuideItem(b.text(rule.text), self.ref(f"eligibility.{rule.id}"), True)
                for rule in p.eligibility if rule.outcome == "loading"]
        for checkup in p.checkups:
            for result in checkup.results:
                if cuts_cover(result):
                    key = f"checkup.{checkup.id}.{result.id}"
                    title = self.clauses[key].title if key in self.clauses else ""
                    out.append(GuideItem(w("guide_result", title=title,
                                           consequence=self.consequence(result, checkup)),
                                         self.ref(key), True))
        if not p.term.guaranteed_renewal:
            out.append(GuideItem(w("guide_renewal"), b.general_clause("renewal"), True))
        return out

    # -------------------------------------------------------------- duties

    def duties(self) -> list[GuideItem | GuideGroup]:
        """Disclosure, then each check-up with what missing it does; reviews grouped."""
        w, b = self.w, self.b
        out: list[GuideItem | GuideGroup] = [
            GuideItem(w("guide_disclosure"), b.general_clause("disclosure"), True)]
        reviews = []
        for checkup in self.p.checkups:
            regular = checkup.trigger.every_months is not None or checkup.trigger.on_issue \
                or checkup.trigger.each is not None
            key = f"checkup.{checkup.id}"
            if checkup.on_missed is None and not regular:
                reviews.append((b.name(checkup.name), key))
                continue
            missed = checkup.on_missed if checkup.on_missed is not None else Effect()
            in_a_row = self.v.number(checkup.missed_in_a_row) > 1  # issue 13
            out.append(GuideItem(w("guide_checkup_in_a_row" if in_a_row else "guide_checkup",
                                   checkup=b.name(checkup.name),
                                   count=self.v.ref(checkup.missed_in_a_row),
                                   consequence=self.consequence(missed, checkup, True)),
                                 self.ref(key), checkup.on_missed is not None))
        if reviews:
            out.append(GuideGroup(w("guide_reviews"), self.items(reviews, False)))
        return out

    def consequence(self, effect: Effect, checkup: Checkup, missed: bool = False) -> str:
        """What an effect does, in words: '... falls to 50% ... until your next check-up'."""
        w, b, v = self.w, self.b, self.v
        parts = []
        if effect.tier is not None and effect.tier in self.p.coverage.tiers:
            parts.append(self.tier_words(effect.tier, checkup, missed))
        if effect.exclude:
            names = [w("quoted", text=b.name(x.name)) + w.gap
                     + w("clause_ref", clause=self.ref(f"exclusion.{x.id}"))
                     for x in self.p.exclusions if x.id in effect.exclude]
            parts.append(w("cons_exclude", names=w.join(names)))
        if effect.loading is not None:
            parts.append(w("cons_loading", percent=v.ref(effect.loading, "percent")))
        if effect.premium_rebate_percent is not None:
            parts.append(w("cons_rebate", percent=v.ref(effect.premium_rebate_percent,
                                                        "percent")))
        if effect.refer:
            parts.append(w("cons_refer"))
        if effect.schedule is not None:
            other = next(c for c in self.p.checkups if c.id == effect.schedule)
            parts.append(w("cons_schedule", checkup=self.lower(b.name(other.name)),
                           clause=w("clause_ref", clause=self.ref(f"checkup.{other.id}"))))
        return self.both(parts) if parts else w("cons_none")

    def tier_words(self, tier: str, checkup: Checkup, missed: bool) -> str:
        """'the liver cancer benefit falls to 50% of the sum insured until ...'."""
        w, v, cover = self.w, self.v, self.p.coverage
        percent = v.number(cover.tiers[tier].percent)
        start = cover.tiers.get(cover.initial_tier or "")
        if tier == cover.initial_tier and checkup.trigger.on_issue:
            verb = "stays"
        elif start is not None and percent > v.number(start.percent):
            verb = "rises"
        else:
            verb = "falls" if percent < 100 else "rises"
        share = [self.lower(self.b.name(x.name)) for x in self.p.benefits
                 if x.pays.percent_of_sum_insured is not None
                 or x.limits.per_year_percent_of_sum_insured is not None]
        key = f"cons_tier_{verb}" + ("_one" if len(share) == 1 else "")
        text = w(key, benefit=share[0] if share else "",
                 percent=v.ref(cover.tiers[tier].percent, "percent"))
        if missed and verb == "falls" and (checkup.trigger.every_months is not None
                                           or checkup.trigger.each is not None):
            text += w("cons_until_next")
        elif missed and checkup.trigger.repeat_if_missed:
            text += w("cons_this_year")
        return text

    # -------------------------------------------------------------- gains

    def gains(self) -> list[GuideItem | GuideGroup]:
        w, b, p = self.w, self.b, self.p
        out: list[GuideItem | GuideGroup] = [
            GuideItem(w("right_cooling", days=self.v.ref(p.cooling_off_days, "days")),
                      b.general_clause("cooling_off"))]
        benefits = [(b.name(x.name), f"benefit.{x.id}") for x in p.benefits]
        out.append(GuideGroup(w("guide_benefits"), self.items(benefits, False)))
        for checkup in p.checkups:
            done = checkup.on_done
            if done is not None and (self.raises(done) or done.premium_rebate_percent):
                gained = Effect(tier=done.tier if self.raises(done) else None,
                                premium_rebate_percent=done.premium_rebate_percent)
                out.append(GuideItem(w("guide_done", checkup=b.name(checkup.name),
                                       consequence=self.consequence(gained, checkup)),
                                     self.ref(f"checkup.{checkup.id}")))
        out += [self.bonus(programme) for programme in p.adherence]
        if p.term.renewable:
            out.append(GuideItem(w("right_renewal"), b.general_clause("renewal")))
        out.append(GuideItem(w("right_claims"), b.number_of["claims"]))
        out.append(GuideItem(w("right_complaints"), b.general_clause("complaints")))
        return out

    def raises(self, effect: Effect) -> bool:
        """Whether an effect moves cover to a higher tier than it starts at."""
        tiers, v = self.p.coverage.tiers, self.v
        start = tiers.get(self.p.coverage.initial_tier or "")
        return (effect.tier is not None and effect.tier in tiers and start is not None
                and v.number(tiers[effect.tier].percent) > v.number(start.percent))

    def bonus(self, programme: Programme) -> GuideItem:
        """A bonus: what a kept year adds, its cap and what a missed year does (highlighted)."""
        w, v, b = self.w, self.v, self.b
        name, ref = b.name(programme.name), self.ref(f"adherence.{programme.id}")
        change = programme.change
        if change is None:  # it takes a loading off
            return GuideItem(w("guide_loading_off", programme=name), ref)
        limits = w.join([self.lower(b.name(self.p.coverage.limits[n].name))
                         for n in change.limits])
        once = v.number(change.step_percent) >= v.number(change.cap_percent)
        words = w(f"bonus_{change.target}" + ("_once" if once else ""),
                  step=v.ref(change.step_percent, "percent"),
                  cap=v.ref(change.cap_percent, "percent"), limits=limits)
        return GuideItem(w("guide_bonus", programme=name, change=words,
                           miss=w(f"bonus_{change.on_miss}")), ref, True)

    # -------------------------------------------------------------- the rest, by clause

    def by_clause(self) -> list[GuideItem | GuideGroup]:
        """Each benefit's limits, share of cost and deductible: one line per clause."""
        w, v, b = self.w, self.v, self.b
        out: list[GuideItem | GuideGroup] = []
        for x in self.p.benefits:
            parts = list(b.limits_words(x))
            if v.number(x.pays.ratio_percent) < 100:
                parts.append(w("by_ratio", ratio=v.ref(x.pays.ratio_percent, "percent")))
            if v.number(x.pays.deductible):
                parts.append(w("by_deductible", amount=v.ref(x.pays.deductible,
                                                             self.p.currency)))
            parts += guide_terms(b, x)
            if parts:
                out.append(GuideItem(f"{b.name(x.name)}{w('colon')}{w('list_sep').join(parts)}",
                                     self.ref(f"benefit.{x.id}")))
        return out
