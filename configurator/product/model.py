"""The product format: pydantic v2 models, strict (`extra="forbid"`).

A product is one YAML file. These models define its shape (and the JSON
Schema editors use for completion); `check` adds the cross-checks a schema
cannot express (names, references, conditions, wording placeholders).
Every model instance remembers where in the YAML it came from (`span`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from .fields import (  # noqa: F401  (the format's building blocks, importable from here)
    LOCALES,
    Condition,
    Day,
    Formula,
    Ident,
    InputType,
    Locale,
    LocalizedText,
    Model,
    Money,
    Number,
    NumberRef,
    Text,
    finite,
    text_in,
    text_variants,
)
from .rules import (  # noqa: F401  (the rule models, importable from here)
    Benefit,
    Checkup,
    ConsecutiveMetric,
    CountMetric,
    CoverageChange,
    Effect,
    EligibilityRule,
    Exclusion,
    Frequency,
    Limits,
    LowestMetric,
    Metric,
    OnTimeMetric,
    Pays,
    PdcMetric,
    Programme,
    ResultRule,
    RollingWindow,
    Trigger,
)
from .windows import PART_MONTHS, PartsMetric  # noqa: F401  (sub-year windows, issue 13)

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

    net: Money = Field(ge=0, description="Net annual premium for the standard risk.")
    health_management_cost: Money = Field(Decimal(0), ge=0)
    separately_priced: bool = False
    discount_cap_percent: NumberRef | None = Field(
        None, description="A cap on the total premium discount (adherence discounts and "
        "check-up rebates together) in percent of the standard premium. Discounts never "
        "reduce a loading.", examples=[20, "discount_cap"])


class InputSpec(Model):
    """A typed fact about the person (or a field of an event)."""

    type: InputType
    label: Text | None = None
    description: Text | None = None
    unit: str | None = None
    min: Number | None = None
    max: Number | None = None
    values: list[str] | None = Field(None, description="Allowed values of an enum.")
    default: Any = None
    required: bool = True
    personal: bool = Field(False, description="Personal data: never sent to the engine or stored.")


class EventSpec(Model):
    """A kind of dated timeline entry (a refill, a visit, a diagnosis...)."""

    label: Text | None = None
    description: Text | None = None
    fields: dict[Ident, InputSpec] = Field(default_factory=dict)


ParameterValue = Annotated[float | int | str | bool, AfterValidator(finite)]


class DatedValue(Model):
    from_: Day = Field(alias="from")
    value: ParameterValue


class Parameter(Model):
    """A named constant, optionally with an effective-dated history."""

    value: ParameterValue | None = None
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

    expr: Formula
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


class CoverageTerms(Model):
    """The sum insured, cover tiers and named annual limits."""

    sum_insured: NumberRef
    tiers: dict[Ident, Tier] = Field(default_factory=dict)
    initial_tier: Ident | None = None
    limits: dict[Ident, NamedLimit] = Field(default_factory=dict)



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
    effective_from: Day
    effective_to: Day | None = None
    disease: str
    jurisdiction: Literal["CN", "US"] = "CN"
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    languages: list[Locale] = Field(default_factory=lambda: ["en"])
    summary: Text | None = None
    term: Term
    cooling_off_days: int = Field(ge=0, le=365)
    premium: Premium
    coverage: CoverageTerms
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
