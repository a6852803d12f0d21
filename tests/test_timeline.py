"""Metrics over a timeline: the indexed computations equal the plain definitions.

`engine.timeline.Timeline` answers each metric from tables built once per case
(so a case's work grows linearly with its events); these properties hold it to
the definitions written out plainly: count the events in the window, lay the
supplies end to end, take the lowest value, count the on-time events.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.cases.calendar import ONE_DAY, add_months
from configurator.cases.case import Event
from configurator.engine.timeline import MetricSpec, Timeline
from configurator.product.model import Metric

START = dt.date(2026, 1, 1)
DAYS = st.integers(0, 800)


@st.composite
def events(draw) -> tuple[Event, ...]:
    found = []
    for index, day in enumerate(sorted(draw(st.lists(DAYS, max_size=40)))):
        found.append(Event(f"r{index}", "refill", START + dt.timedelta(days=day), {
            "days": draw(st.integers(0, 120)), "level": draw(st.one_of(
                st.none(), st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)))}))
    return tuple(found)


def window(draw_first: int, draw_last: int) -> tuple[dt.date, dt.date]:
    first, last = sorted((draw_first, draw_last))
    return START + dt.timedelta(days=first), START + dt.timedelta(days=last)


def timeline(found, filters=None) -> Timeline:
    return Timeline(found, START, filters or {}, {"entry": 500}, {"every": 3, "tol": 1})


def plain_pdc(found, first, last) -> float:
    span = (last - first).days + 1
    covered, supply_end = 0, dt.date.min
    for event in found:
        if event.date > last:
            break
        begin = max(event.date, supply_end)
        supply_end = begin + dt.timedelta(days=event.fields["days"])
        lo, hi = max(begin, first), min(supply_end - ONE_DAY, last)
        covered += (hi - lo).days + 1 if hi >= lo else 0
    return round(min(covered, span) / span, 4)


@given(events(), DAYS, DAYS)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_pdc_is_supply_laid_end_to_end_clipped_to_the_window(found, a, b):
    first, last = window(a, b)
    metric = Metric.model_validate({"pdc": {"event": "refill", "days_field": "days"}})
    spec = MetricSpec("pdc", metric)
    assert timeline(found).pdc(spec, first, last) == plain_pdc(found, first, last)


@given(events(), DAYS, DAYS)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_count_is_the_events_in_the_window_that_pass_the_filter(found, a, b):
    first, last = window(a, b)
    metric = Metric.model_validate({"count": {"event": "refill"}})
    check = {"many": lambda env: env["days"] >= 60}
    expected = sum(1 for e in found if first <= e.date <= last and e.fields["days"] >= 60)
    assert timeline(found, check).count(MetricSpec("many", metric), first, last) == expected
    assert timeline(found).count(MetricSpec("all", metric), first, last) == sum(
        1 for e in found if first <= e.date <= last)


@given(events(), DAYS)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_lowest_is_the_entry_value_or_a_lower_reading_so_far(found, a):
    day = START + dt.timedelta(days=a)
    metric = Metric.model_validate({"lowest": {"event": "refill", "field": "level",
                                               "initial": "entry"}, "window": "all"})
    readings = [e.fields["level"] for e in found if e.date <= day and
                e.fields["level"] is not None]
    lowest = timeline(found).lowest(MetricSpec("nadir", metric), day)
    assert lowest == min([500, *readings]) and type(lowest) is type(min([500, *readings]))


@given(events(), DAYS, DAYS)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_on_time_counts_events_every_months_plus_or_minus_tolerance(found, a, b):
    first, last = window(a, b)
    metric = Metric.model_validate({"on_time": {"event": "refill", "every_months": "every",
                                                "tolerance_months": "tol"}})
    count, previous = 0, None
    for event in found:
        if event.date > last:
            break
        reference = previous or START
        late = add_months(reference, 3 + 1)
        early = START if previous is None else add_months(previous, 3 - 1)
        count += early <= event.date <= late and event.date >= first
        previous = event.date
    assert timeline(found).on_time(MetricSpec("any", metric), first, last) == count


@given(st.lists(st.none() | st.integers(-5, 5) | st.sampled_from([0.0, 2.0, -3.5, 5.0]),
                max_size=80), st.integers(0, 80), st.integers(0, 80))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_range_minimum_is_the_first_lowest_value_in_the_slice(values, lo, hi):
    """Short lists are scanned and long ones use the sparse table (past `SHORT`): either way
    the first lowest value of the slice (so an int and an equal float keep their type)."""
    from configurator.engine.timeline import _RangeMin

    lo, hi = min(lo, len(values)), min(hi, len(values))  # spans come from the list itself
    present = [v for v in values[lo:hi] if v is not None]
    expected = min(present) if present else None
    found = _RangeMin(values).min(lo, hi)
    assert found == expected and type(found) is type(expected)
