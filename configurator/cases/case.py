"""A case: one applicant, a policy start, a dated timeline and an as-of date.

Cases are checked against their product: every input present (or defaulted),
typed and in range; every event of a declared type with its declared fields.
Events are put in a canonical order (date, type, content, id) so the order
in which equal-dated events are written never changes an outcome.

Every case is held to `configurator.limits` whichever way it came (a YAML
file, a JSON line, a CSV row): dates between 1900 and 2200, numbers finite
and within range, at most `MAX_EVENTS` events, names, ids and numbers as text
(or a number), and the reading limits (depth, size, string length, lone
surrogates) for data that did not come through the YAML reader.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from dataclasses import dataclass, field
from datetime import date  # noqa: F401  (mypyc reads a dataclass field's type by its bare name)
from pathlib import Path
from typing import Any, Final

from ..errors import CaseError, Problem, Span, did_you_mean
from ..limits import MAX_EVENTS, date_problem
from ..product.model import InputSpec, Product
from ..product.source import (
    Document,
    PathKey,
    data_problems,
    format_path,
    load_file,
    load_text,
)
from ..product.values import Rule, coerce
from .frozen import by_fields

EPOCH: Final = dt.date(1970, 1, 1)
_CASE_KEYS: Final = ("name", "product", "policy", "as_of", "applicant", "events", "expect", "notes")
_POLICY_KEYS: Final = ("number", "start", "holder")
_EVENT_KEYS: Final = ("date", "type", "id", "tags")


def epoch_day(day: dt.date) -> int:
    """Dates enter the engine as integer days since 1970-01-01."""
    return (day - EPOCH).days


@dataclass(init=False)
class Event:
    """One dated timeline entry, fields typed per the product. Never changed once made.

    Not `frozen`: a frozen dataclass's constructor sets each field through
    `object.__setattr__`, three times the cost (0.66 against 0.22 µs compiled), and a batch
    row makes one Event per line of its timeline (~18, ~8 µs a row). `__init__` written out,
    as `outcome.Reason`'s."""

    def __reduce__(self) -> tuple:  # pickles when compiled (frozen.py)
        return by_fields(self)

    id: str
    type: str
    date: dt.date
    fields: dict[str, Any]
    span: Span | None = field(default=None, compare=False)  # where, not what: not in ==
    tags: tuple[str, ...] = ()  # declared by its type (events.<type>.tags), sorted

    def __init__(self, id: str, type: str,
                 date: dt.date,  # noqa: F811 (the field's name)
                 fields: dict[str, Any], span: Span | None = None, tags: tuple[str, ...] = ()):
        self.id, self.type, self.date, self.fields = id, type, date, fields
        self.span, self.tags = span, tags

    @property
    def day(self) -> int:
        return epoch_day(self.date)

    def sort_key(self) -> tuple:
        """(date, type, content, id): the canonical order. Sorting calls `canonical_order`,
        which builds the content text only for events that tie on date and type."""
        return (self.date, self.type, self.content(), self.id)

    def content(self) -> str:
        return _content(self.fields, self.tags)


def _content(fields: dict[str, Any], tags: tuple[str, ...]) -> str:
    data = {**fields, "tags": list(tags)} if tags else fields
    return json.dumps(data, sort_keys=True, default=str)


_DATE_TYPE: Final = operator.itemgetter(1, 0)  # a checked event's (date, type)


def canonical_order(checked: list[tuple]) -> list[tuple]:
    """Checked events - (type, date, fields, id, tags, index) - sorted as `Event.sort_key`
    sorts them (stable sorts, so the same order), with the content text built only within a
    run tied on (date, type)."""
    ordered = sorted(checked, key=_DATE_TYPE)
    count, start = len(ordered), 0
    while start < count:
        day, kind = ordered[start][1], ordered[start][0]
        end = start + 1
        while end < count and ordered[end][1] == day and ordered[end][0] == kind:
            end += 1
        if end - start > 1:
            ordered[start:end] = sorted(ordered[start:end],
                                        key=lambda c: (_content(c[2], c[4]), c[3]))
        start = end
    return ordered


@dataclass(frozen=True)
class Case:
    """A checked case, ready to evaluate."""

    def __reduce__(self) -> tuple:  # pickles when compiled (frozen.py)
        return by_fields(self)

    start: dt.date
    as_of: dt.date
    applicant: dict[str, Any]
    events: tuple[Event, ...] = ()
    personal: dict[str, Any] = field(default_factory=dict)
    policy_number: str | None = None
    name: str | None = None
    file: str = "<case>"
    expect: dict[str, Any] | None = None

    def to_data(self) -> dict[str, Any]:
        """The case as plain data, loadable again with `case_from_data`."""
        return {
            "name": self.name,
            "policy": {"number": self.policy_number, "start": self.start.isoformat(),
                       **({"holder": self.personal.get("holder")} if "holder" in self.personal
                          else {})},
            "as_of": self.as_of.isoformat(),
            "applicant": {**self.applicant, **{k: v for k, v in self.personal.items()
                                               if k != "holder"}},
            "events": [{"date": e.date.isoformat(), "type": e.type, "id": e.id, **e.fields,
                        **({"tags": list(e.tags)} if e.tags else {})} for e in self.events],
        }

    def public_data(self) -> dict[str, Any]:
        """What the audit trail's case hash covers (`registry.audit.case_hash`): policy
        number and start, as_of, the applicant's inputs and the events - nothing personal,
        no name or expectations - dates as ISO text. Its canonical JSON is the hashed format:
        change it only with a new chain version."""
        return {"policy": {"number": self.policy_number, "start": self.start.isoformat()},
                "as_of": self.as_of.isoformat(), "applicant": _iso_dates(self.applicant),
                "events": [{"id": e.id, "type": e.type, "date": e.date.isoformat(),
                            "fields": _iso_dates(e.fields)} for e in self.events]}


def _iso_dates(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each date as ISO text (the same dict when it has none, as most events)."""
    for value in values.values():
        if isinstance(value, dt.date):
            return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
    return values


def load_case(path: str | Path, product: Product) -> Case:
    """Load and check a case file against `product`."""
    return case_from_document(load_file(path, CaseError), product)


def loads_case(text: str, product: Product, file: str = "<case>") -> Case:
    return case_from_document(load_text(text, file, CaseError), product)


def case_from_data(data: Any, product: Product, file: str = "<case>", text_values: bool = False
                   ) -> Case:
    """Check plain data (e.g. a JSON line or a CSV row) against `product`."""
    return case_from_document(Document(file, data), product, text_values)


def case_from_document(doc: Document, product: Product, text_values: bool = False) -> Case:
    problems = data_problems(doc)
    if problems:
        raise CaseError(problems)
    builder = _CaseBuilder(doc, product, text_values)
    case = builder.build()
    if builder.problems:
        raise CaseError(builder.problems)
    return case


# events remembered per product (~11 MB when full; each one's fields shared, unchanged): a
# portfolio of year-long hepatitis B timelines holds ~13,000 distinct ones, and the first
# 4,096 of them met 88 % of its events, 16,384 99 %
_MAX_CHECKED: Final = 16_384
_Checked = tuple[str, dt.date, dict[str, Any], str, tuple[str, ...]]  # type, date, fields, id, tags


class _Known:
    """What checking cases against one product reuses, made once per process (a loaded
    product is never changed): each input's and event field's `Rule`, and the events
    checked before (a portfolio repeats the same refills and visits)."""

    def __init__(self, product: Product):
        self.product = product  # kept, so its id (the key in `_KNOWN`) is not reused
        self.inputs = {name: Rule(spec) for name, spec in product.inputs.items()}
        self.fields = {kind: {name: Rule(spec) for name, spec in event.fields.items()}
                       for kind, event in product.events.items()}
        self.events: dict[tuple, _Checked] = {}


_KNOWN: Final[dict[int, _Known]] = {}  # id(product) -> what checking against it reuses


def _known(product: Product) -> _Known:
    found = _KNOWN.get(id(product))
    if found is None:
        if len(_KNOWN) >= 16:
            _KNOWN.clear()
        found = _KNOWN[id(product)] = _Known(product)
    return found


def _event_key(raw: Any, text: bool) -> tuple | None:
    """An event's raw items, each (name, value, type of value), when every value is plain
    (so it can key `_Known.events`): one flat tuple, no tuple per item to build, hash and compare.
    The types are in it because True == 1 and 1 == 1.0."""
    if type(raw) is not dict or len(raw) > 16:
        return None
    key: list[Any] = [text]
    for name, value in raw.items():
        kind = type(value)
        if kind is str:
            if len(value) > 64:
                return None
        elif kind is not int and kind is not float and kind is not bool:
            return None
        key.append(name)
        key.append(value)
        key.append(kind)
    return tuple(key)


class _CaseBuilder:
    def __init__(self, doc: Document, product: Product, text_values: bool):
        self.doc = doc
        self.product = product
        self.text = text_values
        self.problems: list[Problem] = []
        # paths a misspelt key was taken for ("did you mean"): not reported missing as well
        self.misspelt: set[PathKey] = set()
        self.known = _known(product)

    def fail(self, path: PathKey, message: str, hint: str | None = None, key: bool = False) -> None:
        span = self.doc.key_span(path) if key else self.doc.span(path)
        self.problems.append(Problem(span, format_path(path), message, hint, "case"))

    def unknown(self, path: PathKey, message: str, choices) -> None:
        """An unknown key at `path`, with "did you mean" when one is close."""
        hint = did_you_mean(str(path[-1]), choices)
        if hint:
            self.misspelt.add(path[:-1] + (hint.split("'")[1],))
        self.fail(path, message, hint, key=True)

    def mapping(self, path: PathKey, value: Any, allowed: tuple[str, ...] | None) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "expected a mapping")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.unknown(path + (key,), f"unknown field '{key}'", allowed)
        return value

    def date(self, path: PathKey, value: Any, what: str) -> dt.date | None:
        day = None
        if isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                pass
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            day = value
        if day is not None:
            if date_problem(day):
                self.fail(path, date_problem(day), "check the year")
                return None
            return day
        if value is None and path in self.misspelt:
            return None  # reported as a misspelt key
        if value is None:
            self.fail(path[:-1], f"missing {what} '{path[-1]}'", "write it as YYYY-MM-DD")
        else:
            self.fail(path, f"{_short(value)} is not a valid date", "write it as YYYY-MM-DD")
        return None

    def as_text(self, path: PathKey, value: Any, what: str) -> str | None:
        """A name, id or number given as text (or a plain number); None when absent or not."""
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.fail(path, f"{what} must be text, not {_short(value)}")
        return None

    def build(self) -> Case | None:
        data = self.mapping((), self.doc.data, _CASE_KEYS)
        if not isinstance(self.doc.data, dict):
            return None
        policy = self.mapping(("policy",), data.get("policy", {}), _POLICY_KEYS)
        start = self.date(("policy", "start"), policy.get("start"), "policy date")
        as_of = self.date(("as_of",), data.get("as_of"), "date")
        self.dates(start, as_of)
        applicant, personal = self.applicant(data.get("applicant"))
        holder = self.as_text(("policy", "holder"), policy.get("holder"), "the holder's name")
        if holder is not None:
            personal["holder"] = holder
        number = self.as_text(("policy", "number"), policy.get("number"), "a policy number")
        name = self.as_text(("name",), data.get("name"), "a case's name")
        events = self.events(data.get("events", []))
        if self.problems:
            return None
        return Case(start, as_of, applicant, events, personal, number, name, self.doc.file,
                    data.get("expect"))

    def dates(self, start: dt.date | None, as_of: dt.date | None) -> None:
        product = self.product
        if start and as_of and as_of < start:
            self.fail(("as_of",), f"as_of {as_of} is before the policy start {start}",
                      "evaluate on or after the day cover starts")
        if start and start < product.effective_from:
            self.fail(("policy", "start"), f"the policy starts {start}, before the product is "
                      f"effective ({product.effective_from})")
        if start and product.effective_to and start > product.effective_to:
            self.fail(("policy", "start"), f"the policy starts {start}, after the product "
                      f"closed ({product.effective_to})")

    def applicant(self, raw: Any) -> tuple[dict, dict]:
        inputs = self.product.inputs
        if raw is None and ("applicant",) in self.misspelt:
            return {}, {}  # reported as a misspelt key
        if raw is None:
            needed = [n for n, s in inputs.items() if s.required and s.default is None
                      and not s.personal]
            self.fail((), "missing 'applicant'", f"give the applicant's {', '.join(needed)}")
            return {}, {}
        values = self.mapping(("applicant",), raw, None)
        for key in values:
            if key not in inputs:
                self.unknown(("applicant", key), f"'{key}' is not an input of this product", inputs)
        return self.typed(("applicant",), values, self.known.inputs, "input")

    def typed(self, path: PathKey, values: dict, rules: dict[str, Rule], what: str
              ) -> tuple[dict, dict]:
        typed: dict[str, Any] = {}
        personal: dict[str, Any] = {}
        for name, rule in rules.items():
            target = personal if rule.personal else typed
            if name not in values or values[name] is None or values[name] == "":
                if rule.default is not None:
                    target[name] = rule.default
                elif rule.required and not rule.personal and path + (name,) not in self.misspelt:
                    self.fail(path, f"missing required {what} '{name}'",
                              _describe(rule.spec))
                continue
            value, error = coerce(rule, values[name], self.text)
            if error:
                self.fail(path + (name,), error)
            else:
                target[name] = value
        return typed, personal

    def events(self, raw: Any) -> tuple[Event, ...]:
        if not isinstance(raw, list):
            self.fail(("events",), "expected a list of events")
            return ()
        if len(raw) > MAX_EVENTS:
            self.fail(("events",), f"{len(raw):,} events are more than a case may hold "
                      f"({MAX_EVENTS:,})", "split the timeline, or evaluate an earlier as_of")
            return ()
        checked: list[tuple] = []
        for index, item in enumerate(raw):
            event = self.event(("events", index), item)
            if event is not None:
                checked.append((*event, index))
        return self.canonical(checked)

    def event(self, path: PathKey, raw: Any) -> _Checked | None:
        """One event checked, as (type, date, fields, id, tags); an event written exactly
        like one checked before (same type, date, id and field values of the same types, no
        tags) is taken from those checked before (`_Known.events`)."""
        key = _event_key(raw, self.text)
        known = self.known.events
        if key is not None:
            checked = known.get(key)
            if checked is not None:
                return checked
        before = len(self.problems)
        event = self._event(path, raw)
        if key is not None and event is not None and len(self.problems) == before \
                and not event[4] and len(known) < _MAX_CHECKED:
            known[key] = event
        return event

    def _event(self, path: PathKey, raw: Any) -> _Checked | None:
        item = self.mapping(path, raw, None)
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in self.product.events:
            if kind is None:
                self.fail(path, "missing field 'type'", "say what kind of event this is")
            elif not isinstance(kind, str):
                self.fail(path + ("type",), f"expected the name of an event type, got "
                          f"{_short(kind)}", f"use one of: {', '.join(self.product.events)}")
            else:
                self.fail(path + ("type",), f"unknown event type '{kind}'",
                          did_you_mean(str(kind), self.product.events))
            return None
        specs = self.product.events[kind].fields
        for key in item:
            if key not in _EVENT_KEYS and key not in specs:
                self.unknown(path + (key,), f"'{key}' is not a field of event '{kind}'",
                             [*specs, *_EVENT_KEYS])
        day = self.date(path + ("date",), item.get("date"), "event date")
        fields, _ = self.typed(path, item, self.known.fields[kind], "field")  # their names only
        given = self.as_text(path + ("id",), item.get("id"), "an event id")
        tags = self.tags(path + ("tags",), item.get("tags", []), kind)
        if day is None:
            return None
        return kind, day, fields, given or "", tags

    def tags(self, path: PathKey, raw: Any, kind: str) -> tuple[str, ...]:
        """An event's tags: a list of the tags its type declares, each once."""
        allowed = self.product.events[kind].tags
        if not isinstance(raw, list):
            self.fail(path, f"expected a list of tags, got {_short(raw)}",
                      f"e.g. tags: [{allowed[0]}]" if allowed else None)
            return ()
        for index, tag in enumerate(raw):
            if not isinstance(tag, str) or tag not in allowed:
                hint = did_you_mean(str(tag), allowed) or (
                    f"event '{kind}' may carry: {', '.join(allowed)}" if allowed
                    else f"event '{kind}' carries no tags")
                self.fail(path + (index,), f"unknown tag {_short(tag)} for event '{kind}'", hint)
        return tuple(sorted({t for t in raw if isinstance(t, str) and t in allowed}))

    def canonical(self, checked: list[tuple]) -> tuple[Event, ...]:
        """Sort by (date, type, content, id), name unnamed events by that order, and make
        each `Event` (once, with its own position)."""
        ordered = canonical_order(checked)
        spans = self.doc.spans
        row = spans[()] if len(spans) == 1 and () in spans else None  # a batch row's span
        seen: dict[str, Event] = {}
        counters: dict[str, int] = {}
        named: list[Event] = []
        for kind, day, fields, given, tags, index in ordered:
            counters[kind] = counters.get(kind, 0) + 1
            event_id = given or f"{kind}-{counters[kind]}"
            event = Event(event_id, kind, day, fields,
                          row or self.doc.span(("events", index)), tags)
            if event_id in seen:
                first = seen[event_id].span
                also = f" (also at line {first.line})" if first else ""
                self.problems.append(Problem(event.span, format_path(("events", index)),
                                             f"duplicate event id '{event_id}'{also}",
                                             "give each event its own id", "case"))
            seen.setdefault(event_id, event)
            named.append(event)
        return tuple(named)


def _short(value: Any) -> str:
    """A value for a message, never longer than a line."""
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _describe(spec: InputSpec) -> str | None:
    if spec.type == "enum":
        return f"one of: {', '.join(spec.values or ())}"
    if spec.unit:
        kind = {"integer": "a whole number", "number": "a number"}.get(spec.type, spec.type)
        return f"{kind} in {spec.unit}"
    return None
