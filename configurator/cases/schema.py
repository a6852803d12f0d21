"""JSON Schemas for case and suite files: generic, or fitted to one product.

What the case loader (`cases.case`) accepts, as far as a schema can say it:
the policy (start date, number, holder), ``as_of``, the applicant and the
events. Fitted to a product (`case_schema(product)`), every input of the
applicant has its type, range, enumeration, unit and whether it is required
(required, without a default, and not personal), and the events have one
shape per event type (``type`` fixed, ``date``, an optional ``id`` and the
typed fields). Dates are ``YYYY-MM-DD`` strings within the accepted window.
A suite (`suite_schema`) is ``cases:``, each a case with a ``name`` and an
``expect`` mapping. The loader still has the last word: it also checks that
``as_of`` is not before the start and that the policy starts while the
product is effective. The bundled case and suite files point at the generic
schemas (``products/case.schema.json``, ``products/suite.schema.json``)
with a ``# yaml-language-server: $schema=...`` first line.
"""

from __future__ import annotations

from typing import Any

from ..limits import MAX_DATE, MAX_EVENTS, MAX_STRING_LENGTH, MIN_DATE
from ..product.model import InputSpec, Product, text_in

DIALECT = "https://json-schema.org/draft/2020-12/schema"


TAGS = ("optional; tags the event carries, from those its type declares (events.<type>.tags): "
        "a metric count: {tag: X} counts the events carrying X, e.g. [hba1c]")


def case_schema(product: Product | None = None) -> dict[str, Any]:
    """The JSON Schema of a case of `product` (a JSON object, ready to serve); without a
    product, of a case of any product (the applicant and events then free-form)."""
    if product is None:
        applicant: dict[str, Any] = {
            "type": "object", "description": "the applicant's inputs: each input the product "
            "declares under 'inputs', by name", "additionalProperties": True}
        event_list: dict[str, Any] = {"type": "array", "maxItems": MAX_EVENTS, "items": {
            "type": "object", "required": ["date", "type"],
            "properties": {"type": _text("the event type (a key of the product's 'events')"),
                           "date": _date("when it happened"),
                           "id": {"type": ["string", "number"],
                                  "description": "optional; unnamed events are <type>-<n>"},
                           "tags": {"type": "array", "items": {"type": "string"},
                                    "description": TAGS}}}}
    else:
        applicant = _inputs(product.inputs, "the applicant's inputs")
        events = [_event(product, name) for name in product.events]
        event_list = {"type": "array", "maxItems": MAX_EVENTS, "items": {"oneOf": events}} \
            if events else {"type": "array", "maxItems": 0}
    return {
        "$schema": DIALECT,
        "title": f"case for {product.id} {product.version}" if product else "configurator case",
        "description": "An applicant, a policy start, a dated timeline and the date to decide "
                       "as of; see HACKING.md, 'Cases'.",
        "type": "object",
        "additionalProperties": False,
        "required": ["policy", "as_of", "applicant"],
        "properties": {
            "name": _text("a name for the case"),
            "product": _text("the product the case was written for"),
            "notes": _text("anything; ignored"),
            "expect": {"type": "object", "description": "what a suite expects; ignored"},
            "policy": {
                "type": "object", "additionalProperties": False, "required": ["start"],
                "properties": {
                    "start": _date("the first day of cover", product),
                    "number": {"type": ["string", "number"], "description": "policy number"},
                    "holder": _text("the policy holder's name (personal: never recorded)"),
                }},
            "as_of": _date("the day to decide as of (on or after the start)"),
            "applicant": applicant,
            "events": event_list,
        },
    }


def suite_schema(product: Product | None = None) -> dict[str, Any]:
    """The JSON Schema of a scenario suite: ``cases``, each a case with a name and what its
    Outcome must show."""
    case = case_schema(product)
    item = {key: value for key, value in case.items() if key not in ("$schema", "title")}
    item["required"] = ["name", *case["required"], "expect"]
    item["properties"] = {**case["properties"], "name": _text(
        "what the scenario shows, in a few words (`configurator test -k` matches it)"),
        "expect": {"type": "object", "description": EXPECT,
                   "examples": [{"decision": "accept", "coverage.sum_insured": 110000}]}}
    return {
        "$schema": DIALECT,
        "title": f"scenario suite for {product.id}" if product else "configurator suite",
        "description": "Scenario cases with what their Outcome must show; run them with "
                       "`configurator test`.",
        "type": "object", "additionalProperties": False, "required": ["cases"],
        "properties": {"cases": {"type": "array", "items": item,
                                 "description": "the scenarios, each a case plus expect"}},
    }


EXPECT = ("A partial match on the Outcome JSON by dotted path (decision, coverage.sum_insured, "
          "claims[ID].status...); everything else in the Outcome is ignored.")


def _inputs(specs: dict[str, InputSpec], description: str) -> dict[str, Any]:
    required = [name for name, spec in specs.items()
                if spec.required and spec.default is None and not spec.personal]
    return {"type": "object", "description": description, "additionalProperties": False,
            "required": required,
            "properties": {name: value_schema(spec) for name, spec in specs.items()}}


def _event(product: Product, name: str) -> dict[str, Any]:
    spec = product.events[name]
    fields = _inputs(spec.fields, "")
    return {
        "title": text_in(spec.label, "en") or name,
        "type": "object", "additionalProperties": False,
        "required": ["date", "type", *fields["required"]],
        "properties": {"type": {"const": name}, "date": _date("when it happened"),
                       "id": {"type": ["string", "number"],
                              "description": "optional; unnamed events are <type>-<n>"},
                       **({"tags": {"type": "array", "uniqueItems": True, "description": TAGS,
                                    "items": {"enum": list(spec.tags)}}} if spec.tags else {}),
                       **fields["properties"]},
    }


def value_schema(spec: InputSpec) -> dict[str, Any]:
    """The schema of one input or event field."""
    schema: dict[str, Any] = {
        "number": {"type": "number"}, "integer": {"type": "integer"},
        "boolean": {"type": "boolean"}, "enum": {"type": "string", "enum": spec.values or []},
        "string": {"type": "string", "maxLength": MAX_STRING_LENGTH},
        "date": _date(""),
    }[spec.type]
    if spec.min is not None:
        schema["minimum"] = spec.min
    if spec.max is not None:
        schema["maximum"] = spec.max
    if spec.label is not None:
        schema["title"] = text_in(spec.label, "en")
    if spec.description is not None:
        schema["description"] = text_in(spec.description, "en")
    if spec.default is not None:
        default = spec.default
        schema["default"] = default.isoformat() if hasattr(default, "isoformat") else default
    if spec.unit:
        schema["x-unit"] = spec.unit
    if spec.personal:
        schema["x-personal"] = True
    return schema


def _date(description: str, product: Product | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "format": "date",
                              "pattern": r"^\d{4}-\d{2}-\d{2}$",
                              "x-minimum": (product.effective_from if product else MIN_DATE
                                            ).isoformat(),
                              "x-maximum": ((product.effective_to if product else None)
                                            or MAX_DATE).isoformat()}
    if description:
        schema["description"] = description
    return schema


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "maxLength": MAX_STRING_LENGTH, "description": description}
