"""Issue 13 part A: lapsing exclusions, the yearly deductible and shares by network, check-ups
set off by any of several events, and late check-up results - the engine against a direct
computation of each (Hypothesis), the choice of late results both ways, the wording."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import case_from_data, compile_product, evaluate, load, loads
from configurator.cases.calendar import ONE_DAY, add_months, year_number
from configurator.cases.outcome import money
from configurator.compliance.diff import diff
from configurator.conditions import compile_fn
from configurator.document.policy import build_policy
from configurator.engine.evaluate import _Evaluation
from configurator.engine.plan import plan_for

from .paths import PRODUCTS_DIR
from .test_properties import fired_by_engine

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

COPD_PERSON = {"age": 58, "fev1_fvc": 0.62, "spirometry_months_ago": 3, "fev1_percent": 85,
               "mmrc": 1, "smoking_status": "former", "exacerbations_12m": 0,
               "exacerbation_admissions_12m": 0, "resting_sao2": 94}
NODULE = {"type": "checkup_visit", "systolic_bp": 134, "diastolic_bp": 82, "bmi": 23.0,
          "hba1c": 5.9, "ldl_cholesterol": 3.0, "alt": 25, "egfr": 75, "ecg": "normal",
          "lung_nodule_mm": 9.5, "gait_speed": 1.2, "cognitive_score": 5, "frailty_score": 0}


@pytest.fixture(scope="module")
def senior():
    product = load(PRODUCTS_DIR / "senior_checkup.yaml")
    return product, compile_product(product)


@pytest.fixture(scope="module")
def copd():
    product = load(PRODUCTS_DIR / "copd.yaml")
    return product, compile_product(product)


def changed(product, edit) -> object:
    """A copy of a bundled product with `edit(data)` applied to its YAML data."""
    data = copy.deepcopy(product.source.data)
    edit(data)
    return loads(json.dumps(data, default=str), "changed.yaml")


# ------------------------------------------------------------ lapsing exclusions


@given(found=st.dates(dt.date(2026, 3, 2), dt.date(2026, 5, 30)),
       offset=st.integers(-3, 3), month_end=st.booleans())
@SETTINGS
def test_a_lapsing_exclusion_refuses_claims_exactly_up_to_its_last_day(senior, found, offset,
                                                                         month_end):
    """Engine == direct computation: refused on and before add_months(found, 12) - 1 day,
    paid from add_months(found, 12) on (claims near the boundary, month ends included)."""
    product, compiled = senior
    if month_end:
        found = dt.date(2026, 3, 31) if found.month == 3 else dt.date(2026, 5, 30)
    lapses = add_months(found, 12)
    claim = lapses + dt.timedelta(days=offset)
    case = {"policy": {"start": "2026-03-01"}, "as_of": claim.isoformat(),
            "applicant": {"age": 69},
            "events": [{**NODULE, "date": found.isoformat()},
                       {"date": claim.isoformat(), "type": "hospital_stay", "expenses": 35000,
                        "organ": "lung"}]}
    outcome = evaluate(compiled, case_from_data(case, product))
    (paid,) = [c for c in outcome.claims if c.benefit == "inpatient_medical"]
    excluded = claim <= lapses - ONE_DAY
    assert (paid.status == "declined") == excluded
    assert ("exclusion.lung_illness" in {r.rule for r in paid.reasons}) == excluded
    listed = {x.id: x for x in outcome.exclusions}
    assert ("lung_illness" in listed) == excluded
    if excluded:
        assert listed["lung_illness"].since == found
        assert listed["lung_illness"].until == lapses - ONE_DAY


def test_a_later_finding_starts_the_exclusion_again(senior):
    product, compiled = senior
    renewal_visit = {**NODULE, "date": "2027-03-20"}
    case = {"policy": {"start": "2026-03-01"}, "as_of": "2027-12-31", "applicant": {"age": 69},
            "events": [{**NODULE, "date": "2026-05-31"}, renewal_visit]}
    outcome = evaluate(compiled, case_from_data(case, product))
    (lung,) = [x for x in outcome.exclusions if x.id == "lung_illness"]
    # the first visit is late (missed), so the check-up is offered again at renewal
    assert (lung.since, lung.until) == (dt.date(2027, 3, 20), dt.date(2028, 3, 19))


# ------------------------------------------------------------ deductible and network


@st.composite
def bills(draw) -> list[dict]:
    days = draw(st.lists(st.integers(0, 729), min_size=1, max_size=8, unique=True))
    return [{"date": (dt.date(2026, 1, 1) + dt.timedelta(days=d)).isoformat(),
             "type": "hospital_stay", "hospital_days": 0,
             "costs": draw(st.sampled_from([0, 1, 999, 1000, 1001, 2500, 31000])),
             "network": draw(st.sampled_from(["in_network", "out_of_network"]))}
            for d in sorted(days)]


@given(events=bills())
@SETTINGS
def test_yearly_deductible_and_network_share_match_a_direct_computation(copd, events):
    """Engine == a hand model of copd's hospital bills: 60-day waiting period (no deductible
    used), RMB 1,000 deductible per policy year in date order, 80% / 60% by network, the
    RMB 30,000 yearly limit."""
    product, compiled = copd
    case = {"policy": {"start": "2026-01-01"}, "as_of": "2027-12-31",
            "applicant": COPD_PERSON, "events": events}
    outcome = evaluate(compiled, case_from_data(case, product))
    claims = [c for c in outcome.claims if c.benefit == "hospital_costs"]
    assert len(claims) == len(events)
    left: dict[int, Decimal] = {}
    used: dict[int, Decimal] = {}
    start = dt.date(2026, 1, 1)
    for bill, claim in zip(events, claims, strict=True):
        day = dt.date.fromisoformat(bill["date"])
        if (day - start).days < 60:
            assert claim.status == "declined" and claim.payable == 0
            continue
        year = year_number(start, day)
        room = left.setdefault(year, Decimal(1000))
        taken = min(room, Decimal(bill["costs"]))
        left[year] = room - taken
        share = 80 if bill["network"] == "in_network" else 60
        claimed = money((Decimal(bill["costs"]) - taken) * share / 100)
        assert claim.claimed == claimed, (bill, claim)
        payable = min(claimed, Decimal(30000) - used.get(year, Decimal(0)))
        used[year] = used.get(year, Decimal(0)) + payable
        assert claim.payable == payable


# ------------------------------------------------------------ any of several events


@given(data=st.data())
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_triggers_by_any_of_several_events(copd, data):
    """A trigger with `on_any` fires on each of its event types exactly when its condition
    holds, and on no other event type."""
    product, compiled = copd
    plan = plan_for(compiled)
    case = case_from_data({"policy": {"start": "2026-01-01"}, "as_of": "2026-01-01",
                           "applicant": COPD_PERSON}, product)
    run = _Evaluation(plan, case, False, "en")
    kind = data.draw(st.sampled_from(sorted(product.events)))
    env = dict(run.env)
    for name in plan.fact_names["event"]:
        if name in product.metrics:
            env[name] = data.draw(st.integers(0, 4))
    fired = fired_by_engine(plan, "event", run.fact("event", env, {"_type": kind}))
    constants = plan.periods[0].constants
    expected = {f"trigger.{c.id}" for c in product.checkups
                if kind in (c.trigger.on_any or [c.trigger.on]) and c.trigger.when
                and compile_fn(c.trigger.when.node, constants)(env)}
    assert fired == expected


def test_either_event_sets_the_review_off(copd):
    product, compiled = copd
    for first in ("exacerbation", "hospital_stay"):
        events = [{"date": "2026-02-01", "type": "exacerbation", "setting": "inpatient"},
                  {"date": "2026-03-01", "type": "case_management_visit", "cat_score": 10,
                   "sao2": 94},
                  {"date": "2026-06-01", "type": first, **(
                      {"setting": "outpatient"} if first == "exacerbation" else {})}]
        case = {"policy": {"start": "2026-01-01"}, "as_of": "2026-06-02",
                "applicant": COPD_PERSON, "events": events}
        outcome = evaluate(compiled, case_from_data(case, product))
        reviews = [c for c in outcome.checkups if c.id == "case_management_review"]
        assert [c.due for c in reviews] == [dt.date(2026, 3, 3), dt.date(2026, 7, 1)], first


# ------------------------------------------------------------ late results


@pytest.mark.parametrize("choice", ["apply", "ignore"])
def test_late_results_apply_or_not_as_the_product_says(senior, choice):
    product, _ = senior

    def edit(data):
        data["checkups"][0]["late_results"] = choice

    variant = changed(product, edit)
    compiled = compile_product(variant)
    on_time, late = dt.date(2026, 5, 30), dt.date(2026, 5, 31)  # last day; the day after
    for day in (on_time, late):
        case = {"policy": {"start": "2026-03-01"}, "as_of": "2026-06-30",
                "applicant": {"age": 69}, "events": [{**NODULE, "date": day.isoformat()}]}
        outcome = evaluate(compiled, case_from_data(case, variant), locale="zh-CN")
        excluded = "lung_illness" in {x.id for x in outcome.exclusions}
        assert excluded == (day == on_time or choice == "apply")
        ignored = any("不予适用" in note for note in outcome.notes)
        assert ignored == (day == late and choice == "ignore")
    for locale, words in (("en", "after its deadline"), ("zh-CN", "截止日期")):
        policy = build_policy(variant, locale)
        text = json.dumps(policy, default=lambda o: getattr(o, "__dict__", str(o)),
                          ensure_ascii=False)
        assert words in text


def test_the_lapse_and_both_of_its_days_are_stated_in_both_languages(senior):
    product, _ = senior
    for locale, words in (("en", ["It lasts 12 months", "up to and including",
                                  "no longer applies"]),
                          ("zh-CN", ["12个月内有效", "含当日", "不再适用"])):
        policy = build_policy(product, locale)
        text = json.dumps(policy, default=lambda o: getattr(o, "__dict__", str(o)),
                          ensure_ascii=False)
        for fragment in words:
            assert fragment in text, (locale, fragment)


# ------------------------------------------------------------ diff


@pytest.mark.parametrize("months, kind, effect", [
    (6, "exclusion_shortened", "favourable"), (None, "exclusion_lengthened", "unfavourable")])
def test_diff_judges_how_long_an_exclusion_lasts(senior, months, kind, effect):
    product, _ = senior

    def edit(data):
        lung = next(x for x in data["exclusions"] if x["id"] == "lung_illness")
        if months is None:
            del lung["lapses_after_months"]
            lung["text"] = {"en": "We do not pay for illness of the lungs.",
                            "zh-CN": "对肺部疾病，我们不承担保险责任。"}
        else:
            lung["lapses_after_months"] = months

    found = [(c.kind, c.effect, c.subject) for c in diff(product, changed(product, edit)).changes]
    assert (kind, effect, "exclusion.lung_illness") in found


def test_diff_judges_the_events_that_set_a_check_up_off(copd):
    product, _ = copd

    def edit(data):
        review = next(c for c in data["checkups"] if c["id"] == "case_management_review")
        review["trigger"]["on_any"] = ["exacerbation", "hospital_stay", "home_oxygen_claim"]

    found = [(c.kind, c.effect) for c in diff(product, changed(product, edit)).changes
             if c.subject == "checkup.case_management_review"]
    assert found == [("checkup_trigger_changed", "unfavourable")]
    found = [(c.kind, c.effect) for c in diff(changed(product, edit), product).changes
             if c.subject == "checkup.case_management_review"]
    assert found == [("checkup_trigger_changed", "favourable")]
