"""Typed values of declared inputs and event fields: the rules every value must meet.

The case loader applies them to applicants and events; the product check
applies them to declared defaults, so a default is held to the same rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from ..errors import did_you_mean
from ..limits import date_problem, number_problem
from .model import InputSpec

_TRUE: Final = {"true", "yes", "y", "1"}


_FALSE: Final = {"false", "no", "n", "0"}


class Rule:
    """An input's (or event field's) spec read once into compiled fields (the case loader
    keeps one per spec of a product): an attribute of a product's model is a lookup by name
    at each read, these are not."""

    def __init__(self, spec: InputSpec):
        self.spec = spec
        self.type: str = spec.type
        self.min: Any = spec.min
        self.max: Any = spec.max
        self.unit: str | None = spec.unit
        self.values: list[str] | None = spec.values
        self.default: Any = spec.default
        self.required: bool = spec.required
        self.personal: bool = spec.personal


def coerce_value(spec: InputSpec, value: Any, text: bool = False) -> tuple[Any, str | None]:
    """`value` converted to `spec`'s type, or an error message saying what is wrong."""
    return coerce(Rule(spec), value, text)


def coerce(spec: Rule, value: Any, text: bool = False) -> tuple[Any, str | None]:
    """`coerce_value` by the spec's `Rule` (what the case loader calls, once per value)."""
    if text and isinstance(value, str):
        value = _from_text(spec, value.strip())
    kind = spec.type
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"expected a number, got {_show(value)}"
        problem = number_problem(value)
        if problem:
            return None, problem
        if kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                return None, f"expected a whole number, got {value!r}"
            value = int(value)
        return _in_range(spec, value)
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, f"expected true or false, "
                                                                    f"got {value!r}")
    if kind == "date":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return None, f"'{value}' is not a valid date (write YYYY-MM-DD)"
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return None, f"expected a date, got {value!r}"
        return (None, date_problem(value)) if date_problem(value) else (value, None)
    if not isinstance(value, str):
        return None, f"expected text, got {_show(value)}"
    if kind == "enum" and value not in (spec.values or ()):
        allowed = spec.values or ()
        hint = did_you_mean(value, allowed) or f"use one of: {', '.join(allowed)}"
        return None, f"'{value}' is not one of the allowed values; {hint}"
    return value, None


def _show(value: Any) -> str:
    """A value for a message, never longer than a line."""
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:40]) + f"... ({len(value):,} characters)"
    return repr(value)


def _from_text(spec: Rule, value: str) -> Any:
    if spec.type in ("number", "integer"):
        if len(value) > 40:  # no number anyone meant; int() of thousands of digits is slow
            return value
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    if spec.type == "boolean":
        lowered = value.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else value
    return value


def _in_range(spec: Rule, value: float | int) -> tuple[Any, str | None]:
    if spec.min is not None and value < spec.min:
        return None, f"{value} is below the minimum {_num(spec.min)}{_unit(spec)}"
    if spec.max is not None and value > spec.max:
        return None, f"{value} is above the maximum {_num(spec.max)}{_unit(spec)}"
    return value, None


def _num(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _unit(spec: Rule) -> str:
    return f" {spec.unit}" if spec.unit else ""

