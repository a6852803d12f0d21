"""What a matched benefit pays: amounts, limits, day caps and frequency.

The engine decides which benefit a claim matches, whether it falls in a
waiting period and which exclusions apply; this module does the arithmetic,
keeping per-policy-year and lifetime usage so no limit is ever exceeded.
Money is `Decimal`, rounded to cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..cases.case import Event
from ..cases.outcome import money
from ..product.claims_terms import RatioBy
from ..product.fields import text_in
from ..product.model import Benefit, Product, Text
from . import deductible
from .amounts import Numbers
from .notes import Notes


@dataclass(init=False)
class Usage:
    """Paid so far (one benefit, a policy year or its lifetime). `__init__` written out (a
    dataclass's is interpreted even compiled; HACKING.md)."""

    amount: Decimal = Decimal(0)
    days: int = 0
    count: int = 0

    def __init__(self, amount: Decimal = Decimal(0), days: int = 0, count: int = 0):
        self.amount, self.days, self.count = amount, days, count


@dataclass(init=False)
class Judgement:
    """What a claim is paid, and why. `__init__` written out, as `Usage`'s."""

    status: str
    payable: Decimal
    claimed: Decimal
    notes: list[str] = field(default_factory=list)

    def __init__(self, status: str, payable: Decimal, claimed: Decimal,
                 notes: list[str] | None = None):
        self.status, self.payable, self.claimed = status, payable, claimed
        self.notes = [] if notes is None else notes


class Terms:
    """A benefit's terms read once into compiled fields, shared by every case of a plan
    (`plan.benefit_terms`): an attribute of a product's model is a lookup by name at each
    read, these are not. Each amount is a NumberRef (a number or a parameter's name)."""

    def __init__(self, benefit: Benefit, product: Product):
        pays, limits, frequency = benefit.pays, benefit.limits, benefit.frequency
        self.id: str = benefit.id
        self.percent_of_sum_insured: Any = pays.percent_of_sum_insured
        self.amount: Any = pays.amount
        self.per_day: Any = pays.per_day
        self.days_field: str = pays.days_field or ""
        self.per_claim: Any = limits.per_claim
        self.per_year: Any = limits.per_year
        self.lifetime: Any = limits.lifetime
        self.year_share: Any = limits.per_year_percent_of_sum_insured
        self.shared: str | None = limits.shared
        self.per_year_days: Any = limits.per_year_days
        self.per_policy_year: Any = frequency.per_policy_year
        self.lifetime_claims: Any = frequency.lifetime
        # paid from the claim's expenses: less its deductible and the yearly one, at a share
        self.expenses_field: str | None = pays.expenses_field
        self.deductible: Any = pays.deductible
        self.yearly_deductible: Any = pays.yearly_deductible
        self.ratio_percent: Any = pays.ratio_percent
        self.ratio_by: RatioBy | None = pays.ratio_by
        by = pays.ratio_by  # the label of the field the share goes by, for its note
        self.ratio_label: Text | None = None if by is None else \
            product.events[benefit.event].fields[by.field].label


class ClaimBook:
    """Running totals per benefit (per policy year and lifetime) and per shared limit."""

    def __init__(self, product: Product):
        self.product = product
        self.yearly: dict[tuple[str, int], Usage] = {}
        self.lifetime: dict[str, Usage] = {}
        self.shared: dict[tuple[str, int], Decimal] = {}
        self.deducted: dict[tuple[str, int], Decimal] = {}  # yearly deductible used

    def used(self, benefit: str, year: int) -> Usage:
        found = self.yearly.get((benefit, year))
        if found is None:
            found = self.yearly[(benefit, year)] = Usage()
        return found

    def judge(self, terms: Terms, event: Event, year: int, sum_insured: Decimal,
              limits: Mapping[str, Decimal], number: Numbers, say: Notes) -> Judgement:
        """Pay what the benefit (its `terms`) allows, within every limit; record the usage;
        the notes in `say`'s language."""
        benefit = terms.id
        yearly, lifetime = self.used(benefit, year), self.lifetime.get(benefit)
        if lifetime is None:
            lifetime = self.lifetime[benefit] = Usage()
        deducted = self.deducted.get((benefit, year), Decimal(0))
        claimed, days, notes, taken = self._base(terms, event, yearly, sum_insured, number,
                                                 say, deducted)
        refusal = self._frequency(terms, yearly, lifetime, number, say)
        if refusal:
            return Judgement("declined", Decimal(0), claimed, [refusal])
        if taken:
            self.deducted[(benefit, year)] = deducted + taken
        per_day = terms.per_day
        # the day cap limits what is paid, not what was claimed
        payable = claimed if per_day is None else money(number.of(per_day) * days)
        if terms.per_claim is not None:
            payable = _cap(payable, number.of(terms.per_claim), notes, say, "per_claim")
        if terms.per_year is not None:
            payable = _cap(payable, number.of(terms.per_year) - yearly.amount, notes, say,
                           "per_year")
        if terms.lifetime is not None:
            payable = _cap(payable, number.of(terms.lifetime) - lifetime.amount, notes, say,
                           "lifetime")
        if terms.year_share is not None:
            share = sum_insured * number.of(terms.year_share) / 100
            payable = _cap(payable, share - yearly.amount, notes, say, "year_share")
        shared = terms.shared
        if shared is not None:
            used = self.shared.get((shared, year), Decimal(0))
            name = shared if say.locale == "en" else \
                text_in(self.product.coverage.limits[shared].name, say.locale)
            payable = _cap(payable, limits[shared] - used, notes, say, "shared", name)
            self.shared[(shared, year)] = used + payable
        payable = money(max(payable, Decimal(0)))
        for usage in (yearly, lifetime):
            usage.amount += payable
            usage.days += days
            usage.count += 1 if payable > 0 else 0
        if payable <= 0:
            return Judgement("declined", payable, claimed, notes or [say.of("nothing_payable")])
        return Judgement("paid" if payable == claimed else "partly_paid", payable, claimed, notes)

    def _frequency(self, terms: Terms, yearly: Usage, lifetime: Usage, number: Numbers,
                   say: Notes) -> str | None:
        most = terms.per_policy_year
        if most is not None and yearly.count >= number.of(most):
            return say.of("paid_this_year", count=yearly.count, limit=f"{number.of(most):g}")
        most = terms.lifetime_claims
        if most is not None and lifetime.count >= number.of(most):
            return say.of("paid_lifetime", count=lifetime.count, limit=f"{number.of(most):g}")
        return None

    def _base(self, terms: Terms, event: Event, yearly: Usage, sum_insured: Decimal,
              number: Numbers, say: Notes, deducted: Decimal
              ) -> tuple[Decimal, int, list[str], Decimal]:
        """(claimed, days paid, notes, the part of the yearly deductible this claim takes)."""
        notes: list[str] = []
        none = Decimal(0)
        if terms.percent_of_sum_insured is not None:
            return (money(sum_insured * number.of(terms.percent_of_sum_insured) / 100), 0,
                    notes, none)
        if terms.amount is not None:
            return money(number.of(terms.amount)), 0, notes, none
        if terms.per_day is not None:
            days = int(event.fields.get(terms.days_field, 0))
            claimed = money(number.of(terms.per_day) * days)
            cap = terms.per_year_days
            if cap is not None:
                allowed = max(0, int(number.of(cap)) - yearly.days)
                if days > allowed:
                    notes.append(say.of("days_capped", days=days, allowed=allowed,
                                        cap=int(number.of(cap))))
                days = min(days, allowed)
            return claimed, days, notes, none
        # paid from the claim's expenses
        expenses = Decimal(str(event.fields.get(terms.expenses_field, 0)))
        after = max(Decimal(0), expenses - number.of(terms.deductible))
        after, taken = deductible.take_yearly(terms.yearly_deductible, after, deducted, number,
                                              say, notes)
        ratio = deductible.share(terms.ratio_percent, terms.ratio_by, terms.ratio_label, event,
                                 number, say, notes)
        return money(after * ratio / 100), 0, notes, taken


def _cap(payable: Decimal, room: Decimal, notes: list[str], say: Notes, label: str,
         name: str = "") -> Decimal:
    """`payable` within `room`; a note naming the limit (`label`, worded only then) if capped."""
    room = max(room, Decimal(0))
    if payable > room:
        notes.append(say.of("capped", label=say.of(label, name=name), room=money(room)))
        return room
    return payable
