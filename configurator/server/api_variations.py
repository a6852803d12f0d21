"""What-if variations of a case: a changed input or field, events added or removed.

A variation is applied to the checked case's data (`Case.to_data`, where
every event has its id: the one written, or ``<type>-<n>``), and the result
is checked again as a whole, so a variation can produce nothing the case
loader would not accept from a file.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from ..cases.case import Case
from ..errors import CaseError, Problem

MAX_VARIATIONS = 16
MAX_CHANGES = 64
_EVENT_FIELD = re.compile(r"^events\[(?P<id>[^\]]+)\]\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)$")
_SETTABLE = re.compile(r"^(applicant\.[a-z][a-z0-9_]*|as_of|policy\.(start|number|holder))$")


class Variation(BaseModel):
    """One what-if: values to set, events to add, event ids to remove."""

    name: str | None = Field(None, max_length=200)
    set: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_CHANGES,
        description="dotted path -> new value: applicant.INPUT, as_of, policy.start, "
                    "policy.number, policy.holder, or events[EVENT_ID].FIELD (also .date); "
                    "null removes an input (its default applies)",
        examples=[{"applicant.age": 61}, {"events[antiviral_refill-2].days_supply": 30}])
    add_events: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_CHANGES,
                                             description="events as in a case file")
    remove_events: list[str] = Field(default_factory=list, max_length=MAX_CHANGES,
                                     description="ids of the case's events (<type>-<n> when "
                                                 "the case gave none)")


def varied(case: Case, variation: Variation, number: int) -> dict[str, Any]:
    """The data of `case` with `variation` applied (checked by the caller)."""
    data = case.to_data()
    where = f"variations[{number - 1}]"
    problems: list[Problem] = []
    events = {event["id"]: event for event in data["events"]}
    for key, value in variation.set.items():
        problem = _set(data, events, key, value)
        if problem:
            problems.append(Problem(None, f"{where}.set.{key}", problem, _SET_HINT, "case"))
    for event_id in variation.remove_events:
        if events.pop(event_id, None) is None:
            problems.append(Problem(None, f"{where}.remove_events", f"no event '{event_id}'",
                                    f"the case's events: {_ids(data)}", "case"))
    if problems:
        raise CaseError(problems)
    data["events"] = list(events.values()) + _named(variation.add_events, events)
    return data


_SET_HINT = ("set applicant.INPUT, as_of, policy.start, policy.number, policy.holder or "
             "events[EVENT_ID].FIELD")


def _set(data: dict, events: dict[str, dict], key: str, value: Any) -> str | None:
    """Apply one change; why it cannot be applied, or None."""
    if _SETTABLE.match(key):
        section, _, name = key.partition(".")
        target = data[section] if name else data
        target[name or section] = value
        return None
    found = _EVENT_FIELD.match(key)
    if found is None:
        return f"'{key[:80]}' is not something a variation can set"
    event = events.get(found["id"])
    if event is None:
        return f"no event '{found['id'][:80]}'"
    if found["field"] in ("id", "type"):
        return "an event's id and type cannot be changed; remove it and add another"
    event[found["field"]] = value
    return None


def _named(added: list[dict[str, Any]], events: dict[str, dict]) -> list[dict[str, Any]]:
    """Added events, each unnamed one given the next free ``<type>-<n>`` (so it cannot
    take the id of an event already in the case)."""
    taken = set(events)
    out = []
    for event in added:
        event = dict(event)
        if event.get("id") is None and isinstance(event.get("type"), str):
            n = 1
            while f"{event['type']}-{n}" in taken:
                n += 1
            event["id"] = f"{event['type']}-{n}"
        taken.add(str(event.get("id")))
        out.append(event)
    return out


def _ids(data: dict) -> str:
    ids = [str(event["id"]) for event in data["events"]]
    return ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "") if ids else "none"
