"""Effective-dated parameters: a date-keyed history, looked up by latest start <= date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .model import Parameter, Product

T = TypeVar("T")


def in_force(items: Sequence[T], day: dt.date, start: Callable[[T], dt.date]) -> T:
    """The item with the latest start on or before `day` (the first one before them all).

    `items` are in increasing start order: parameter values, compiled periods.
    """
    found = items[0]
    for item in items:
        if start(item) <= day:
            found = item
    return found


def value_at(parameter: Parameter, day: dt.date) -> Any:
    """The parameter's value in force on `day` (the earliest value before its history)."""
    if parameter.values is None:
        return parameter.value
    return in_force(parameter.values, day, lambda dated: dated.from_).value


def parameters_at(product: Product, day: dt.date) -> dict[str, Any]:
    """Every parameter's value in force on `day`, by name, in declaration order."""
    return {name: value_at(parameter, day) for name, parameter in product.parameters.items()}


def parameter_periods(product: Product) -> list[tuple[dt.date, dict[str, Any]]]:
    """(start, values) for each stretch of time over which no parameter changes."""
    starts = {product.effective_from}
    for parameter in product.parameters.values():
        for dated in parameter.values or ():
            if dated.from_ > product.effective_from:
                starts.add(dated.from_)
    return [(start, parameters_at(product, start)) for start in sorted(starts)]
