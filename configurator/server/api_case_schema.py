"""A JSON Schema for a case of one product, from its declared inputs and events.

What the case loader (`cases.case`) accepts, as far as a schema can say it:
the policy (start date, number, holder), ``as_of``, every input of the
applicant with its type, range, enumeration, unit and whether it is required
(required, without a default, and not personal), and the events, one shape
per event type (``type`` fixed, ``date``, an optional ``id`` and the typed
fields). Dates are ``YYYY-MM-DD`` strings within the accepted window. The
loader still has the last word: it also checks that ``as_of`` is not before
the start and that the policy starts while the product is effective.
"""

from __future__ import annotations

from typing import Any

from ..limits import MAX_DATE, MAX_EVENTS, MAX_STRING_LENGTH, MIN_DATE
from ..product.model import InputSpec, Product, text_in

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def case_schema(product: Product) -> dict[str, Any]:
    """The JSON Schema of a case of `product` (a JSON object, ready to serve)."""
    events = [_event(product, name) for name in product.events]
    return {
        "$schema": DIALECT,
        "title": f"case for {product.id} {product.version}",
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
            "applicant": _inputs(product.inputs, "the applicant's inputs"),
            "events": {"type": "array", "maxItems": MAX_EVENTS, "items": {"oneOf": events}}
            if events else {"type": "array", "maxItems": 0},
        },
    }


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
