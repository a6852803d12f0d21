"""Exclusions that lapse: the last day an added exclusion applies.

An exclusion with `lapses_after_months: N` added on day D applies to claims
dated D up to and including the day before the same date N months later
(`add_months`, so 31 January + 1 month lapses on 28/29 February); a finding
after that adds it anew, and a finding while it applies starts it again.
"""

from __future__ import annotations

import datetime as dt

from ..cases.calendar import ONE_DAY, add_months
from ..cases.outcome import ExclusionOut, Reason
from ..product.model import Exclusion
from .notes import Notes
from .plan import PeriodPlan


def until(exclusion: Exclusion, day: dt.date, period: PeriodPlan) -> dt.date | None:
    """The last day an exclusion added on `day` applies; None when it never lapses."""
    months = exclusion.lapses_after_months
    if months is None:
        return None
    return add_months(day, int(period.number(months))) - ONE_DAY


def applies(added: ExclusionOut, day: dt.date) -> bool:
    """Whether an added exclusion still applies on `day`."""
    return added.until is None or day <= added.until


def keeps(found: ExclusionOut | None, day: dt.date) -> bool:
    """Whether an exclusion already added stays as it is when a rule adds it on `day`:
    one that never lapses, or one added that same day; a lapsing one starts again."""
    return found is not None and (found.until is None or found.since == day)


def until_reasons(added: ExclusionOut | None, rule: str, day: dt.date, say: Notes
                  ) -> list[Reason]:
    """A claim refused by a lapsing exclusion also says the last day it applies."""
    if added is None or added.until is None:
        return []
    return [Reason(rule, say.of("exclusion_until", exclusion=added.id, date=added.until),
                   date=day)]
