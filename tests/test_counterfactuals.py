"""Counterfactuals (`evaluate --why-not`): every suggestion is verified, thresholds are
boundaries, events lie in the future, and the best outcome gets none.

The properties re-evaluate each suggestion through the engine themselves:
a threshold's value removes the adverse part and the value one step back
keeps it; events added (all dated after as_of) change the named part of the
Outcome on the day it is decided.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import cli
from configurator.cases.case import Case, Event, case_from_data
from configurator.compiler.compile import compile_product
from configurator.engine.evaluate import evaluate
from configurator.product.clauses import clause_numbers
from configurator.product.load import load
from configurator.product.source import load_file
from configurator.runs.demo import example_cases
from configurator.whynot import why_not
from configurator.whynot.adverse import not_worse, present

from .paths import PRODUCT_FILES, PRODUCTS_DIR
from .strategies import case_data

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# the part of the Outcome an event suggestion must change, by adverse kind
CHANGED_PART = {"bonus": "adherence", "tier": "coverage", "checkup": "checkups",
                "refer": "decision", "loading": "loadings"}


@pytest.fixture(scope="module", params=PRODUCT_FILES, ids=lambda p: p.stem)
def bundle(request):
    product = load(request.param)
    compiled = compile_product(product)
    people = [load_file(path).data["applicant"] for path in example_cases(request.param)]
    return product, compiled, people


def _with_value(case: Case, change: dict, value) -> Case:
    if "event" in change:
        events = tuple(Event(e.id, e.type, e.date, {**e.fields, change["input"]: value})
                       if e.id == change["event"] else e for e in case.events)
        return dataclasses.replace(case, events=events)
    return dataclasses.replace(case, applicant={**case.applicant, change["input"]: value})


def _with_events(case: Case, change: dict) -> tuple[Case, Case]:
    decided = dt.date.fromisoformat(change["decided"])
    added = [Event(f"test-{n}", e["type"], dt.date.fromisoformat(e["date"]),
                   {k: v for k, v in e.items() if k not in ("type", "date")})
             for n, e in enumerate(change["events"], 1)]
    events = tuple(sorted((*case.events, *added), key=Event.sort_key))
    return (dataclasses.replace(case, as_of=decided),
            dataclasses.replace(case, events=events, as_of=decided))


def check_suggestions(product, compiled, case: Case) -> list:
    """Re-verify every suggestion for `case`; the counterfactuals found."""
    before = evaluate(compiled, case)
    found = why_not(compiled, case)
    for item in found:
        adverse = item.adverse
        for suggestion in item.suggestions:
            change = suggestion.change
            assert suggestion.rule == adverse.rule and suggestion.clause == adverse.clause
            if suggestion.kind == "threshold":
                assert not product.inputs.get(change["input"], None) or \
                    not product.inputs[change["input"]].personal
                applied = evaluate(compiled, _with_value(case, change, change["applied"]))
                assert not present(adverse, applied) and not_worse(applied, before), change
                back = evaluate(compiled, _with_value(case, change, change["back"]))
                assert present(adverse, back) or not not_worse(back, before), change
                assert abs(change["applied"] - change["back"]) == pytest.approx(change["step"])
            elif suggestion.kind == "event":
                assert all(dt.date.fromisoformat(e["date"]) > case.as_of
                           for e in change["events"]), "a past event was suggested"
                assert dt.date.fromisoformat(change["first"]) > case.as_of
                baseline, changed = (evaluate(compiled, c) for c in _with_events(case, change))
                part = CHANGED_PART[adverse.kind]
                assert (changed.to_json(False)[part] != baseline.to_json(False)[part]), change
            else:
                assert suggestion.kind == "nothing" and change["reason"]
    return found


def is_best(outcome) -> bool:
    return (outcome.decision == "accept" and not any(x.removed is None for x in outcome.loadings)
            and all(x.source == "product" for x in outcome.exclusions)
            and all(c.status in ("done", "due") for c in outcome.checkups)
            and all(c.status != "declined" for c in outcome.claims)
            and all(all(a.years.values()) for a in outcome.adherence))


@given(data=st.data())
@SETTINGS
def test_every_suggestion_is_verified_and_thresholds_are_boundaries(bundle, data):
    product, compiled, people = bundle
    drawn = data.draw(case_data(product, max_years=2, max_events=8,
                                people=st.sampled_from(people) if people else None))
    case = case_from_data(drawn, product)
    found = check_suggestions(product, compiled, case)
    if is_best(evaluate(compiled, case)):
        assert found == []


@given(data=st.data())
@SETTINGS
def test_applicants_over_the_declared_ranges(bundle, data):
    product, compiled, _ = bundle
    drawn = data.draw(case_data(product, max_years=1, max_events=3))
    check_suggestions(product, compiled, case_from_data(drawn, product))


@pytest.mark.parametrize("path", [p for f in PRODUCT_FILES for p in example_cases(f)],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_cases(path):
    product = load(PRODUCTS_DIR / f"{path.parent.name}.yaml")
    compiled = compile_product(product)
    case = case_from_data(load_file(path).data, product)
    outcome = evaluate(compiled, case)
    found = check_suggestions(product, compiled, case)
    for item in found:
        assert item.suggestions, item.adverse  # a verified change, or why there is none
        if item.adverse.rule.endswith("age_outside_range"):
            assert [s.change["reason"] for s in item.suggestions] == ["age"]
    if outcome.decision != "accept" or outcome.loadings:
        assert found
    if is_best(outcome):
        assert found == []


def test_known_boundaries():
    product = load(PRODUCTS_DIR / "hepatitis_b.yaml")
    compiled = compile_product(product)
    case = case_from_data(load_file(
        PRODUCTS_DIR / "hepatitis_b" / "high_viral_load_untreated_referred.yaml").data, product)
    (item,) = why_not(compiled, case)
    (suggestion,) = item.suggestions
    assert suggestion.change["op"] == "<=" and suggestion.change["value"] == 2000
    assert suggestion.result["decision"] == "accept"
    senior = load(PRODUCTS_DIR / "senior_checkup.yaml")
    case = case_from_data(load_file(
        PRODUCTS_DIR / "senior_checkup" / "lung_nodule_exclusion.yaml").data, senior)
    item = why_not(compile_product(senior), case)[0]
    assert item.adverse.kind == "exclusion"
    assert (item.suggestions[0].change["op"], item.suggestions[0].change["value"]) == ("<", 8)


def test_a_missed_checkup_is_restored_by_the_next_visit_in_its_window():
    product = load(PRODUCTS_DIR / "hepatitis_b.yaml")
    case = case_from_data(load_file(
        PRODUCTS_DIR / "hepatitis_b" / "missed_checkup_reduced_cover.yaml").data, product)
    (item, *_) = why_not(compile_product(product), case)
    assert item.adverse.kind == "tier"
    (suggestion,) = item.suggestions
    assert suggestion.kind == "event" and suggestion.change["first"] > case.as_of.isoformat()
    assert "Full cover" in suggestion.text


# ------------------------------------------------------------ the CLI

DECLINE = ["products/copd.yaml", "products/copd/very_severe_copd_declined.yaml"]
# the decline's clause as the policy numbers it (declines are items of one clause)
DECLINE_CLAUSE = clause_numbers(load(DECLINE[0]))["eligibility.very_severe_copd"]
BONUS = ["products/hepatitis_b.yaml", "products/hepatitis_b/non_adherence_freezes_bonus.yaml"]
ALLOWED_LATIN = re.compile(r"^([a-z0-9_]+(\.[a-z0-9_]+)*|[A-Z0-9]+[a-z]?|IU/mL|U/L|mmHg|mm|"
                           r"mL/min/\d\.\d+m\d|kg/m\d|m/s|CNY)$")


def run(capsys, *args) -> str:
    code = cli.main(["evaluate", *args])
    out = capsys.readouterr().out
    assert code in (0, None), out
    return out


def _why_not_section(text: str, heading: str) -> str:
    return text[text.index(heading):]


def test_cli_text_in_english(capsys):
    out = run(capsys, *DECLINE, "--why-not")
    section = _why_not_section(out, "What would change this:")
    assert "at or above 30% → accepted" in section and f"clause {DECLINE_CLAUSE}" in section
    bonus = _why_not_section(run(capsys, *BONUS, "--why-not"), "What would change this:")
    assert "bonus" in bonus and "by 31 December 2029" in bonus


@pytest.mark.parametrize("args", [DECLINE, BONUS], ids=["decline", "bonus"])
def test_cli_text_in_chinese_has_no_english(capsys, args):
    section = _why_not_section(run(capsys, *args, "--why-not", "--lang", "zh-CN"),
                               "如何改变这一结果")
    assert "第" in section
    for word in re.findall(r"[A-Za-z][A-Za-z0-9_./]*", section):
        assert ALLOWED_LATIN.match(word), (word, section)


def test_cli_json(capsys):
    plain = run(capsys, *DECLINE, "--json")
    assert "counterfactuals" not in json.loads(plain)
    product = load(DECLINE[0])
    case = case_from_data(load_file(DECLINE[1]).data, product)
    assert plain.strip() == evaluate(compile_product(product), case, explain=True).dumps()
    data = json.loads(run(capsys, *DECLINE, "--json", "--why-not"))
    assert {k: v for k, v in data.items() if k != "counterfactuals"} == json.loads(plain)
    (item,) = [c for c in data["counterfactuals"] if c["kind"] == "decline"]
    assert item["rule"] == "eligibility.very_severe_copd" and item["clause"] == DECLINE_CLAUSE
    assert item["suggestions"][0]["change"]["input"] == "fev1_percent"
