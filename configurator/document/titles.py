"""Clause titles: the heading a rule's clause prints, and the words that name an input.

A rule that becomes a clause (an eligibility rule, a check-up result) prints
its own `title:`. Only when the product gives none is one derived (lint warns
then): the outcome in words and the *first* thing its condition reads
("Extra premium: Hepatitis B status"), or "Condition 3" when it reads only
parameters - never a list of every input the condition reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conditions.visitor import names
from ..product.clauses import clause_numbers
from ..product.model import EligibilityRule, Product, ResultRule, text_in
from ..product.wording import render_text
from .phrases import phrases


def capital(text: str) -> str:
    """`text` with a capital first letter, unless its first word already holds capitals.

    "your age" -> "Your age"; "eGFR (kidney function)" and "mRNA" stay as written.
    """
    word = text.split(maxsplit=1)[0] if text.strip() else ""
    first = text[:1].upper()
    if any(ch.isupper() for ch in word) or len(first) != 1:  # 'ß' would become 'SS'
        return text
    return first + text[1:]


def label(product: Product, name: str, locale: str) -> str:
    """The plain-language label of an input, derived value, metric or event field."""
    for spec in (product.inputs.get(name), product.derived.get(name), product.metrics.get(name)):
        if spec is not None and spec.label is not None:
            return text_in(spec.label, locale)
    for event in product.events.values():
        spec = event.fields.get(name)
        if spec is not None and spec.label is not None:
            return text_in(spec.label, locale)
    return name.replace("_", " ")


def rule_title(product: Product, key: str, rule: EligibilityRule | ResultRule, locale: str,
               constants: Mapping[str, Any], numbers: Mapping[str, str] | None = None) -> str:
    """The heading of the clause `key` (``eligibility.<id>``, ``checkup.<id>.<result>``)."""
    if rule.title is not None:
        return render_text(rule.title, product, constants, locale)
    words = phrases(locale)
    kind = rule.outcome if isinstance(rule, EligibilityRule) else "result"
    first = next((node.id for node in names(rule.when.node) if node.id not in constants), None)
    if first is None:
        number = (numbers or clause_numbers(product)).get(key, "")
        return words("title_fallback.numbered", number=number.rsplit(".", 1)[-1])
    return capital(words(f"title_fallback.{kind}", topic=label(product, first, locale)))
