"""Properties over random inputs and whole random timelines, for every bundled product."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import ConfigError, case_from_data, compile_product, evaluate, load, loads
from configurator.cases.calendar import add_months, add_years, year_number
from configurator.conditions import compile_fn
from configurator.engine import durable
from configurator.engine.evaluate import _Evaluation
from configurator.engine.plan import plan_for
from configurator.product.source import load_file
from configurator.runs.demo import example_cases

from .paths import PRODUCT_FILES, ROOT
from .strategies import applicant, case_data, event

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", params=PRODUCT_FILES, ids=lambda p: p.stem)
def bundle(request):
    product = load(request.param)
    compiled = compile_product(product)
    people = []
    for path in example_cases(request.param):
        data = load_file(path).data
        if evaluate(compiled, case_from_data(data, product)).decision == "accept":
            people.append(data["applicant"])
    return product, compiled, people


# ------------------------------------------------------------ engine == direct evaluator

SINGLE_FACT_KINDS = {"eligibility", "trigger", "result"}


def fired_by_engine(plan, kind: str, fact: dict) -> set[str]:
    fired: set[str] = set()
    with durable.Sessions(lambda rule, action: fired.add(rule)) as sessions:
        for handle in plan.periods[0].route.get(kind, ()):
            sessions.get(handle).assert_facts([dict(fact)])
    return {r for r in fired if plan.rules.get(r) and plan.rules[r].kind in SINGLE_FACT_KINDS}


def expected_by_direct(plan, kind: str, env: dict, scope: dict) -> set[str]:
    constants = plan.periods[0].constants
    expected = set()
    for rule_id, info in plan.rules.items():
        if info.fact != kind or info.kind not in SINGLE_FACT_KINDS:
            continue
        if kind == "visit" and _scoped_checkup(plan, info) != scope.get("_checkup"):
            continue
        if compile_fn(info.condition.node, constants)(env):
            expected.add(rule_id)
    return expected


def _scoped_checkup(plan, info) -> str:
    if info.kind == "result":
        return info.owner
    return plan.checkups[info.owner].trigger.on


@given(data=st.data())
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_applicants(bundle, data):
    """Every eligibility rule and at-issue trigger: durable-rules == the direct evaluator."""
    product, compiled, _ = bundle
    plan = plan_for(compiled)
    person = data.draw(applicant(product))
    case = case_from_data({"policy": {"start": product.effective_from.isoformat()},
                           "as_of": product.effective_from.isoformat(),
                           "applicant": person}, product)
    run = _Evaluation(plan, case, False, "en")
    fact = run.fact("applicant", run.env)
    assert fired_by_engine(plan, "applicant", fact) == expected_by_direct(
        plan, "applicant", run.env, {})


@st.composite
def parameter_values(draw, product) -> dict[str, object]:
    """Numeric parameters moved to other finite values: zero, negative, tiny, huge, nearby.

    Whatever the product check accepts must decide the same in durable-rules as in
    the direct evaluator; whatever would make them differ (a divisor of zero, a
    value the engine cannot read) must be refused when the product loads.
    """
    moved = {}
    for name, parameter in product.parameters.items():
        value = parameter.value
        if parameter.values is not None or isinstance(value, bool) or not isinstance(
                value, (int, float)) or not draw(st.booleans()):
            continue
        moved[name] = draw(st.sampled_from([0, -value, value / 1000, value * 1000, 1e15,
                                            -1e-9, value + 1, value - 1]))
    return moved


LEAP_DAYS = st.integers(1904, 2196).filter(lambda y: y % 4 == 0 and y % 100 != 0
                                           ).map(lambda y: dt.date(y, 2, 29))


@given(start=st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)) | LEAP_DAYS,
       offset=st.integers(-800, 20_000))
@settings(max_examples=2_000, deadline=None, derandomize=True)
def test_a_days_policy_year_counts_the_renewals_up_to_it(start, offset):
    """year_number is one more than the renewal dates (`add_years`) on or before the day -
    1 before the start; a 29 February start renews on 28 February in common years."""
    day = start + dt.timedelta(days=offset)
    renewals = sum(1 for n in range(1, day.year - start.year + 3)
                   if add_years(start, n) <= day)
    assert year_number(start, day) == 1 + renewals


@given(data=st.data())
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_engine_and_direct_evaluator_agree_over_parameters_and_inputs(bundle, data):
    """Parameters drawn as well as inputs: a product the check accepts never decides one
    way in durable-rules and another in the direct evaluator (and never hands the engine
    a value it cannot read)."""
    product = bundle[0]
    source = copy.deepcopy(product.source.data)
    moved = data.draw(parameter_values(product))
    for name, value in moved.items():
        source["parameters"][name] = (value if not isinstance(source["parameters"][name], dict)
                                      else {**source["parameters"][name], "value": value})
    try:
        changed = loads(json.dumps(source, default=str), "moved.yaml")
        plan = plan_for(compile_product(changed))
    except ConfigError:
        return  # refused at load or compile: the right answer for a product that cannot work
    for _ in range(3):
        person = data.draw(applicant(changed))
        case = case_from_data({"policy": {"start": changed.effective_from.isoformat()},
                               "as_of": changed.effective_from.isoformat(),
                               "applicant": person}, changed)
        run = _Evaluation(plan, case, False, "en")
        fact = run.fact("applicant", run.env)
        assert fired_by_engine(plan, "applicant", fact) == expected_by_direct(
            plan, "applicant", run.env, {}), moved


@given(data=st.data())
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_checkup_results(bundle, data):
    """Every check-up result rule and check-up-triggered rule on random visit results."""
    product, compiled, people = bundle
    plan = plan_for(compiled)
    checkups = [c for c in product.checkups if c.results or any(
        o.trigger.on == c.id for o in product.checkups)]
    if not checkups or not people:
        return
    checkup = data.draw(st.sampled_from(checkups))
    person = data.draw(st.sampled_from(people))
    case = case_from_data({"policy": {"start": product.effective_from.isoformat()},
                           "as_of": product.effective_from.isoformat(),
                           "applicant": person}, product)
    run = _Evaluation(plan, case, False, "en")
    visit = data.draw(event(product, product.effective_from, product.effective_from,
                            [checkup.event]))
    fields = {k: v for k, v in visit.items() if k not in ("date", "type")}
    env = {**run.env, **fields}
    for name in plan.fact_names["visit"]:
        if name in product.metrics:
            env[name] = data.draw(value_for_metric())
    fact = run.fact("visit", env, {"_checkup": checkup.id})
    assert fired_by_engine(plan, "visit", fact) == expected_by_direct(
        plan, "visit", env, {"_checkup": checkup.id})


def value_for_metric():
    return st.one_of(st.integers(0, 12), st.floats(0, 1, allow_nan=False))


# ------------------------------------------------------------ order independence


def shuffled_same_day(data: dict, seed: int) -> dict:
    """The same case with its events written in another order (dates unchanged)."""
    events = list(data.get("events", []))
    random.Random(seed).shuffle(events)
    return {**data, "events": events}


@given(seed=st.integers(0, 10**6), data=st.data())
@SETTINGS
def test_outcome_ignores_the_order_events_are_written_in(bundle, seed, data):
    product, compiled, people = bundle
    people_strategy = st.sampled_from(people) if people else None
    case = data.draw(case_data(product, max_years=2, max_events=20, people=people_strategy,
                               tie_days=4))
    first = evaluate(compiled, case_from_data(case, product)).to_json()
    second = evaluate(compiled, case_from_data(shuffled_same_day(case, seed), product)).to_json()
    assert first == second


@pytest.mark.parametrize("path", [p for f in PRODUCT_FILES for p in example_cases(f)],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_cases_survive_serialisation_and_reordering(path):
    product = load(path.parent.with_suffix(".yaml"))
    compiled = compile_product(product)
    data = load_file(path).data
    case = case_from_data(data, product)
    expected = evaluate(compiled, case).to_json()
    assert evaluate(compiled, case_from_data(case.to_data(), product)).to_json() == expected
    for seed in range(3):
        reordered = case_from_data(shuffled_same_day(data, seed), product)
        assert evaluate(compiled, reordered).to_json() == expected


# ------------------------------------------------------------ caps and limits


def number(product, value, constants) -> Decimal:
    return Decimal(str(constants[value] if isinstance(value, str) else value))


@given(data=st.data())
@SETTINGS
def test_no_cap_or_limit_is_ever_exceeded(bundle, data):
    product, compiled, people = bundle
    if not people:
        return
    case = data.draw(case_data(product, max_years=4, max_events=30,
                               people=st.sampled_from(people)))
    outcome = evaluate(compiled, case_from_data(case, product))
    constants = compiled.periods[0].parameters
    for programme in outcome.adherence:
        assert 0 <= programme.bonus_percent <= programme.cap_percent
    cover = product.coverage
    biggest_tier = max([number(product, t.percent, constants) for t in cover.tiers.values()]
                       or [Decimal(100)])
    si_cap = sum((number(product, p.change.cap_percent, constants) for p in product.adherence
                  if p.change is not None and p.change.target == "sum_insured"), Decimal(0))
    ceiling = number(product, cover.sum_insured, constants) * biggest_tier / 100 * (
        1 + si_cap / 100)
    assert outcome.coverage.sum_insured <= ceiling
    start = dt.date.fromisoformat(case["policy"]["start"])
    _claims_within_limits(product, outcome, constants, start)


def _claims_within_limits(product, outcome, constants, start: dt.date) -> None:
    benefits = {b.id: b for b in product.benefits}
    yearly: dict[tuple, Decimal] = defaultdict(Decimal)
    counts: dict[tuple, int] = defaultdict(int)
    lifetime: dict[str, int] = defaultdict(int)
    for claim in outcome.claims:
        assert claim.payable >= 0
        if claim.status == "declined":
            assert claim.payable == 0
        if claim.benefit is None:
            continue
        benefit = benefits[claim.benefit]
        if claim.claimed is not None:
            assert claim.payable <= claim.claimed
        limits = benefit.limits
        if limits.per_claim is not None:
            assert claim.payable <= number(product, limits.per_claim, constants)
        year = year_number(start, claim.date)
        yearly[(claim.benefit, year)] += claim.payable
        if claim.payable > 0:
            counts[(claim.benefit, year)] += 1
            lifetime[claim.benefit] += 1
        if limits.per_year is not None:
            assert yearly[(claim.benefit, year)] <= number(product, limits.per_year, constants)
        frequency = benefit.frequency
        if frequency.per_policy_year is not None:
            assert counts[(claim.benefit, year)] <= number(
                product, frequency.per_policy_year, constants)
        if frequency.lifetime is not None:
            assert lifetime[claim.benefit] <= number(product, frequency.lifetime, constants)
        waiting = [r for r in claim.reasons if r.rule.startswith(("waiting.", "exclusion."))]
        if waiting:
            assert claim.payable == 0 and claim.status == "declined"


@given(data=st.data())
@SETTINGS
def test_a_declined_applicant_has_no_cover_checkups_or_payable_claims(bundle, data):
    product, compiled, _ = bundle
    case = data.draw(case_data(product, max_years=2, max_events=10))
    outcome = evaluate(compiled, case_from_data(case, product))
    if outcome.decision != "decline":
        return
    assert not outcome.coverage.in_force and outcome.coverage.sum_insured == 0
    assert outcome.checkups == [] and outcome.exclusions == []
    assert all(c.payable == 0 for c in outcome.claims)


# ------------------------------------------------------------ adherence only helps


def adherence_only_events(product) -> dict[str, str]:
    """Event types that feed adherence metrics and nothing that could cut cover.

    Maps event type -> metric kind. Check-up visits (their results can add
    exclusions) and claim events (they use up limits) are left out.
    """
    used = " ".join(p.when for p in product.adherence)
    visit_types = {c.event for c in product.checkups}
    claim_types = {b.event for b in product.benefits}
    found = {}
    for name, metric in product.metrics.items():
        spec = metric.count or metric.pdc or metric.on_time
        if spec is None or name not in used:
            continue
        if spec.event in visit_types or spec.event in claim_types:
            continue
        found[spec.event] = metric.kind
    return found


def on_time_after_the_last(product, case, kind, extra, start, as_of):
    """The extra event moved to exactly `every_months` after the last one of its type."""
    metric = next(m for m in product.metrics.values() if m.on_time and m.on_time.event == kind)
    constants = product.parameters
    every = metric.on_time.every_months
    every = int(constants[every].value if isinstance(every, str) else every)
    dates = [dt.date.fromisoformat(e["date"]) for e in case["events"] if e["type"] == kind]
    last = max(dates) if dates else add_months(start, -every)
    day = add_months(last, every)
    if day < start or day > as_of:
        return None
    return {**extra, "date": day.isoformat()}


def cover_of(outcome) -> tuple:
    cover = outcome.coverage
    return cover.sum_insured, cover.limits, cover.premium_adjustment_percent


@given(data=st.data())
@SETTINGS
def test_an_extra_adherence_event_never_lowers_cover(bundle, data):
    product, compiled, people = bundle
    kinds = adherence_only_events(product)
    if not people or not kinds:
        return
    case = data.draw(case_data(product, max_years=3, max_events=15,
                               people=st.sampled_from(people)))
    before = evaluate(compiled, case_from_data(case, product))
    start = dt.date.fromisoformat(case["policy"]["start"])
    as_of = dt.date.fromisoformat(case["as_of"])
    kind = data.draw(st.sampled_from(sorted(kinds)))
    extra = data.draw(event(product, start, as_of, [kind]))
    if kinds[kind] == "on_time":
        extra = on_time_after_the_last(product, case, kind, extra, start, as_of)
        if extra is None:
            return
    after = evaluate(compiled, case_from_data({**case, "events": [*case["events"], extra]},
                                              product))
    if before.decision != "accept":
        assert after.decision == before.decision
        return
    si_before, limits_before, premium_before = cover_of(before)
    si_after, limits_after, premium_after = cover_of(after)
    assert si_after >= si_before
    assert all(limits_after[k] >= v for k, v in limits_before.items())
    assert premium_after <= premium_before


# ------------------------------------------------------------ issue 13: lapsing exclusions


@given(data=st.data())
@SETTINGS
def test_a_lapsing_exclusion_applies_exactly_from_its_day_to_its_last_day(bundle, data):
    """Engine == direct date arithmetic over random timelines: an added exclusion that lapses
    is listed only while it applies (since <= as_of <= add_months(since, N) - 1 day), and
    never refuses a claim after its last day (more exactness: tests/test_terms.py)."""
    product, compiled, people = bundle
    lapsing = {x.id: x for x in product.exclusions if x.lapses_after_months is not None}
    if not lapsing or not people:
        return
    case = data.draw(case_data(product, max_years=3, max_events=30,
                               people=st.sampled_from(people)))
    outcome = evaluate(compiled, case_from_data(case, product))
    constants = compiled.periods[0].parameters
    for item in outcome.exclusions:
        if item.id in lapsing:
            months = int(number(product, lapsing[item.id].lapses_after_months, constants))
            assert item.until == add_months(item.since, months) - dt.timedelta(days=1)
            assert item.since <= outcome.as_of <= item.until
    for claim in outcome.claims:
        for reason in claim.reasons:
            if reason.rule.partition(".")[2] in lapsing and reason.text[-10:][:2] == "20":
                assert claim.date <= dt.date.fromisoformat(reason.text[-10:])


# ------------------------------------------------------------ misses in a row (issue 13)


@given(data=st.data())
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_misses_in_a_row(bundle, data):
    """A missed check-up's rule fires (on an accepted policy) exactly from its
    `missed_in_a_row`-th miss in a row on, as the direct reading of the product says."""
    product, compiled, _ = bundle
    plan = plan_for(compiled)
    period = plan.periods[0]
    checkup = data.draw(st.sampled_from(product.checkups), label="checkup")
    streak = data.draw(st.integers(1, 5), label="streak")
    fired: set[str] = set()
    with durable.Sessions(lambda rule, action: fired.add(rule)) as sessions:
        for handle in period.route.get("missed", ()):
            session = sessions.get(handle)
            if handle in period.route.get("decision", ()):
                session.assert_facts([{"_kind": "decision", "_ref": 1, "_decision": "accept"}])
            session.assert_facts([{"_kind": "missed", "_ref": 2, "_checkup": checkup.id,
                                   "_streak": streak}])
    in_a_row = period.number(checkup.missed_in_a_row)
    assert (f"missed.{checkup.id}" in fired) == (streak >= in_a_row)


def test_copd_waits_for_two_yearly_lung_tests_missed_in_a_row():
    """The bundled use: one miss leaves a note and nothing else; the second in a row calls
    for the review; a test done in between starts the count again."""
    path = next(p for p in PRODUCT_FILES if p.stem == "copd")
    compiled = compile_product(load(path))
    applicant_data = {"age": 58, "fev1_fvc": 0.62, "spirometry_months_ago": 3,
                      "fev1_percent": 85, "mmrc": 1, "smoking_status": "former",
                      "exacerbations_12m": 0, "exacerbation_admissions_12m": 0,
                      "resting_sao2": 94, "post_bronchodilator_test": True}

    def run(as_of: str, events: list) -> object:
        return evaluate(compiled, {"policy": {"start": "2026-01-01"}, "as_of": as_of,
                                   "applicant": applicant_data, "events": events})

    once = run("2027-02-15", [])
    assert [r.rule for r in once.reasons] == []
    assert any("1 time(s) in a row" in note for note in once.notes)
    twice = run("2028-02-15", [])
    assert [r.rule for r in twice.reasons] == ["missed.spirometry_review"]
    reset = run("2029-02-15", [{"date": "2028-01-10", "type": "spirometry_test",
                                "fev1_percent": 83, "fev1_fvc": 0.63}])
    assert "missed.spirometry_review" not in [r.rule for r in reset.reasons]


# ------------------------------------------------------------ quarters and halves (issue 13)

WINDOWS = ROOT / "tests" / "fixtures" / "windows" / "quarters.yaml"


def _months_into(start: dt.date, day: dt.date) -> int:
    """Whole months from `start` to `day` (for starts on days 1-28: no clamping)."""
    return (day.year - start.year) * 12 + day.month - start.month - (day.day < start.day)


def _direct_halves(start: dt.date, refills: list[tuple[dt.date, int]], least: float) -> int:
    """Halves of year 1 whose days covered (supplies end to end, day by day) reach `least`."""
    covered, supply_end = set(), start
    for day, supply in sorted(refills):
        begin = max(day, supply_end)
        covered |= {begin + dt.timedelta(days=i) for i in range(supply)}
        supply_end = begin + dt.timedelta(days=supply)
    found = 0
    for half in range(2):
        first, end = add_months(start, 6 * half), add_months(start, 6 * half + 6)
        days = (end - first).days
        inside = sum(1 for d in covered if first <= d < end)
        found += round(inside / days, 4) >= least
    return found


@given(data=st.data())
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_quarters_and_halves(data):
    """'A reading in 3 of 4 quarters' and 'PDC >= 0.80 in each half', engine vs a direct
    day-by-day reading of the policy year."""
    compiled = _windows_compiled()
    start = dt.date(2026, data.draw(st.integers(1, 12)), data.draw(st.integers(1, 28)))
    offsets = data.draw(st.lists(st.integers(0, 364), max_size=6), label="tests")
    refills = data.draw(st.lists(st.tuples(st.integers(0, 364), st.integers(1, 180)),
                                 max_size=4), label="refills")
    tests = [start + dt.timedelta(days=o) for o in offsets]
    tests = [d for d in tests if d < add_months(start, 12)]
    fills = [(start + dt.timedelta(days=o), n) for o, n in refills
             if start + dt.timedelta(days=o) < add_months(start, 12)]
    events = [{"date": d.isoformat(), "type": "hba1c_test", "hba1c": 7} for d in tests]
    events += [{"date": d.isoformat(), "type": "refill", "days_supply": n} for d, n in fills]
    outcome = evaluate(compiled, {"policy": {"start": start.isoformat()},
                                  "as_of": add_months(start, 12).isoformat(),
                                  "applicant": {"age": 50}, "events": events})
    quarters = {_months_into(start, d) // 3 for d in tests}
    years = {a.id: a.years.get(1) for a in outcome.adherence}
    assert years["tests"] == (len(quarters) >= 3)
    assert years["medicine"] == (_direct_halves(start, fills, 0.8) >= 2)
    done = [c for c in outcome.checkups if c.status == "done"]
    assert len(done) == len(quarters)  # one visit completes its own quarter's check-up


_WINDOWS_COMPILED: list = []


def _windows_compiled():
    if not _WINDOWS_COMPILED:
        _WINDOWS_COMPILED.append(compile_product(load(WINDOWS)))
    return _WINDOWS_COMPILED[0]


@given(readings=st.lists(st.tuples(st.sampled_from(["monitoring_visit", "dna_test"]),
                                   st.integers(0, 363), st.sampled_from([0, 10, 19, 20, 90])),
                         max_size=6))
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_a_count_over_several_event_types(readings):
    """hepatitis_b's viral control: HBV DNA below 20 on 2 readings, at check-ups or on their
    own (issue 13: a metric over several event types)."""
    compiled = _hepatitis_b_compiled()
    start = dt.date(2026, 1, 1)
    events = [{"date": (start + dt.timedelta(days=day)).isoformat(), "type": kind,
               "hbv_dna": dna, **({"alt": 30, "afp": 3} if kind == "monitoring_visit" else {})}
              for kind, day, dna in readings]
    outcome = evaluate(compiled, {"policy": {"start": "2026-01-01"}, "as_of": "2027-01-01",
                                  "applicant": {"age": 40, "sex": "male", "hbv_status": "carrier",
                                                "hbsag_positive_months": 24, "alt": 30,
                                                "hbv_dna": 100, "afp": 3},
                                  "events": events})
    in_target = sum(1 for _, _, dna in readings if dna < 20)
    years = {a.id: a.years.get(1) for a in outcome.adherence}
    assert years["viral_control"] == (in_target >= 2)


_HEPATITIS_B: list = []


def _hepatitis_b_compiled():
    if not _HEPATITIS_B:
        _HEPATITIS_B.append(compile_product(load(next(p for p in PRODUCT_FILES
                                                      if p.stem == "hepatitis_b"))))
    return _HEPATITIS_B[0]


_TAGS: list = []
TAG_TYPES = {"lab_test": ["hba1c"], "diabetes_review": ["hba1c", "eye_exam"],
             "eye_screening": ["eye_exam"]}


@given(events=st.lists(st.tuples(st.sampled_from(sorted(TAG_TYPES)), st.integers(0, 364),
                                 st.sampled_from([6.5, 8, 8.1, 12]), st.data()), max_size=6))
@SETTINGS
def test_engine_and_direct_evaluator_agree_on_a_count_of_tagged_events(events):
    """'2 HbA1c results in target and an eye exam', counted over every event type that
    declares the tag, only the events carrying it (issue 13: metrics over tagged events)."""
    if not _TAGS:
        _TAGS.append(compile_product(load(ROOT / "tests" / "fixtures" / "tags" /
                                          "diabetes_tags.yaml")))
    start, data, drawn = dt.date(2026, 1, 1), [], []
    for kind, day, hba1c, draw in events:
        tags = draw.draw(st.lists(st.sampled_from(TAG_TYPES[kind]), unique=True), label="tags")
        fields = {"hba1c": hba1c} if kind != "eye_screening" else {"retinopathy": False}
        fields |= {"weight": 80} if kind == "diabetes_review" else {}
        data.append({"date": (start + dt.timedelta(days=day)).isoformat(), "type": kind,
                     "tags": tags, **fields})
        drawn.append((kind, set(tags), hba1c))
    outcome = evaluate(_TAGS[0], {"policy": {"start": "2026-01-01"}, "as_of": "2027-01-01",
                                  "applicant": {"age": 50}, "events": data})
    in_target = sum(1 for kind, tags, hba1c in drawn if "hba1c" in tags and hba1c <= 8)
    eye_exams = sum(1 for kind, tags, _ in drawn if "eye_exam" in tags)
    years = {a.id: a.years.get(1) for a in outcome.adherence}
    assert years["control"] == (in_target >= 2 and eye_exams >= 1)
