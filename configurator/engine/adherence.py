"""The Outcome's adherence section: each programme's bonus, cap, adherent years and the
metrics so far in the policy year containing as_of, read from a finished walk (the cover it
left and the case's timeline)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..cases.calendar import year_number
from ..cases.outcome import AdherenceOut
from ..product.model import Product
from .cover import CoverState
from .plan import PeriodPlan
from .timeline import CONSECUTIVE, LOWEST, PDC, MetricSpec, Timeline


def current_metrics(specs: Iterable[MetricSpec], cover: CoverState, timeline: Timeline,
                    as_of: dt.date, year: int, events: bool) -> dict[str, float | int]:
    """Each metric so far in the policy year `year`, which contains `as_of`."""
    current: dict[str, float | int] = {}
    for spec in specs:
        if spec.kind == CONSECUTIVE:
            current[spec.name] = cover.consecutive(spec.programme, year)
        elif spec.kind == LOWEST:
            current[spec.name] = timeline.value(spec, as_of, lambda p: 0)
        elif not events:
            current[spec.name] = 0.0 if spec.kind == PDC else 0
        else:
            current[spec.name] = timeline.value(spec, as_of,
                                                lambda p: cover.consecutive(p, year))
    return current


def adherence_out(product: Product, specs: Iterable[MetricSpec], period: PeriodPlan,
                  cover: CoverState, timeline: Timeline, start: dt.date, as_of: dt.date,
                  events: bool) -> list[AdherenceOut]:
    """Each programme's bonus, cap, adherent years and the metrics (`specs`, the product's)
    so far this year (`events`: whether the case has any)."""
    year = year_number(start, as_of)
    current = current_metrics(specs, cover, timeline, as_of, year, events)
    out = []
    for programme in product.adherence:
        change = programme.change
        out.append(AdherenceOut(
            programme.id, change.target if change else "loading_removal",
            cover.bonus[programme.id], period.number(change.cap_percent) if change else 0,
            cover.consecutive(programme.id, year),
            dict(cover.adherent[programme.id]), current,
            change.on_miss if change else "none"))
    return out
