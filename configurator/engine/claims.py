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
from typing import Any, Final

from ..cases.case import Event
from ..cases.outcome import money
from ..product.fields import text_in
from ..product.model import Benefit, Product
from . import deductible
from .notes import Notes


@dataclass
class Usage:
    amount: Decimal = Decimal(0)
    days: int = 0
    count: int = 0


@dataclass
class Judgement:
    status: str
    payable: Decimal
    claimed: Decimal
    notes: list[str] = field(default_factory=list)


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

    def judge(self, benefit: Benefit, event: Event, year: int, sum_insured: Decimal,
              limits: Mapping[str, Decimal], constants: Mapping[str, Any],
              notes_in: Notes) -> Judgement:
        """Pay what the benefit allows, within every limit; record the usage; the notes
        in `notes_in`'s language."""
        number, say = _numbers(constants), notes_in
        yearly, lifetime = self.used(benefit.id, year), self.lifetime.get(benefit.id)
        if lifetime is None:
            lifetime = self.lifetime[benefit.id] = Usage()
        deducted = self.deducted.get((benefit.id, year), Decimal(0))
        claimed, days, notes, taken = self._base(benefit, event, yearly, sum_insured, number,
                                                 say, deducted)
        refusal = self._frequency(benefit, yearly, lifetime, number, say)
        if refusal:
            return Judgement("declined", Decimal(0), claimed, [refusal])
        if taken:
            self.deducted[(benefit.id, year)] = deducted + taken
        per_day = benefit.pays.per_day
        # the day cap limits what is paid, not what was claimed
        payable = claimed if per_day is None else money(number(per_day) * days)
        caps = benefit.limits
        for cap, used, label in ((caps.per_claim, Decimal(0), "per_claim"),
                                 (caps.per_year, yearly.amount, "per_year"),
                                 (caps.lifetime, lifetime.amount, "lifetime")):
            if cap is not None:
                payable = _cap(payable, number(cap) - used, notes, say, label)
        if caps.per_year_percent_of_sum_insured is not None:
            share = sum_insured * number(caps.per_year_percent_of_sum_insured) / 100
            payable = _cap(payable, share - yearly.amount, notes, say, "year_share")
        if caps.shared is not None:
            used = self.shared.get((caps.shared, year), Decimal(0))
            name = caps.shared if say.locale == "en" else \
                text_in(self.product.coverage.limits[caps.shared].name, say.locale)
            payable = _cap(payable, limits[caps.shared] - used, notes, say, "shared", name)
            self.shared[(caps.shared, year)] = used + payable
        payable = money(max(payable, Decimal(0)))
        for usage in (yearly, lifetime):
            usage.amount += payable
            usage.days += days
            usage.count += 1 if payable > 0 else 0
        if payable <= 0:
            return Judgement("declined", payable, claimed, notes or [say("nothing_payable")])
        return Judgement("paid" if payable == claimed else "partly_paid", payable, claimed, notes)

    def _frequency(self, benefit: Benefit, yearly: Usage, lifetime: Usage, number,
                   say: Notes) -> str | None:
        freq = benefit.frequency
        if freq.per_policy_year is not None and yearly.count >= number(freq.per_policy_year):
            return say("paid_this_year", count=yearly.count,
                       limit=f"{number(freq.per_policy_year):g}")
        if freq.lifetime is not None and lifetime.count >= number(freq.lifetime):
            return say("paid_lifetime", count=lifetime.count, limit=f"{number(freq.lifetime):g}")
        return None

    def _base(self, benefit: Benefit, event: Event, yearly: Usage, sum_insured: Decimal,
              number, say: Notes, deducted: Decimal
              ) -> tuple[Decimal, int, list[str], Decimal]:
        """(claimed, days paid, notes, the part of the yearly deductible this claim takes)."""
        pays = benefit.pays
        notes: list[str] = []
        none = Decimal(0)
        if pays.percent_of_sum_insured is not None:
            return (money(sum_insured * number(pays.percent_of_sum_insured) / 100), 0, notes,
                    none)
        if pays.amount is not None:
            return money(number(pays.amount)), 0, notes, none
        if pays.per_day is not None:
            days = int(event.fields.get(pays.days_field, 0))
            claimed = money(number(pays.per_day) * days)
            cap = benefit.limits.per_year_days
            if cap is not None:
                allowed = max(0, int(number(cap)) - yearly.days)
                if days > allowed:
                    notes.append(say("days_capped", days=days, allowed=allowed,
                                     cap=int(number(cap))))
                days = min(days, allowed)
            return claimed, days, notes, none
        expenses = Decimal(str(event.fields.get(pays.expenses_field, 0)))
        after = max(Decimal(0), expenses - number(pays.deductible))
        after, taken = deductible.take_yearly(pays, after, deducted, number, say, notes)
        ratio = deductible.share(benefit, self.product, event, number, say, notes)
        return money(after * ratio / 100), 0, notes, taken


_DECIMALS: Final[dict[tuple[type, Any], Decimal]] = {}  # a parameter's number as a Decimal


def _numbers(constants: Mapping[str, Any]):
    def number(value: Any) -> Decimal:
        raw = constants[value] if isinstance(value, str) else value
        key = (type(raw), raw)  # 1, 1.0 and True are equal keys but read differently
        found = _DECIMALS.get(key)
        if found is None:
            found = Decimal(str(raw))
            if len(_DECIMALS) < 4096:
                _DECIMALS[key] = found
        return found

    return number


def _cap(payable: Decimal, room: Decimal, notes: list[str], say: Notes, label: str,
         name: str = "") -> Decimal:
    """`payable` within `room`; a note naming the limit (`label`, worded only then) if capped."""
    room = max(room, Decimal(0))
    if payable > room:
        notes.append(say("capped", label=say(label, name=name), room=money(room)))
        return room
    return payable
