"""The Outcome's adherence section: each programme's bonus, cap, adherent years and the
metrics so far in the policy year containing as_of, read from a finished walk (the
`evaluate` module's timeline walk, passed as `walk`)."""

from __future__ import annotations

from typing import Any

from ..cases.calendar import year_number
from ..cases.outcome import AdherenceOut
from ..product.model import Metric


def current_metric(walk: Any, name: str, metric: Metric, year: int) -> float | int:
    """The metric so far in the policy year containing as_of."""
    if metric.consecutive_years is not None:
        return walk.cover.consecutive(metric.consecutive_years.programme, year)
    if metric.lowest is not None:
        return walk.timeline.value(name, metric, walk.as_of, lambda p: 0)
    if not walk.case.events:
        return 0.0 if metric.pdc is not None else 0
    return walk.timeline.value(name, metric, walk.as_of,
                               lambda p: walk.cover.consecutive(p, year))


def adherence_out(walk: Any) -> list[AdherenceOut]:
    """Each programme's bonus, cap, adherent years and the metrics so far this year."""
    year = year_number(walk.start, walk.as_of)
    current = {name: current_metric(walk, name, metric, year)
               for name, metric in walk.product.metrics.items()}
    out = []
    for programme in walk.product.adherence:
        change = programme.change
        out.append(AdherenceOut(
            programme.id, change.target if change else "loading_removal",
            walk.cover.bonus[programme.id], walk.number(change.cap_percent) if change else 0,
            walk.cover.consecutive(programme.id, year),
            dict(walk.cover.adherent[programme.id]), current,
            change.on_miss if change else "none"))
    return out
