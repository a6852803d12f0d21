"""The rules of a product: eligibility, check-ups, metrics, adherence, benefits, exclusions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .claims_terms import Pays
from .fields import Condition, Ident, Model, NumberRef, Text
from .windows import PART_DOC, Part, PartsMetric

TITLE = ("The clause heading the policy prints for this rule (a few plain words: 'Age at "
         "entry'). Without it the heading is derived from the rule's outcome and the first "
         "thing its condition reads, and lint warns.")


class EligibilityRule(Model):
    """Decline, refer, load or exclude when a condition on the applicant holds."""

    id: Ident = Field(
        description="A stable name for the rule (trace, coverage and reasons use eligibility.ID).",
        examples=["age_limit"])
    title: Text | None = Field(None, description=TITLE, examples=["Age at entry"])
    when: Condition = Field(
        description="The condition on the applicant under which the outcome applies.",
        examples=["age < min_entry_age or age > max_entry_age"])
    outcome: Literal["decline", "refer", "loading", "exclusion"] = Field(
        description="What happens when the condition holds: decline, refer, loading or exclusion.",
        examples=["decline"])
    percent: NumberRef | None = Field(
        None, description="A loading's size, in percent of the standard premium (a number or "
        "a parameter name).", examples=["smoker_loading"])
    exclusion: Ident | None = Field(
        None, description="The exclusion an exclusion outcome adds (an id under exclusions).",
        examples=["alcohol"])
    removed_by: Ident | None = Field(
        None, description="An adherence programme whose adherent year removes this loading.",
        examples=["adherent_year"])
    text: Text = Field(
        description="The rule in plain words, as the policy prints it.",
        examples=["We accept applicants aged {min_entry_age:number} to {max_entry_age:number}."])

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

    tier: Ident | None = Field(
        None, description="The cover tier the policy moves to (an id under coverage.tiers).",
        examples=["reduced"])
    exclude: list[Ident] = Field(
        default_factory=list, description="Exclusions added to the policy (ids under exclusions).",
        examples=[["liver_transplant"]])
    refer: bool = Field(
        False, description="Whether the case is referred to an underwriter.", examples=[False])
    loading: NumberRef | None = Field(
        None, description="A premium loading in percent (a number or a parameter name).",
        examples=[20])
    premium_rebate_percent: NumberRef | None = Field(
        None,
        description=("A rebate on the standard premium, in percent (e.g. for completing a "
                     "check-up)."),
        examples=[5])
    schedule: Ident | None = Field(
        None, description="Another check-up this one triggers (a check-up id).",
        examples=["specialist_review"])
    text: Text | None = Field(
        None, description="The effect in plain words, as the policy prints it.",
        examples=["If you miss it, the liver cancer benefit is reduced."])


class ResultRule(Effect):
    id: Ident = Field(
        description="A stable name for the result (its rule is result.CHECKUP.ID).",
        examples=["alt_raised"])
    title: Text | None = Field(None, description=TITLE, examples=["A raised liver enzyme"])
    when: Condition = Field(
        description=("The condition on the visit's fields (and the applicant) under which this "
                     "result applies."),
        examples=["alt > alt_upper_limit"])
    text: Text = Field(
        description="The result and its consequence in plain words.",
        examples=["If your ALT is raised, we arrange a specialist visit."])


class Trigger(Model):
    """When a check-up falls due: at issue, periodically, or on a condition."""

    on_issue: bool = Field(
        False, description="Due once, counted from the policy start.", examples=[True])
    every_months: NumberRef | None = Field(
        None,
        description=("Due periodically, every this many months from the start (a number or a "
                     "parameter name)."),
        examples=["monitoring_every_months"])
    when: Condition | None = Field(
        None,
        description=("Due when this condition holds (on the applicant, an event or a check-up's "
                     "results)."),
        examples=["alt > alt_upper_limit"])
    on: Ident | None = Field(
        None,
        description="What a 'when' trigger reads: 'applicant', an event type or a check-up id.",
        examples=["monitoring"])
    repeat_if_missed: bool = Field(
        False, description="Offered again at renewal after a miss.", examples=[False])
    on_any: list[Ident] | None = Field(
        None, min_length=2,
        description="Several event types, any of which sets the check-up off when `when` "
                    "holds (`when` reads only fields they all have; 'true' for any such "
                    "event). Instead of 'on'.",
        examples=[["emergency_visit", "unplanned_admission"]])
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
        if self.on_any is not None and (self.when is None or self.on is not None):
            raise ValueError("'on_any' needs a 'when' trigger and replaces 'on'")
        return self


class Checkup(Model):
    """A post-underwriting or monitoring examination."""

    id: Ident = Field(
        description=("A stable name for the check-up (its rules are trigger.ID, done.ID, "
                     "missed.ID)."),
        examples=["monitoring"])
    name: Text = Field(
        description="The check-up's name as the policy prints it.",
        examples=["Six-monthly liver check-up"])
    event: Ident = Field(
        description="The event type that records the visit and its results.",
        examples=["monitoring_visit"])
    trigger: Trigger = Field(
        description="When the check-up falls due: on_issue, every_months or when.",
        examples=[{"every_months": 6}])
    due_days: NumberRef | None = Field(
        None, description="Days from the trigger to the due date (a number or a parameter name).",
        examples=[90])
    window_days: NumberRef = Field(
        0, description="A visit this many days either side of the due date counts (a number "
        "or a parameter name).", examples=["visit_window_days"])
    extension_days: NumberRef = Field(
        0, description="Grace days after the window before the check-up is missed (a number "
        "or a parameter name).", examples=["late_visit_grace_days"])
    items: list[Ident] = Field(
        default_factory=list,
        description="What the visit examines, by name (listed in the policy).",
        examples=[["alt", "hbv_dna", "ultrasound"]])
    on_done: Effect | None = Field(
        None, description="What completing the check-up on time does to cover.",
        examples=[{"premium_rebate_percent": 5}])
    results: list[ResultRule] = Field(
        default_factory=list,
        description="What particular results of the visit do, first match first.",
        examples=[[{"id": "alt_raised", "when": "alt > 40", "refer": True,
                   "text": "A raised ALT is referred."}]])
    on_missed: Effect | None = Field(
        None, description="What missing the check-up (after the window and grace) does to cover.",
        examples=[{"tier": "reduced"}])
    text: Text = Field(
        description="The check-up in plain words, as the policy prints it.",
        examples=["Every six months you have a liver check-up."])
    missed_in_a_row: NumberRef = Field(
        1, description="How many of this check-up's deadlines must be missed in a row before "
                       "on_missed applies: 1 (the default) applies it on the first miss; 2 "
                       "only on the second consecutive miss. A check-up done in between "
                       "starts the count again.", examples=[2, "reviews_missed_in_a_row"])
    late_results: Literal["apply", "ignore"] | None = Field(
        None, description="Whether the results of a visit after the check-up was missed (past "
                          "its deadline and any extension) still apply: 'apply' (loadings, "
                          "exclusions, referral; cover is not raised) or 'ignore'. Stated in "
                          "the policy when given; omitted means 'apply' and is not stated.",
        examples=["ignore"])

    @model_validator(mode="after")
    def _due(self) -> Checkup:
        if self.trigger.every_months is None and self.trigger.each is None and \
                self.due_days is None:
            raise ValueError("a check-up triggered at issue or by a condition needs 'due_days'")
        return self


class CountMetric(Model):
    event: Ident | None = Field(
        None, description="The event type counted (or give tag).", examples=["monitoring_visit"])
    tag: Ident | None = Field(
        None, description="Count the events of any type that carry this tag (`tags:` in the "
        "case; the types declare it under events.<type>.tags). 'when' may read only the "
        "fields every such type has.", examples=["hba1c_test"])
    also: list[Ident] = Field(
        default_factory=list, description="More event types counted as this one: an HbA1c "
        "test recorded inside a check-up visit counts toward '3 HbA1c tests'. The filter "
        "'when' is read on each event's own fields.", examples=[["diabetes_review"]])
    when: Condition | None = Field(
        None, description="Count only the events for which this condition holds.",
        examples=["alt > 40"])

    @model_validator(mode="after")
    def _event_or_tag(self) -> CountMetric:
        if (self.event is None) == (self.tag is None) or (self.tag and self.also):
            raise ValueError("give either event (with also, if any) or tag")
        return self


class PdcMetric(Model):
    event: Ident = Field(description="The refill event type.", examples=["antiviral_refill"])
    days_field: Ident = Field(
        description="The refill's field holding the days of medicine supplied.",
        examples=["days_supply"])


class OnTimeMetric(Model):
    event: Ident = Field(description="The visit event type.", examples=["monitoring_visit"])
    every_months: NumberRef = Field(
        description="How often a visit is expected, in months (a number or a parameter name).",
        examples=[6])
    tolerance_months: NumberRef = Field(
        description="How late a visit may be and still count, in months (a number or a "
        "parameter name).", examples=[1])
    when: Condition | None = Field(
        None, description="Count only the visits for which this condition holds.",
        examples=["hbv_dna >= 0"])


class ConsecutiveMetric(Model):
    programme: Ident = Field(
        description="The adherence programme whose adherent years in a row are counted.",
        examples=["adherent_year"])


class LowestMetric(Model):
    """The lowest value of an event field so far (a nadir), seeded by an input."""

    event: Ident = Field(
        description="The event type whose field is watched.", examples=["monitoring_visit"])
    field: Ident = Field(
        description="The event field whose lowest value is kept.", examples=["hbv_dna"])
    initial: Ident = Field(
        description="The applicant input holding the value at entry.", examples=["hbv_dna"])


class RollingWindow(Model):
    days: int = Field(
        ge=1, le=3660, description="The window's length in days, ending on the day evaluated.",
        examples=[365])


class Metric(Model):
    """A number computed from the timeline over a window."""

    count: CountMetric | None = Field(
        None, description="The number of events of a type (optionally those meeting a condition).",
        examples=[{"event": "monitoring_visit"}])
    pdc: PdcMetric | None = Field(
        None, description="Proportion of days covered by refills, in percent.",
        examples=[{"event": "antiviral_refill", "days_field": "days_supply"}])
    on_time: OnTimeMetric | None = Field(
        None, description="The number of visits made on time.",
        examples=[{"event": "monitoring_visit", "every_months": 6, "tolerance_months": 1}])
    consecutive_years: ConsecutiveMetric | None = Field(
        None, description="Adherent policy years in a row of a programme.",
        examples=[{"programme": "adherent_year"}])
    lowest: LowestMetric | None = Field(
        None, description="The lowest value of an event field so far, seeded by an input.",
        examples=[{"event": "monitoring_visit", "field": "hbv_dna", "initial": "hbv_dna"}])
    parts: PartsMetric | None = Field(
        None, description="How many quarters or halves of the policy year so far met a "
        "threshold on another metric ('PDC at least 0.80 in each half').",
        examples=[{"of": "half", "metric": "antiviral_pdc", "at_least": 0.8}])
    window: Literal["policy_year", "all", "quarter", "half"] | RollingWindow = Field(
        "policy_year", description="What the metric looks at when measured on a day: the "
        "policy year so far, 'all' the events since cover began, 'quarter' or 'half' the part "
        "of the policy year so far (counted from the policy start), or {days: N} the last N "
        "days.", examples=["policy_year", "quarter", {"days": 365}])
    label: Text | None = Field(
        None, description="A short name for reports.", examples=["Antiviral adherence"])
    description: Text | None = Field(
        None, description="What the metric measures.",
        examples=["Share of days with antiviral medicine at hand."])

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

    target: Literal["sum_insured", "limits", "premium_discount"] = Field(
        description="What an adherent year raises: sum_insured, limits or premium_discount.",
        examples=["sum_insured"])
    limits: list[Ident] = Field(
        default_factory=list,
        description="The named limits raised, when target is limits (ids under coverage.limits).",
        examples=[["checkup_costs"]])
    step_percent: NumberRef = Field(
        description="The rise per adherent year, in percent (a number or a parameter name).",
        examples=["bonus_step_percent"])
    cap_percent: NumberRef = Field(
        description="The most the rises can add up to, in percent (a number or a parameter name).",
        examples=["bonus_cap_percent"])
    on_miss: Literal["freeze", "reset"] = Field(
        description=("What a year that is not adherent does: freeze (keep the bonus) or reset "
                     "(lose it)."),
        examples=["freeze"])
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

    id: Ident = Field(
        description="A stable name for the programme (its rule is adherence.ID).",
        examples=["adherent_year"])
    name: Text = Field(
        description="The programme's name as the policy prints it.",
        examples=["Keeping up with your care"])
    when: Condition | None = Field(
        None,
        description=("The condition on the year's metrics under which a policy year is "
                     "adherent (give this or same_as)."),
        examples=["antiviral_pdc >= 80 and monitoring_on_time >= 2"])
    same_as: Ident | None = Field(
        None, description="Another programme whose condition decides this one's years too: "
        "one adherent year drives both rewards (a sum-insured bonus and a premium discount) "
        "without the condition written twice.", examples=["treatment_adherence"])
    change: CoverageChange | None = Field(
        None,
        description="How an adherent year changes cover; none when the programme only "
                          "removes a loading (see eligibility removed_by).",
        examples=[{"target": "sum_insured", "step_percent": 5, "cap_percent": 25,
                   "on_miss": "freeze"}])
    text: Text = Field(
        description="The programme in plain words, as the policy prints it.",
        examples=["Each year you keep up your check-ups, your cover goes up."])

    @model_validator(mode="after")
    def _condition(self) -> Programme:
        if (self.when is None) == (self.same_as is None):
            raise ValueError("give exactly one of 'when' or 'same_as'")
        return self


class Limits(Model):
    per_claim: NumberRef | None = Field(
        None, description="The most paid for one claim (a number or a parameter name).",
        examples=[5000])
    per_year: NumberRef | None = Field(
        None, description="The most paid in a policy year (a number or a parameter name).",
        examples=[20000])
    per_year_days: NumberRef | None = Field(
        None,
        description=("The most days paid in a policy year, with per_day (a number or a parameter "
                     "name)."),
        examples=[30])
    lifetime: NumberRef | None = Field(
        None,
        description="The most paid over the life of the policy (a number or a parameter name).",
        examples=[100000])
    per_year_percent_of_sum_insured: NumberRef | None = Field(
        None,
        description="A yearly total capped at this share of the current sum insured, in percent.",
        examples=[10])
    shared: Ident | None = Field(
        None, description="A named limit in coverage.limits that this benefit shares with others.",
        examples=["exacerbation_hospital"])


class Frequency(Model):
    per_policy_year: NumberRef | None = Field(
        None, description="The most claims paid in a policy year (a number or a parameter name).",
        examples=[2])
    lifetime: NumberRef | None = Field(
        None,
        description=("The most claims paid over the life of the policy (a number or a parameter "
                     "name)."),
        examples=[1])


class Benefit(Model):
    """What is paid for a claim event."""

    id: Ident = Field(
        description="A stable name for the benefit (its rule is benefit.ID).",
        examples=["liver_cancer"])
    name: Text = Field(
        description="The benefit's name as the policy prints it.",
        examples=["Liver cancer benefit"])
    event: Ident = Field(
        description="The claim event type this benefit pays for.",
        examples=["liver_cancer_diagnosis"])
    when: Condition | None = Field(
        None, description="Pay only when this condition on the claim (and the applicant) holds.",
        examples=["claim.confirmed_by_biopsy"])
    pays: Pays = Field(
        description=("How the amount is computed: percent_of_sum_insured, amount, per_day or "
                     "expenses_field."),
        examples=[{"percent_of_sum_insured": 100}])
    limits: Limits = Field(
        default_factory=Limits,
        description="Caps on what the benefit pays, per claim, per year or for life.",
        examples=[{"per_year": 20000}])
    frequency: Frequency = Field(
        default_factory=Frequency, description="Caps on how many claims are paid.",
        examples=[{"per_policy_year": 1}])
    waiting_period_days: NumberRef = Field(
        0,
        description=("Days from the policy start before a claim can be paid (a number or a "
                     "parameter name)."),
        examples=[90])
    text: Text = Field(
        description="The benefit in plain words, as the policy prints it.",
        examples=["We pay the sum insured if you are diagnosed with liver cancer."])


class Exclusion(Model):
    """When a claim is not paid."""

    id: Ident = Field(
        description="A stable name for the exclusion (its rule is exclusion.ID).",
        examples=["alcohol"])
    name: Text = Field(
        description="The exclusion's name as the policy prints it.", examples=["Alcohol or drugs"])
    when: Condition | None = Field(
        None,
        description=("The condition on the claim under which it is not paid (always, when left "
                     "out)."),
        examples=["claim.alcohol_related"])
    applies_to: list[Ident] | None = Field(
        None, description="The benefits it applies to (benefit ids); all when left out.",
        examples=[["liver_cancer"]])
    added_by_underwriting: bool = Field(
        False, description="Applies only once an eligibility rule or a check-up adds it.",
        examples=[False])
    text: Text = Field(
        description="The exclusion in plain words, as the policy prints it.",
        examples=["We do not pay for harm caused by alcohol or drugs."])
    lapses_after_months: NumberRef | None = Field(
        None, description="An added exclusion lapses this many months after the day it was "
                          "added (the finding's date; a later finding starts it again). It "
                          "applies up to and including the day before that date comes round; "
                          "the policy states both days. Only with added_by_underwriting.",
        examples=[12, "lung_exclusion_months"])

    @model_validator(mode="after")
    def _lapses(self) -> Exclusion:
        if self.lapses_after_months is not None and not self.added_by_underwriting:
            raise ValueError("'lapses_after_months' needs added_by_underwriting: true (it runs "
                             "from the day a rule adds the exclusion)")
        return self


