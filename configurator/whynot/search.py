"""Changed copies of a case, re-evaluated through the engine; thresholds on one input.

`Trial` holds the case and its compiled product and evaluates changed copies
(an input, a field of one recorded event, added future events, a later as_of),
remembering each Outcome. `thresholds` finds, for each number a rule reads
(directly or through a derived value), the nearest value on each side that
makes the adverse part go away: a search over the declared range at the
input's resolution (1 for an integer; for a number a tenth, or finer when the
case or the condition's constants are finer), so the value found is the
boundary itself and one step back still has the adverse part.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..cases.case import Case, Event
from ..cases.outcome import Outcome
from ..compiler.compile import CompiledProduct
from ..conditions.nodes import Node
from ..conditions.visitor import names
from ..engine.evaluate import evaluate
from ..engine.plan import Plan, plan_for
from ..product.cells import split_points
from ..product.model import InputSpec, Product
from ..product.ranges import resolve, spec_domain

FIXED_UNITS = ("years", "year")  # an age: nothing the member can change
MAX_SPAN = Decimal(10) ** 12


class Trial:
    """One case and its product; evaluates changed copies (each Outcome once)."""

    def __init__(self, compiled: CompiledProduct, case: Case, locale: str):
        self.compiled = compiled
        self.product: Product = compiled.product
        self.plan: Plan = plan_for(compiled)
        self.case = case
        self.locale = locale
        self._memo: dict[str, Outcome] = {}

    def outcome(self, case: Case | None = None) -> Outcome:
        case = self.case if case is None else case
        key = json.dumps([case.applicant, case.as_of.isoformat(),
                          [(e.id, e.type, e.date.isoformat(), e.fields) for e in case.events]],
                         sort_keys=True, default=str)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = evaluate(self.compiled, case, locale=self.locale)
        return found

    def constants(self, day) -> dict[str, Any]:
        return self.plan.period_at(day).constants

    def with_input(self, name: str, value: Any) -> Case:
        return dataclasses.replace(self.case, applicant={**self.case.applicant, name: value})

    def with_field(self, event_id: str, name: str, value: Any) -> Case:
        events = tuple(Event(e.id, e.type, e.date, {**e.fields, name: value}, e.span, e.tags)
                       if e.id == event_id else e for e in self.case.events)
        return dataclasses.replace(self.case, events=events)

    def with_events(self, added: list[Event], as_of) -> Case:
        clean = [Event(e.id, e.type, e.date, {k: v for k, v in e.fields.items()
                                              if not k.startswith("\0")}, None, e.tags)
                 for e in added]
        events = tuple(sorted((*self.case.events, *clean), key=Event.sort_key))
        return dataclasses.replace(self.case, events=events, as_of=as_of)


@dataclass(frozen=True)
class Threshold:
    """The boundary of one input: `op` `shown` (e.g. ``<= 9.0``); `applied` is where the
    adverse part first goes away, `back` one step back toward today's value (it stays)."""

    name: str
    event: str | None
    spec: InputSpec
    current: Any
    op: str
    shown: Any
    applied: Any
    back: Any
    step: Any


def read_inputs(product: Product, node: Node) -> list[str]:
    """The inputs and fields `node` reads, through derived values, each once in order."""
    out: list[str] = []
    for name in (n.id for n in names(node)):
        derived = product.derived.get(name)
        found = read_inputs(product, derived.expr.node) if derived is not None else [name]
        out += [n for n in found if n not in out]
    return out


def changeable(spec: InputSpec) -> bool:
    """A number the member's health or behaviour can move (not an age, a fact or personal)."""
    return (spec.type in ("integer", "number") and not spec.personal
            and (spec.unit or "") not in FIXED_UNITS)


def thresholds(trial: Trial, node: Node, specs: dict[str, tuple[InputSpec, str | None]],
               still: Callable[[Outcome], bool], day) -> list[Threshold]:
    """For each changeable number `node` reads, the nearest value each way that ends the
    adverse part (`still` says whether an Outcome has it); `specs` maps a name to its spec
    and the recorded event holding it (None: an applicant input)."""
    points = split_points([resolve(node, trial.constants(day))])
    found = []
    for name in read_inputs(trial.product, node):
        if name not in specs or not changeable(specs[name][0]):
            continue
        spec, event = specs[name]
        current = _current(trial.case, name, event)
        if current is None or isinstance(current, bool):
            continue
        for direction in (-1, 1):
            hit = _boundary(trial, name, spec, event, current, direction, still,
                            points.get(name, set()))
            if hit is not None:
                found.append(hit)
    return found


def _current(case: Case, name: str, event: str | None) -> Any:
    if event is None:
        return case.applicant.get(name)
    return next((e.fields.get(name) for e in case.events if e.id == event), None)


def decimals(value: Any) -> int:
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def _step(spec: InputSpec, current: Any, points: set) -> Decimal:
    if spec.type == "integer":
        return Decimal(1)
    places = max([1, decimals(current), *(decimals(p) for p in points)])
    return Decimal(1).scaleb(-places)


def _boundary(trial: Trial, name: str, spec: InputSpec, event: str | None, current: Any,
              direction: int, still: Callable[[Outcome], bool], points: set
              ) -> Threshold | None:
    """Bisect the grid from today's value to the declared end in `direction`."""
    step, base = _step(spec, current, points), Decimal(str(current))
    domain = spec_domain(spec)
    end = domain.lo if direction < 0 else domain.hi
    if math.isinf(end):
        end = float(base - MAX_SPAN) if direction < 0 else float(base + MAX_SPAN)
    reach = (Decimal(str(end)) - base) / step
    far = int(math.floor(reach)) if direction > 0 else int(math.ceil(reach))
    if far == 0:
        return None

    def value(k: int) -> Any:
        number = base + k * step
        return int(number) if spec.type == "integer" else float(number)

    def gone(k: int) -> bool:
        case = (trial.with_input(name, value(k)) if event is None
                else trial.with_field(event, name, value(k)))
        return not still(trial.outcome(case))

    if not gone(far):
        return None
    near = 0  # has the adverse part; `far` has not
    while abs(far - near) > 1:
        middle = (far + near) // 2 if direction > 0 else -((-far - near) // 2)
        if gone(middle):
            far = middle
        else:
            near = middle
    applied, back = value(far), value(near)
    rounder = decimals(back) < decimals(applied)
    if direction < 0:
        op, shown = ("<", back) if rounder else ("<=", applied)
    else:
        op, shown = (">", back) if rounder else (">=", applied)
    return Threshold(name, event, spec, current, op, shown, applied, back,
                     int(step) if spec.type == "integer" else float(step))
