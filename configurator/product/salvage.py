"""Conditions in rules that failed schema validation, still checked for unknown names.

A rule whose `outcome` is misspelt does not validate, so the cross-checks
never see it; its `when` would be checked only once the structure is fixed,
and a misspelt name in it reported a round later. When the structure around
a condition parsed (the item is a mapping, `when` is text and, for a claim
or a result, the event it reads is known), the condition is checked now,
with the problems of the first round.
"""

from __future__ import annotations

from typing import Any

from ..conditions.expression import Expression
from .source import PathKey


def _raw_items(checker: Any, section: str) -> list[tuple[int, dict]]:
    data = checker.doc.data
    raw = data.get(section) if isinstance(data, dict) else None
    failed = checker.failed_items.get(section, ())
    if not isinstance(raw, list):
        return []
    return [(i, raw[i]) for i in failed if i < len(raw) and isinstance(raw[i], dict)]


def _when(checker: Any, path: PathKey, item: dict, scope, **options: Any) -> None:
    text = item.get("when")
    if isinstance(text, str) and text.strip():
        checker.condition(path + ("when",), Expression(text), scope, **options)


def _event(checker: Any, item: dict) -> str | None:
    event = item.get("event")
    return event if isinstance(event, str) and event in checker.product.events else None


def check_failed_items(checker: Any) -> None:
    """Check the conditions of eligibility rules, programmes, benefits and check-up results
    whose item did not validate (`checker` is a `check.Checker`)."""
    scopes = checker.scopes
    for index, item in _raw_items(checker, "eligibility"):
        _when(checker, ("eligibility", index), item, scopes.applicant())
    for index, item in _raw_items(checker, "adherence"):
        _when(checker, ("adherence", index), item, scopes.with_metrics(), metrics=True)
    for index, item in _raw_items(checker, "benefits"):
        event = _event(checker, item)
        if event:
            _when(checker, ("benefits", index), item, scopes.event(event, False),
                  events=(event,))
    for index, item in _raw_items(checker, "checkups"):
        event, results = _event(checker, item), item.get("results")
        if event and isinstance(results, list):
            for number, result in enumerate(results):
                if isinstance(result, dict):
                    _when(checker, ("checkups", index, "results", number), result,
                          scopes.event(event), events=(event,), metrics=True)
