"""The names visible in each place a condition can be written, with their types."""

from __future__ import annotations

from collections.abc import Iterable

from ..conditions.types import (
    BOOLEAN,
    DATE,
    ENUM,
    NUMBER,
    PERSONAL,
    STRING,
    Scope,
    Symbol,
)
from .model import InputSpec, Parameter, Product

INPUT_TYPES = {"number": NUMBER, "integer": NUMBER, "boolean": BOOLEAN, "enum": ENUM,
                "string": STRING, "date": DATE}


def input_symbol(name: str, spec: InputSpec, kind: str) -> Symbol:
    kind_type = PERSONAL if spec.personal else INPUT_TYPES[spec.type]
    return Symbol(name, kind_type, kind, tuple(spec.values or ()), spec.unit)


def parameter_type(parameter: Parameter) -> str:
    value = parameter.value if parameter.values is None else parameter.values[0].value
    if isinstance(value, bool):
        return BOOLEAN
    return STRING if isinstance(value, str) else NUMBER


class Scopes:
    """The names visible in each place a condition can be written."""

    def __init__(self, product: Product, raw: dict[str, set[str]]):
        self.product = product
        symbols: dict[str, Symbol] = {}
        for section, kind in (("inputs", "input"), ("parameters", "parameter"),
                              ("derived", "derived")):
            for name in sorted(raw.get(section, ())):
                symbols[name] = Symbol(name, None, kind)  # failed validation: type unknown
        for name, spec in product.inputs.items():
            symbols[name] = input_symbol(name, spec, "input")
        for name, parameter in product.parameters.items():
            symbols[name] = Symbol(name, parameter_type(parameter), "parameter",
                                   unit=parameter.unit)
        self.base = Scope(symbols, "the product's inputs or parameters")
        self.derived_types: dict[str, str | None] = {}
        self.metric_symbols = {name: Symbol(name, NUMBER, "metric")
                               for name in set(raw.get("metrics", ())) | set(product.metrics)}

    def applicant(self) -> Scope:
        derived = {name: Symbol(name, self.derived_types.get(name), "derived")
                   for name in self.product.derived}
        return self.base.with_symbols(derived, "the product's inputs, derived values or parameters")

    def with_metrics(self) -> Scope:
        return self.applicant().with_symbols(
            self.metric_symbols, "the product's inputs, derived values, metrics or parameters")

    def event_fields(self, event: str) -> dict[str, Symbol]:
        spec = self.product.events.get(event)
        if spec is None:
            return {}
        return {name: input_symbol(name, field, "field") for name, field in spec.fields.items()}

    def event(self, event: str, metrics: bool = True) -> Scope:
        outer = self.with_metrics() if metrics else self.applicant()
        return outer.with_symbols(self.event_fields(event), f"the '{event}' event's fields, "
                                  "the product's inputs, metrics or parameters")

    def common_fields(self, events: Iterable[str]) -> Scope:
        field_sets = [self.event_fields(e) for e in events]
        common = set.intersection(*(set(f) for f in field_sets)) if field_sets else set()
        fields = {n: field_sets[0][n] for n in sorted(common)}
        where = "the fields shared by every claim event it applies to, the inputs or parameters"
        return self.applicant().with_symbols(fields, where)
