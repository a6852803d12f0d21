"""The rules of a product: eligibility, check-ups, metrics, adherence, benefits, exclusions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .fields import Condition, Ident, Model, NumberRef, Text
from .windows import PART_DOC, Part, PartsMetric

TITLE = ("The clause heading the policy prints for this rule (a few plain words: 'Age at "
         "entry'). Without it the heading is derived from the rule's outcome and the first "
         "thing its condition reads, and lint warns.")


class EligibilityRule(Model):
    """Decline, refer, load or exclude when a condition on the applicant holds."""

    id: Ident
    title: Text | None = Field(None, description=TITLE)
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
    title: Text | None = Field(None, description=TITLE)
    when: Condition
    text: Text


class Trigger(Model):
    """When a check-up falls due: at issue, periodically, or on a condition."""

    on_issue: bool = False
    every_months: NumberRef | None = None
    when: Condition | None = None
    on: Ident | None = Field(None, description="'applicant', an event type or a check-up id.")
    repeat_if_missed: bool = Field(False, description="Re-offered at renewal after a miss.")
    each: Part | None = Field(
        None, description="Due once in each part of every policy year: a visit anywhere inside "
                          "the part completes it, and the part's last day is its deadline. "
                          + PART_DOC, examples=["quarter"])

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = [self.on_issue, self.every_months is not None, self.when is not None,
                 self.each is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of on_issue, every_months, each or when")
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
    missed_in_a_row: NumberRef = Field(
        1, description="How many of this check-up's deadlines must be missed in a row before "
                       "on_missed applies: 1 (the default) applies it on the first miss; 2 "
                       "only on the second consecutive miss. A check-up done in between "
                       "starts the count again.", examples=[2, "reviews_missed_in_a_row"])
    text: Text

    @model_validator(mode="after")
    def _due(self) -> Checkup:
        if self.trigger.every_months is None and self.trigger.each is None and \
                self.due_days is None:
            raise ValueError("a check-up triggered at issue or by a condition needs 'due_days'")
        return self


class CountMetric(Model):
    event: Ident
    also: list[Ident] = Field(
        default_factory=list, description="More event types counted as this one: an HbA1c "
        "test recorded inside a check-up visit counts toward '3 HbA1c tests'. The filter "
        "'when' is read on each event's own fields.", examples=[["diabetes_review"]])
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
    parts: PartsMetric | None = None
    window: Literal["policy_year", "all", "quarter", "half"] | RollingWindow = Field(
        "policy_year", description="What the metric looks at when measured on a day: the "
        "policy year so far, 'all' the events since cover began, 'quarter' or 'half' the part "
        "of the policy year so far (counted from the policy start), or {days: N} the last N "
        "days.", examples=["policy_year", "quarter", {"days": 365}])
    label: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Metric:
        if sum(x is not None for x in self.kinds()) != 1:
            raise ValueError("give exactly one of count, pdc, on_time, consecutive_years, "
                             "lowest or parts")
        return self

    def kinds(self) -> tuple:
        return (self.count, self.pdc, self.on_time, self.consecutive_years, self.lowest,
                self.parts)

    @property
    def kind(self) -> str:
        names = ("count", "pdc", "on_time", "consecutive_years", "lowest", "parts")
        return next(n for n, v in zip(names, self.kinds(), strict=True) if v is not None)


class CoverageChange(Model):
    """How an adherent policy year changes cover, with an explicit cap."""

    target: Literal["sum_insured", "limits", "premium_discount"]
    limits: list[Ident] = Field(default_factory=list)
    step_percent: NumberRef
    cap_percent: NumberRef
    on_miss: Literal["freeze", "reset"]
    basis: Literal["tier", "full"] = Field(
        "tier", description="What a sum-insured bonus is a percentage of: 'tier' (the default) "
        "the sum insured at the current cover level, so a lower tier shrinks the bonus too; "
        "'full' the full sum insured, whatever the tier (a 10% bonus on RMB 200,000 at a 50% "
        "tier: RMB 110,000 with 'tier', RMB 120,000 with 'full').", examples=["full"])

    @model_validator(mode="after")
    def _limits(self) -> CoverageChange:
        if (self.target == "limits") != bool(self.limits):
            raise ValueError("list 'limits' exactly when target is 'limits'")
        if self.basis == "full" and self.target != "sum_insured":
            raise ValueError("'basis: full' only applies to target: sum_insured")
        return self


class Programme(Model):
    """An adherence programme: when a policy year counts as adherent."""

    id: Ident
    name: Text
    when: Condition | None = Field(
        None, description="When a policy year is adherent (give this or same_as).")
    same_as: Ident | None = Field(
        None, description="Another programme whose condition decides this one's years too: "
        "one adherent year drives both rewards (a sum-insured bonus and a premium discount) "
        "without the condition written twice.", examples=["treatment_adherence"])
    change: CoverageChange | None = Field(
        None, description="How an adherent year changes cover; none when the programme only "
                          "removes a loading (see eligibility removed_by).")
    text: Text

    @model_validator(mode="after")
    def _condition(self) -> Programme:
        if (self.when is None) == (self.same_as is None):
            raise ValueError("give exactly one of 'when' or 'same_as'")
        return self


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


