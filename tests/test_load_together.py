"""Name errors reported with structural errors wherever the structure around them parsed
(issue 15 item 4): a rule that fails the schema still has its condition checked, and an
item after a failed one keeps its own place in the YAML."""

from __future__ import annotations

import pytest

import configurator
from configurator import ProductError

from .paths import ROOT

TINY = (ROOT / "tests" / "fixtures" / "tiny.yaml").read_text(encoding="utf-8")


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProductError) as info:
        configurator.loads(text, "t.yaml")
    return [str(p) for p in info.value.problems]


def line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


def test_a_misspelt_name_in_a_rule_that_fails_the_schema_is_reported_with_it():
    text = TINY.replace("    when: age > max_age\n    outcome: decline",
                        "    when: agee > max_age\n    outcome: declin")
    found = problems_of(text)
    assert len(found) == 2, found
    assert any("eligibility[0].outcome: 'declin' is not allowed" in p for p in found)
    assert any(p.startswith(f"t.yaml:{line_of(text, 'agee')}:11: eligibility[0].when: "
                            "unknown name 'agee'") for p in found), found


def test_a_benefit_condition_is_checked_when_its_event_is_known():
    text = TINY.replace("    pays: {amount: 10000}",
                        "    when: cuase == 'disease'\n    pays: {amount: -}")
    found = problems_of(text)
    assert any("benefits[0].when: unknown name 'cuase'" in p for p in found), found


def test_an_item_after_a_failed_one_keeps_its_position():
    text = TINY.replace("    outcome: decline", "    outcome: declin").replace(
        "    when: smoker\n", "    when: smokr\n")
    found = problems_of(text)
    assert f"t.yaml:{line_of(text, 'smokr')}:11: eligibility[1].when: unknown name 'smokr'" \
        in "\n".join(found), found


def test_a_condition_under_a_broken_structure_is_not_guessed_at():
    text = TINY.replace("    when: age > max_age\n", "    when: [agee]\n")
    found = problems_of(text)
    assert len(found) == 1 and "eligibility[0].when" in found[0], found
