"""What a benefit pays (`Pays`), and the share paid chosen by a claim attribute (`RatioBy`).

`RatioBy` lets a benefit that pays expenses pay a different share by the value of
one enum field of the claim event (in-network 90%, out-of-network 60%). The
yearly deductible is a plain `NumberRef` on `Pays` (`yearly_deductible`).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .fields import Ident, Model, NumberRef

LATE_RESULTS = ("apply", "ignore")


class RatioBy(Model):
    """The share of expenses paid, by the value of one enum field of the claim event."""

    field: Ident = Field(
        description="An enum field of the benefit's event (e.g. 'network').",
        examples=["network"])
    percent: dict[str, NumberRef] = Field(
        description="The share paid in percent for each value of the field; every value the "
                    "field allows must be listed.",
        examples=[{"in_network": 90, "out_of_network": "out_of_network_percent"}])


class Pays(Model):
    """What a benefit pays: exactly one way of computing the amount."""

    percent_of_sum_insured: NumberRef | None = Field(
        None,
        description=("A lump sum: this share of the current sum insured, in percent (a number or a"
                     " parameter name)."),
        examples=[100])
    amount: NumberRef | None = Field(
        None, description="A fixed amount per claim (a number or a parameter name).",
        examples=["home_oxygen_amount"])
    per_day: NumberRef | None = Field(
        None,
        description=("An amount per day; the days come from the claim's days_field (a number or a "
                     "parameter name)."),
        examples=["daily_cash"])
    days_field: Ident | None = Field(
        None, description="The claim event's field holding the number of days (with per_day).",
        examples=["hospital_days"])
    expenses_field: Ident | None = Field(
        None, description="The claim event's field holding the costs to reimburse.",
        examples=["costs"])
    ratio_percent: NumberRef = Field(
        100,
        description=("The share of the costs (after the deductible) we pay, in percent (a number "
                     "or a parameter name)."),
        examples=["hospital_ratio"])
    deductible: NumberRef = Field(
        0,
        description=("The part of each claim's costs the insured pays first (a number or a "
                     "parameter name)."),
        examples=["hospital_deductible"])
    yearly_deductible: NumberRef | None = Field(
        None, description="Paid by the insured each policy year before this benefit pays: "
                          "taken from the expenses of the year's claims in date order (after "
                          "the per-claim deductible), then the share is paid.",
        examples=[500, "outpatient_deductible"])
    ratio_by: RatioBy | None = Field(
        None, description="The share paid by the value of a claim field, instead of "
                          "ratio_percent.",
        examples=[{"field": "network", "percent": {"in_network": 90, "out_of_network": 60}}])

    @model_validator(mode="after")
    def _one_way(self) -> Pays:
        ways = [self.percent_of_sum_insured, self.amount, self.per_day, self.expenses_field]
        if sum(w is not None for w in ways) != 1:
            raise ValueError("give exactly one of percent_of_sum_insured, amount, per_day or "
                             "expenses_field")
        if (self.per_day is None) != (self.days_field is None):
            raise ValueError("'per_day' and 'days_field' go together")
        if self.expenses_field is None and (self.ratio_by or self.yearly_deductible is not None):
            raise ValueError("'ratio_by' and 'yearly_deductible' apply only to expenses_field")
        if self.ratio_by is not None and self.ratio_percent != 100:
            raise ValueError("give either 'ratio_percent' or 'ratio_by', not both")
        return self
