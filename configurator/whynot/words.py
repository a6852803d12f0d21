"""Counterfactuals in the member's language: the ``why_not`` wording in
``templates/strings/<locale>.yaml``, values formatted by their unit and dates
as the policy writes them. No English reaches a Chinese report: labels come
from the product in the locale, rule ids and units are identifiers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..document.phrases import Phrases, Values, phrases
from ..product.model import InputSpec, Product, text_in
from ..product.wording import format_value


class Words:
    """The wording of one product's counterfactuals in one locale."""

    def __init__(self, product: Product, locale: str):
        self.product = product
        self.locale = locale
        self.phrases: Phrases = phrases(locale)
        self._values = Values(product, {}, locale)

    def __call__(self, key: str, **values: Any) -> str:
        return self.phrases(f"why_not.{key}", **values)

    def date(self, day: dt.date) -> str:
        return self._values.date(day)

    def value(self, value: Any, spec: InputSpec) -> str:
        return format_value(value, spec.unit, self.locale, self.product.currency)

    def label(self, name: str, spec: InputSpec | None) -> str:
        """An input's or field's label (a field without one borrows its input's)."""
        for found in (spec, self.product.inputs.get(name)):
            if found is not None and found.label:
                return text_in(found.label, self.locale)
        return name

    def event(self, event_type: str) -> str:
        spec = self.product.events.get(event_type)
        return text_in(spec.label, self.locale) if spec is not None and spec.label \
            else event_type

    def with_fields(self, event_type: str, label: str, fields: dict[str, Any]) -> str:
        """An event's label with the results it must have ("HBsAg test (HBsAg positive: no)")."""
        specs = self.product.events[event_type].fields
        shown = []
        for name, value in fields.items():
            spec = specs.get(name)
            text = (self.phrases("yes" if value else "no") if isinstance(value, bool)
                    else self.value(value, spec) if spec is not None else str(value))
            shown.append(self("field", label=self.label(name, spec), value=text))
        return self("with_fields", label=label, fields=self("list_sep").join(shown))

    def cite(self, rule: str, clause: str) -> str:
        return self(("cite" if clause else "cite_no_clause"), rule=rule, clause=clause)

    def ops(self, op: str, value: str) -> str:
        found: Any = self.phrases.data["why_not"]["ops"][op]
        return str(found).format(value=value)

    def join(self, items: list[str]) -> str:
        return self.phrases.join(items)


def report_lines(counterfactuals: list, words: Words) -> list[str]:
    """The text report: each adverse part, then its suggestions, each citing its clause."""
    lines = ["", words("heading") + words.phrases("colon").rstrip()]
    if not counterfactuals:
        return [*lines, "  " + words("none")]
    for item in counterfactuals:
        adverse = item.adverse
        kind = words(f"kinds.{adverse.kind}")
        key = "item" if adverse.clause else "item_no_clause"
        lines.append("  " + words(key, kind=kind, rule=adverse.rule, clause=adverse.clause))
        if adverse.text:
            lines.append("    " + adverse.text)
        lines += ["    - " + s.text for s in item.suggestions]
    return lines
