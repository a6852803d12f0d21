"""The Outcome's adherence section: each programme's bonus, cap, adherent years and the
metrics so far in the policy year containing as_of, read from a finished walk (the cover it
left and the case's timeline)."""

from __future__ import annotations

import datetime as dt

from ..cases.calendar import year_number
from ..cases.outcome import AdherenceOut
from ..product.model import Product
from .cover import CoverState
from .plan import PeriodPlan
from .timeline import Timeline


def current_metrics(product: Product, cover: CoverState, timeline: Timeline, as_of: dt.date,
                    year: int, events: bool) -> dict[str, float | int]:
    """Each metric so far in the policy year `year`, which contains `as_of`."""
    current: dict[str, float | int] = {}
    for name, metric in product.metrics.items():
        if metric.consecutive_years is not None:
            current[name] = cover.consecutive(metric.consecutive_years.programme, year)
        elif metric.lowest is not None:
            current[name] = timeline.value(name, metric, as_of, lambda p: 0)
        elif not events:
            current[name] = 0.0 if metric.pdc is not None else 0
        else:
            current[name] = timeline.value(name, metric, as_of,
                                           lambda p: cover.consecutive(p, year))
    return current


def adherence_out(product: Product, period: PeriodPlan, cover: CoverState,
                  timeline: Timeline, start: dt.date, as_of: dt.date,
                  events: bool) -> list[AdherenceOut]:
    """Each programme's bonus, cap, adherent years and the metrics so far this year
    (`events`: whether the case has any)."""
    year = year_number(start, as_of)
    current = current_metrics(product, cover, timeline, as_of, year, events)
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
