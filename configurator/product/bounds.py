"""The sign and range each numeric field of a product needs, whoever writes the number.

A `NumberRef` field holds a number or names a parameter; either way the value
must make sense for what the field means: money and limits are never
negative, a sum insured is more than nothing, a ratio is a share of 100, a
period is a whole number of days or months (a monitoring interval at least one
month). `BOUNDS` says it once per field; the check applies it to the literal,
or to every dated value of the parameter named, pointing at that parameter.
A test insists every `NumberRef` field of the format has its bound here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..limits import MAX_DAYS, MAX_MONTHS, MAX_NUMBER, show_number


@dataclass(frozen=True)
class Bound:
    """What a field's number means, and the values that meaning allows."""

    what: str
    lo: float = 0
    hi: float = MAX_NUMBER
    whole: bool = False
    above: bool = False  # strictly more than `lo` (a sum insured of 0 insures nothing)

    def problem(self, value: float) -> str | None:
        """Why `value` cannot be this field's number, or None."""
        low_ok = value > self.lo if self.above else value >= self.lo
        if low_ok and value <= self.hi and (not self.whole or float(value).is_integer()):
            return None
        return f"{show_number(value)} is not allowed as {self.what}, which must be {self.allowed}"

    @property
    def allowed(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        low = f"more than {_num(self.lo)}" if self.above else f"at least {_num(self.lo)}"
        if self.hi >= MAX_NUMBER:
            return f"{kind} {low}"
        return f"{kind} {low} and at most {_num(self.hi)}"


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


MONEY = Bound("an amount of money")
SUM_INSURED = Bound("a sum insured", above=True)
SHARE = Bound("a percentage of the sum insured", 0, 100)
PAID_SHARE = Bound("a percentage of the sum insured paid", 0, 1000)
RATIO = Bound("the share of a claim paid, in percent", 0, 100)
LOADING = Bound("a premium loading in percent", 0, 1000)
REBATE = Bound("a premium rebate in percent", 0, 100)
STEP = Bound("an adherence step in percent", 0, 1000)
CAP = Bound("an adherence cap in percent", 0, 1000)
AGE = Bound("an age in years", 0, 150)
DAYS = Bound("a number of days", 0, MAX_DAYS, whole=True)
COUNT = Bound("a number of claims or days", 0, 1_000_000, whole=True)
EVERY = Bound("an interval in months", 1, MAX_MONTHS, whole=True)
MONTHS = Bound("a number of months", 0, MAX_MONTHS, whole=True)
LAPSE = Bound("the months an added exclusion lasts", 1, MAX_MONTHS, whole=True)
PART_LEAST = Bound("the least value a quarter or half needs", 0, above=True)
IN_A_ROW = Bound("a number of check-ups missed in a row", 1, 100, whole=True)

# (model class name, field) -> bound; subclasses (ResultRule is an Effect) find their base's
BOUNDS: dict[tuple[str, str], Bound] = {
    ("Term", "renewal_max_age"): AGE,
    ("CoverageTerms", "sum_insured"): SUM_INSURED,
    ("Tier", "percent"): SHARE,
    ("NamedLimit", "amount"): MONEY,
    ("EligibilityRule", "percent"): LOADING,
    ("Effect", "loading"): LOADING,
    ("Effect", "premium_rebate_percent"): REBATE,
    ("Trigger", "every_months"): EVERY,
    ("Checkup", "due_days"): DAYS,
    ("Checkup", "window_days"): DAYS,
    ("Checkup", "extension_days"): DAYS,
    ("Checkup", "missed_in_a_row"): IN_A_ROW,
    ("Premium", "discount_cap_percent"): REBATE,
    ("OnTimeMetric", "every_months"): EVERY,
    ("PartsMetric", "at_least"): PART_LEAST,
    ("OnTimeMetric", "tolerance_months"): MONTHS,
    ("CoverageChange", "step_percent"): STEP,
    ("CoverageChange", "cap_percent"): CAP,
    ("Pays", "percent_of_sum_insured"): PAID_SHARE,
    ("Pays", "amount"): MONEY,
    ("Pays", "per_day"): MONEY,
    ("Pays", "ratio_percent"): RATIO,
    ("Pays", "deductible"): MONEY,
    ("Limits", "per_claim"): MONEY,
    ("Limits", "per_year"): MONEY,
    ("Limits", "per_year_days"): COUNT,
    ("Limits", "lifetime"): MONEY,
    ("Limits", "per_year_percent_of_sum_insured"): PAID_SHARE,
    ("Frequency", "per_policy_year"): COUNT,
    ("Frequency", "lifetime"): COUNT,
    ("Benefit", "waiting_period_days"): DAYS,
    ("Pays", "yearly_deductible"): MONEY,
    ("Exclusion", "lapses_after_months"): LAPSE,
}


def bound_of(model: type, field: str) -> Bound:
    """The bound of `model.field` (looked up along the model's bases)."""
    for cls in model.__mro__:
        found = BOUNDS.get((cls.__name__, field))
        if found is not None:
            return found
    raise KeyError(f"no bound for {model.__name__}.{field}; add it to product.bounds.BOUNDS")
