"""The case builder's form: fields generated from a product, and back to a case.

A form names its fields after the case they fill: ``name``, ``policy.number``,
``policy.start``, ``policy.holder``, ``as_of``, ``applicant.<input>`` and, for
the timeline, ``events.<n>.date``, ``events.<n>.type``, ``events.<n>.<field>``.
Only names the product declares are read; every value stays text until the
case loader checks it (`case_from_data(..., text_values=True)`, as for a CSV
row), so a form is held to exactly the rules a case file is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cases.case import Case, case_from_data
from ..errors import Problem
from ..limits import MAX_EVENTS
from ..product.model import InputSpec, Product, text_in
from ..product.wording import format_value, number_text

TOP = ("name", "policy.number", "policy.start", "policy.holder", "as_of")
EVENT_INDEX = re.compile(r"^events\.(\d{1,6})\.type$")


@dataclass
class FormEvent:
    """One row of the timeline editor, as text."""

    type: str
    date: str = ""
    id: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class FormCase:
    """A case as the form holds it: every value text, exactly as typed."""

    top: dict[str, str] = field(default_factory=dict)
    applicant: dict[str, str] = field(default_factory=dict)
    events: list[FormEvent] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: Any, product: Product) -> FormCase:
        """The fields of a posted form (a multi-dict) that `product` declares."""
        case = cls({k: _last(form, k) for k in TOP},
                   {k: _last(form, f"applicant.{k}") for k in product.inputs})
        indices = sorted({int(m.group(1)) for k in form.keys() if (m := EVENT_INDEX.match(k))})
        for index in indices[:MAX_EVENTS + 1]:
            kind = _last(form, f"events.{index}.type")
            if kind not in product.events:
                continue
            prefix = f"events.{index}."
            case.events.append(FormEvent(kind, _last(form, prefix + "date"),
                                         _last(form, prefix + "id"),
                                         {k: _last(form, prefix + k)
                                          for k in product.events[kind].fields}))
        return case

    @classmethod
    def from_data(cls, data: Mapping[str, Any], product: Product) -> FormCase:
        """A case's plain data (a case file, `Case.to_data`) as form text."""
        policy = data.get("policy") if isinstance(data.get("policy"), dict) else {}
        applicant = data.get("applicant") if isinstance(data.get("applicant"), dict) else {}
        case = cls({"name": _text(data.get("name")), "policy.number": _text(policy.get("number")),
                    "policy.start": _text(policy.get("start")),
                    "policy.holder": _text(policy.get("holder")),
                    "as_of": _text(data.get("as_of"))},
                   {k: _text(applicant.get(k)) or _default(spec)
                    for k, spec in product.inputs.items()})
        events = data.get("events") if isinstance(data.get("events"), list) else []
        for item in events[:MAX_EVENTS + 1]:
            if isinstance(item, dict) and item.get("type") in product.events:
                kind = item["type"]
                case.events.append(FormEvent(kind, _text(item.get("date")), _text(item.get("id")),
                                             {k: _text(item.get(k)) or _default(spec)
                                              for k, spec in product.events[kind].fields.items()}))
        return case

    def to_data(self) -> dict[str, Any]:
        """The case as plain data with text values; empty fields left out (a default
        applies, or the loader says what is missing)."""
        policy = {k: self.top.get(f"policy.{k}", "") for k in ("number", "start", "holder")}
        data: dict[str, Any] = {
            "policy": {k: v for k, v in policy.items() if v},
            "as_of": self.top.get("as_of") or None,
            "applicant": {k: v for k, v in self.applicant.items() if v != ""},
            "events": [{"date": e.date or None, "type": e.type,
                        **({"id": e.id} if e.id else {}),
                        **{k: v for k, v in e.fields.items() if v != ""}}
                       for e in self.events]}
        if self.top.get("name"):
            data["name"] = self.top["name"]
        return data

    def dumps(self) -> str:
        """The case as JSON text, carried in a hidden field from page to page."""
        return json.dumps(self.to_data(), ensure_ascii=False, sort_keys=True)

    def case(self, product: Product) -> Case:
        """The checked case (a `CaseError` with every problem at once when it is not)."""
        return case_from_data(self.to_data(), product, file="form", text_values=True)


def blank(product: Product, start: dt.date | None = None) -> FormCase:
    """An empty case for `product`: cover starting on its first day, decided that day."""
    day = (start or product.effective_from).isoformat()
    return FormCase({"name": "", "policy.number": "", "policy.start": day, "policy.holder": "",
                     "as_of": day}, {k: _default(spec) for k, spec in product.inputs.items()})


def new_event(product: Product, kind: str) -> FormEvent:
    """An event of type `kind` with its fields' defaults filled in."""
    return FormEvent(kind, fields={k: _default(spec)
                                   for k, spec in product.events[kind].fields.items()})


def _default(spec: InputSpec) -> str:
    """A declared default as form text (shown, so nobody wonders what applies)."""
    return _text(spec.default)


def _last(form: Any, key: str) -> str:
    """The last value of `key` (a checkbox after its hidden 'false'), as stripped text."""
    values = form.getlist(key) if hasattr(form, "getlist") else [form.get(key)]
    value = values[-1] if values else ""
    return value.strip() if isinstance(value, str) else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------ fields to draw


@dataclass
class FieldView:
    """One form control: its name, label, type and limits, its value and any problem."""

    name: str
    key: str
    label: str
    type: str
    value: str
    unit: str = ""
    min: Any = None
    max: Any = None
    step: str = "any"
    values: list[str] = field(default_factory=list)
    required: bool = False
    personal: bool = False
    description: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def range(self) -> tuple[str, str] | None:
        """The declared range, written as the policy writes numbers (``10,000``)."""
        if self.min is None or self.max is None:
            return None
        return number_text(self.min), number_text(self.max)


def field_view(name: str, key: str, spec: InputSpec, value: str, product: Product,
               locale: str) -> FieldView:
    """The control for input or event field `key` of `product`."""
    return FieldView(
        name, key, text_in(spec.label, locale) if spec.label else key, spec.type, value,
        unit_text(spec.unit, product, locale), _number(spec.min), _number(spec.max),
        "1" if spec.type == "integer" else "any", list(spec.values or ()),
        spec.required and spec.default is None and not spec.personal, spec.personal,
        _in_locale(spec.description, locale), [])


def unit_text(unit: str | None, product: Product, locale: str) -> str:
    """A unit as the wording writes it in `locale` (``months`` -> ``个月``), alone."""
    if not unit:
        return ""
    return format_value("", unit, locale, product.currency).strip()


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _in_locale(text: Any, locale: str) -> str:
    """A product text in `locale` only: a plain string counts as English, and is not shown
    in another language (the page stays in one language)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text if locale == "en" else ""
    return text.get(locale) or ""


def applicant_fields(product: Product, form: FormCase, locale: str) -> list[FieldView]:
    return [field_view(f"applicant.{k}", k, spec, form.applicant.get(k, ""), product, locale)
            for k, spec in product.inputs.items()]


def event_fields(product: Product, kind: str, prefix: str, values: Mapping[str, str],
                 locale: str) -> list[FieldView]:
    return [field_view(f"{prefix}{k}", k, spec, values.get(k, ""), product, locale)
            for k, spec in product.events[kind].fields.items()]


def attach(fields: list[FieldView], problems: list[Problem]) -> None:
    """Show each problem beside the field it is about (paths like ``applicant.age`` or
    ``events[2].date`` become the form's ``events.2.date``)."""
    by_name = {f.name: f for f in fields}
    for problem in problems:
        name = re.sub(r"\[(\d+)\]", r".\1", problem.path)
        if name in by_name:
            by_name[name].problems.append(problem.message)



def top_fields(form: FormCase) -> list[FieldView]:
    """The case's own fields (labels come from the workbench's wording, by key)."""
    specs = (("name", "string", False, False), ("policy.number", "string", False, False),
             ("policy.start", "date", True, False), ("policy.holder", "string", False, True),
             ("as_of", "date", True, False))
    return [FieldView(name, name.replace(".", "_"), "", kind, form.top.get(name, ""),
                      required=required, personal=personal)
            for name, kind, required, personal in specs]


@dataclass
class EventRow:
    """One event in the timeline editor: its type, date, id and fields."""

    index: str
    type: str
    label: str
    date: FieldView
    id: str
    fields: list[FieldView]

    @property
    def controls(self) -> list[FieldView]:
        return [self.date, *self.fields]


def event_row(product: Product, index: str, event: FormEvent, locale: str) -> EventRow:
    spec = product.events[event.type]
    prefix = f"events.{index}."
    label = text_in(spec.label, locale) if spec.label else event.type
    date = FieldView(prefix + "date", "event_date", "", "date", event.date, required=True)
    return EventRow(index, event.type, label, date, event.id,
                    event_fields(product, event.type, prefix, event.fields, locale))


def event_rows(product: Product, form: FormCase, locale: str) -> list[EventRow]:
    """The timeline's rows, numbered as the case's events are (problems match them)."""
    return [event_row(product, str(i), e, locale) for i, e in enumerate(form.events)]


def event_templates(product: Product, locale: str) -> list[EventRow]:
    """An empty row of each event type, numbered ``__i__`` for the script to fill in."""
    return [event_row(product, "__i__", new_event(product, kind), locale)
            for kind in product.events]


def edit(form: FormCase, op: str, kind: str, product: Product) -> bool:
    """Apply a timeline edit posted without the script (``op``: ``add``, or ``remove:N``);
    whether there was one."""
    if op == "add" and kind in product.events and len(form.events) < MAX_EVENTS:
        form.events.append(new_event(product, kind))
        return True
    if op.startswith("remove:") and op[7:].isdigit():
        index = int(op[7:])
        if index < len(form.events):
            del form.events[index]
        return True
    return False
