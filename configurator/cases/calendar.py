"""The calendar of a policy: calendar months, policy years and renewal dates.

Time in configurator comes only from a case's dates (its policy start, its
events and its as-of date), never from the wall clock; these are the rules
for counting with them, shared by the engine and the documents.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from datetime import date  # noqa: F401  (mypyc reads a dataclass field's type by its bare name)
from typing import Final

from .frozen import by_fields

ONE_DAY: Final = dt.timedelta(days=1)


_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@functools.lru_cache(maxsize=8192)  # pure; the engine asks for the same few dates often
def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]
    return dt.date(year, month, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


@dataclass(frozen=True)
class PolicyYear:
    def __reduce__(self) -> tuple:  # pickles when compiled (frozen.py)
        return by_fields(self)

    number: int
    start: dt.date
    end: dt.date  # exclusive: the next renewal date


@functools.lru_cache(maxsize=4096)  # pure, and the result is frozen
def policy_year(start: dt.date, number: int) -> PolicyYear:
    return PolicyYear(number, add_years(start, number - 1), add_years(start, number))


def year_number(start: dt.date, day: dt.date) -> int:
    """The policy year (1-based) that `day` falls in (renewal dates as `add_years` gives)."""
    month, first = start.month, start.day
    number = day.year - start.year
    if day.month > month or (day.month == month and day.day >= first):
        number += 1
    if number < 1:
        return 1
    # only a 29 February start renews on another day (28 February): every other start's
    # anniversary in `day`'s year is its own day, so the number above is already right
    if month == 2 and first == 29 and add_years(start, number) <= day:
        number += 1
    return number

