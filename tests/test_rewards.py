"""Rewards (issue 13): the basis of a sum-insured bonus, one condition driving several
rewards, outcome-based premium deductions with a cap on the total discount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from configurator import ConfigError, compile_product, evaluate, loads
from configurator.compliance.diff import diff

from .paths import PRODUCTS_DIR

HEPATITIS_B = PRODUCTS_DIR / "hepatitis_b.yaml"
CARRIER = {"age": 40, "sex": "male", "hbv_status": "carrier", "hbsag_positive_months": 24,
           "alt": 30, "hbv_dna": 100, "afp": 3}


def visit(day: str) -> dict:
    return {"date": day, "type": "monitoring_visit", "alt": 30, "hbv_dna": 90, "afp": 3,
            "cost": 400}


def hepatitis_b(replace: tuple[str, str] | None = None):
    text = HEPATITIS_B.read_text(encoding="utf-8")
    if replace is not None:
        assert text.count(replace[0]) == 1
        text = text.replace(*replace)
    return loads(text, str(HEPATITIS_B))


@pytest.mark.parametrize("basis, sum_insured", [("full", "120000.00"), ("tier", "110000.00")])
def test_a_bonus_on_the_full_sum_insured_is_not_cut_with_the_tier(basis, sum_insured):
    product = hepatitis_b(("      on_miss: freeze\n      basis: full\n",
                           f"      on_miss: freeze\n      basis: {basis}\n"))
    # year 1 adherent (+10% from 2027); the check-up due 2027-07-01 is missed: tier 50%
    outcome = evaluate(compile_product(product), {
        "policy": {"start": "2026-01-01"}, "as_of": "2027-10-31", "applicant": CARRIER,
        "events": [visit("2026-06-20"), visit("2026-12-20")]})
    assert outcome.coverage.tier == "reduced"
    assert outcome.coverage.sum_insured == Decimal(sum_insured)


def test_diff_judges_the_bonus_basis_for_the_insured():
    full = hepatitis_b()
    tier = hepatitis_b(("      on_miss: freeze\n      basis: full\n", "      on_miss: freeze\n"))
    change, = diff(tier, full).changes
    assert (change.kind, change.subject, change.effect) == (
        "adherence_changed", "adherence.treatment_adherence", "favourable")
    back, = diff(full, tier).changes
    assert back.effect == "unfavourable"


def test_a_full_basis_is_only_for_the_sum_insured():
    with pytest.raises(ConfigError) as info:
        hepatitis_b(("      cap_percent: cure_discount\n      on_miss: freeze\n",
                     "      cap_percent: cure_discount\n      on_miss: freeze\n"
                     "      basis: full\n"))
    assert "'basis: full' only applies to target: sum_insured" in str(info.value)


# ------------------------------------------------------------ one condition, several rewards


def year_of_visits(dna: tuple[float, float], extra: list | None = None) -> dict:
    return {"policy": {"start": "2026-01-01"}, "as_of": "2027-01-02", "applicant": CARRIER,
            "events": [{**visit("2026-06-20"), "hbv_dna": dna[0]},
                       {**visit("2026-12-20"), "hbv_dna": dna[1]}, *(extra or [])]}


def test_one_adherent_year_drives_a_bonus_and_a_discount_from_one_condition():
    product = hepatitis_b()
    shared = next(p for p in product.adherence if p.id == "adherence_discount")
    source = next(p for p in product.adherence if p.id == "treatment_adherence")
    assert shared.same_as == "treatment_adherence" and shared.when is source.when
    outcome = evaluate(compile_product(product), year_of_visits((90, 90)))
    years = {a.id: a.years for a in outcome.adherence}
    assert years["treatment_adherence"] == years["adherence_discount"] == {1: True}
    assert outcome.coverage.bonus_percent == 10
    assert outcome.coverage.premium_adjustment_percent == -5
    missed = evaluate(compile_product(product), {**year_of_visits((90, 90)), "events": []})
    assert {a.id: a.years for a in missed.adherence}["adherence_discount"] == {1: False}


def test_a_shared_condition_names_a_programme_that_exists():
    with pytest.raises(ConfigError) as info:
        hepatitis_b(("same_as: treatment_adherence", "same_as: treatment_adherance"))
    assert "'treatment_adherance' is not an adherence programme" in str(info.value)
    assert "did you mean 'treatment_adherence'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        hepatitis_b(("same_as: treatment_adherence", "same_as: adherence_discount"))
    assert "cannot share its own condition" in str(info.value)


# ------------------------------------------------------------ outcome-based rewards


@pytest.mark.parametrize("dna, adjustment", [((10, 10), -15), ((10, 90), -5), ((19, 20), -5)])
def test_a_premium_deduction_for_readings_in_target_at_k_and_k_minus_1(dna, adjustment):
    # 2 readings below the detection limit (20 IU/mL) take 10% off the next premium; the
    # adherent year takes 5% more (the shared condition)
    outcome = evaluate(compile_product(hepatitis_b()), year_of_visits(dna))
    assert outcome.coverage.premium_adjustment_percent == adjustment


@pytest.mark.parametrize("cap, adjustment", [("20", -20), ("25", -25)])
def test_the_total_discount_is_capped_and_never_touches_a_loading(cap, adjustment):
    product = hepatitis_b(("  discount_cap: {value: 20,", f"  discount_cap: {{value: {cap},"))
    cured = year_of_visits((10, 10), [{"date": "2026-10-01", "type": "hbsag_test",
                                       "hbsag_positive": False}])
    # cure 10 + adherent year 5 + viral control 10 = 25, capped at 20
    assert evaluate(compile_product(product), cured).coverage.premium_adjustment_percent == \
        adjustment
    loaded = {**cured, "applicant": {**CARRIER, "hbv_status": "big_three_positive"}}
    outcome = evaluate(compile_product(product), loaded)
    assert outcome.coverage.premium_adjustment_percent == 30 + adjustment  # 30% loading kept


# ------------------------------------------------------------ metrics over several event types


def test_diff_judges_counting_another_event_type_for_the_insured():
    both = hepatitis_b()
    one = hepatitis_b(("event: monitoring_visit, also: [dna_test], when:",
                       "event: monitoring_visit, when:"))
    change, = diff(one, both).changes
    assert (change.kind, change.subject, change.effect) == (
        "metric_changed", "metric.dna_in_target", "favourable")
