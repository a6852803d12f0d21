"""Key facts (page 1) and the premium, for the specimen and for one person.

`key_facts` lays out the same groups for both: who the cover is for, what it
pays, waiting periods, what you must do, what you can gain, what we do not pay
for and the premium. Given the engine's Outcome every value is the person's:
the sum insured and cover level now (with the share of the full sum insured
when a cover level cuts it), the limits a bonus raised, the check-ups due with
their dates, the exclusions added for them, and the premium with their
loadings and discounts (`premium_terms`, which the schedule uses too). The
specimen's sum insured is never shown where the person's differs.

The caller is `policy._Builder`, passed in as `b`: its words, values, clause
numbers and benefit phrases are the specimen's, so both documents read alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..cases.outcome import Outcome, money
from ..product.clauses import clause_numbers
from ..product.model import Benefit, Product, text_in
from ..product.params import parameters_at
from .blocks import FactGroup, GuideItem, KeyFacts
from .phrases import Values

OPEN = ("due", "overdue")  # check-up statuses the person still has to act on


def key_facts(b: Any, outcome: Outcome | None = None) -> KeyFacts:
    """Page 1 of the policy: the specimen's, or one person's when `outcome` is given."""
    return _Facts(b, outcome).build()


class _Facts:
    def __init__(self, b: Any, outcome: Outcome | None):
        self.b = b
        self.product: Product = b.product
        self.w = b.words
        self.v: Values = b.values
        self.outcome = outcome
        if outcome is not None:  # the person's values are those in force on the as-of date
            self.v = Values(self.product, parameters_at(self.product, outcome.as_of), b.locale)

    def build(self) -> KeyFacts:
        w, b = self.w, self.b
        groups = [FactGroup(w("kf_who"), self.who()), FactGroup(w("kf_pays"), self.pays()),
                  FactGroup(w("kf_waiting"), self.waiting(), True),
                  FactGroup(w("kf_do"), self.must_do()), FactGroup(w("kf_gain"), self.gains()),
                  FactGroup(w("kf_exclusions"), self.exclusions(), True),
                  FactGroup(w("kf_premium"), self.premium())]
        cooling = b.general_clause("cooling_off")
        days = self.v.ref(self.product.cooling_off_days, "days")
        return KeyFacts([g for g in groups if g.items],
                        GuideItem(w("kf_cooling", days=days, clause=cooling), cooling))

    # -------------------------------------------------------------- groups

    def who(self) -> list[GuideItem]:
        """Whom the cover is for: on the specimen only (a policy is for the person named)."""
        p, b = self.product, self.b
        if self.outcome is not None:
            return []
        out = [GuideItem(b.text(p.summary))] if p.summary is not None else []
        return out + [GuideItem(self.w("kf_who_more"), b.number_of["eligibility"])]

    def pays(self) -> list[GuideItem]:
        b, w, p = self.b, self.w, self.product
        section = b.number_of["benefits"]
        if self.outcome is None:
            out = [GuideItem(w("kf_sum_insured", amount=self.v.ref(p.coverage.sum_insured,
                                                                  p.currency)), section)]
            start = p.coverage.tiers.get(p.coverage.initial_tier or "")
            if start is not None and self.v.number(start.percent) < 100:
                out.append(GuideItem(w("kf_tier_start", tier=b.name(start.name),
                                       percent=self.v.ref(start.percent, "percent")),
                                     section, True))
        else:
            out = self.cover_now(section)
        colon = w("colon")
        return out + [GuideItem(f"{b.name(x.name)}{colon}{self.pays_words(x)}",
                                b.clause(f"benefit.{x.id}")) for x in p.benefits]

    def cover_now(self, section: str) -> list[GuideItem]:
        """The person's sum insured, cover level and raised limits on the as-of date."""
        w, v, p, b = self.w, self.v, self.product, self.b
        cover = self.outcome.coverage
        if not cover.in_force:
            return [GuideItem(w("kf_not_in_force", date=v.date(self.outcome.as_of)), section,
                              True)]
        text = w("kf_your_sum_insured", amount=v.money(cover.sum_insured))
        if cover.bonus_percent:
            text += w.gap + w("kf_your_bonus", bonus=v.percent(cover.bonus_percent))
        tier = p.coverage.tiers.get(cover.tier or "")
        reduced = tier is not None and v.number(tier.percent) < 100
        if reduced:
            text += w.gap + w("kf_your_tier_reduced", tier=b.name(tier.name),
                              percent=v.ref(tier.percent, "percent"))
        elif tier is not None:
            text += w.gap + w("kf_your_tier", tier=b.name(tier.name))
        out = [GuideItem(text, section, reduced)]
        raised = [f"{b.name(p.coverage.limits[k].name)} {v.money(amount)}"
                  for k, amount in cover.limits.items()
                  if money(amount) != money(v.number(p.coverage.limits[k].amount))]
        if raised:
            out.append(GuideItem(w("kf_your_limits", limits=w("list_sep").join(raised)),
                                 section))
        return out

    def pays_words(self, benefit: Benefit) -> str:
        """What a benefit pays; a share of the sum insured with the person's amount."""
        words = self.b.pays_words(benefit)
        share = benefit.pays.percent_of_sum_insured
        if self.outcome is None or share is None or not self.outcome.coverage.in_force:
            return words
        amount = self.outcome.coverage.sum_insured * Decimal(str(self.v.number(share))) / 100
        return self.w("kf_pays_now", pays=words, amount=self.v.money(money(amount)))

    def waiting(self) -> list[GuideItem]:
        b, v, colon = self.b, self.v, self.w("colon")
        return [GuideItem(f"{b.name(x.name)}{colon}{v.ref(x.waiting_period_days, 'days')}",
                          b.clause(f"benefit.{x.id}"), True)
                for x in self.product.benefits if v.number(x.waiting_period_days)]

    def must_do(self) -> list[GuideItem]:
        """The check-ups: the regular ones, or the person's open ones with their dates."""
        b = self.b
        if self.outcome is None:
            return [GuideItem(b.name(c.name), b.clause(f"checkup.{c.id}"))
                    for c in self.product.checkups
                    if c.trigger.every_months is not None or c.trigger.on_issue
                    or c.trigger.each is not None]
        w, v = self.w, self.v
        names = {c.id: b.name(c.name) for c in self.product.checkups}
        out = []
        for item in sorted(self.outcome.checkups, key=lambda c: (c.due, c.id)):
            if item.status not in OPEN:
                continue
            last = item.deadline or (item.window[1] if item.window else item.due)
            if item.status == "overdue":
                text = w("kf_checkup_overdue", name=names[item.id], date=v.date(last))
            elif item.window:
                text = w("kf_checkup_window", name=names[item.id], date=v.date(item.due),
                         end=v.date(last))
            else:
                text = w("kf_checkup_by", name=names[item.id], date=v.date(last))
            out.append(GuideItem(text, b.clause(f"checkup.{item.id}"), item.status == "overdue"))
        return out or [GuideItem(w("kf_no_checkup"), b.number_of["checkups"])]

    def gains(self) -> list[GuideItem]:
        """The bonuses: their names, or how far the person has got."""
        b, w, v = self.b, self.w, self.v
        status = {a.id: a for a in self.outcome.adherence} if self.outcome else {}
        out = []
        for programme in self.product.adherence:
            name, ref = b.name(programme.name), b.clause(f"adherence.{programme.id}")
            now = status.get(programme.id)
            if now is not None and programme.change is not None:
                name = w("kf_bonus_now", programme=name, bonus=v.percent(now.bonus_percent),
                         cap=v.percent(now.cap_percent))
            out.append(GuideItem(name, ref))
        return out

    def exclusions(self) -> list[GuideItem]:
        """The general exclusions, then those added for this person (highlighted)."""
        b, p = self.b, self.product
        out = [GuideItem(b.name(x.name), b.clause(f"exclusion.{x.id}"), True)
               for x in p.exclusions if not x.added_by_underwriting]
        if self.outcome is None:
            return out
        names = {x.id: b.name(x.name) for x in p.exclusions}
        return out + [GuideItem(self.w("kf_added_exclusion", name=names[x.id]),
                                b.clause(f"exclusion.{x.id}"), True)
                      for x in self.outcome.exclusions if x.source != "product"]

    def premium(self) -> list[GuideItem]:
        """The standard premium; for a person, with their loadings and discounts and the total."""
        b, w, v = self.b, self.w, self.v
        ref = b.general_clause("premium")
        terms = premium_terms(self.product, self.outcome, b.locale)
        services = "" if not terms.services else w.gap + w(
            "kf_premium_services_separate" if terms.separate else "kf_premium_services",
            amount=v.money(terms.services))
        if self.outcome is None or not (terms.loadings or terms.discounts):
            key = "kf_premium_standard" if self.outcome is None else "kf_premium_you_standard"
            return [GuideItem(w(key, amount=v.money(terms.standard)) + services, ref)]
        out = [GuideItem(w("kf_premium_standard", amount=v.money(terms.standard)), ref)]
        out += [GuideItem(w("kf_premium_loading", percent=v.percent(c.percent),
                            amount=v.money(c.amount)), c.ref, True) for c in terms.loadings]
        out += [GuideItem(w("kf_premium_discount", percent=v.percent(c.percent),
                            title=c.title or w("kf_discount"), amount=v.money(c.amount)),
                          c.ref)
                for c in terms.discounts]
        total = ("kf_premium_total_separate" if terms.separate else "kf_premium_total") \
            if terms.services else "kf_premium_total_only"
        return out + [GuideItem(w(total, amount=v.money(terms.total),
                                  services=v.money(terms.services)), ref)]


# ------------------------------------------------------------ the premium


@dataclass(frozen=True)
class Charge:
    """A loading or a discount on the standard premium: where it comes from and how much."""

    title: str
    ref: str
    percent: float
    amount: Decimal


@dataclass
class PremiumTerms:
    """A year's premium: the standard premium, then each loading and discount on it.

    Loadings and discounts are percentages of the standard premium (a discount
    never reduces a loading); `services` is the health-management cost, inside
    the standard premium unless it is priced separately.
    """

    standard: Decimal
    services: Decimal
    separate: bool
    loadings: list[Charge] = field(default_factory=list)
    discounts: list[Charge] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return (self.standard + sum((c.amount for c in self.loadings), Decimal(0))
                - sum((c.amount for c in self.discounts), Decimal(0)))


def premium_terms(product: Product, outcome: Outcome | None, locale: str) -> PremiumTerms:
    """The premium from the product's terms and, for a person, the Outcome's adjustments.

    The Outcome's `premium_adjustment_percent` is the loadings in force less
    the discounts; the discounts are the premium-discount bonuses the person
    has earned plus, for what is left, the rebate of a check-up they had.
    """
    terms = PremiumTerms(money(product.premium.net), money(product.premium.health_management_cost),
                         product.premium.separately_priced)
    if outcome is None:
        return terms
    numbers = clause_numbers(product)

    def charge(title: str, key: str, percent: float) -> Charge:
        return Charge(title, numbers.get(key, ""), percent, share(terms.standard, percent))

    for loading in outcome.loadings:
        if loading.removed is None:
            terms.loadings.append(charge("", clause_key(loading.rule), loading.percent))
    programmes = {p.id: p for p in product.adherence}
    earned = 0.0
    for status in outcome.adherence:
        if status.target == "premium_discount" and status.bonus_percent:
            earned += status.bonus_percent
            terms.discounts.append(charge(text_in(programmes[status.id].name, locale),
                                          f"adherence.{status.id}", status.bonus_percent))
    loaded = sum(c.percent for c in terms.loadings)
    rebate = round(loaded - earned - outcome.coverage.premium_adjustment_percent, 6)
    if rebate > 0:
        done = {c.id for c in outcome.checkups if c.status == "done"}
        source = next((c for c in product.checkups if c.id in done and c.on_done is not None
                       and c.on_done.premium_rebate_percent is not None), None)
        title = text_in(source.name, locale) if source else ""
        terms.discounts.append(charge(title, f"checkup.{source.id}" if source else "", rebate))
    return terms


def share(amount: Decimal, percent: float) -> Decimal:
    """`percent` of `amount`, in cents: a loading or discount on the standard premium."""
    return money(amount * Decimal(str(percent)) / 100)


def clause_key(rule: str) -> str:
    """The clause key of an engine rule id: ``result.c.r`` -> ``checkup.c.r``."""
    kind, _, rest = rule.partition(".")
    prefix = {"eligibility": "eligibility", "result": "checkup", "done": "checkup",
              "missed": "checkup", "trigger": "checkup", "adherence": "adherence"}
    return f"{prefix.get(kind, kind)}.{rest}"
