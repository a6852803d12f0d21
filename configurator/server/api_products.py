"""Products over HTTP: what is on offer, one product's structure, and the two schemas.

- ``GET /api/v1/products``: bundled products and registered versions (ids,
  versions, effective windows, languages, lifecycle status);
- ``GET /api/v1/products/{ref}``: inputs, events, parameters with their
  effective dates, and every rule with its clause number and source line;
- ``GET /api/v1/products/{ref}/case-schema``: a JSON Schema for a case of
  that product (`case_schema.case_schema`);
- ``GET /api/v1/schema``: the JSON Schema of the product format itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from ..compiler.safe_subset import SEEN
from ..environment import Environment
from ..errors import ConfigError
from ..product.clauses import clause_numbers
from ..product.model import InputSpec, Product, json_schema, text_variants
from ..product.params import parameter_periods
from ..registry.versions import VersionRecord
from .api_case_schema import case_schema
from .auth import Anyone
from .errors import ProblemRecord, documented
from .refs import REF_SCHEMA, product_for, registered, stable_ref

router = APIRouter(tags=["products"])

Ref = Path(description="ID (a bundled product), ID@VERSION or ID@YYYY-MM-DD (registered)",
           examples=["hepatitis_b", "hepatitis_b@1.0.0"], max_length=80,
           json_schema_extra=REF_SCHEMA)


class ProductSummary(BaseModel):
    """One product on offer: a bundled file or a registered version."""

    id: str
    ref: str = Field(description="how to name it in a request")
    source: Literal["bundled", "registry"]
    version: str | None = None
    hash: str | None = None
    name: dict[str, str] = Field(default_factory=dict, description="by locale")
    status: str | None = Field(None, description="registered versions: draft, approved, "
                                                 "published or retired")
    effective_from: dt.date | None = None
    effective_to: dt.date | None = Field(None, description="inclusive; null: open-ended")
    languages: list[str] = Field(default_factory=list)
    problems: list[ProblemRecord] = Field(default_factory=list,
                                          description="a bundled file that does not load")


class InputInfo(BaseModel):
    name: str
    type: str
    label: dict[str, str] = Field(default_factory=dict)
    description: dict[str, str] = Field(default_factory=dict)
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    default: Any = None
    required: bool
    personal: bool


class EventInfo(BaseModel):
    name: str
    label: dict[str, str] = Field(default_factory=dict)
    description: dict[str, str] = Field(default_factory=dict)
    fields: list[InputInfo]


class DatedValue(BaseModel):
    from_: dt.date = Field(alias="from")
    value: float | int | str | bool


class ParameterInfo(BaseModel):
    name: str
    unit: str | None = None
    description: dict[str, str] = Field(default_factory=dict)
    values: list[DatedValue] = Field(description="the value from each date on")


class Period(BaseModel):
    from_: dt.date = Field(alias="from")
    parameters: dict[str, float | int | str | bool]


class RuleEntry(BaseModel):
    id: str
    kind: str
    owner: str
    clause: str
    source: str = Field(description="file:line:col of the rule in the product's YAML")
    line: int
    condition: str | None = None


class Section(BaseModel):
    id: str
    name: dict[str, str]
    clause: str
    text: dict[str, str] = Field(default_factory=dict)


class ProductDetail(BaseModel):
    """A product's structure: what a case gives, what the rules read and where they are."""

    id: str
    ref: str
    version: str
    hash: str
    name: dict[str, str]
    disease: str
    jurisdiction: str
    currency: str
    languages: list[str]
    effective_from: dt.date
    effective_to: dt.date | None
    inputs: list[InputInfo]
    events: list[EventInfo]
    parameters: list[ParameterInfo]
    periods: list[Period] = Field(description="stretches of time over which no parameter "
                                              "changes, with the values in force")
    rules: list[RuleEntry]
    clauses: dict[str, str] = Field(description="clause number by owner id "
                                                "(eligibility.<id>, benefit.<id>, ...)")
    checkups: list[Section]
    adherence: list[Section]
    benefits: list[Section]
    exclusions: list[Section]


@router.get("/products", summary="Bundled products and registered versions",
            response_model=list[ProductSummary])
def products(request: Request, user: Anyone) -> list[ProductSummary]:
    env = request.app.state.env
    return [*_bundled(env), *_registered(env)]


@router.get("/products/{ref}", summary="One product's structure", response_model=ProductDetail,
            responses=documented(404))
def product(request: Request, user: Anyone, ref: str = Ref) -> ProductDetail:
    env = request.app.state.env
    found = product_for(env, ref)
    return detail(found, env)


@router.get("/products/{ref}/case-schema", summary="JSON Schema of a case of this product",
            responses={**documented(404), 200: {"description": "a JSON Schema (2020-12)",
                                                "content": {"application/json": {
                                                    "schema": {"type": "object"}}}}})
def product_case_schema(request: Request, user: Anyone, ref: str = Ref) -> dict[str, Any]:
    return case_schema(product_for(request.app.state.env, ref))


@router.get("/schema", summary="JSON Schema of the product format",
            responses={200: {"description": "a JSON Schema (2020-12)",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def product_schema(user: Anyone) -> dict[str, Any]:
    return json_schema()


# ------------------------------------------------------------ building the answers


def texts(text: Any) -> dict[str, str]:
    """A product text by locale."""
    return dict(text_variants(text))


def _bundled(env: Environment) -> list[ProductSummary]:
    found = []
    for path in env.product_files():
        try:
            loaded = env.load(path)
        except ConfigError as exc:
            found.append(ProductSummary(id=path.stem, ref=path.stem, source="bundled",
                                        problems=[p.to_json() for p in exc.problems]))
            continue
        found.append(_summary(loaded, "bundled"))
    return found


def _registered(env: Environment) -> list[ProductSummary]:
    if not env.db_path.is_file():
        return []
    with env.store(readonly=True) as store:
        ids = [row["product_id"] for row in store.db.query(
            "SELECT DISTINCT product_id FROM versions ORDER BY product_id")
            if isinstance(row["product_id"], str)]
        records = [record for product_id in ids for record in store.history(product_id)]
    return [_summary(registered(env, record.ref), "registry", record) for record in records]


def _summary(product: Product, source: str, record: VersionRecord | None = None
             ) -> ProductSummary:
    return ProductSummary(
        id=product.id, ref=record.ref if record else product.id, source=source,
        version=product.version, hash=product.hash, name=texts(product.name),
        status=record.status if record else None,
        effective_from=record.effective_from if record else product.effective_from,
        effective_to=record.effective_to if record else product.effective_to,
        languages=list(product.languages))


def detail(product: Product, env: Environment) -> ProductDetail:
    """Everything `GET /products/{ref}` shows of `product`."""
    numbers = clause_numbers(product)
    rules = [RuleEntry(id=i.id, kind=i.kind, owner=i.owner, clause=i.clause, source=i.source,
                       line=i.line, condition=i.condition)
             for i in env.compile(product).rules.values() if not i.id.startswith(SEEN)]
    return ProductDetail(
        id=product.id, ref=stable_ref(product), version=product.version, hash=product.hash,
        name=texts(product.name), disease=product.disease, jurisdiction=product.jurisdiction,
        currency=product.currency, languages=list(product.languages),
        effective_from=product.effective_from, effective_to=product.effective_to,
        inputs=[_input(name, spec) for name, spec in product.inputs.items()],
        events=[EventInfo(name=name, label=texts(spec.label),
                          description=texts(spec.description),
                          fields=[_input(n, s) for n, s in spec.fields.items()])
                for name, spec in product.events.items()],
        parameters=[_parameter(product, name) for name in product.parameters],
        periods=[Period.model_validate({"from": start, "parameters": values})
                 for start, values in parameter_periods(product)],
        rules=rules, clauses=numbers,
        checkups=_sections(product.checkups, "checkup", numbers),
        adherence=_sections(product.adherence, "adherence", numbers),
        benefits=_sections(product.benefits, "benefit", numbers),
        exclusions=_sections(product.exclusions, "exclusion", numbers))


def _input(name: str, spec: InputSpec) -> InputInfo:
    default = spec.default.isoformat() if isinstance(spec.default, dt.date) else spec.default
    return InputInfo(name=name, type=spec.type, label=texts(spec.label),
                     description=texts(spec.description), unit=spec.unit, min=spec.min,
                     max=spec.max, values=spec.values, default=default,
                     required=spec.required, personal=spec.personal)


def _parameter(product: Product, name: str) -> ParameterInfo:
    parameter = product.parameters[name]
    dated = parameter.values or []
    values = [{"from": d.from_, "value": d.value} for d in dated] or [
        {"from": product.effective_from, "value": parameter.value}]
    return ParameterInfo.model_validate({"name": name, "unit": parameter.unit,
                                         "description": texts(parameter.description),
                                         "values": values})


def _sections(items: list, prefix: str, numbers: dict[str, str]) -> list[Section]:
    return [Section(id=item.id, name=texts(item.name), clause=numbers[f"{prefix}.{item.id}"],
                    text=texts(item.text)) for item in items]
