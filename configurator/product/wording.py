"""Plain-language wording with parameters injected.

Text fields hold ``{parameter}`` or ``{parameter:format}`` placeholders naming
the very parameter a rule reads; every number in the wording is therefore the
number the rules use. A value is written by its parameter's unit and the
locale; a format says how a placeholder means it to read:

- ``{pdc_min:percent}``: a ratio (0.8) or a percent (80) as "80%";
- ``{sum_insured:money}``: an amount in the product's currency;
- ``{max_visits:count}``: a count with its noun ("2 visits" / "2次");
- ``{cancer_waiting_days:days}`` (``months``, ``years``): a period;
- ``{min_entry_age:number}``: the bare number (the sentence says what it is).

`placeholder_problem` says what is wrong with a placeholder for a parameter
(the product check reports it at the placeholder).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .fields import text_in
from .model import Parameter, Product, Text
from .texts import PLACEHOLDER

MONEY_UNITS = {"money", "CNY", "USD", "RMB"}
PERCENT_UNITS = {"percent", "ratio"}
FORMATS = ("number", "percent", "money", "count", "days", "months", "years")


@dataclass(frozen=True)
class Noun:
    """What a unit counts, in each language: English singular and plural, Chinese."""

    one: str
    many: str
    zh: str

    def en(self, value: Any) -> str:
        return self.one if Decimal(str(value)) == 1 else self.many


_NOUNS = [Noun("day", "days", "天"), Noun("month", "months", "个月"), Noun("year", "years", "年"),
          Noun("visit", "visits", "次"), Noun("test", "tests", "次"),
          Noun("session", "sessions", "次"), Noun("admission", "admissions", "次"),
          Noun("flare-up", "flare-ups", "次"), Noun("scaling", "scalings", "次"),
          Noun("tooth", "teeth", "颗"), Noun("point", "points", "分"),
          Noun("payment", "payments", "次"),
          Noun("time", "times", "倍")]
# a unit may be written singular or plural: `unit: visit` and `unit: visits` count the same
NOUNS = {word: noun for noun in _NOUNS for word in (noun.one, noun.many)}
PERIODS = {"days": "day", "months": "month", "years": "year"}
_JOINING = {"of", "the", "a", "an", "in", "on", "to", "from", "and", "or", "after", "before",
            "for", "with", "by", "at", "each", "every"}
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
    if unit == "percent":
        return f"{text}%"
    if unit == "ratio" or not unit:
        return text
    noun = NOUNS.get(unit)
    if noun is None:
        return f"{text} {unit}"
    if locale == "zh-CN":
        return f"{text}{noun.zh}"
    return f"{text} {noun.en(value) if isinstance(value, (int, float, Decimal)) else unit}"


def split(inner: str) -> tuple[str, str | None]:
    """'pdc_min:percent' -> ('pdc_min', 'percent'); 'pdc_min' -> ('pdc_min', None)."""
    name, colon, form = inner.partition(":")
    return name.strip(), form.strip() if colon else None


def formatted(value: Any, parameter: Parameter, form: str | None, locale: str,
              currency: str) -> str:
    """`value` of `parameter` written as the placeholder's `form` asks."""
    if form == "number":
        return number_text(value)
    if form == "percent" and parameter.unit == "ratio":
        return f"{number_text(Decimal(str(value)) * 100)}%"
    return format_value(value, parameter.unit, locale, currency)


def placeholder_problem(written: str, name: str, parameter: Parameter,
                        form: str | None) -> tuple[str, str] | None:
    """(message, hint) when the placeholder `written` does not suit `parameter`, or None."""
    unit = parameter.unit
    if form is None:
        values = [parameter.value] if parameter.values is None else \
            [dated.value for dated in parameter.values]
        if unit is None and all(_whole(value) for value in values):
            return (f"'{written}' prints a bare number: the reader is not told what it counts",
                    f"give parameter {name} a unit (visits, tests, days, points...), or write "
                    f"{{{name}:number}} where the sentence itself names what it counts")
        return None
    if form not in FORMATS:
        return (f"'{written}': '{form}' is not a format",
                "use one of " + ", ".join(FORMATS))
    wanted = {"percent": PERCENT_UNITS, "money": MONEY_UNITS, "count": set(NOUNS)}.get(form)
    if form in PERIODS:
        wanted = {form, PERIODS[form]}
    if wanted is not None and unit not in wanted:
        return (f"'{written}' needs a parameter in {' or '.join(sorted(wanted))}, and "
                f"{name} is in {unit or 'no unit'}",
                f"change the format, or the unit of parameter {name}")
    return None


def _whole(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value)


def repeated_unit(parameter: Parameter, form: str | None, after: str, locale: str) -> str | None:
    """The unit word the text repeats right after a placeholder that already prints it."""
    if form == "number":
        return None
    noun = NOUNS.get(parameter.unit or "")
    percent = parameter.unit == "percent" or (parameter.unit == "ratio" and form == "percent")
    if locale == "zh-CN":
        words = [noun.zh] if noun else ["%", "百分"] if percent else []
        words += ["周岁", "岁"] if noun is not None and noun.one == "year" else []
        start = after.lstrip()
        return next((word for word in words if start.startswith(word)), None)
    words = {noun.one, noun.many} if noun else {"percent", "%"} if percent else set()
    for word in re.findall(r"[^\s,.;:()]+", after[:40])[:3]:
        if word.lower() in _JOINING:  # "within {days} of the day ...": another phrase
            return None
        if word.lower() in words:
            return word
    return None


def render_text(text: Text | None, product: Product, constants: Mapping[str, Any],
                locale: str = "en", extra: Mapping[str, str] | None = None) -> str:
    """The text in `locale` with every placeholder replaced by its formatted value."""
    raw = text_in(text, locale)

    def replace(match) -> str:
        name, form = split(match.group(1))
        if extra and name in extra:
            return extra[name]
        parameter = product.parameters.get(name)
        if parameter is None or name not in constants:
            return match.group(0)
        return formatted(constants[name], parameter, form, locale, product.currency)

    return PLACEHOLDER.sub(replace, raw).replace("{{", "{").replace("}}", "}")


def parameter_text(product: Product, constants: Mapping[str, Any], name: str,
                   locale: str = "en") -> str | None:
    """A parameter's value formatted for wording, or None if `name` is not a parameter."""
    parameter = product.parameters.get(name)
    if parameter is None:
        return None
    return format_value(constants[name], parameter.unit, locale, product.currency)
