"""Dates and metrics over a case's timeline, computed in Python.

durable-rules has no dates, windows, proportions of days covered or
absences, so these are computed here from the event dates and asserted as
plain numbers. Time comes only from event dates and the case's `as_of`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..cases.calendar import ONE_DAY, add_months, policy_year, year_number
from ..cases.case import Event
from ..product.model import PART_MONTHS, Metric, Product
from ..product.tags import count_types
from .windows import part_of, parts_of_year


class Timeline:
    """A case's events by type, with the metric computations over them.

    Every metric is answered in logarithmic time from tables built once per
    case (supply intervals for PDC, prefix counts for counts and on-time
    events, a range-minimum table for lowest values), so a case's work grows
    linearly with its events, however many visits ask for metrics.
    """

    def __init__(self, product: Product, events: tuple[Event, ...], start: dt.date,
                 filters: Mapping[str, Callable[[Mapping[str, Any]], bool]],
                 applicant: Mapping[str, Any], constants: Mapping[str, Any],
                 types: dict[str, tuple[str, ...]] | None = None):
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
        self._tables: dict[tuple, Any] = {}
        # the event types each metric reads, by its name (the plan's, shared by every case)
        self._types: dict[str, tuple[str, ...]] = {} if types is None else types

    def window(self, metric: Metric, day: dt.date) -> tuple[dt.date, dt.date]:
        """[first, last] days the metric looks at when measured on `day`."""
        if metric.window == "policy_year":
            return policy_year(self.start, year_number(self.start, day)).start, day
        if metric.window == "all":
            return dt.date.min, day
        if isinstance(metric.window, str) and metric.window in PART_MONTHS:  # quarter or half
            return part_of(self.start, day, metric.window)[0], day
        return day - dt.timedelta(days=metric.window.days - 1), day

    def span(self, event_type: str, first: dt.date, last: dt.date) -> tuple[int, int]:
        """[lo, hi): the indexes of `event_type` events dated within [first, last]."""
        days = self.days.get(event_type, [])
        return bisect.bisect_left(days, first), bisect.bisect_right(days, last)

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
        if metric.parts is not None:
            return self.parts(metric, day)
        return self.over(name, metric, *self.window(metric, day))

    def over(self, name: str, metric: Metric, first: dt.date, last: dt.date) -> float | int:
        """A count, pdc or on_time metric over the days [first, last]."""
        types = self._types.get(name)
        if types is None:
            spec = metric.count or metric.pdc or metric.on_time
            types = self._types[name] = count_types(self.product, spec)
        if not any(t in self.by_type for t in types):
            return 0.0 if metric.pdc is not None else 0
        if metric.count is not None:
            return self.count(name, metric, first, last)
        if metric.pdc is not None:
            return self.pdc(metric, first, last)
        return self.on_time(name, metric, first, last)

    def parts(self, metric: Metric, day: dt.date) -> int:
        """Parts of the policy year so far (the current one up to `day`) in which the named
        metric, measured over the part, reached `at_least`."""
        spec = metric.parts
        inner = self.product.metrics[spec.metric]
        least = self._number(spec.at_least)
        found = 0
        for first, end in parts_of_year(self.start, year_number(self.start, day), spec.of):
            if first > day:
                break
            if self.over(spec.metric, inner, first, min(end - ONE_DAY, day)) >= least:
                found += 1
        return found

    def _table(self, key: tuple, build: Callable[[], Any]) -> Any:
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = build()
        return found

    def count(self, name: str, metric: Metric, first: dt.date, last: dt.date) -> int:
        """Events of the metric's type in the window that pass its filter."""
        spec = metric.count
        check = self.filters.get(name)  # changes with the parameters in force: part of the key
        if spec.also or spec.tag:  # several event types, or tagged events (issue 13)
            days, prefix = self._table(("counts", name, check), lambda: self._merged(name, spec))
            lo, hi = bisect.bisect_left(days, first), bisect.bisect_right(days, last)
            return prefix[hi] - prefix[lo] if hi > lo else 0
        event_type = spec.event
        prefix = self._table(("count", name, check), lambda: _prefix(
            self.accepted(name, e) for e in self.by_type.get(event_type, [])))
        lo, hi = self.span(event_type, first, last)
        return prefix[hi] - prefix[lo] if hi > lo else 0

    def _merged(self, name: str, spec: Any) -> tuple[list[dt.date], list[int]]:
        """The dates of every event of the metric's types, and prefix counts of those its
        filter accepts."""
        events = sorted((e for t in count_types(self.product, spec)
                         for e in self.by_type.get(t, []) if not spec.tag or spec.tag in e.tags),
                        key=lambda e: e.date)
        return [e.date for e in events], _prefix(self.accepted(name, e) for e in events)

    def lowest(self, metric: Metric, day: dt.date) -> float | int:
        """The lowest value so far: the entry value, then each event's field in the window."""
        spec = metric.lowest
        first, last = self.window(metric, day)
        entry = self.applicant[spec.initial]
        if spec.event not in self.by_type:
            return entry
        table = self._table(("lowest", spec.event, spec.field), lambda: _RangeMin(
            [e.fields.get(spec.field) for e in self.by_type[spec.event]]))
        lo, hi = self.span(spec.event, first, last)
        found = table.min(lo, hi)
        return entry if found is None else min(entry, found)

    def pdc(self, metric: Metric, first: dt.date, last: dt.date) -> float | int:
        """Proportion of days covered: supplies laid end to end, clipped to the window.

        A refill that arrives while earlier supply remains starts when that
        supply runs out (the usual PDC method); supply bought before the window
        counts for the days it reaches into it.
        """
        spec = metric.pdc
        supply = self._table(("pdc", spec.event, spec.days_field), lambda: _Supply(
            self.by_type.get(spec.event, []), spec.days_field))
        span = (last - first).days + 1
        return round(min(supply.covered(first, last), span) / span, 4) if span > 0 else 0.0

    def on_time(self, name: str, metric: Metric, first: dt.date, last: dt.date) -> int:
        """Events in the window that came `every_months ± tolerance` after the previous one.

        The first ever qualifying event is on time if it comes within
        `every + tolerance` months of the policy start.
        """
        spec = metric.on_time
        every = int(self._number(spec.every_months))
        tolerance = int(self._number(spec.tolerance_months))
        key = ("on_time", name, self.filters.get(name), every, tolerance)
        days, prefix = self._table(key, lambda: self._on_time_table(name, spec.event, every,
                                                                    tolerance))
        lo, hi = bisect.bisect_left(days, first), bisect.bisect_right(days, last)
        return prefix[hi] - prefix[lo] if hi > lo else 0

    def _on_time_table(self, name: str, event_type: str, every: int, tolerance: int
                       ) -> tuple[list[dt.date], list[int]]:
        """The accepted events' dates and prefix counts of those on time."""
        days: list[dt.date] = []
        flags: list[bool] = []
        for event in self.by_type.get(event_type, []):
            if not self.accepted(name, event):
                continue
            if not days:
                flags.append(event.date <= add_months(self.start, every + tolerance))
            else:
                previous = days[-1]
                flags.append(add_months(previous, every - tolerance) <= event.date
                             <= add_months(previous, every + tolerance))
            days.append(event.date)
        return days, _prefix(flags)

    def _number(self, value: Any) -> float | int:
        return self.constants[value] if isinstance(value, str) else value


def _prefix(flags: Iterable[bool]) -> list[int]:
    """Running totals: prefix[i] is how many of the first i flags are set."""
    return [0, *itertools.accumulate(1 if flag else 0 for flag in flags)]


class _Supply:
    """Supply intervals laid end to end (each starts when the one before runs out), as
    day numbers (`date.toordinal`): integer arithmetic, no date objects built per refill."""

    def __init__(self, events: list[Event], days_field: str):
        self.begins: list[int] = []
        self.ends: list[int] = []  # exclusive
        lengths: list[int] = []
        supply_end = 0  # before every date (date.min is day 1)
        for event in events:
            day = event.date.toordinal()
            begin = day if day > supply_end else supply_end
            days = int(event.fields.get(days_field, 0))
            supply_end = begin + days
            self.begins.append(begin)
            self.ends.append(supply_end)
            lengths.append(days)  # end - begin
        self.prefix = [0, *itertools.accumulate(lengths)]

    def covered(self, first: dt.date, last: dt.date) -> int:
        """Days within [first, last] some supply covers."""
        start, stop = first.toordinal(), last.toordinal()
        lo = bisect.bisect_right(self.ends, start)  # the first interval reaching past `first`
        hi = bisect.bisect_right(self.begins, stop)  # the intervals starting by `last`
        if hi <= lo:
            return 0
        total = self.prefix[hi] - self.prefix[lo]
        total -= max(0, start - self.begins[lo])
        total -= max(0, self.ends[hi - 1] - 1 - stop)
        return total


class _RangeMin:
    """The minimum of any slice of a list in constant time (a sparse table); None is absent.

    A short list (a year's visits) is not worth the table: its slices are scanned."""

    SHORT = 32

    def __init__(self, values: list[Any]):
        level = [math.inf if v is None else v for v in values]
        self.levels = [level]
        width = 1
        while 2 * width <= len(level) and len(level) > self.SHORT:
            previous = self.levels[-1]
            self.levels.append([min(previous[i], previous[i + width])
                                for i in range(len(previous) - width)])
            width *= 2

    def min(self, lo: int, hi: int) -> Any:
        if hi <= lo:
            return None
        if len(self.levels) == 1:
            found = min(self.levels[0][lo:hi])
            return None if found == math.inf else found
        level = (hi - lo).bit_length() - 1
        row = self.levels[level]
        found = min(row[lo], row[hi - (1 << level)])
        return None if found == math.inf else found
