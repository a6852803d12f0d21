"""Plain-language wording with parameters injected.

Text fields hold ``{parameter}`` placeholders; every number in the wording is
therefore the same number the rules use. Values are formatted by the
parameter's unit and the locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .model import Product, Text, text_in
from .texts import PLACEHOLDER

MONEY_UNITS = {"money", "CNY", "USD", "RMB"}
_UNITS = {
    "en": {"percent": "{}%", "days": "{} days", "months": "{} months", "years": "{} years",
           "day": "{} day", "month": "{} month", "year": "{} year", "times": "{} times",
           "teeth": "{} teeth", "ratio": "{}", "visits": "{} visits", "visit": "{} visit"},
    "zh-CN": {"percent": "{}%", "days": "{}天", "months": "{}个月", "years": "{}年", "day": "{}天",
              "month": "{}个月", "year": "{}年", "times": "{}倍", "teeth": "{}颗", "ratio": "{}",
              "visits": "{}次", "visit": "{}次"},
}
_CURRENCY = {"en": {"CNY": "RMB {}", "USD": "USD {}"}, "zh-CN": {"CNY": "{}元", "USD": "{}美元"}}


def number_text(value: Any) -> str:
    """12000 -> '12,000'; 0.8 -> '0.8'; 1.0 -> '1'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        if number == number.to_integral_value():
            return f"{int(number):,}"
        return f"{number.normalize():,f}"
    return str(value)


def format_value(value: Any, unit: str | None, locale: str = "en", currency: str = "CNY") -> str:
    """A parameter value in words for `locale`, by its unit."""
    text = number_text(value)
    if unit in MONEY_UNITS:
        pattern = _CURRENCY.get(locale, _CURRENCY["en"]).get(currency, currency + " {}")
        return pattern.format(text)
    pattern = _UNITS.get(locale, _UNITS["en"]).get(unit or "")
    if pattern:
        return pattern.format(text)
    return f"{text} {unit}" if unit else text


def render_text(text: Text | None, product: Product, constants: Mapping[str, Any],
                locale: str = "en", extra: Mapping[str, str] | None = None) -> str:
    """The text in `locale` with every ``{parameter}`` replaced by its formatted value."""
    raw = text_in(text, locale)

    def replace(match) -> str:
        name = match.group(1).strip()
        if extra and name in extra:
            return extra[name]
        parameter = product.parameters.get(name)
        if parameter is None or name not in constants:
            return match.group(0)
        return format_value(constants[name], parameter.unit, locale, product.currency)

    return PLACEHOLDER.sub(replace, raw).replace("{{", "{").replace("}}", "}")


def parameter_text(product: Product, constants: Mapping[str, Any], name: str,
                   locale: str = "en") -> str | None:
    """A parameter's value formatted for wording, or None if `name` is not a parameter."""
    parameter = product.parameters.get(name)
    if parameter is None:
        return None
    return format_value(constants[name], parameter.unit, locale, product.currency)
