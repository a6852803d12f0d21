"""Quarters and halves of the policy year (issue 13): where each part begins and ends.

Parts are counted from the policy year's start with `calendar.add_months`, so
they never drift: the n-th quarter of every year begins n*3 months after that
year's renewal date. `bounds` are `[first, end)`: `end` is the next part's
first day.
"""

from __future__ import annotations

import datetime as dt
import functools

from ..cases.calendar import add_months, policy_year, year_number
from ..errors import EngineError
from ..product.model import PART_MONTHS


@functools.lru_cache(maxsize=4096)  # pure: metrics ask for the same year's parts often
def parts_of_year(start: dt.date, number: int, part: str
                  ) -> tuple[tuple[dt.date, dt.date], ...]:
    """The parts of policy year `number` as `[first, end)` pairs, in order."""
    year = policy_year(start, number)
    months = PART_MONTHS[part]
    edges = [add_months(year.start, months * k) for k in range(12 // months)] + [year.end]
    return tuple(zip(edges, edges[1:], strict=False))


def part_of(start: dt.date, day: dt.date, part: str) -> tuple[dt.date, dt.date]:
    """The `[first, end)` of the part of its policy year that `day` falls in."""
    for first, end in parts_of_year(start, year_number(start, day), part):
        if first <= day < end:
            return first, end
    raise EngineError(f"{day} is in no {part} of its policy year")  # the parts tile the year
