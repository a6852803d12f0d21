"""Future events that would change an outcome: a check-up visit, the visits or refills a
programme needs this policy year. Only dates after the case's as_of are ever tried.

Each plan is verified by re-evaluating the case with the events added and
as_of moved to the day the outcome is decided (the day after a check-up's
deadline; the renewal that judges the policy year), against the same case
without them on that day: the adverse part must be there without the events
and gone with them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cases.calendar import ONE_DAY, add_years, year_number
from ..cases.case import Event
from ..cases.outcome import CheckupOut, Outcome
from ..conditions.evaluate import compile_fn
from ..conditions.visitor import names
from ..product.cells import cells
from ..product.model import Metric, Programme
from ..product.ranges import Domain, resolve, spec_domain, truth
from ..product.tags import tagged_types
from .search import Trial

HORIZON = dt.timedelta(days=400)  # how far ahead the next occurrence of a check-up is sought
MAX_EXTRA = 4  # most events of one kind a plan adds
SAMPLES = 12  # dates tried across a window before its edges are bisected


@dataclass(frozen=True)
class Plan:
    """Events to add, what they are, and the dates between which they were verified."""

    events: tuple[Event, ...]
    kinds: tuple[tuple[str, int], ...]  # (event type, how many)
    first: dt.date
    last: dt.date
    decided: dt.date  # the as_of on which the outcome was compared
    outcome: Outcome  # the changed case's Outcome on `decided`
    baseline: Outcome  # the unchanged case's Outcome on `decided`


def fields_for(trial: Trial, event_type: str, want: Any = None, day: dt.date | None = None
               ) -> dict[str, Any]:
    """Fields for a new event: the last one of its type, else defaults and neutral values;
    then, if `want` (a condition) is false with them, values that make it true (named in
    `REQUIRED_KEY` so the suggestion can say which results the event must have)."""
    spec = trial.product.events[event_type]
    fields: dict[str, Any] = {}
    for name, field in spec.fields.items():
        if field.default is not None:
            fields[name] = field.default
        elif name in trial.case.applicant:
            fields[name] = trial.case.applicant[name]
        elif field.type == "enum":
            fields[name] = (field.values or [""])[0]
        elif field.type == "boolean":
            fields[name] = False
        elif field.type in ("integer", "number"):
            fields[name] = field.min if field.min is not None else 0
    last = [e for e in trial.case.events if e.type == event_type]
    if last:
        fields.update(last[-1].fields)
    if want is not None:
        needed = _satisfying(trial, event_type, want, fields, day or trial.case.as_of)
        fields.update(needed)
        fields[REQUIRED_KEY] = tuple(sorted(needed.items()))
    return fields


REQUIRED_KEY = "\0required"  # not a field name (names are identifiers): stripped before use


def required(events: tuple[Event, ...]) -> dict[str, dict[str, Any]]:
    """The field values each event type was given to count (by type)."""
    return {e.type: dict(e.fields.get(REQUIRED_KEY, ())) for e in events}


def strip(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != REQUIRED_KEY}


def _satisfying(trial: Trial, event_type: str, node: Any, fields: dict[str, Any],
                day: dt.date) -> dict[str, Any]:
    """The fields `node` reads, with values that make it true (today's if they already do)."""
    constants = trial.constants(day)
    specs = trial.product.events[event_type].fields
    read = [n.id for n in names(node) if n.id in specs]
    if compile_fn(node, constants)({**trial.case.applicant, **fields}):
        return {n: fields[n] for n in dict.fromkeys(read) if n in fields}
    resolved = resolve(node, constants)
    doms: dict[str, Any] = {n: Domain(values=(v,)) if not isinstance(v, (int, float))
                            or isinstance(v, bool) else Domain(v, v)
                            for n, v in trial.case.applicant.items()}
    doms.update({n: spec_domain(s) for n, s in specs.items()})
    for cell in cells([resolved], doms):
        if truth(resolved, cell) == frozenset({True}):
            return {n: _typed(specs[n], cell[n]) for n in dict.fromkeys(read)
                    if n in cell and not isinstance(cell[n], Domain)}
    return {}


def _typed(spec, value: Any) -> Any:
    return int(value) if spec.type == "integer" else value


# ------------------------------------------------------------ check-ups


def next_visit(trial: Trial, checkup_id: str, reached: Callable[[Outcome, CheckupOut], bool]
               ) -> Plan | None:
    """A visit for the next occurrence of `checkup_id` still open after as_of, verified on
    the first and the last day it can be made; `reached(outcome, occurrence)` says whether
    the changed Outcome has what the visit should bring."""
    as_of = trial.case.as_of
    ahead = trial.outcome(trial.with_events([], as_of + HORIZON))
    target = next((c for c in ahead.checkups if c.id == checkup_id and c.status != "done"
                   and (c.deadline or c.due) > as_of), None)
    if target is None:
        return None
    first = max(target.window[0] if target.window else target.due, as_of + ONE_DAY)
    last = target.deadline or (target.window[1] if target.window else target.due)
    if first > last:
        return None
    decided = last + ONE_DAY
    baseline = trial.outcome(trial.with_events([], decided))
    if reached(baseline, target):
        return None
    event_type = _checkup(trial, checkup_id).event
    fields = fields_for(trial, event_type, day=first)
    outcome = None
    for day in (last, first):
        added = Event("why-not-1", event_type, day, fields)
        outcome = trial.outcome(trial.with_events([added], decided))
        if not reached(outcome, target):
            return None
    added = Event("why-not-1", event_type, first, fields)
    return Plan((added,), ((event_type, 1),), first, last, decided, outcome, baseline)


def _checkup(trial: Trial, checkup_id: str):
    return next(c for c in trial.product.checkups if c.id == checkup_id)


def done(outcome: Outcome, target: CheckupOut) -> bool:
    """The occurrence due on the target's due date was done."""
    return any(c.id == target.id and c.due == target.due and c.status == "done"
               for c in outcome.checkups)


# ------------------------------------------------------------ programmes


def year_bounds(trial: Trial) -> tuple[int, dt.date, dt.date, dt.date] | None:
    """The policy year containing as_of: its number, the first day a new event can fall on,
    its last day, and the renewal that judges it (None when nothing can still be done)."""
    case = trial.case
    year = year_number(case.start, case.as_of)
    renewal = add_years(case.start, year)
    first, last = case.as_of + ONE_DAY, renewal - ONE_DAY
    return (year, first, last, renewal) if first <= last else None


def attainable(trial: Trial, programme: Programme) -> bool:
    """Whether the programme can be met this year at all (its fixed inputs allow it)."""
    constants = trial.constants(trial.case.as_of)
    env: dict[str, Any] = dict(trial.case.applicant)
    for name, derived in trial.product.derived.items():
        try:
            env[name] = compile_fn(derived.expr.node, constants)(env)
        except Exception:  # noqa: BLE001  (a derived value this case cannot compute)
            env[name] = None
    for name in trial.product.metrics:
        env[name] = _best(trial.product.metrics[name])
    try:
        return bool(compile_fn(programme.when.node, constants)(env))
    except Exception:  # noqa: BLE001
        return False


def _best(metric: Metric) -> Any:
    return 1.0 if metric.pdc is not None else 10 ** 6


def programme_plan(trial: Trial, programme: Programme, reached: Callable[[Outcome], bool]
                   ) -> Plan | None:
    """The smallest verified plan of future events this policy year that `reached` accepts."""
    bounds = year_bounds(trial)
    if bounds is None:
        return None
    year, first, last, renewal = bounds
    baseline = trial.outcome(trial.with_events([], renewal))
    if reached(baseline):
        return None
    metrics = [n.id for n in names(programme.when.node) if n.id in trial.product.metrics]
    fragments = {m: _fragments(trial, trial.product.metrics[m], m, first, last)
                 for m in dict.fromkeys(metrics)}
    fragments = {m: f for m, f in fragments.items() if f}
    for options in fragments.values():  # one kind of event alone
        for events in options:
            plan = _verified(trial, events, first, last, renewal, baseline, reached)
            if plan is not None:
                return _widened(trial, plan, reached) if len(events) == 1 else plan
    largest = {m: len(options) - 1 for m, options in fragments.items()}
    if _verified(trial, _union(fragments, largest), first, last, renewal, baseline,
                 reached) is None:
        return None
    for metric in largest:  # fewer of each kind while the plan still works
        while largest[metric] > 0:
            fewer = {**largest, metric: largest[metric] - 1}
            if _verified(trial, _union(fragments, fewer), first, last, renewal, baseline,
                         reached) is None:
                break
            largest = fewer
    return _verified(trial, _union(fragments, largest), first, last, renewal, baseline, reached)


def _union(fragments: dict[str, list[list[Event]]], sizes: dict[str, int]) -> list[Event]:
    out: list[Event] = []
    for metric, size in sizes.items():
        out += fragments[metric][size]
    return [Event(f"why-not-{n}", e.type, e.date, e.fields, None, e.tags)
            for n, e in enumerate(out, 1)]


def _fragments(trial: Trial, metric: Metric, name: str, first: dt.date, last: dt.date
               ) -> list[list[Event]]:
    """Candidate event lists for one metric, smallest first."""
    span = (last - first).days
    if metric.parts is not None:  # each part is reached by the events of the metric it reads
        inner = metric.parts.metric
        return _fragments(trial, trial.product.metrics[inner], inner, first, last)
    if metric.pdc is not None:
        spec = metric.pdc
        most = trial.product.events[spec.event].fields[spec.days_field].max or 90
        events, day = [], first
        fields = fields_for(trial, spec.event, day=first)
        while day <= last:
            supply = int(min(most, (last - day).days + 1))
            events.append(Event("x", spec.event, day, {**fields, spec.days_field: supply}))
            day += dt.timedelta(days=supply)
        return [events]
    spec = metric.count or metric.on_time
    if spec is None:
        return []
    kind, tags = _counted(trial, spec)
    fields = fields_for(trial, kind, spec.when.node if spec.when else None, first)
    out = []
    for count in range(1, MAX_EXTRA + 1):
        days = [first + dt.timedelta(days=(span * (i + 1)) // count) for i in range(count)]
        out.append([Event("x", kind, day, fields, None, tags) for day in days])
    return out


def _counted(trial: Trial, spec: Any) -> tuple[str, tuple[str, ...]]:
    """The event type a suggested event has, and its tags: a tag count's first type."""
    tag = getattr(spec, "tag", None)
    if tag is None:
        return spec.event, ()
    return tagged_types(trial.product, tag)[0], (tag,)


def _verified(trial: Trial, events: list[Event], first: dt.date, last: dt.date,
              decided: dt.date, baseline: Outcome, reached: Callable[[Outcome], bool]
              ) -> Plan | None:
    events = [Event(f"why-not-{n}", e.type, e.date, e.fields, None, e.tags)
              for n, e in enumerate(events, 1)]
    outcome = trial.outcome(trial.with_events(events, decided))
    if not reached(outcome):
        return None
    return _plan(events, first, last, decided, outcome, baseline)


def _plan(events: list[Event], first: dt.date, last: dt.date, decided: dt.date,
          outcome: Outcome, baseline: Outcome) -> Plan | None:
    kinds: dict[str, int] = {}
    for event in events:
        kinds[event.type] = kinds.get(event.type, 0) + 1
    return Plan(tuple(events), tuple(kinds.items()), first, last, decided, outcome, baseline)


def _widened(trial: Trial, plan: Plan, reached: Callable[[Outcome], bool]) -> Plan:
    """One event: the dates between which it works (sampled, edges bisected)."""
    event = plan.events[0]

    def works(day: dt.date) -> bool:
        moved = dataclasses.replace(event, date=day)
        return reached(trial.outcome(trial.with_events([moved], plan.decided)))

    span = (plan.last - plan.first).days
    samples = sorted({plan.first + dt.timedelta(days=span * i // SAMPLES)
                      for i in range(SAMPLES + 1)})
    good = [d for d in samples if works(d)]
    if not good:
        return plan
    lo = _edge(works, good[0], plan.first)
    hi = _edge(works, good[-1], plan.last)
    if not all(works(d) for d in samples if lo <= d <= hi):
        lo = hi = good[-1]  # not one interval: promise only the day verified
    moved = dataclasses.replace(event, date=lo)
    return Plan((moved,), plan.kinds, lo, hi, plan.decided,
                trial.outcome(trial.with_events([moved], plan.decided)), plan.baseline)


def _edge(works: Callable[[dt.date], bool], good: dt.date, limit: dt.date) -> dt.date:
    """The farthest day from `good` toward `limit` that still works (bisected)."""
    if works(limit):
        return limit
    inside, outside = good, limit
    while abs((outside - inside).days) > 1:
        middle = inside + dt.timedelta(days=(outside - inside).days // 2)
        if works(middle):
            inside = middle
        else:
            outside = middle
    return inside
