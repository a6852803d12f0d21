"""The building blocks of the product format: the base model, names, conditions, texts.

Every product node is a strict pydantic model (`extra="forbid"`) that
remembers where in the YAML it came from (`span`, `path`). Every number is
finite and within `limits.MAX_NUMBER`, every date within the accepted window
(`Number`, `Day`); the sign and range a field's meaning needs (money is never
negative, a period is at least a day) are `bounds`, checked with the
parameters a field names.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from ..conditions.expression import Expression
from ..errors import Span
from ..limits import date_problem, number_problem


def finite(value: Any) -> Any:
    """A number finite and within `MAX_NUMBER` (anything else passes through unchanged)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        problem = number_problem(float(value) if isinstance(value, Decimal) else value)
        if problem:
            raise ValueError(problem)
    return value


def in_window(day: dt.date) -> dt.date:
    problem = date_problem(day)
    if problem:
        raise ValueError(problem)
    return day


Number = Annotated[float, AfterValidator(finite)]
Money = Annotated[Decimal, AfterValidator(finite)]
Day = Annotated[dt.date, AfterValidator(in_window)]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
Locale = Literal["en", "zh-CN"]
LOCALES: tuple[str, ...] = ("en", "zh-CN")
# Validated into an Expression, which parses once and keeps the tree; the schema stays a string.
Condition = Annotated[str, StringConstraints(min_length=1), AfterValidator(Expression), Field(
    description="A condition in the configurator's expression language, e.g. `age > max_age`.")]
# A value expression (a derived value's formula), parsed once like a condition.
Formula = Annotated[str, AfterValidator(Expression)]
NumberRef = Annotated[int | float | Ident, AfterValidator(finite), Field(
    description="A number, or the name of a parameter that holds it.")]
InputType = Literal["number", "integer", "boolean", "enum", "string", "date"]


class Model(BaseModel):
    """Base for every product node: strict, and aware of its source position."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _span: Span | None = PrivateAttr(default=None)
    _path: tuple = PrivateAttr(default=())

    @property
    def span(self) -> Span | None:
        return self._span

    @property
    def path(self) -> tuple:
        return self._path


class LocalizedText(Model):
    """The same text in several languages."""

    en: str | None = Field(
        None, description="The text in English.", examples=["Liver Care Hepatitis B Cover"])
    zh_CN: str | None = Field(
        default=None, alias="zh-CN", description="The text in simplified Chinese.",
        examples=["肝安心乙肝专病保险"])

    @model_validator(mode="after")
    def _not_empty(self) -> LocalizedText:
        if self.en is None and self.zh_CN is None:
            raise ValueError("give the text in at least one language (en or zh-CN)")
        return self

    def get(self, locale: str) -> str | None:
        return self.en if locale == "en" else self.zh_CN


Text = Annotated[str | LocalizedText, Field(
    description="Plain-language text: a string, or a map of locales (en, zh-CN).")]


def text_in(text: Text | None, locale: str = "en") -> str:
    """The text in `locale`, falling back to the other language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    found = text.get(locale)
    if found is not None:
        return found
    return next(t for t in (text.en, text.zh_CN) if t is not None)


def text_variants(text: Text | None) -> list[tuple[str, str]]:
    """Every (locale, string) held by a text field; a plain string counts as 'en'."""
    if text is None:
        return []
    if isinstance(text, str):
        return [("en", text)]
    return [(loc, value) for loc, value in (("en", text.en), ("zh-CN", text.zh_CN)) if value]


