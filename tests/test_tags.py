"""Tags on events (issue 13): `events.<type>.tags` declares what an event may carry, a
case's event lists `tags: [..]`, and `count: {tag: X}` counts the events of every type
declaring X that carry it. `tests/fixtures/tags/diabetes_tags.yaml` is the product;
the engine-vs-direct property is in test_properties.py, the broken products in
tests/fixtures/broken/count_tag_*.yaml and the broken case in broken_cases/."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from configurator import CaseError, case_from_data, compile_product, evaluate, loads
from configurator.cases.schema import case_schema
from configurator.cli import cli
from configurator.compliance.diff import diff
from configurator.document.policy import build_policy

from .paths import ROOT

PRODUCT = ROOT / "tests" / "fixtures" / "tags" / "diabetes_tags.yaml"
TEXT = PRODUCT.read_text(encoding="utf-8")


def product(*edits: tuple[str, str]):
    text = TEXT
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return loads(text, "diabetes_tags.yaml")


def case(*events: dict, as_of: str = "2027-01-01") -> dict:
    return {"policy": {"start": "2026-01-01"}, "as_of": as_of, "applicant": {"age": 50},
            "events": list(events)}


LAB = {"date": "2026-03-01", "type": "lab_test", "hba1c": 7, "tags": ["hba1c"]}
REVIEW = {"date": "2026-06-01", "type": "diabetes_review", "hba1c": 7.5, "weight": 80,
          "tags": ["hba1c", "eye_exam"]}


@pytest.mark.parametrize(("events", "earned"), [
    ((LAB, REVIEW), True),
    ((LAB, {**REVIEW, "tags": ["eye_exam"]}), False),  # the review's HbA1c is not tagged
    ((LAB, {**REVIEW, "tags": ["hba1c"]}), False),     # no eye exam tagged
    (({**LAB, "tags": []}, REVIEW), False),
])
def test_only_events_carrying_the_tag_count(events, earned):
    outcome = evaluate(compile_product(product()), case(*events))
    assert outcome.adherence[0].years == {1: earned}


def test_an_unknown_tag_in_a_case_is_positioned_with_did_you_mean():
    with pytest.raises(CaseError) as info:
        case_from_data(case({**LAB, "tags": ["hba1"]}), product())
    text = str(info.value)
    assert "events[0].tags[0]: unknown tag 'hba1' for event 'lab_test'" in text
    assert "did you mean 'hba1c'" in text
    with pytest.raises(CaseError, match="may carry: hba1c"):
        case_from_data(case({**LAB, "tags": ["eye_exam"]}), product())
    with pytest.raises(CaseError, match="expected a list of tags"):
        case_from_data(case({**LAB, "tags": "hba1c"}), product())


def test_tags_survive_serialisation_and_order_events_tied_on_date_and_type():
    a, b = {**LAB, "tags": []}, LAB
    one = case_from_data(case(a, b), product())
    two = case_from_data(case(b, a), product())
    assert [e.tags for e in one.events] == [e.tags for e in two.events] == [("hba1c",), ()]
    again = case_from_data(one.to_data() | {"as_of": "2027-01-01"}, product())
    assert again.events == one.events


def test_the_case_schema_lists_each_types_tags():
    events = {e["title"]: e for e in case_schema(product())["properties"]["events"]["items"]
              ["oneOf"]}
    assert events["diabetes review"]["properties"]["tags"]["items"]["enum"] == [
        "hba1c", "eye_exam"]


@pytest.mark.parametrize(("locale", "words"), [
    ("en", "For eye exams, we count every diabetes review or eye screening that your care "
           "team marks for it."),
    ("zh-CN", "计算eye exams时，我们计入健康管理团队为此标记的每一次diabetes review或"
              "eye screening。"),
])
def test_the_policy_says_which_events_a_tag_count_reads(locale, words):
    policy = build_policy(product(), locale)
    texts = [b.text for s in policy.sections for c in s.clauses for b in c.blocks
             if c.key == "adherence.control"]
    assert any(words in t for t in texts)


def test_diff_judges_a_tag_reaching_another_event_type_for_the_insured():
    fewer = product(("    label: lab test\n    tags: [hba1c]", "    label: lab test"))
    more = product()
    change, = [c for c in diff(fewer, more).changes if c.subject == "metric.hba1c_in_target"]
    assert change.effect == "favourable" and change.new == ["diabetes_review", "lab_test"]
    change, = [c for c in diff(more, fewer).changes if c.subject == "metric.hba1c_in_target"]
    assert change.effect == "unfavourable"
    retagged = product(("count: {tag: eye_exam}", "count: {tag: hba1c}"))
    change, = [c for c in diff(more, retagged).changes if c.subject == "metric.eye_exams"]
    assert (change.old, change.new) == ("eye_exam", "hba1c")


def test_evaluate_through_the_cli_counts_tagged_events(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("policy: {start: 2026-01-01}\nas_of: 2027-01-01\napplicant: {age: 50}\n"
                    "events:\n  - {date: 2026-03-01, type: lab_test, hba1c: 7, tags: [hba1c]}\n"
                    "  - {date: 2026-06-01, type: diabetes_review, hba1c: 7, weight: 80, "
                    "tags: [hba1c, eye_exam]}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["adherence"][0]["years"] == {"1": True}
    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text().replace("tags: [hba1c]}", "tags: [hba1x]}"), "utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:5:" in result.output and "did you mean 'hba1c'" in result.output
