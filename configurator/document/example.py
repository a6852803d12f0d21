"""The worked example in the adherence section: what the rules did to a sample timeline.

The caller evaluates the product's illustration case year by year
(`engine.illustrate`); this module only lays those Outcomes out as a table
per programme, so the example shows what the rules actually do.
"""

from __future__ import annotations

from typing import Any

from ..cases.outcome import Illustration, Outcome
from ..product.model import Product, Programme, text_in
from ..product.params import parameters_at
from .blocks import Cell, Para, Table
from .phrases import Values, phrases
from .schedule import _label, _metric_side, requirements
from .titles import capital


def worked_example(product: Product, illustration: Illustration | None, locale: str = "en"
                   ) -> dict[str, list[Any]]:
    """Blocks per programme id whose bonus the sample timeline moves (none without one)."""
    if illustration is None:
        return {}
    constants = parameters_at(product, illustration.case.start)
    out = {}
    for index, programme in enumerate(product.adherence):
        if programme.change is None:
            continue
        renewal = [o.adherence[index] for o in illustration.at_renewal]
        if any(a.years.get(n + 1) for n, a in enumerate(renewal)):
            out[programme.id] = _example_blocks(product, programme, index, illustration,
                                                constants, locale)
    return out


def _target_value(outcome: Outcome, programme: Programme, values: Values) -> str:
    change = programme.change
    if change.target == "sum_insured":
        return values.money(outcome.coverage.sum_insured)
    if change.target == "limits":
        return phrases(values.locale)("list_sep").join(
            values.money(outcome.coverage.limits[n]) for n in change.limits)
    bonus = next(a.bonus_percent for a in outcome.adherence if a.id == programme.id)
    return values.percent(bonus)


def _example_blocks(product: Product, programme: Programme, index: int,
                    illustration: Illustration, constants: dict[str, Any], locale: str
                    ) -> list[Any]:
    w = phrases(locale)
    v = Values(product, constants, locale)
    name = text_in(programme.name, locale)
    env = dict(illustration.case.applicant)
    metrics = [_metric_side(c, product)[0] for c in
               requirements(programme.when.node, env, product, constants)]
    metrics = list(dict.fromkeys(metrics))
    target = w(f"target_{programme.change.target}")
    head = [w("col_year")] + [capital(_label(product, m, locale)) for m in metrics]
    head += [w("col_adherent"), w("col_bonus"), w("col_next", target=target)]
    rows = []
    for n, (end, renewal) in enumerate(zip(illustration.at_end, illustration.at_renewal,
                                           strict=True), start=1):
        status = renewal.adherence[index]
        current = end.adherence[index].current
        cells = [Cell(v.plain(n))]
        cells += [Cell(_metric_text(product, m, current.get(m, 0), v)) for m in metrics]
        kept = bool(status.years.get(n))
        cells += [Cell(w("yes") if kept else w("no"), not kept),
                  Cell(v.percent(status.bonus_percent)),
                  Cell(_target_value(renewal, programme, v))]
        rows.append(cells)
    last = illustration.at_renewal[-1]
    bonus = v.percent(last.adherence[index].bonus_percent)
    if programme.change.target == "premium_discount":
        summary = w("example_summary_discount", bonus=bonus, years=v.plain(illustration.years))
    else:
        summary = w("example_summary", bonus=bonus, years=v.plain(illustration.years),
                    start=_target_value(illustration.first, programme, v),
                    end=_target_value(last, programme, v))
    return [Para(w("example_intro", programme=name), label=w("example")),
            Table(w("example_caption", programme=name), head, rows), Para(summary)]


def _metric_text(product: Product, metric: str, value: Any, values: Values) -> str:
    if product.metrics[metric].kind == "pdc":
        return values.ratio_percent(float(value))
    return values.plain(value)

