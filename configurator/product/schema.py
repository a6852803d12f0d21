"""The JSON Schema of the product format, generic or fitted to one product.

`product_schema()` is `model.json_schema()` (every field described, with an
example). `product_schema(product)` turns each reference to a name into an
enumeration of that product's names (`configurator schema --product X`): a
number-or-parameter field (`NumberRef`) offers the parameter names, an
event field the event types, a tier field the tiers, an input field the
inputs, and so on, so an editor completes them and flags a misspelt one.
Conditions stay free text (the loader checks the names they read).
"""

from __future__ import annotations

import copy
from typing import Any

from .model import Product, json_schema

IDENT_PATTERN = "^[a-z][a-z0-9_]*$"

# (definition, property) -> the kind of name it references
REFERENCES: dict[tuple[str, str], str] = {
    ("Checkup", "event"): "events", ("Benefit", "event"): "events",
    ("CountMetric", "event"): "events", ("PdcMetric", "event"): "events",
    ("OnTimeMetric", "event"): "events", ("LowestMetric", "event"): "events",
    ("Trigger", "on"): "trigger_on",
    ("Effect", "tier"): "tiers", ("ResultRule", "tier"): "tiers",
    ("CoverageTerms", "initial_tier"): "tiers",
    ("Pays", "days_field"): "event_fields", ("Pays", "expenses_field"): "event_fields",
    ("PdcMetric", "days_field"): "event_fields", ("LowestMetric", "field"): "event_fields",
    ("LowestMetric", "initial"): "inputs",
    ("Effect", "exclude"): "exclusions", ("ResultRule", "exclude"): "exclusions",
    ("EligibilityRule", "exclusion"): "exclusions",
    ("Effect", "schedule"): "checkups", ("ResultRule", "schedule"): "checkups",
    ("EligibilityRule", "removed_by"): "programmes",
    ("ConsecutiveMetric", "programme"): "programmes",
    ("CoverageChange", "limits"): "limits", ("Limits", "shared"): "limits",
    ("Exclusion", "applies_to"): "benefits",
}

LABELS = {"event_fields": "event fields", "trigger_on": "events and check-ups",
          "programmes": "adherence programmes"}


def names(product: Product) -> dict[str, list[str]]:
    """Every kind of name a product declares, sorted."""
    events = product.events or {}
    fields = {name for spec in events.values() for name in spec.fields}
    found = {
        "parameters": product.parameters or {}, "inputs": product.inputs or {},
        "events": events, "tiers": product.coverage.tiers if product.coverage else {},
        "limits": product.coverage.limits if product.coverage else {},
        "event_fields": fields,
        "exclusions": [x.id for x in product.exclusions or ()],
        "checkups": [c.id for c in product.checkups or ()],
        "programmes": [p.id for p in product.adherence or ()],
        "benefits": [b.id for b in product.benefits or ()],
    }
    result = {kind: sorted(values) for kind, values in found.items()}
    result["trigger_on"] = sorted({"applicant", *result["events"], *result["checkups"]})
    return result


def product_schema(product: Product | None = None) -> dict[str, Any]:
    """The product format's schema; with `product`, its names as enumerations."""
    schema = json_schema()
    if product is None:
        return schema
    schema = copy.deepcopy(schema)
    schema["description"] = f"A configurator product, its names those of {product.id}."
    known = names(product)
    for definition, body in schema["$defs"].items():
        for prop, sub in body.get("properties", {}).items():
            kind = REFERENCES.get((definition, prop))
            if kind is not None:
                _enumerate(sub, known[kind], LABELS.get(kind, kind))
            elif _is_number_ref(sub):
                _enumerate(sub, known["parameters"], "parameters")
    for sub in schema["properties"].values():
        if _is_number_ref(sub):
            _enumerate(sub, known["parameters"], "parameters")
    return schema


def _is_ident(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "string" and \
        node.get("pattern") == IDENT_PATTERN


def _is_number_ref(node: dict[str, Any]) -> bool:
    """A number, or the name of a parameter (`fields.NumberRef`), possibly optional."""
    branches = node.get("anyOf", [])
    types = {b.get("type") for b in branches}
    return "number" in types and any(_is_ident(b) for b in branches)


def _enumerate(node: Any, values: list[str], label: str) -> None:
    """Every name pattern under `node` becomes an enumeration of `values`."""
    if isinstance(node, list):
        for item in node:
            _enumerate(item, values, label)
    elif isinstance(node, dict):
        if _is_ident(node):
            node.pop("pattern")
            node.pop("maxLength", None)
            node["enum"] = list(values)
            node["title"] = f"one of the product's {label}"
            return
        for key in ("anyOf", "items", "additionalProperties"):
            if key in node:
                _enumerate(node[key], values, label)
