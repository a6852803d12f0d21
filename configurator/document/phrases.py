"""The fixed wording of the policy document, per locale, and how values are written.

The wording lives in ``templates/strings/<locale>.yaml`` beside the templates,
so a designer edits words without touching code. It holds no numbers: every
number and date is formatted here from the product, the case or the Outcome.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..errors import ConfigError, Problem
from ..product.model import NumberRef, Product
from ..product.source import load_file
from ..product.wording import format_value, number_text
from ..resources import templates_folder

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")




class Phrases:
    """The document's fixed wording in one locale, filled with formatted values."""

    def __init__(self, locale: str, data: dict[str, Any]):
        self.locale = locale
        self.data = data

    def __call__(self, key: str, **values: Any) -> str:
        """The phrase `key` (dotted for nested maps) with `{placeholders}` filled."""
        found: Any = self.data
        for part in key.split("."):
            found = found[part]
        return str(found).format_map(values) if values else str(found)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def gap(self) -> str:
        """What separates words: a space in English, nothing in Chinese."""
        return "" if self.locale == "zh-CN" else " "

    def join(self, items: list[str]) -> str:
        """A list in running text: 'a, b and c' / 'a、b和c'."""
        if self.locale == "zh-CN":
            return "、".join(items)
        if len(items) <= 2:
            return " and ".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]


@lru_cache(maxsize=8)
def phrases(locale: str) -> Phrases:
    """The document wording for `locale`, loaded once per process."""
    path = templates_folder() / "strings" / f"{locale}.yaml"
    if not path.is_file():
        raise ConfigError([Problem(None, "lang", f"no document wording for '{locale}'",
                                   f"add {path}")])
    return Phrases(locale, load_file(path).data)


class Values:
    """Formats numbers, money and dates the way the product's wording does."""

    def __init__(self, product: Product, constants: dict[str, Any], locale: str):
        self.product = product
        self.constants = constants
        self.locale = locale

    def ref(self, value: NumberRef, unit: str | None = None) -> str:
        """A number or parameter name, written with its unit."""
        if isinstance(value, str):
            parameter = self.product.parameters[value]
            return format_value(self.constants[value], parameter.unit or unit, self.locale,
                                self.product.currency)
        return format_value(value, unit, self.locale, self.product.currency)

    def number(self, value: NumberRef) -> float:
        """The numeric value of a number or parameter name."""
        return self.constants[value] if isinstance(value, str) else value

    def money(self, amount: Decimal | float | int) -> str:
        currency = self.product.currency
        return format_value(Decimal(str(amount)).normalize(), currency, self.locale, currency)

    def percent(self, value: float | int | Decimal) -> str:
        return format_value(value, "percent", self.locale)

    def ratio_percent(self, value: float) -> str:
        """A share (0.956) as a whole percent ('96%')."""
        return self.percent(int((Decimal(str(value)) * 100).quantize(Decimal(1))))

    def plain(self, value: Any) -> str:
        return number_text(value)

    def date(self, day: dt.date) -> str:
        if self.locale == "zh-CN":
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
