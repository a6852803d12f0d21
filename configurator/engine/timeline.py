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
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..cases.calendar import ONE_DAY, add_months, policy_year, year_number
from ..cases.case import Event
from ..product.model import Metric, Product
from ..product.tags import count_types
from .windows import part_of, parts_of_year

# a metric's kind (`MetricSpec.kind`)
COUNT: Final = 0
PDC: Final = 1
ON_TIME: Final = 2
CONSECUTIVE: Final = 3
LOWEST: Final = 4
PARTS: Final = 5
_KINDS: Final = ("count", "pdc", "on_time", "consecutive_years", "lowest", "parts")


class MetricSpec:
    """A metric's definition read once into compiled fields, shared by every case of a plan
    (`plan.metric_specs`): an attribute of a product's model is looked up by name at each
    read, these are not. `types` are the event types it reads (a tag's need the product)."""

    def __init__(self, name: str, metric: Metric, product: Product | None = None):
        self.name = name
        self.kind: int = _KINDS.index(metric.kind)
        window = metric.window
        self.window: str = window if isinstance(window, str) else "days"
        self.days: int = 0 if isinstance(window, str) else window.days
        self.zero: float | int = 0.0 if metric.pdc is not None else 0  # over no event
        self.tag = ""  # a count's: only events carrying it
        self.merged = False  # counted over several event types, or by tag
        self.event = ""
        self.field = ""  # a pdc's days field, a lowest's watched field
        self.initial = ""  # a lowest's input
        self.programme = ""  # consecutive years of this programme
        self.every: Any = 0  # on time: months apart, give or take `tolerance`
        self.tolerance: Any = 0
        self.of = ""  # parts: quarters or halves
        self.inner = ""  # parts: the metric measured over each
        self.at_least: Any = 0
        self.types: tuple[str, ...] = ()
        if metric.count is not None:
            self.merged = bool(metric.count.also or metric.count.tag)
            self.event = metric.count.event or ""
            self.tag = metric.count.tag or ""
            self.types = count_types(product, metric.count)
        elif metric.pdc is not None:
            self.event, self.field = metric.pdc.event, metric.pdc.days_field
            self.types = (self.event,)
        elif metric.on_time is not None:
            self.event = metric.on_time.event
            self.every, self.tolerance = (metric.on_time.every_months,
                                          metric.on_time.tolerance_months)
            self.types = (self.event,)
        elif metric.lowest is not None:
            self.event, self.field = metric.lowest.event, metric.lowest.field
            self.initial = metric.lowest.initial
        elif metric.consecutive_years is not None:
            self.programme = metric.consecutive_years.programme
        elif metric.parts is not None:
            self.of, self.inner = metric.parts.of, metric.parts.metric
            self.at_least = metric.parts.at_least


def metric_specs(product: Product) -> dict[str, MetricSpec]:
    """Every metric of `product`, by name, in the product's order."""
    return {name: MetricSpec(name, metric, product) for name, metric in product.metrics.items()}


class Timeline:
    """A case's events by type, with the metric computations over them.

    Every metric is answered in logarithmic time from tables built once per
    case (supply intervals for PDC, prefix counts for counts and on-time
    events, a range-minimum table for lowest values), so a case's work grows
    linearly with its events, however many visits ask for metrics.
    """

    def __init__(self, events: tuple[Event, ...], start: dt.date,
                 filters: Mapping[str, Callable[[Mapping[str, Any]], bool]],
                 applicant: Mapping[str, Any], constants: Mapping[str, Any],
                 specs: Mapping[str, MetricSpec] | None = None):
        self.start = start
        self.filters = filters
        self.applicant = applicant
        self.constants = constants
        self.by_type: dict[str, list[Event]] = {}
        for event in events:
            self.by_type.setdefault(event.type, []).append(event)
        self.days: dict[str, list[dt.date]] = {k: [e.date for e in v] for k, v in
                                               self.by_type.items()}
        # tables built on first use, each keyed by what it depends on (a metric's filter
        # changes with the parameters in force: it is part of the key)
        self._counts: dict[tuple, list[int]] = {}  # (name, filter) -> prefix counts
        self._merged: dict[tuple, tuple[list[dt.date], list[int]]] = {}  # (name, filter)
        self._on_times: dict[tuple, tuple[list[dt.date], list[int]]] = {}
        self._supplies: dict[tuple[str, str], _Supply] = {}  # (event type, days field)
        self._lowests: dict[tuple[str, str], _RangeMin] = {}  # (event type, field)
        # the metrics by name (the plan's, shared by every case): a parts metric's inner one
        self.specs: Mapping[str, MetricSpec] = {} if specs is None else specs

    def window(self, spec: MetricSpec, day: dt.date) -> tuple[dt.date, dt.date]:
        """[first, last] days the metric looks at when measured on `day`."""
        window = spec.window
        if window == "policy_year":
            return policy_year(self.start, year_number(self.start, day)).start, day
        if window == "all":
            return dt.date.min, day
        if window == "days":
            return day - dt.timedelta(days=spec.days - 1), day
        return part_of(self.start, day, window)[0], day  # quarter or half

    def span(self, event_type: str, first: dt.date, last: dt.date) -> tuple[int, int]:
        """[lo, hi): the indexes of `event_type` events dated within [first, last]."""
        days = self.days.get(event_type, [])
        return bisect.bisect_left(days, first), bisect.bisect_right(days, last)

    def accepted(self, name: str, event: Event) -> bool:
        check = self.filters.get(name)
        return True if check is None else bool(check({**self.applicant, **event.fields}))

    def value(self, spec: MetricSpec, day: dt.date,
              consecutive: Callable[[str], int]) -> float | int:
        """The metric's value measured on `day` (inclusive)."""
        kind = spec.kind
        if kind == CONSECUTIVE:
            return consecutive(spec.programme)
        if kind == LOWEST:
            return self.lowest(spec, day)
        if kind == PARTS:
            return self.parts(spec, day)
        first, last = self.window(spec, day)
        return self.over(spec, first, last)

    def over(self, spec: MetricSpec, first: dt.date, last: dt.date) -> float | int:
        """A count, pdc or on_time metric over the days [first, last]."""
        by_type = self.by_type
        for event_type in spec.types:
            if event_type in by_type:
                break
        else:
            return spec.zero
        kind = spec.kind
        if kind == COUNT:
            return self.count(spec, first, last)
        if kind == PDC:
            return self.pdc(spec, first, last)
        return self.on_time(spec, first, last)

    def parts(self, spec: MetricSpec, day: dt.date) -> int:
        """Parts of the policy year so far (the current one up to `day`) in which the named
        metric, measured over the part, reached `at_least`."""
        inner = self.specs[spec.inner]
        least = self._number(spec.at_least)
        found = 0
        for first, end in parts_of_year(self.start, year_number(self.start, day), spec.of):
            if first > day:
                break
            if self.over(inner, first, min(end - ONE_DAY, day)) >= least:
                found += 1
        return found

    def count(self, spec: MetricSpec, first: dt.date, last: dt.date) -> int:
        """Events of the metric's type in the window that pass its filter."""
        name = spec.name
        key = (name, self.filters.get(name))
        if spec.merged:  # several event types, or tagged events (issue 13)
            merged = self._merged.get(key)
            if merged is None:
                merged = self._merged[key] = self._merged_table(spec)
            days, prefix = merged
            lo, hi = bisect.bisect_left(days, first), bisect.bisect_right(days, last)
            return prefix[hi] - prefix[lo] if hi > lo else 0
        event_type = spec.event
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = _prefix(
                [self.accepted(name, e) for e in self.by_type.get(event_type, [])])
        lo, hi = self.span(event_type, first, last)
        return counts[hi] - counts[lo] if hi > lo else 0

    def _merged_table(self, spec: MetricSpec) -> tuple[list[dt.date], list[int]]:
        """The dates of every event of the metric's types, and prefix counts of those its
        filter accepts."""
        tag = spec.tag
        events = sorted((e for t in spec.types for e in self.by_type.get(t, [])
                         if not tag or tag in e.tags), key=lambda e: e.date)
        return [e.date for e in events], _prefix([self.accepted(spec.name, e) for e in events])

    def lowest(self, spec: MetricSpec, day: dt.date) -> float | int:
        """The lowest value so far: the entry value, then each event's field in the window."""
        first, last = self.window(spec, day)
        entry = self.applicant[spec.initial]
        if spec.event not in self.by_type:
            return entry
        key = (spec.event, spec.field)
        table = self._lowests.get(key)
        if table is None:
            table = self._lowests[key] = _RangeMin(
                [e.fields.get(spec.field) for e in self.by_type[spec.event]])
        lo, hi = self.span(spec.event, first, last)
        found = table.min(lo, hi)
        return entry if found is None else min(entry, found)

    def pdc(self, spec: MetricSpec, first: dt.date, last: dt.date) -> float | int:
        """Proportion of days covered: supplies laid end to end, clipped to the window.

        A refill that arrives while earlier supply remains starts when that
        supply runs out (the usual PDC method); supply bought before the window
        counts for the days it reaches into it.
        """
        key = (spec.event, spec.field)
        supply = self._supplies.get(key)
        if supply is None:
            supply = self._supplies[key] = _Supply(self.by_type.get(spec.event, []), spec.field)
        span = (last - first).days + 1
        return round(min(supply.covered(first, last), span) / span, 4) if span > 0 else 0.0

    def on_time(self, spec: MetricSpec, first: dt.date, last: dt.date) -> int:
        """Events in the window that came `every_months ± tolerance` after the previous one.

        The first ever qualifying event is on time if it comes within
        `every + tolerance` months of the policy start.
        """
        name = spec.name
        every = int(self._number(spec.every))
        tolerance = int(self._number(spec.tolerance))
        key = (name, self.filters.get(name), every, tolerance)
        table = self._on_times.get(key)
        if table is None:
            table = self._on_times[key] = self._on_time_table(name, spec.event, every, tolerance)
        days, prefix = table
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


def _prefix(flags: list[bool]) -> list[int]:
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
