"""Dates and metrics over a case's timeline, computed in Python.

durable-rules has no dates, windows, proportions of days covered or
absences, so these are computed here from the event dates and asserted as
plain numbers. Time comes only from event dates and the case's `as_of`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..cases.calendar import ONE_DAY, add_months, policy_year, year_number
from ..cases.case import Event
from ..product.model import Metric, Product


class Timeline:
    """A case's events by type, with the metric computations over them."""

    def __init__(self, product: Product, events: tuple[Event, ...], start: dt.date,
                 filters: Mapping[str, Callable[[Mapping[str, Any]], bool]],
                 applicant: Mapping[str, Any], constants: Mapping[str, Any]):
        self.product = product
        self.start = start
        self.filters = filters
        self.applicant = applicant
        self.constants = constants
        self.by_type: dict[str, list[Event]] = {}
        for event in events:
            self.by_type.setdefault(event.type, []).append(event)
        self.days: dict[str, list[dt.date]] = {k: [e.date for e in v] for k, v in
                                               self.by_type.items()}

    def window(self, metric: Metric, day: dt.date) -> tuple[dt.date, dt.date]:
        """[first, last] days the metric looks at when measured on `day`."""
        if metric.window == "policy_year":
            return policy_year(self.start, year_number(self.start, day)).start, day
        if metric.window == "all":
            return dt.date.min, day
        return day - dt.timedelta(days=metric.window.days - 1), day

    def events_in(self, event_type: str, first: dt.date, last: dt.date) -> list[Event]:
        days = self.days.get(event_type, [])
        lo = bisect.bisect_left(days, first)
        hi = bisect.bisect_right(days, last)
        return self.by_type[event_type][lo:hi] if hi > lo else []

    def accepted(self, name: str, event: Event) -> bool:
        check = self.filters.get(name)
        return True if check is None else bool(check({**self.applicant, **event.fields}))

    def value(self, name: str, metric: Metric, day: dt.date,
              consecutive: Callable[[str], int]) -> float | int:
        """The metric's value measured on `day` (inclusive)."""
        if metric.consecutive_years is not None:
            return consecutive(metric.consecutive_years.programme)
        if metric.lowest is not None:
            return self.lowest(metric, day)
        spec = metric.count or metric.pdc or metric.on_time
        if spec.event not in self.by_type:
            return 0.0 if metric.pdc is not None else 0
        first, last = self.window(metric, day)
        if metric.count is not None:
            return sum(1 for e in self.events_in(metric.count.event, first, last)
                       if self.accepted(name, e))
        if metric.pdc is not None:
            return self.pdc(metric, first, last)
        return self.on_time(name, metric, first, last)

    def lowest(self, metric: Metric, day: dt.date) -> float:
        """The lowest value so far: the entry value, then each event's field in the window."""
        spec = metric.lowest
        first, last = self.window(metric, day)
        values = [self.applicant[spec.initial]]
        values += [e.fields[spec.field] for e in self.events_in(spec.event, first, last)
                   if spec.field in e.fields]
        return min(values)

    def pdc(self, metric: Metric, first: dt.date, last: dt.date) -> float:
        """Proportion of days covered: supplies laid end to end, clipped to the window.

        A refill that arrives while earlier supply remains starts when that
        supply runs out (the usual PDC method); supply bought before the window
        counts for the days it reaches into it.
        """
        spec = metric.pdc
        span = (last - first).days + 1
        covered = 0
        supply_end = dt.date.min
        for event in self.by_type.get(spec.event, []):
            if event.date > last:
                break
            begin = max(event.date, supply_end)
            supply_end = begin + dt.timedelta(days=int(event.fields.get(spec.days_field, 0)))
            lo, hi = max(begin, first), min(supply_end - ONE_DAY, last)
            if hi >= lo:
                covered += (hi - lo).days + 1
        return round(min(covered, span) / span, 4) if span > 0 else 0.0

    def on_time(self, name: str, metric: Metric, first: dt.date, last: dt.date) -> int:
        """Events in the window that came `every_months ± tolerance` after the previous one.

        The first ever qualifying event is on time if it comes within
        `every + tolerance` months of the policy start.
        """
        spec = metric.on_time
        every = int(self._number(spec.every_months))
        tolerance = int(self._number(spec.tolerance_months))
        previous = None
        count = 0
        for event in self.by_type.get(spec.event, []):
            if event.date > last:
                break
            if not self.accepted(name, event):
                continue
            if previous is None:
                on_time = event.date <= add_months(self.start, every + tolerance)
            else:
                on_time = (add_months(previous, every - tolerance) <= event.date
                           <= add_months(previous, every + tolerance))
            if on_time and event.date >= first:
                count += 1
            previous = event.date
        return count

    def _number(self, value: Any) -> float:
        return self.constants[value] if isinstance(value, str) else value
