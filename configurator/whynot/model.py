"""Counterfactuals as plain data: the adverse parts of an Outcome and what would change them.

An `Adverse` names one part of an Outcome that is worse for the insured than
it could be (a decline, a loading, a missed check-up...), the rule and clause
it comes from, and how to recognise it in another Outcome. A `Suggestion` is
one verified change: a threshold on one input, events by a date, or the
statement that nothing the member can do changes it. The JSON form is the
``counterfactuals`` key of ``evaluate --json --why-not``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

THRESHOLD, EVENT, NOTHING = "threshold", "event", "nothing"


@dataclass(frozen=True)
class Adverse:
    """One adverse part of an Outcome.

    `kind` is decline, refer, loading, exclusion, tier, checkup, bonus or claim;
    `subject` what it is about (an exclusion id, a check-up and its due date, a
    programme, a claim); `rule` the rule it comes from, with its clause and
    source; `date` when it happened (a check-up's due date for a check-up).
    """

    kind: str
    rule: str
    subject: str
    clause: str = ""
    source: str = ""
    date: dt.date | None = None
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "rule": self.rule, "subject": self.subject,
                                "clause": self.clause, "source": self.source}
        if self.date is not None:
            data["date"] = self.date.isoformat()
        data["text"] = self.text
        return data


@dataclass(frozen=True)
class Suggestion:
    """One verified change and what it does, worded in the member's language.

    `change` is the change as data: for a threshold the input (or the event
    and its field), the comparison, the boundary shown, the value applied and
    the value one step back (which does not change the outcome); for events,
    their type, count and the dates between which they work; for nothing, why.
    `result` is what the changed case's Outcome shows instead.
    """

    kind: str
    rule: str
    clause: str
    text: str
    change: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "clause": self.clause, "text": self.text,
                "change": self.change, "result": self.result}


@dataclass(frozen=True)
class Counterfactual:
    """An adverse part of the Outcome and the verified suggestions that would change it."""

    adverse: Adverse
    suggestions: tuple[Suggestion, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.adverse.to_json(),
                "suggestions": [s.to_json() for s in self.suggestions]}
