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
from pydantic.json_schema import GenerateJsonSchema

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

    months: int = Field(
        12, ge=1, le=600, description="Length of one policy term, in months.", examples=[12])
    renewable: bool = Field(
        True, description="Whether we may offer to renew at the end of a term.", examples=[True])
    renewal_max_age: NumberRef | None = Field(
        None, description="The last age at which we renew (a number or a parameter name).",
        examples=["renewal_max_age"])
    guaranteed_renewal: bool = Field(
        False, description="Whether renewal is guaranteed (lint checks the wording says so).",
        examples=[False])
    text: Text = Field(
        description="The renewal wording printed in the policy.",
        examples=["This policy lasts one year. Renewal is not guaranteed."])


class Premium(Model):
    """Standard annual premium and the health-management service cost inside it."""

    net: Money = Field(
        ge=0, description="Net annual premium for the standard risk, in the product's currency.",
        examples=[1800])
    health_management_cost: Money = Field(
        Decimal(0), ge=0,
        description="The part of the premium that pays for health-management services.",
        examples=[350])
    separately_priced: bool = Field(
        False,
        description="Whether the health-management services are priced apart from the cover.",
        examples=[False])
    discount_cap_percent: NumberRef | None = Field(
        None, description="A cap on the total premium discount (adherence discounts and "
        "check-up rebates together) in percent of the standard premium. Discounts never "
        "reduce a loading.", examples=[20, "discount_cap"])


class InputSpec(Model):
    """A typed fact about the person (or a field of an event)."""

    type: InputType = Field(
        description="The type of the value: number, integer, boolean, enum, string or date.",
        examples=["integer"])
    label: Text | None = Field(
        None, description="A short name for forms and reports.", examples=["Age at entry"])
    description: Text | None = Field(
        None, description="What the value means and where it comes from.",
        examples=["Age in whole years on the application date."])
    unit: str | None = Field(
        None, description="The unit of a number (shown with it).", examples=["years"])
    min: Number | None = Field(None, description="The smallest value accepted.", examples=[0])
    max: Number | None = Field(None, description="The largest value accepted.", examples=[120])
    values: list[str] | None = Field(
        None, description="The allowed values of an enum.",
        examples=[["never", "former", "current"]])
    default: Any = Field(
        None, description="The value used when a case leaves it out.", examples=[False])
    required: bool = Field(
        True, description="Whether a case must give it (unless it has a default).", examples=[True])
    personal: bool = Field(
        False, description="Personal data: never sent to the engine or stored in the audit trail.",
        examples=[False])


class EventSpec(Model):
    """A kind of dated timeline entry (a refill, a visit, a diagnosis...)."""

    label: Text | None = Field(
        None, description="A short name for forms and reports.", examples=["Antiviral refill"])
    description: Text | None = Field(
        None, description="What the event records.",
        examples=["A pharmacy refill of antiviral medicine."])
    fields: dict[Ident, InputSpec] = Field(
        default_factory=dict,
        description="The typed fields an event of this type carries, by name.",
        examples=[{"days_supply": {"type": "integer", "min": 1}}])
    tags: list[Ident] = Field(
        default_factory=list,
        description="The tags an event of this type may carry (`tags: [..]` in a case). A "
        "metric `count: {tag: X}` counts the events of every type that carry X.",
        examples=[["hba1c_test"]])


ParameterValue = Annotated[float | int | str | bool, AfterValidator(finite)]


class DatedValue(Model):
    from_: Day = Field(
        alias="from", description="The first day this value applies.", examples=["2026-07-01"])
    value: ParameterValue = Field(description="The parameter's value from that day.", examples=[60])


class Parameter(Model):
    """A named constant, optionally with an effective-dated history."""

    value: ParameterValue | None = Field(
        None, description="The value (for a parameter without a dated history).", examples=[18])
    values: list[DatedValue] | None = Field(
        None, description="An effective-dated history of values, each from a date.",
        examples=[[{"from": "2026-01-01", "value": 60}]])
    unit: str | None = Field(
        None, description="The unit of the value, used when wording prints it.", examples=["days"])
    description: Text | None = Field(
        None, description="What the parameter is for.",
        examples=["Youngest age we accept, in whole years."])

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

    expr: Formula = Field(
        description="The formula, in the condition language, over inputs and parameters.",
        examples=["weight_kg / (height_m * height_m)"])
    label: Text | None = Field(
        None, description="A short name for forms and reports.", examples=["Body mass index"])
    description: Text | None = Field(
        None, description="What the value means.",
        examples=["Weight divided by the square of height."])
    unit: str | None = Field(None, description="The unit of the value.", examples=["kg/m2"])


class Definition(Model):
    """A defined term, rendered in the definitions section."""

    id: Ident = Field(description="A stable name for the defined term.", examples=["check_up"])
    term: Text = Field(description="The term as the policy prints it.", examples=["Check-up"])
    text: Text = Field(
        description="What the term means in this policy.",
        examples=["A visit to a doctor for the tests this policy lists."])


class Tier(Model):
    name: Text = Field(
        description="The tier's name as the policy prints it.", examples=["Full cover"])
    percent: NumberRef = Field(
        description=("Share of the full sum insured this tier pays, in percent (a number or a "
                     "parameter name)."),
        examples=["reduced_cover_percent"])
    text: Text | None = Field(
        None, description="Wording that explains when this tier applies.",
        examples=[("If you miss a check-up, the benefit is cut to {reduced_cover_percent} of the "
                   "sum insured.")])


class NamedLimit(Model):
    name: Text = Field(
        description="The limit's name as the policy prints it.", examples=["Hospital costs"])
    amount: NumberRef = Field(
        description=("The yearly amount, shared by the benefits that name this limit (a number or "
                     "a parameter name)."),
        examples=["hospital_limit"])
    text: Text | None = Field(
        None, description="Wording that explains the limit.",
        examples=["Hospital benefits together pay at most {hospital_limit} a year."])


class CoverageTerms(Model):
    """The sum insured, cover tiers and named annual limits."""

    sum_insured: NumberRef = Field(
        description="The full sum insured (a number or a parameter name).",
        examples=["sum_insured"])
    tiers: dict[Ident, Tier] = Field(
        default_factory=dict, description="Cover tiers by id: each a share of the sum insured.",
        examples=[{"full": {"name": "Full cover", "percent": 100}}])
    initial_tier: Ident | None = Field(
        None, description="The tier a new policy starts in (an id under tiers).", examples=["full"])
    limits: dict[Ident, NamedLimit] = Field(
        default_factory=dict,
        description="Named yearly limits by id, shared by benefits (limits: {shared: ID}).",
        examples=[{"hospital": {"name": "Hospital costs", "amount": 50000}}])



def _number_as_text(value: Any) -> Any:
    """YAML reads `version: 1.1` as a number; check it as the text it was meant to be."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return str(value) if is_number else value


class Product(Model):
    """A managed-care single-disease product."""

    id: Ident = Field(
        description="The product's stable name (lower_case_with_underscores).",
        examples=["hepatitis_b"])
    name: Text = Field(
        description="The product's name as the policy prints it.",
        examples=[{"en": "Liver Care Hepatitis B Cover", "zh-CN": "肝安心乙肝专病保险"}])
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$"),
                       BeforeValidator(_number_as_text)] = Field(
        description="The version, MAJOR.MINOR.PATCH (diff suggests the bump).", examples=["1.0.0"])
    effective_from: Day = Field(
        description="The first day a policy of this version may start.", examples=["2026-01-01"])
    effective_to: Day | None = Field(
        None, description="The last day a policy of this version may start (open when left out).",
        examples=["2026-12-31"])
    disease: str = Field(
        description="The disease the product covers, in plain words.",
        examples=["chronic hepatitis B"])
    jurisdiction: Literal["CN", "US"] = Field(
        "CN", description="Where it is sold: CN or US (lint's default profile).", examples=["CN"])
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        "CNY", description="The ISO 4217 currency of every amount.", examples=["CNY"])
    languages: list[Locale] = Field(
        default_factory=lambda: ["en"], description="The languages the policy is written in.",
        examples=[["en", "zh-CN"]])
    summary: Text | None = Field(
        None, description="A few sentences on the cover's first page.",
        examples=["For adults with chronic hepatitis B."])
    term: Term = Field(
        description="The policy term and renewal.",
        examples=[{"months": 12, "renewable": True, "text": "This policy lasts one year."}])
    cooling_off_days: int = Field(
        ge=0, le=365,
        description="Days after delivery in which the holder may cancel for a full refund.",
        examples=[15])
    premium: Premium = Field(
        description="The standard annual premium.",
        examples=[{"net": 1800, "health_management_cost": 350}])
    coverage: CoverageTerms = Field(
        description="The sum insured, cover tiers and named yearly limits.",
        examples=[{"sum_insured": "sum_insured"}])
    definitions: list[Definition] = Field(
        default_factory=list, description="Defined terms, printed in the definitions clause.",
        examples=[[{"id": "check_up", "term": "Check-up",
                   "text": "A visit to a doctor for the tests this policy lists."}]])
    inputs: dict[Ident, InputSpec] = Field(
        description="The facts about the applicant a case gives, by name.",
        examples=[{"age": {"type": "integer", "min": 0, "max": 120}}])
    derived: dict[Ident, Derived] = Field(
        default_factory=dict,
        description="Values computed from inputs and parameters before any rule runs, by name.",
        examples=[{"bmi": {"expr": "weight_kg / (height_m * height_m)"}}])
    events: dict[Ident, EventSpec] = Field(
        default_factory=dict,
        description="The kinds of dated timeline entries (refills, visits, claims), by type.",
        examples=[{"antiviral_refill": {"fields": {"days_supply": {"type": "integer"}}}}])
    parameters: dict[Ident, Parameter] = Field(
        default_factory=dict,
        description="Named constants the rules and wording use, optionally effective-dated.",
        examples=[{"min_entry_age": {"value": 18}}])
    eligibility: list[EligibilityRule] = Field(
        default_factory=list,
        description="Underwriting rules: decline, refer, load or exclude at entry.",
        examples=[[{"id": "too_young", "when": "age < min_entry_age", "outcome": "decline",
                   "text": "We cover adults only."}]])
    checkups: list[Checkup] = Field(
        default_factory=list, description="Post-underwriting and monitoring examinations.",
        examples=[[{"id": "monitoring", "name": "Liver check-up", "event": "monitoring_visit",
                   "trigger": {"every_months": 6},
                   "text": "Every six months you have a liver check-up."}]])
    metrics: dict[Ident, Metric] = Field(
        default_factory=dict,
        description=("Numbers computed from the timeline (counts, adherence, lowest values), by "
                     "name."),
        examples=[{"pdc_90": {"pdc": {"event": "refill", "days_field": "days_supply"}}}])
    adherence: list[Programme] = Field(
        default_factory=list,
        description=("Adherence programmes: when a policy year counts as adherent and what it "
                     "earns."),
        examples=[[{"id": "adherent_year", "name": "Keeping up", "when": "antiviral_pdc >= 80",
                   "text": "Each adherent year raises your cover."}]])
    benefits: list[Benefit] = Field(
        default_factory=list, description="What is paid for a claim event.",
        examples=[[{"id": "liver_cancer", "name": "Liver cancer",
                   "event": "liver_cancer_diagnosis", "pays": {"percent_of_sum_insured": 100},
                   "text": "We pay the sum insured."}]])
    exclusions: list[Exclusion] = Field(
        default_factory=list, description="When a claim is not paid.",
        examples=[[{"id": "alcohol", "name": "Alcohol", "when": "claim.alcohol_related",
                   "text": "We do not pay for harm from alcohol."}]])
    illustration: dict[str, Any] | None = Field(
        None,
        description=("The sample case behind the worked example in the adherence section: a case "
                     "(policy, as_of, applicant, events) the engine evaluates year by year, so the"
                     " example shows what the rules actually do."),
        examples=[{"policy": {"start": "2026-01-01"}, "as_of": "2030-12-31",
                   "applicant": {"age": 40}}])

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


class _Schema(GenerateJsonSchema):
    """pydantic's schema without the titles it makes from names ("Waiting Period Days"):
    an editor shows a title with each branch of a union, so hover read "Waiting Period
    Days || Waiting Period Days"; the descriptions say what a field is."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def model_schema(self, schema):
        found = super().model_schema(schema)
        found.pop("title", None)
        return found

    def generate(self, schema, mode="validation"):
        found = super().generate(schema, mode)
        _name_branches(found)
        return found


_BRANCHES = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
             "null": "nothing (leave it out)", "string": "text"}


def _name_branches(node: Any) -> None:
    """Each branch of a union is titled with what it is: an editor that finds no difference
    between the branches joins them all with ' || ' on hover; with the titles it heads the
    field's description with the branch the value took ("a number")."""
    if isinstance(node, list):
        for item in node:
            _name_branches(item)
    elif isinstance(node, dict):
        if "anyOf" in node:  # (a | b) | None: one union, so the field's description shows
            node["anyOf"] = [part for branch in node["anyOf"] for part in (
                branch["anyOf"] if set(branch) <= {"anyOf", "description"} else [branch])]
        for branch in node.get("anyOf", ()):
            if isinstance(branch, dict) and "$ref" not in branch and "title" not in branch:
                kind = "a name" if "pattern" in branch else _BRANCHES.get(branch.get("type"))
                if kind:
                    branch["title"] = kind
        for value in node.values():
            _name_branches(value)


def json_schema() -> dict:
    """The JSON Schema of the product format (for editors and `configurator schema`)."""
    schema = Product.model_json_schema(by_alias=True, schema_generator=_Schema)
    # the fields' own descriptions say what each text is; this one would hide them on hover
    schema["$defs"]["LocalizedText"].pop("description", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = ("A configurator product (no title: an editor would repeat it on "
                             "every hover).")
    return schema
