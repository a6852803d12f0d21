"""Cover in force over a case's timeline: the state that changes as policy years pass.

`CoverState` is plain data: the current tier, how long cover can run, each
adherence programme's bonus and adherent years, and the claims paid so far
(`claims.ClaimBook`). The evaluation (`evaluate.py`) asks the rules which
years were adherent and which claims are covered; this module turns that into
amounts: the sum insured, the named limits, and capped bonuses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..cases.calendar import add_years, year_number
from ..cases.case import Case
from ..cases.outcome import money
from ..product.model import Product
from .claims import ClaimBook
from .plan import PeriodPlan


@dataclass
class CoverState:
    """Cover in force over time: tier, term, adherence bonuses and claims usage.

    `years` is how many policy years cover can run (renewals included) and
    `end` the first day it no longer runs (None when renewal is open-ended).
    `bonus` is each programme's bonus in percent; `adherent` each programme's
    verdict per policy year.
    """

    tier: str | None
    years: int
    end: dt.date | None
    bonus: dict[str, float | int] = field(default_factory=dict)
    adherent: dict[str, dict[int, bool]] = field(default_factory=dict)
    book: ClaimBook | None = None

    @classmethod
    def issued(cls, product: Product, case: Case, period: PeriodPlan) -> CoverState:
        """Cover as issued on the policy start."""
        years = renewable_years(product, case, period)
        end = add_years(case.start, years) if years is not None else None
        if years is None:
            years = max(1, year_number(case.start, case.as_of))
        return cls(product.coverage.initial_tier, years, end,
                   {p.id: 0.0 for p in product.adherence},
                   {p.id: {} for p in product.adherence}, ClaimBook(product))

    def in_force(self, day: dt.date) -> bool:
        return self.end is None or day < self.end

    def consecutive(self, programme: str, before_year: int) -> int:
        """Adherent policy years in a row just before `before_year`."""
        years = self.adherent[programme]
        count, year = 0, before_year - 1
        while years.get(year):
            count += 1
            year -= 1
        return count

    def record_year(self, product: Product, period: PeriodPlan, number: int,
                    adherent: dict[str, bool]) -> None:
        """Policy year `number` ended with these verdicts: move each programme's bonus."""
        for programme in product.adherence:
            kept = adherent[programme.id]
            self.adherent[programme.id][number] = kept
            change = programme.change
            if change is None:
                continue
            if kept:
                step, cap = period.number(change.step_percent), period.number(change.cap_percent)
                self.bonus[programme.id] = min(self.bonus[programme.id] + step, cap)
            elif change.on_miss == "reset":
                self.bonus[programme.id] = 0.0

    def bonus_for(self, product: Product, target: str, limit: str | None = None,
                  basis: str | None = None) -> float | int:
        """The bonus in percent the programmes give `target` (a named limit, if given; only
        the bonuses on `basis`, if given)."""
        total = 0.0
        for programme in product.adherence:
            change = programme.change
            if change and change.target == target and (limit is None or limit in change.limits) \
                    and (basis is None or change.basis == basis):
                total += self.bonus[programme.id]
        return total

    def sum_insured(self, product: Product, period: PeriodPlan) -> Decimal:
        """The full sum insured times the tier's share, plus the sum-insured bonus: a share
        of that (basis 'tier') or of the full sum insured (basis 'full').

        Read on every claim: kept per period for the tier and bonuses (plain values)."""
        key = ("sum_insured", self.tier, *self.bonus.values())
        found = period.memo.get(key)
        if found is None:
            found = period.memo[key] = self._sum_insured(product, period)
        return found

    def _sum_insured(self, product: Product, period: PeriodPlan) -> Decimal:
        base = period.numbers.of(product.coverage.sum_insured)
        tiers = product.coverage.tiers
        share = period.numbers.of(tiers[self.tier].percent) if tiers else Decimal(100)
        bonus = self.bonus_for(product, "sum_insured", basis="tier")
        full = self.bonus_for(product, "sum_insured", basis="full")
        if full:
            return money(base * share / 100 * (1 + Decimal(str(bonus)) / 100)
                         + base * Decimal(str(full)) / 100)
        if bonus:
            return money(base * share / 100 * (1 + Decimal(str(bonus)) / 100))
        return money(base * share / 100)

    def limits(self, product: Product, period: PeriodPlan) -> dict[str, Decimal]:
        """Each named limit with its bonus."""
        out = {}
        for name, limit in product.coverage.limits.items():
            bonus = Decimal(str(self.bonus_for(product, "limits", name)))
            out[name] = money(period.numbers.of(limit.amount) * (1 + bonus / 100))
        return out


def renewable_years(product: Product, case: Case, period: PeriodPlan) -> int | None:
    """How many policy years cover can run; None when renewal has no age limit."""
    term = product.term
    if not term.renewable:
        return 1
    if term.renewal_max_age is None or "age" not in case.applicant:
        return None
    last_age = period.number(term.renewal_max_age)
    return max(1, int(last_age - case.applicant["age"]) + 1)
