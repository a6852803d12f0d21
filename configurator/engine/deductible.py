"""A benefit's yearly deductible and the share it pays by a claim field.

The yearly deductible is taken from a policy year's claims of the benefit in
date order, after each claim's own deductible, until it is used up; only claims
the benefit goes on to judge use it (a claim refused by a waiting period, an
exclusion or a frequency limit does not). The share paid (`ratio_by`) is the one
listed for the claim's value of the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..cases.case import Event
from ..cases.outcome import money
from ..product.claims_terms import RatioBy
from ..product.fields import text_in
from ..product.model import Text
from .amounts import Numbers
from .notes import Notes


def take_yearly(yearly: Any, after: Decimal, used: Decimal, number: Numbers,
                say: Notes, notes: list[str]) -> tuple[Decimal, Decimal]:
    """(expenses left after the yearly deductible - `yearly`, a NumberRef or None -, the part
    of it this claim takes)."""
    if yearly is None:
        return after, Decimal(0)
    left = max(number.of(yearly) - used, Decimal(0))
    taken = min(left, after)
    if taken > 0:
        notes.append(say.of("yearly_deductible", amount=money(taken), left=money(left - taken)))
    return after - taken, taken


def share(percent: Any, by: RatioBy | None, label: Text | None, event: Event,
          number: Numbers, say: Notes, notes: list[str]) -> Decimal:
    """The share of expenses paid, in percent: `percent`, or by the claim's field value
    (`by`; the note names the field by its `label` in the case's language, if it has one)."""
    if by is None:
        return number.of(percent)
    field = text_in(label, say.locale) if label is not None else by.field
    value = event.fields.get(by.field)
    if value not in by.percent:  # not recorded: the lowest share the benefit pays
        found = min(number.of(p) for p in by.percent.values())
    else:
        found = number.of(by.percent[value])
    notes.append(say.of("ratio_by", percent=f"{found:g}", field=field,
                        value=value if value is not None else "?"))
    return found
