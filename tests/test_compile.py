"""Compiling products to durable-rules: plain data, deterministic, inside the safe subset."""

from __future__ import annotations

import itertools
import json

import pytest

from configurator import compile_product, evaluate, load, loads
from configurator.compiler.safe_subset import MAX_CONDITIONS_PER_KIND, SEEN, fnv1a32, verify_ruleset
from configurator.compiler.translate import lifted_name
from configurator.conditions import parse, unparse
from configurator.product.clauses import clause_numbers

from .paths import PRODUCT_FILES

BASE = """\
id: mini
name: Mini cover
version: 1.0.0
effective_from: 2026-01-01
disease: test
term: {months: 12, text: One year.}
cooling_off_days: 15
premium: {net: 100}
coverage: {sum_insured: 1000}
inputs:
  age: {type: integer, min: 0, max: 120}
  score: {type: number, min: 0, max: 100}
  limit: {type: number, min: 0, max: 100, default: 50}
  smoker: {type: boolean, default: false}
  band: {type: enum, values: [low, mid, high], default: low}
parameters:
  min_age: 18
  max_age: 60
"""


def product_with(rules: str, extra: str = ""):
    return loads(BASE + extra + "eligibility:\n" + rules, "mini.yaml")


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_bundled_products_compile_inside_the_safe_subset(path):
    compiled = compile_product(load(path))
    for period in compiled.periods:
        for ruleset in period.rulesets:
            assert verify_ruleset(ruleset.rules, ruleset.name, compiled.facts) == []
            text = json.dumps(ruleset.rules)
            assert "$mt" not in text and "$nex" not in text and '"$m"' not in text


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_compiling_is_deterministic_and_named_by_content(path):
    first = compile_product(load(path))
    second = compile_product(load(path))
    assert json.dumps(first.to_data(), default=str) == json.dumps(second.to_data(), default=str)
    product = first.product
    assert first.name == f"{product.id}-{product.version}-{product.hash}"
    for ruleset in first.periods[0].rulesets:
        assert ruleset.name.startswith(first.name)


def test_a_change_of_content_changes_every_ruleset_name():
    a = compile_product(product_with("  - {id: young, when: age < min_age, outcome: decline, "
                                     "text: Too young.}\n"))
    b = compile_product(product_with("  - {id: young, when: age < min_age, outcome: decline, "
                                     "text: Too young!}\n"))
    names_a = {r.name for r in a.periods[0].rulesets}
    names_b = {r.name for r in b.periods[0].rulesets}
    assert names_a.isdisjoint(names_b)


def test_attribute_against_constant_compiles_natively_with_parameters_folded():
    compiled = compile_product(product_with(
        "  - {id: range, when: age < min_age or age > max_age, outcome: decline, text: Age.}\n"))
    rule = compiled.periods[0].rulesets[0].rules["eligibility.range"]
    assert rule["all"][0]["m"] == {"$and": [{"_kind": "applicant"}, {"$or": [
        {"$lt": {"age": 18}}, {"$gt": {"age": 60}}]}]}
    assert compiled.lifted == {}


def test_comparison_of_two_attributes_is_lifted_into_python():
    compiled = compile_product(product_with(
        "  - {id: over, when: score > 2 * limit, outcome: refer, text: Over.}\n"))
    name = lifted_name(parse("score > 2 * limit"))
    rule = compiled.periods[0].rulesets[0].rules["eligibility.over"]
    assert {name: True} in rule["all"][0]["m"]["$and"]
    assert compiled.lifted[name].expression == "score > 2 * limit"
    assert name in compiled.facts["applicant"]
    # the lifted part keeps its tree for the engine, but the printed data is text only
    assert unparse(compiled.lifted[name].node) == "score > 2 * limit"
    assert compiled.to_data()["lifted"][name] == {
        "attribute": name, "expression": "score > 2 * limit", "kinds": ["applicant"]}


def test_not_is_pushed_inwards_and_never_reaches_the_engine():
    compiled = compile_product(product_with(
        "  - {id: n, when: \"not (age < 30 and band == 'low')\", outcome: refer, text: N.}\n"))
    condition = compiled.periods[0].rulesets[0].rules["eligibility.n"]["all"][0]["m"]
    assert condition == {"$and": [{"_kind": "applicant"}, {"$or": [
        {"$gte": {"age": 30}}, {"$neq": {"band": "low"}}]}]}


def test_constant_conditions_fold_to_always_or_never():
    compiled = compile_product(product_with(
        "  - {id: always, when: min_age < max_age, outcome: refer, text: A.}\n"
        "  - {id: never, when: min_age > max_age, outcome: refer, text: B.}\n"))
    rules = compiled.periods[0].rulesets[0].rules
    assert rules["eligibility.always"]["all"][0]["m"] == {"$and": [{"_kind": "applicant"}]}
    assert {"_never": True} in rules["eligibility.never"]["all"][0]["m"]["$and"]
    data = {"policy": {"start": "2026-01-01"}, "as_of": "2026-01-01",
            "applicant": {"age": 30, "score": 1}}
    outcome = evaluate(compiled, data)
    assert [r.rule for r in outcome.reasons] == ["eligibility.always"]


def test_many_rules_are_split_so_no_fact_meets_too_many_conditions():
    rules = "".join(f"  - {{id: r{i}, when: age == {i}, outcome: refer, text: R.}}\n"
                    for i in range(100))
    compiled = compile_product(product_with(rules))
    rulesets = [r for r in compiled.periods[0].rulesets if r.stage == "underwriting"]
    assert len(rulesets) == 3
    for ruleset in rulesets:
        own = [name for name in ruleset.rules if not name.startswith(SEEN)]
        assert len(own) <= MAX_CONDITIONS_PER_KIND
        assert f"{SEEN}applicant" in ruleset.rules
    for age in (0, 41, 99):
        data = {"policy": {"start": "2026-01-01"}, "as_of": "2026-01-01",
                "applicant": {"age": age, "score": 1}}
        assert [r.rule for r in evaluate(compiled, data).reasons] == [f"eligibility.r{age}"]


def test_dated_parameters_compile_one_period_each():
    extra = "  late_limit:\n    values:\n      - {from: 2026-01-01, value: 40}\n" \
            "      - {from: 2026-07-01, value: 50}\n"
    product = loads(BASE + extra + "eligibility:\n  - {id: old, when: age > late_limit, "
                    "outcome: decline, text: Old.}\n", "dated.yaml")
    compiled = compile_product(product)
    assert [p.start.isoformat() for p in compiled.periods] == ["2026-01-01", "2026-07-01"]

    def decision(start: str) -> str:
        data = {"policy": {"start": start}, "as_of": start, "applicant": {"age": 45, "score": 1}}
        return evaluate(compiled, data).decision

    assert decision("2026-06-30") == "decline"
    assert decision("2026-07-01") == "accept"


def test_clause_numbers_follow_document_sections(product):
    numbers = clause_numbers(product)
    assert numbers[f"definition.{product.definitions[0].id}"] == "1.1"
    # the declines are one clause (2.1) listing each as an item; the other rules follow
    assert numbers["declines"] == "2.1"
    assert numbers[f"eligibility.{product.eligibility[1].id}"] == "2.1.2"
    first_other = next(r for r in product.eligibility if r.outcome != "decline")
    assert numbers[f"eligibility.{first_other.id}"] == "2.2"
    assert numbers[f"exclusion.{product.exclusions[0].id}"] == "6.1"
    compiled = compile_product(product)
    assert compiled.rules[f"eligibility.{product.eligibility[1].id}"].clause == "2.1.2"
    assert compiled.rules[f"eligibility.{first_other.id}"].clause == "2.2"


# -------------------------------------------------------------- the verifier rejects


def verify(rules: dict, facts: dict | None = None) -> list[str]:
    facts = facts or {"applicant": ["_kind", "age"]}
    return [p.message for p in verify_ruleset(rules, "test", facts)]


SEEN_RULE = {f"{SEEN}applicant": {"all": [{"m": {"_kind": "applicant"}}], "pri": 99}}


def single(condition: dict) -> dict:
    return {"r": {"all": [{"m": {"$and": [{"_kind": "applicant"}, condition]}}], "pri": 1},
            **SEEN_RULE}


def test_verifier_accepts_a_safe_ruleset():
    assert verify(single({"$gt": {"age": 18}})) == []


@pytest.mark.parametrize("condition, words", [
    ({"$mt": {"name": "a.*"}}, "outside the safe subset"),
    ({"$gt": {"age": {"a": "age"}}}, "compares with another fact"),
    ({"id": 3}, "reserved by the engine"),
    ({"$lt": {"band": "x"}}, "ordering comparison on a non-number"),
    ({"$iany": {"tags": {"$i": 1}}}, "outside the safe subset"),
])
def test_verifier_rejects_unsafe_conditions(condition, words):
    assert any(words in message for message in verify(single(condition)))


def test_verifier_rejects_nested_groups_inside_joins():
    rules = {"j": {"all": [{"a": {"$and": [{"_kind": "applicant"}]}},
                           {"b": {"$and": [{"_kind": "applicant"},
                                           {"$or": [{"age": 1}, {"age": 2}]}]}}], "pri": 1},
             **SEEN_RULE}
    assert any("nested '$or' inside a join" in m for m in verify(rules))


def test_verifier_requires_explicit_priorities_and_the_catch_all():
    no_pri = {"r": {"all": [{"m": {"_kind": "applicant"}}]}, **SEEN_RULE}
    assert any("explicit 'pri'" in m for m in verify(no_pri))
    no_seen = {"r": {"all": [{"m": {"_kind": "applicant"}}], "pri": 1}}
    assert any("no catch-all" in m for m in verify(no_seen))


def test_verifier_bounds_conditions_per_fact_kind():
    rules = {f"r{i}": {"all": [{"m": {"$and": [{"_kind": "applicant"}, {"age": i}]}}], "pri": i}
             for i in range(MAX_CONDITIONS_PER_KIND + 1)}
    rules.update(SEEN_RULE)
    assert any("conditions on 'applicant' facts" in m for m in verify(rules))


def test_verifier_rejects_attribute_names_sharing_an_fnv_hash():
    seen: dict[int, str] = {}
    for a, b in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=2):
        for n in range(1000):
            name = f"{a}{b}{n}"
            digest = fnv1a32(name)
            if digest in seen:
                pair = (seen[digest], name)
                break
            seen[digest] = name
        else:
            continue
        break
    assert fnv1a32(pair[0]) == fnv1a32(pair[1])
    facts = {"applicant": ["_kind", pair[0], pair[1]]}
    assert any("share an FNV-1a hash" in m for m in verify(single({"age": 1}), facts))
