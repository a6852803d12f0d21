"""Remembered firings (`engine.memo`) hand on exactly what the engine itself fires.

Each property runs the same facts twice: once with the memo off (every fact asserted into
durable-rules) and once with it on (most facts answered from the memo), and compares every
firing - rule, and the `_ref` of the fact each alias matched - fact by fact.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import case_from_data, compile_product, evaluate, load
from configurator.engine import durable
from configurator.engine.memo import Memo, _analyse
from configurator.engine.plan import plan_for
from configurator.errors import EngineError
from configurator.product.source import load_file
from configurator.runs.demo import example_cases

from .paths import PRODUCT_FILES

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", params=PRODUCT_FILES, ids=lambda p: p.stem)
def bundle(request):
    product = load(request.param)
    compiled = compile_product(product)
    return request.param, product, compiled, plan_for(compiled)


@pytest.fixture(autouse=True)
def memo_back_on():
    yield
    durable.remember(True)


def run(plan, facts: list[dict], remember: bool) -> list[list[tuple[str, dict]]]:
    """Assert `facts` (copies) into the first period's rulesets: what fired, fact by fact."""
    durable.remember(remember)
    out: list[list[tuple[str, dict]]] = []
    with durable.Sessions(lambda rule, matched: out[-1].append((rule, matched))) as sessions:
        for fact in facts:
            out.append([])
            for handle in plan.periods[0].route.get(fact["_kind"], ()):
                sessions.get(handle).assert_fact(copy.deepcopy(fact))
    durable.remember(True)
    return out


def comparisons(plan) -> dict[str, dict[str, list]]:
    """Per fact kind, every constant each attribute is compared with (over all rulesets)."""
    found: dict[str, dict[str, list]] = {}
    for ruleset in plan.compiled.periods[0].rulesets:
        leaves, _ = _analyse(ruleset.rules)
        for kind, names in leaves.items():
            for name, pairs in names.items():
                found.setdefault(kind, {}).setdefault(name, []).extend(c for _, c in pairs)
    return found


def value_near(constants: list) -> st.SearchStrategy:
    """A constant, a number just either side of one, or some other plain value."""
    numbers = [c for c in constants if type(c) in (int, float)]
    near = [st.sampled_from(constants)] if constants else []
    if numbers:
        near.append(st.sampled_from(numbers).flatmap(
            lambda c: st.sampled_from([c - 1, c - 0.5, c - 1e-9, c + 1e-9, c + 0.5, c + 1])))
    return st.one_of(*near, st.booleans(), st.integers(-1000, 1000),
                     st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(
                         ["", "a", 'quote"d', "back\\slash", "accept", "refer", "男"]))


@st.composite
def facts(draw, plan) -> list[dict]:
    """A short run of facts of the kinds the product's rulesets read, values near thresholds."""
    compared = comparisons(plan)
    kinds = sorted(k for k in compared if k in plan.fact_names)
    out = []
    for ref in range(1, draw(st.integers(1, 8)) + 1):
        kind = draw(st.sampled_from(kinds), label="kind")
        fact = {"_kind": kind, "_ref": ref}
        for name, constants in sorted(compared[kind].items()):
            if name != "_kind" and draw(st.integers(0, 9), label=f"has {name}") > 0:
                fact[name] = draw(value_near(constants), label=name)
        out.append(fact)
    return out


@SETTINGS
@given(data=st.data())
def test_the_memo_fires_what_the_engine_fires(bundle, data):
    """Random facts near every threshold (joins with decision facts included)."""
    _, _, _, plan = bundle
    drawn = data.draw(facts(plan))
    engine = run(plan, drawn, remember=False)
    assert run(plan, drawn, remember=True) == engine
    assert run(plan, drawn, remember=True) == engine  # now answered from the memo


def test_whole_cases_decide_the_same_with_and_without_the_memo(bundle):
    """Every example case and suite case of every product: the same Outcome bytes."""
    path, product, compiled, _ = bundle
    cases = [case_from_data(load_file(p).data, product) for p in example_cases(path)]
    durable.remember(False)
    before = [evaluate(compiled, case, explain=True).dumps() for case in cases]
    durable.remember(True)
    assert [evaluate(compiled, case, explain=True).dumps() for case in cases] == before
    assert [evaluate(compiled, case, explain=True).dumps() for case in cases] == before


def test_a_repeated_case_never_reaches_the_engine(bundle, monkeypatch):
    path, product, compiled, _ = bundle
    case = case_from_data(load_file(example_cases(path)[0]).data, product)
    expected = evaluate(compiled, case).dumps()
    calls = []
    real = durable._engine.assert_facts
    monkeypatch.setattr(durable._engine, "assert_facts",
                        lambda *args: calls.append(args) or real(*args))
    assert evaluate(compiled, case).dumps() == expected
    assert calls == []
    assert durable.live_sessions() == 0


def test_a_value_the_engine_would_misread_is_refused_after_a_remembered_one(bundle):
    """The memo never answers for a missing value, NaN or an integer past 2**53."""
    _, _, _, plan = bundle
    kind, names = next((k, n) for k, n in sorted(comparisons(plan).items())
                       if k in ("applicant", "claim") and len(n) > 1)
    name = sorted(n for n in names if n != "_kind")[0]
    plain = {"_kind": kind, "_ref": 1, name: 1}
    run(plan, [plain], remember=True)
    for bad in (float("nan"), float("inf"), None, 2 ** 60):
        with pytest.raises(EngineError, match="refusing"):
            run(plan, [{**plain, name: bad}], remember=True)
    assert durable.live_sessions() == 0


def test_a_ruleset_outside_what_the_memo_reads_is_never_remembered():
    rules = {"r": {"all": [{"m": {"$and": [{"_kind": "claim"}, {"$mt": {"x": "a.*"}}]}}],
                   "pri": 1}}
    memo = Memo(rules)
    assert not memo.usable and memo.key({"_kind": "claim", "_ref": 1, "x": "ab"}) is None


def test_numbers_share_a_key_only_inside_one_cell():
    rules = {"old": {"all": [{"m": {"$and": [{"_kind": "applicant"},
                                             {"$gte": {"age": 60}}]}}], "pri": 1},
             "kind": {"all": [{"m": {"$and": [{"_kind": "applicant"}, {"sex": "male"}]}}],
                      "pri": 2}}
    memo = Memo(rules)

    def key(**values):
        return memo.key({"_kind": "applicant", "_ref": 9, **values})

    assert key(age=61, sex="male") == key(age=75.5, sex="male")
    assert key(age=60, sex="male") != key(age=61, sex="male")  # equal to the threshold
    assert key(age=59.999, sex="male") != key(age=60, sex="male")
    assert key(age=61, sex="male") != key(age=61, sex="female")
    assert key(age=61, sex="male") != key(age=True, sex="male")  # the type is in the key
    assert key(age="61", sex="male") != key(age=61, sex="male")
    assert key(sex="male") != key(age=61, sex="male")  # absent is its own cell


def test_an_attribute_no_rule_reads_is_not_keyed_but_must_be_a_plain_value():
    """An attribute no rule reads leaves the key as it is, but a value the engine would
    refuse there still sends the fact to the engine - with or without its `_ref`, with or
    without the attributes the rules do read."""
    memo = Memo({"old": {"all": [{"m": {"$and": [{"_kind": "applicant"},
                                                 {"$gte": {"age": 60}}]}}], "pri": 1}})
    kind = {"_kind": "applicant"}
    plain = memo.key({**kind, "_ref": 1, "age": 61})
    assert plain is not None
    assert memo.key({**kind, "_ref": 1, "age": 61, "note": "x", "paid": True}) == plain
    assert memo.key({**kind, "age": 61}) == plain  # the _ref is never keyed
    for bad in (float("nan"), float("inf"), 2 ** 60, None, [1], {"a": 1}):
        for fact in ({**kind, "_ref": 1, "age": 61, "note": bad},
                     {**kind, "age": 61, "note": bad},
                     {**kind, "_ref": 1, "note": bad},
                     {**kind, "note": bad}):
            assert memo.key(fact) is None, fact


def test_a_firing_the_memo_cannot_place_turns_it_off_for_the_session(bundle, monkeypatch):
    """Were the analysis to miss a join, the engine would name a fact the memo did not
    count as a partner: the memo then stays out of that session, which still decides right."""
    path, product, compiled, plan = bundle
    cases = [case_from_data(load_file(p).data, product) for p in example_cases(path)]
    durable.remember(False)
    expected = [evaluate(compiled, case).dumps() for case in cases]
    durable.remember(True)
    for period in plan.periods:
        for handles in period.route.values():
            for handle in handles:
                monkeypatch.setattr(durable._MEMOS[handle], "partners", {})
                monkeypatch.setattr(durable._MEMOS[handle], "entries", {})
    assert [evaluate(compiled, case).dumps() for case in cases] == expected
    assert [evaluate(compiled, case).dumps() for case in cases] == expected
