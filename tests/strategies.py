"""Hypothesis strategies generated from a product's declarations.

Values are drawn from each input's declared type and range, with the
product's own thresholds (parameter values and literals, and their
neighbours) mixed in so boundaries are hit often. Timelines draw events of
every declared type with their declared fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from configurator.conditions import NodeVisitor, Num
from configurator.product.model import InputSpec, Product


def thresholds(product: Product) -> list[float]:
    """Numbers the rules compare against: parameter values and condition literals."""
    found: set[float] = set()
    for parameter in product.parameters.values():
        values = [parameter.value] if parameter.values is None else [
            v.value for v in parameter.values]
        found |= {float(v) for v in values if isinstance(v, (int, float))
                  and not isinstance(v, bool)}
    for text in conditions(product):
        found |= {float(n.value) for n in _literals(text.node)}
    return sorted(found)


def conditions(product: Product) -> list[str]:
    texts = [r.when for r in product.eligibility]
    for checkup in product.checkups:
        texts += [r.when for r in checkup.results]
        if checkup.trigger.when:
            texts.append(checkup.trigger.when)
    texts += [p.when for p in product.adherence]
    return texts


class _Numbers(NodeVisitor):
    def visit_Num(self, node: Num, found: list[Num]) -> None:
        found.append(node)


def _literals(node) -> list[Num]:
    """Every number literal in a condition (those in `in [...]` lists too)."""
    found: list[Num] = []
    _Numbers().visit(node, found)
    return found


def value_for(spec: InputSpec, marks: list[float]) -> st.SearchStrategy[Any]:
    """Values of one declared input or event field."""
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values or [])
    if spec.type in ("string", "date"):
        return st.just(spec.default) if spec.default is not None else st.text(max_size=5)
    low = spec.min if spec.min is not None else -1e6
    high = spec.max if spec.max is not None else 1e6
    near = sorted({m + d for m in marks for d in (-1, -0.01, 0, 0.01, 1)
                   if low <= m + d <= high})
    if spec.type == "integer":
        near_ints = sorted({int(round(m)) for m in near if float(m).is_integer()})
        base = st.integers(int(low), int(high))
        return st.one_of(st.sampled_from(near_ints), base) if near_ints else base
    base = st.one_of(st.floats(low, high, allow_nan=False, allow_infinity=False),
                     st.integers(int(low), int(high)))
    return st.one_of(st.sampled_from(near), base) if near else base


@st.composite
def applicant(draw, product: Product) -> dict[str, Any]:
    marks = thresholds(product)
    out = {}
    for name, spec in product.inputs.items():
        if spec.personal:
            continue
        out[name] = draw(value_for(spec, marks))
    return out


@st.composite
def event(draw, product: Product, first: dt.date, last: dt.date,
          types: list[str] | None = None) -> dict[str, Any]:
    kind = draw(st.sampled_from(types or sorted(product.events)))
    day = first + dt.timedelta(days=draw(st.integers(0, max(0, (last - first).days))))
    marks = thresholds(product)
    data = {"date": day.isoformat(), "type": kind}
    for name, spec in product.events[kind].fields.items():
        data[name] = draw(value_for(spec, marks))
    return data


@st.composite
def case_data(draw, product: Product, max_years: int = 3, max_events: int = 25,
              people: st.SearchStrategy | None = None, tie_days: int = 0) -> dict[str, Any]:
    """A whole case: applicant, policy start, as_of and a timeline of declared events.

    `people` draws the applicant (default: anyone the inputs allow; pass the
    applicants of accepted example cases to exercise cover over time).
    `tie_days` > 0 draws event dates from only that many distinct days, so many
    events share a date (for order-independence properties).
    """
    start = product.effective_from + dt.timedelta(days=draw(st.integers(0, 400)))
    as_of = start + dt.timedelta(days=draw(st.integers(0, 365 * max_years)))
    person = draw(people if people is not None else applicant(product))
    count = draw(st.integers(0, max_events))
    if tie_days:
        days = draw(st.lists(st.integers(0, max(0, (as_of - start).days)), min_size=1,
                             max_size=tie_days))
        events = []
        for _ in range(count):
            one = draw(event(product, start, start))
            one["date"] = (start + dt.timedelta(days=draw(st.sampled_from(days)))).isoformat()
            events.append(one)
    else:
        events = [draw(event(product, start - dt.timedelta(days=30), as_of))
                  for _ in range(count)]
    return {"policy": {"start": start.isoformat()}, "as_of": as_of.isoformat(),
            "applicant": person, "events": events}
