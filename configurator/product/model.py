"""The product format: pydantic v2 models, strict (`extra="forbid"`).

A product is one YAML file. These models define its shape (and the JSON
Schema editors use for completion); `check` adds the cross-checks a schema
cannot express (names, references, conditions, wording placeholders).
Every model instance remembers where in the YAML it came from (`span`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from ..conditions.expression import Expression
from ..errors import Span

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
Locale = Literal["en", "zh-CN"]
LOCALES: tuple[str, ...] = ("en", "zh-CN")
# Validated into an Expression, which parses once and keeps the tree; the schema stays a string.
Condition = Annotated[str, StringConstraints(min_length=1), AfterValidator(Expression), Field(
    description="A condition in the configurator's expression language, e.g. `age > max_age`.")]
NumberRef = Annotated[int | float | Ident, Field(
    description="A number, or the name of a parameter that holds it.")]
InputType = Literal["number", "integer", "boolean", "enum", "string", "date"]


class Model(BaseModel):
    """Base for every product node: strict, and aware of its source position."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _span: Span | None = PrivateAttr(default=None)
    _path: tuple = PrivateAttr(default=())

    @property
    def span(self) -> Span | None:
        return self._span

    @property
    def path(self) -> tuple:
        return self._path


class LocalizedText(Model):
    """The same text in several languages."""

    en: str | None = None
    zh_CN: str | None = Field(default=None, alias="zh-CN")

    @model_validator(mode="after")
    def _not_empty(self) -> LocalizedText:
        if self.en is None and self.zh_CN is None:
            raise ValueError("give the text in at least one language (en or zh-CN)")
        return self

    def get(self, locale: str) -> str | None:
        return self.en if locale == "en" else self.zh_CN


Text = Annotated[str | LocalizedText, Field(
    description="Plain-language text: a string, or a map of locales (en, zh-CN).")]


def text_in(text: Text | None, locale: str = "en") -> str:
    """The text in `locale`, falling back to the other language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    found = text.get(locale)
    if found is not None:
        return found
    return next(t for t in (text.en, text.zh_CN) if t is not None)


def text_variants(text: Text | None) -> list[tuple[str, str]]:
    """Every (locale, string) held by a text field; a plain string counts as 'en'."""
    if text is None:
        return []
    if isinstance(text, str):
        return [("en", text)]
    return [(loc, value) for loc, value in (("en", text.en), ("zh-CN", text.zh_CN)) if value]


# ------------------------------------------------------------ metadata


class Term(Model):
    """Policy term and renewal."""

    months: int = Field(12, ge=1, le=600)
    renewable: bool = True
    renewal_max_age: NumberRef | None = Field(None, description="Last age at which we renew.")
    guaranteed_renewal: bool = False
    text: Text = Field(description="Renewal wording shown in the policy.")


class Premium(Model):
    """Standard annual premium and the health-management service cost inside it."""

    net: Decimal = Field(ge=0, description="Net annual premium for the standard risk.")
    health_management_cost: Decimal = Field(Decimal(0), ge=0)
    separately_priced: bool = False


class InputSpec(Model):
    """A typed fact about the person (or a field of an event)."""

    type: InputType
    label: Text | None = None
    description: Text | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    values: list[str] | None = Field(None, description="Allowed values of an enum.")
    default: Any = None
    required: bool = True
    personal: bool = Field(False, description="Personal data: never sent to the engine or stored.")


class EventSpec(Model):
    """A kind of dated timeline entry (a refill, a visit, a diagnosis...)."""

    label: Text | None = None
    description: Text | None = None
    fields: dict[Ident, InputSpec] = Field(default_factory=dict)


class DatedValue(Model):
    from_: dt.date = Field(alias="from")
    value: float | int | str | bool


class Parameter(Model):
    """A named constant, optionally with an effective-dated history."""

    value: float | int | str | bool | None = None
    values: list[DatedValue] | None = None
    unit: str | None = None
    description: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        if isinstance(data, (int, float, str, bool)):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        if (self.value is None) == (self.values is None):
            raise ValueError("give either 'value' or a dated list under 'values'")
        return self


class Derived(Model):
    """A value computed from inputs and parameters before any rule runs."""

    expr: Annotated[str, AfterValidator(Expression)]
    label: Text | None = None
    description: Text | None = None
    unit: str | None = None


class Definition(Model):
    """A defined term, rendered in the definitions section."""

    id: Ident
    term: Text
    text: Text


class Tier(Model):
    name: Text
    percent: NumberRef = Field(description="Share of the full sum insured, in percent.")
    text: Text | None = None


class NamedLimit(Model):
    name: Text
    amount: NumberRef
    text: Text | None = None


class Coverage(Model):
    """The sum insured, cover tiers and named annual limits."""

    sum_insured: NumberRef
    tiers: dict[Ident, Tier] = Field(default_factory=dict)
    initial_tier: Ident | None = None
    limits: dict[Ident, NamedLimit] = Field(default_factory=dict)


# ------------------------------------------------------------ rules


class EligibilityRule(Model):
    """Decline, refer, load or exclude when a condition on the applicant holds."""

    id: Ident
    when: Condition
    outcome: Literal["decline", "refer", "loading", "exclusion"]
    percent: NumberRef | None = Field(
        None, description="Loading in percent of the standard premium.")
    exclusion: Ident | None = None
    removed_by: Ident | None = Field(
        None, description="An adherence programme whose adherent year removes this loading.")
    text: Text

    @model_validator(mode="after")
    def _outcome_fields(self) -> EligibilityRule:
        if self.outcome == "loading" and self.percent is None:
            raise ValueError("a loading needs 'percent'")
        if self.outcome == "exclusion" and self.exclusion is None:
            raise ValueError("an exclusion outcome needs 'exclusion' (the id of an exclusion)")
        if self.outcome != "loading" and self.percent is not None:
            raise ValueError("'percent' only applies to outcome: loading")
        return self


class Effect(Model):
    """What a check-up's completion, result or missed deadline does to cover."""

    tier: Ident | None = None
    exclude: list[Ident] = Field(default_factory=list)
    refer: bool = False
    loading: NumberRef | None = None
    premium_rebate_percent: NumberRef | None = Field(
        None, description="A rebate on the standard premium (e.g. for completing a check-up).")
    schedule: Ident | None = Field(None, description="Another check-up this one triggers.")
    text: Text | None = None


class ResultRule(Effect):
    id: Ident
    when: Condition
    text: Text


class Trigger(Model):
    """When a check-up falls due: at issue, periodically, or on a condition."""

    on_issue: bool = False
    every_months: NumberRef | None = None
    when: Condition | None = None
    on: Ident | None = Field(None, description="'applicant', an event type or a check-up id.")
    repeat_if_missed: bool = Field(False, description="Re-offered at renewal after a miss.")

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = [self.on_issue, self.every_months is not None, self.when is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of on_issue, every_months or when")
        if self.on is not None and self.when is None:
            raise ValueError("'on' only applies to a 'when' trigger")
        return self


class Checkup(Model):
    """A post-underwriting or monitoring examination."""

    id: Ident
    name: Text
    event: Ident = Field(description="The event type that records the visit and its results.")
    trigger: Trigger
    due_days: NumberRef | None = Field(None, description="Days from the trigger to the due date.")
    window_days: NumberRef = Field(0, description="A visit this many days either side counts.")
    extension_days: NumberRef = Field(0, description="Grace after the window before it is missed.")
    items: list[Ident] = Field(default_factory=list)
    on_done: Effect | None = None
    results: list[ResultRule] = Field(default_factory=list)
    on_missed: Effect | None = None
    text: Text

    @model_validator(mode="after")
    def _due(self) -> Checkup:
        if self.trigger.every_months is None and self.due_days is None:
            raise ValueError("a check-up triggered at issue or by a condition needs 'due_days'")
        return self


class CountMetric(Model):
    event: Ident
    when: Condition | None = None


class PdcMetric(Model):
    event: Ident
    days_field: Ident


class OnTimeMetric(Model):
    event: Ident
    every_months: NumberRef
    tolerance_months: NumberRef
    when: Condition | None = None


class ConsecutiveMetric(Model):
    programme: Ident


class LowestMetric(Model):
    """The lowest value of an event field so far (a nadir), seeded by an input."""

    event: Ident
    field: Ident
    initial: Ident = Field(description="The applicant input holding the value at entry.")


class RollingWindow(Model):
    days: int = Field(ge=1, le=3660)


class Metric(Model):
    """A number computed from the timeline over a window."""

    count: CountMetric | None = None
    pdc: PdcMetric | None = None
    on_time: OnTimeMetric | None = None
    consecutive_years: ConsecutiveMetric | None = None
    lowest: LowestMetric | None = None
    window: Literal["policy_year", "all"] | RollingWindow = "policy_year"
    label: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Metric:
        if sum(x is not None for x in self.kinds()) != 1:
            raise ValueError("give exactly one of count, pdc, on_time, consecutive_years or "
                             "lowest")
        return self

    def kinds(self) -> tuple:
        return (self.count, self.pdc, self.on_time, self.consecutive_years, self.lowest)

    @property
    def kind(self) -> str:
        names = ("count", "pdc", "on_time", "consecutive_years", "lowest")
        return next(n for n, v in zip(names, self.kinds(), strict=True) if v is not None)


class CoverageChange(Model):
    """How an adherent policy year changes cover, with an explicit cap."""

    target: Literal["sum_insured", "limits", "premium_discount"]
    limits: list[Ident] = Field(default_factory=list)
    step_percent: NumberRef
    cap_percent: NumberRef
    on_miss: Literal["freeze", "reset"]

    @model_validator(mode="after")
    def _limits(self) -> CoverageChange:
        if (self.target == "limits") != bool(self.limits):
            raise ValueError("list 'limits' exactly when target is 'limits'")
        return self


class Programme(Model):
    """An adherence programme: when a policy year counts as adherent."""

    id: Ident
    name: Text
    when: Condition
    change: CoverageChange | None = Field(
        None, description="How an adherent year changes cover; none when the programme only "
                          "removes a loading (see eligibility removed_by).")
    text: Text


class Pays(Model):
    """What a benefit pays: exactly one way of computing the amount."""

    percent_of_sum_insured: NumberRef | None = None
    amount: NumberRef | None = None
    per_day: NumberRef | None = None
    days_field: Ident | None = None
    expenses_field: Ident | None = None
    ratio_percent: NumberRef = 100
    deductible: NumberRef = 0

    @model_validator(mode="after")
    def _one_way(self) -> Pays:
        ways = [self.percent_of_sum_insured, self.amount, self.per_day, self.expenses_field]
        if sum(w is not None for w in ways) != 1:
            raise ValueError("give exactly one of percent_of_sum_insured, amount, per_day or "
                             "expenses_field")
        if (self.per_day is None) != (self.days_field is None):
            raise ValueError("'per_day' and 'days_field' go together")
        return self


class Limits(Model):
    per_claim: NumberRef | None = None
    per_year: NumberRef | None = None
    per_year_days: NumberRef | None = None
    lifetime: NumberRef | None = None
    per_year_percent_of_sum_insured: NumberRef | None = Field(
        None, description="Yearly total capped at this share of the current sum insured.")
    shared: Ident | None = Field(None, description="A named limit in coverage.limits.")


class Frequency(Model):
    per_policy_year: NumberRef | None = None
    lifetime: NumberRef | None = None


class Benefit(Model):
    """What is paid for a claim event."""

    id: Ident
    name: Text
    event: Ident
    when: Condition | None = None
    pays: Pays
    limits: Limits = Field(default_factory=Limits)
    frequency: Frequency = Field(default_factory=Frequency)
    waiting_period_days: NumberRef = 0
    text: Text


class Exclusion(Model):
    """When a claim is not paid."""

    id: Ident
    name: Text
    when: Condition | None = None
    applies_to: list[Ident] | None = Field(None, description="Benefit ids; all when omitted.")
    added_by_underwriting: bool = Field(
        False, description="Applies only once an eligibility rule or check-up adds it.")
    text: Text


def _number_as_text(value: Any) -> Any:
    """YAML reads `version: 1.1` as a number; check it as the text it was meant to be."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return str(value) if is_number else value


class Product(Model):
    """A managed-care single-disease product."""

    id: Ident
    name: Text
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$"),
                       BeforeValidator(_number_as_text)]
    effective_from: dt.date
    effective_to: dt.date | None = None
    disease: str
    jurisdiction: Literal["CN", "US"] = "CN"
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    languages: list[Locale] = Field(default_factory=lambda: ["en"])
    summary: Text | None = None
    term: Term
    cooling_off_days: int = Field(ge=0, le=365)
    premium: Premium
    coverage: Coverage
    definitions: list[Definition] = Field(default_factory=list)
    inputs: dict[Ident, InputSpec]
    derived: dict[Ident, Derived] = Field(default_factory=dict)
    events: dict[Ident, EventSpec] = Field(default_factory=dict)
    parameters: dict[Ident, Parameter] = Field(default_factory=dict)
    eligibility: list[EligibilityRule] = Field(default_factory=list)
    checkups: list[Checkup] = Field(default_factory=list)
    metrics: dict[Ident, Metric] = Field(default_factory=dict)
    adherence: list[Programme] = Field(default_factory=list)
    benefits: list[Benefit] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    illustration: dict[str, Any] | None = Field(
        None, description="The sample case behind the worked example in the adherence section: "
                          "a case (policy, as_of, applicant, events) the engine evaluates year "
                          "by year, so the example shows what the rules actually do.")

    _source: Any = PrivateAttr(default=None)
    _hash: str = PrivateAttr(default="")

    @property
    def hash(self) -> str:
        """Short content hash of the checked product (see `load.content_hash`)."""
        return self._hash

    @property
    def source(self) -> Any:
        """The `source.Document` it was loaded from (positions), if any."""
        return self._source

    @property
    def source_file(self) -> str:
        return self._source.file if self._source is not None else "<product>"

    @model_validator(mode="after")
    def _dates(self) -> Product:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


def json_schema() -> dict:
    """The JSON Schema of the product format (for editors and `configurator schema`)."""
    schema = Product.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "configurator product"
    return schema
