"""diff --impact: which cases come out differently, and which change moved each one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configurator import load, loads
from configurator.cli import main
from configurator.compliance.diff import diff
from configurator.compliance.impact import collect_cases, hybrid, owner
from configurator.errors import CaseError

HERE = Path(__file__).parent / "fixtures"
BASE = HERE / "diff" / "base.yaml"
CASES = HERE / "diff" / "base"  # cases of base.yaml, in every form
# accepted under base.yaml (decline above 60), declined once max_age is 55
FLIPPED = {"age 56", "age 58", "age 60", "age 58 with a check-up claim", "jsonl age 57",
           "csv age 59"}


@pytest.fixture(scope="module")
def base():
    return load(BASE)


def test_cases_are_read_from_suites_case_files_jsonl_and_csv(base):
    found = collect_cases([CASES])
    assert len(found) == 14
    loaded = {source.name: source.load(base) for source in found}
    assert loaded["csv age 59"].applicant == {"age": 59, "smoker": True}
    assert loaded["jsonl age 57"].applicant["age"] == 57
    assert loaded["age 61"].applicant["age"] == 61
    suite_case = next(s for s in found if s.name == "age 30")
    assert suite_case.where.endswith("ages.cases.yaml:5:5")


def test_narrowed_eligibility_reports_exactly_the_cases_that_flip(base):
    result = diff(base, load(HERE / "diff" / "eligibility_narrowed.yaml"), [str(CASES)])
    impact = result.impact
    assert impact.evaluated == 14 and impact.errors == []
    assert {case.name for case in impact.changed} == FLIPPED
    for case in impact.changed:
        assert [(d.aspect, d.old, d.new, d.effect) for d in case.differences] == [
            ("decision", "accept", "decline", "unfavourable")]
    group, = impact.groups
    assert group.causes == ("parameter.max_age",)
    assert group.headline() == "6 cases now declined"
    assert {c.case.name for c in group.cases} == FLIPPED
    assert {c.method for c in group.cases} == {"re-evaluated with this change alone"}


def test_each_flip_is_grouped_under_the_change_that_caused_it(base):
    result = diff(base, load(HERE / "impact" / "two_changes.yaml"), [str(CASES)])
    groups = {group.causes: group for group in result.impact.groups}
    assert set(groups) == {("parameter.max_age",), ("parameter.cancer_waiting_days",)}
    assert {c.case.name for c in groups[("parameter.max_age",)].cases} == FLIPPED
    waiting = groups[("parameter.cancer_waiting_days",)]
    assert [c.case.name for c in waiting.cases] == ["age 40, liver cancer on day 101"]
    assert waiting.headline() == "1 case is paid less"
    difference, = waiting.cases[0].differences
    assert difference.text == "claim diagnosis-1: paid 100000.00 -> declined 0"
    data = json.loads(json.dumps(result.to_json()))  # Decimal amounts become strings
    claim = next(c for c in data["impact"]["cases"] if c["name"].startswith("age 40"))
    assert claim["differences"][0]["new"] == ["declined", "0"]
    reasons = [result.changes[i].reason for i in waiting.changes]
    assert reasons == ["waiting period for Liver cancer lengthened from 90 days to 120 days: "
                       "unfavourable"]


def test_no_change_no_impact(base):
    result = diff(base, load(HERE / "diff" / "reorder.yaml"), [str(CASES)])
    assert result.impact.evaluated == 14 and result.impact.changed == []


def test_a_case_the_new_version_cannot_read_is_reported(base, tmp_path):
    text = BASE.read_text().replace("  smoker: {type: boolean, default: false}\n",
                                    "  smoker: {type: boolean, default: false}\n"
                                    "  bmi: {type: number, min: 10, max: 60}\n")
    new = loads(text, "with_bmi.yaml")
    result = diff(base, new, [str(CASES / "batch.jsonl")])
    assert result.impact.evaluated == 0
    assert len(result.impact.errors) == 2
    assert "does not load under the new version: missing required input 'bmi'" in \
        result.impact.errors[0]


def test_a_hybrid_takes_the_new_names_a_change_needs(base):
    text = BASE.read_text().replace("    when: age > max_age\n", "    when: age > limit_age\n")
    text = text.replace("  max_age: {value: 60, unit: years}\n",
                        "  max_age: {value: 60, unit: years}\n"
                        "  limit_age: {value: 55, unit: years}\n")
    new = loads(text, "renamed.yaml")
    mixed = hybrid(base, new, ("eligibility.too_old",))
    assert mixed is not None
    assert next(r for r in mixed.eligibility if r.id == "too_old").when == "age > limit_age"
    assert mixed.parameters["limit_age"].value == 55
    result = diff(base, new, [str(CASES)])
    assert {c.name for c in result.impact.changed} == FLIPPED
    assert result.impact.groups[0].causes == ("eligibility.too_old",)


def test_rule_ids_map_to_their_owners():
    assert owner("waiting.liver_cancer") == "benefit.liver_cancer"
    assert owner("result.dna.high") == "checkup.dna"
    assert owner("missed.yearly_visit") == "checkup.yearly_visit"
    assert owner("eligibility.too_old") == "eligibility.too_old"


def test_a_missing_case_path_is_bad_input():
    with pytest.raises(CaseError, match="file not found"):
        collect_cases([CASES / "nope.yaml"])


def test_cli_impact(capsys):
    new = str(HERE / "diff" / "eligibility_narrowed.yaml")
    assert main(["diff", str(BASE), new, "--impact", str(CASES / "ages.cases.yaml"),
                 str(CASES / "batch.csv")]) == 0
    out = capsys.readouterr().out
    assert "Impact: 10 cases evaluated under both versions, 4 changed" in out
    assert "4 cases now declined" in out
    assert main(["diff", str(BASE), new, "--impact", str(CASES), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["impact"]["changed"] == 6 and data["impact"]["unchanged"] == 8
    assert data["impact"]["groups"][0]["headline"] == "6 cases now declined"


def test_cli_case_paths_need_impact(capsys):
    assert main(["diff", str(BASE), str(BASE), str(CASES)]) == 2
    assert "after --impact" in capsys.readouterr().err


def test_changes_that_only_act_together_are_attributed_through_the_trace(base):
    """Two exclusions both refuse an alcohol claim: removing either alone changes nothing."""
    second = """  - id: not_disease
    name: {en: Not a disease, zh-CN: 非疾病}
    when: cause != 'disease'
    applies_to: [liver_cancer]
    text:
      en: We pay only for illness caused by the disease itself.
      zh-CN: 仅承保疾病本身导致的情形。
"""
    old = loads(BASE.read_text() + second, "two_exclusions.yaml")
    both_gone = BASE.read_text().replace("exclusions:\n", "exclusions: []\n", 1)
    both_gone = both_gone[:both_gone.index("  - id: alcohol\n")]
    new = loads(both_gone, "no_exclusions.yaml")
    claim = CASES.parent / "together" / "alcohol_claim.yaml"
    result = diff(old, new, [str(claim)])
    case, = result.impact.changed
    by_group = {g.causes: [(e.method, [d.text for d in e.differences]) for e in g.cases]
                for g in result.impact.groups}
    paid = "claim diagnosis-1: declined 0 -> paid 50000.00"
    assert by_group == {
        ("exclusion.alcohol",): [("re-evaluated with this change alone",
                                  ["exclusion alcohol no longer applies"]), ("trace", [paid])],
        ("exclusion.not_disease",): [("re-evaluated with this change alone",
                                      ["exclusion not_disease no longer applies"]),
                                     ("trace", [paid])]}
    assert case.groups == [0, 1]


def test_a_programme_sharing_a_condition_survives_the_hybrid_versions():
    """A `same_as` programme gets its condition filled in on load; the hybrid versions the
    impact attributes with are built from the model, so without the condition taken out
    again none would load and every move would read "changes acting together"."""
    product = load(Path(__file__).parents[1] / "products" / "hepatitis_b.yaml")
    shared = [p for p in product.adherence if p.same_as]
    assert shared and all(p.when is not None for p in shared)
    again = hybrid(product, product, ("parameter.checkup_claim_limit",))
    assert again is not None
    assert [(p.id, p.same_as, str(p.when)) for p in again.adherence] == \
        [(p.id, p.same_as, str(p.when)) for p in product.adherence]
