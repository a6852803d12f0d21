"""diff: pairs of versions made for the purpose, each with the changes diff must find."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configurator import load, loads
from configurator.cli import main
from configurator.compliance.diff import declared_bump, diff
from configurator.compliance.polarity import compare_conditions
from configurator.compliance.redline import compare_words, pieces_html, tokens
from configurator.compliance.report import render_html, render_pdf, report_bytes
from configurator.conditions import parse
from configurator.document.render import RenderError
from configurator.product.ranges import Domain, resolve

from .paths import PRODUCT, PRODUCT_FILES

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
U, F, N, M = "unfavourable", "favourable", "neutral", "mixed"

# fixture -> every change diff must report, as (kind, effect, subject), in order
EXPECTED = {
    "reorder": [],
    "eligibility_narrowed": [("eligibility_narrowed", U, "eligibility.too_old")],
    "eligibility_widened": [("eligibility_widened", F, "eligibility.too_old")],
    "threshold_moved": [("threshold_moved", F, "eligibility.older_loading")],
    "condition_rewritten": [("condition_rewritten", N, "eligibility.too_old")],
    "condition_changed": [("condition_changed", F, "eligibility.older_loading")],
    "loading_raised": [("loading_raised", U, "eligibility.smoker_loading")],
    "benefit_lowered": [("benefit_lowered", U, "benefit.liver_cancer")],
    "benefit_added": [("benefit_added", F, "benefit.hospital_stay")],
    "benefit_removed": [("benefit_removed", U, "benefit.visit_costs")],
    "limit_raised": [("limit_raised", F, "benefit.visit_costs")],
    "frequency_raised": [("limit_raised", F, "benefit.liver_cancer")],
    "waiting_period_lengthened": [("waiting_period_lengthened", U, "benefit.liver_cancer")],
    "parameter_dates_changed": [("parameter_dates_changed", F, "benefit.liver_cancer")],
    "exclusion_added": [("exclusion_added", U, "exclusion.war")],
    "exclusion_removed": [("exclusion_removed", F, "exclusion.alcohol")],
    "exclusion_widened": [("condition_changed", U, "exclusion.alcohol")],
    "clause_replaced": [("exclusion_removed", F, "exclusion.alcohol"),
                        ("exclusion_added", U, "exclusion.alcohol_misuse")],
    "checkup_deadline_changed": [("checkup_deadline_changed", F, "checkup.yearly_visit")],
    "checkup_misses_raised": [("checkup_misses_changed", F, "checkup.yearly_visit")],
    "checkup_trigger_changed": [("checkup_trigger_changed", U, "checkup.yearly_visit")],
    "checkup_effect_changed": [("checkup_effect_changed", U, "checkup.yearly_visit")],
    "checkup_added": [("checkup_added", U, "checkup.alt_review")],
    "adherence_bonus_raised": [("adherence_bonus_raised", F, "adherence.visit_bonus")],
    "adherence_cap_lowered": [("adherence_cap_lowered", U, "adherence.visit_bonus")],
    "adherence_reset": [("adherence_changed", U, "adherence.visit_bonus")],
    "adherence_harder": [("threshold_moved", U, "adherence.visit_bonus")],
    "metric_narrowed": [("metric_changed", U, "metric.visits")],
    "cover_changed": [("cover_lowered", U, "coverage"), ("cover_raised", F, "coverage")],
    "terms_changed": [("renewal_changed", U, "term"), ("cooling_off_changed", F,
                                                       "cooling_off_days"),
                      ("premium_raised", U, "premium")],
    "wording_only": [("wording_only", N, "benefit.liver_cancer")],
    "chinese_wording": [("wording_only", N, "benefit.liver_cancer")],
    "wording_parameter": [("wording_only", N, "parameter.helpline_days")],
    "definition_added": [("definition_added", N, "definition.policy_year")],
    "mixed": [("eligibility_narrowed", U, "eligibility.too_old"),
              ("adherence_bonus_raised", F, "adherence.visit_bonus"),
              ("wording_only", N, "benefit.liver_cancer")],
    "favourable_minor": [("limit_raised", F, "benefit.visit_costs")],
    "checkup_rebate": [("checkup_effect_changed", F, "checkup.yearly_visit")],
    "yearly_share_limit": [("limit_lowered", U, "benefit.visit_costs")],
    "yearly_deductible_added": [("benefit_lowered", U, "benefit.visit_costs")],
    "late_results_ignored": [("checkup_effect_changed", M, "checkup.yearly_visit")],
}


@pytest.fixture(scope="module")
def base():
    return load(FIXTURES / "base.yaml")


def run(base, name):
    return diff(base, load(FIXTURES / f"{name}.yaml"))


def test_every_fixture_has_an_expectation():
    files = {p.stem for p in FIXTURES.glob("*.yaml")} - {"base"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_diff_finds_exactly_the_changes_made(base, name):
    found = [(c.kind, c.effect, c.subject) for c in run(base, name).changes]
    assert found == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_reason_is_one_line_ending_in_its_effect(base, name):
    for change in run(base, name).changes:
        assert "\n" not in change.reason
        assert change.reason.endswith(f": {change.effect}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_report_is_json(base, name):
    json.dumps(run(base, name).to_json())


def test_reordering_is_no_change_at_all(base):
    result = run(base, "reorder")
    assert result.changes == [] and result.redline == []
    assert result.bump.level == "none"


def test_a_moved_threshold_reads_in_domain_terms(base):
    change, = run(base, "eligibility_narrowed").changes
    assert change.reason == ("eligibility rule too_old (decline) now applies to more applicants "
                             "(max_age moved from 60 years to 55 years): unfavourable")
    assert change.causes == ("parameter.max_age",)
    assert change.clause == "2.1.1"  # too_old: the first item of the declines clause
    assert change.new_source.endswith("eligibility_narrowed.yaml:60:11")  # its `when`


def test_values_are_compared_as_the_rules_read_them(base):
    change, = run(base, "waiting_period_lengthened").changes
    assert change.reason == ("waiting period for Liver cancer lengthened from 120 days to 150 "
                             "days (from 2027-01-01): unfavourable")
    assert change.old == [["the start", 90], ["2027-01-01", 120]]


def test_a_parameter_date_move_is_judged_on_the_days_between(base):
    change, = run(base, "parameter_dates_changed").changes
    # from 2027-01-01 to 2027-07-01 the waiting period is now 90 days, not 120
    assert "120 days now applies from 2027-07-01 instead of 2027-01-01" in change.reason
    assert change.effect == F


def test_a_replaced_clause_is_a_removal_and_an_addition(base):
    result = run(base, "clause_replaced")
    assert [c.existing for c in result.changes] == [True, False]
    assert {r.status for r in result.redline} == {"added", "removed"}


def test_a_parameter_only_the_wording_reads_is_wording_only(base):
    result = run(base, "wording_parameter")
    assert result.bump.level == "patch"
    assert [r.html for r in result.redline] == [
        "Have a liver check-up every year. Call us within <del>7</del><ins>10</ins> days if you "
        "cannot.",
        "每年进行一次肝脏检查。如无法按时检查，请在<del>7</del><ins>10</ins>天内致电我们。"]


def test_wording_only_is_a_patch_with_an_english_redline(base):
    result = run(base, "wording_only")
    assert result.bump.level == "patch"
    clause, = result.redline
    assert (clause.clause, clause.locale) == ("3.1", "en")
    assert clause.html == ("<del>After a</del><ins>Once the</ins> waiting period of 90 days "
                           "<ins>is over, </ins>we pay your sum insured <del>once</del><ins>one "
                           "time</ins>.")


def test_a_chinese_wording_change_redlines_character_by_character(base):
    result = run(base, "chinese_wording")
    clause, = result.redline
    assert clause.locale == "zh-CN" and clause.key == "benefits.liver_cancer.text"
    assert clause.html == "等待期90天后，我们按保<ins>险金</ins>额给付一次<ins>保险金</ins>。"


def test_mixed_changes_call_for_a_major_bump_the_version_does_not_give(base):
    result = run(base, "mixed")
    assert result.bump.level == "major"
    assert (result.bump.declared, result.bump.sufficient) == ("minor", False)
    assert result.counts == {F: 1, U: 1, N: 1, M: 0}


def test_favourable_changes_are_minor(base):
    bump = run(base, "favourable_minor").bump
    assert (bump.level, bump.declared, bump.sufficient) == ("minor", "minor", True)


@pytest.mark.parametrize("old, new, level", [("1.0.0", "2.0.0", "major"),
                                             ("1.2.3", "1.3.0", "minor"),
                                             ("1.2.3", "1.2.4", "patch"),
                                             ("1.2.3", "1.2.3", "none"),
                                             ("2.0.0", "1.9.9", "none")])
def test_declared_bump(old, new, level):
    assert declared_bump(old, new) == level


def test_a_same_meaning_rewrite_is_a_patch(base):
    assert run(base, "condition_rewritten").bump.level == "patch"


def test_the_json_report_is_plain_data(base):
    data = json.loads(json.dumps(run(base, "mixed").to_json()))
    assert data["bump"]["level"] == "major"
    assert data["changes"][0]["causes"] == ["parameter.max_age"]
    assert data["redline"][0]["pieces"][1] == ["delete", "60"]


# ------------------------------------------------------------ redline tokens


def test_numbers_are_whole_tokens():
    assert tokens("RMB 1,000 or 12.5% of 0.8") == ["RMB", " ", "1,000", " ", "or", " ", "12.5%",
                                                   " ", "of", " ", "0.8"]


def test_each_chinese_character_is_a_token():
    assert tokens("等待期180天") == ["等", "待", "期", "180", "天"]


def test_words_keep_hyphens_and_apostrophes():
    assert tokens("pre-existing, don't") == ["pre-existing", ",", " ", "don't"]


def test_a_changed_amount_is_one_replacement_not_a_digit_splice():
    assert pieces_html(compare_words("up to 1,000 a year", "up to 1,200 a year")) == \
        "up to <del>1,000</del><ins>1,200</ins> a year"


def test_the_redline_is_escaped():
    html = pieces_html(compare_words("a <b>&", "a <i>&"))
    assert "<b>" not in html and "<i>" not in html
    assert html == "a &lt;<del>b</del><ins>i</ins>&gt;&amp;"


# ------------------------------------------------------------ condition direction


DOMS = {"age": Domain(0, 100, True), "alt": Domain(0, 5000), "alt_uln": Domain(40, 50),
        "smoker": Domain(values=(False, True)),
        "status": Domain(values=("a", "b", "c"))}


@pytest.mark.parametrize("old, new, direction", [
    ("age > 60", "age > 55", "widened"),
    ("age < 18 or age > 60", "age < 18 or age > 65", "narrowed"),
    ("age < 18 or age > 60", "age < 21 or age > 65", "mixed"),
    ("alt > 2 * alt_uln", "alt > 3 * alt_uln", "narrowed"),
    ("not (age > 60)", "not (age > 55)", "narrowed"),
    ("status in ['a']", "status in ['a', 'b']", "widened"),
    ("status not in ['a']", "status not in ['a', 'b']", "narrowed"),
    ("age > 60", "age > 60 or smoker", "widened"),
    ("age > 60", "age > 60 and smoker", "narrowed"),
    ("age > 60", "not (age <= 60)", "same"),
    ("status == 'a'", "status == 'b'", "mixed"),
    ("age >= 60", "age > 59", "same"),
])
def test_condition_direction(old, new, direction):
    assert compare_conditions(resolve(parse(old), {}), resolve(parse(new), {}), DOMS) == direction


def test_parameters_are_folded_before_comparing():
    a = resolve(parse("age > max_age"), {"max_age": 60})
    b = resolve(parse("age > 60"), {})
    assert a == b


# ------------------------------------------------------------ reports and CLI


def test_html_report_holds_changes_redline_and_escapes_names(base):
    text = (FIXTURES / "wording_only.yaml").read_text().replace(
        "name: {en: Diff Base Cover", "name: {en: Diff <Base> & Cover")
    html = render_html(diff(base, loads(text, "v2.yaml")))
    assert "Diff &lt;Base&gt; &amp; Cover" in html
    assert "<del>After a</del><ins>Once the</ins>" in html
    assert "wording_only" in html


def test_pdf_report_is_a_pdf(base):
    data = report_bytes(run(base, "chinese_wording"), ".pdf")
    assert data.startswith(b"%PDF")


def test_pdf_never_fetches_files(tmp_path, caplog):
    """The report goes through the documents' fetcher: anything outside templates/ stops it."""
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    with pytest.raises(RenderError, match="secret.css"):
        render_pdf(f'<link rel="stylesheet" href="file://{secret}"><p>hello</p>')
    assert "refused to fetch" in caplog.text
    assert render_pdf("<html lang='en'><title>t</title><p>hello</p></html>").startswith(b"%PDF")


def test_cli_diff_terminal_json_and_files(capsys, tmp_path):
    old, new = str(FIXTURES / "base.yaml"), str(FIXTURES / "mixed.yaml")
    assert main(["diff", old, new]) == 0
    out = capsys.readouterr().out
    assert "eligibility_narrowed" in out and "suggested version bump: major" in out
    assert "[-60-]{+55+}" in out
    assert main(["diff", old, new, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bump"]["level"] == "major"
    report = tmp_path / "review.html"
    assert main(["diff", old, new, "-o", str(report)]) == 0
    assert "<del>60</del><ins>55</ins>" in report.read_text()


def test_cli_diff_bad_input_exits_2(capsys):
    assert main(["diff", str(FIXTURES / "base.yaml"), str(FIXTURES / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_diff_help_has_an_example(capsys):
    assert main(["diff", "--help"]) == 0
    assert "Example:" in capsys.readouterr().out


def with_nadir_programme(threshold: int) -> str:
    """base.yaml plus a lowest-value metric and a programme that only removes a loading."""
    text = (FIXTURES / "base.yaml").read_text()
    text = text.replace("  smoker: {type: boolean, default: false}\n",
                        "  smoker: {type: boolean, default: false}\n"
                        "  alt_entry: {type: number, min: 0, max: 5000, default: 30}\n")
    text = text.replace("  visits: {count: {event: visit}}\n",
                        "  visits: {count: {event: visit}}\n"
                        "  lowest_alt: {lowest: {event: visit, field: alt, initial: alt_entry},"
                        " window: all}\n")
    text = text.replace("    percent: smoker_loading\n",
                        "    percent: smoker_loading\n    removed_by: alt_down\n")
    return text.replace("benefits:\n", f"""  - id: alt_down
    name: {{en: ALT down, zh-CN: 转氨酶下降}}
    when: lowest_alt < {threshold}
    text: {{en: Bring your ALT down and the smoker loading goes., zh-CN: 转氨酶下降后取消加费。}}
benefits:
""")


def test_newer_model_features_are_compared():
    old = loads(with_nadir_programme(40), "nadir.yaml")
    new = loads(with_nadir_programme(35), "nadir2.yaml")
    change, = diff(old, new).changes
    assert (change.kind, change.effect, change.subject) == ("threshold_moved", U,
                                                            "adherence.alt_down")
    from configurator.compliance.lint import lint

    assert [f.code for f in lint(new)] == ["OVERLAP"]  # base.yaml's older_loading, on purpose


@pytest.mark.parametrize("product", PRODUCT_FILES, ids=lambda p: p.stem)
def test_a_bundled_product_against_a_copy_of_itself_has_no_changes(product, tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_text("# a copy, one line lower\n" + product.read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = diff(load(product), load(copy))
    assert [c.reason for c in result.changes] == [] and result.redline == []


def test_a_changed_sample_case_is_a_neutral_change_to_the_example():
    text = PRODUCT.read_text(encoding="utf-8")
    old, new = loads(text, "v1.yaml"), loads(text.replace("  as_of: 2029-12-31",
                                                          "  as_of: 2028-12-31"), "v2.yaml")
    change, = diff(old, new).changes
    assert (change.kind, change.subject, change.effect) == ("wording_only", "illustration",
                                                            "neutral")
    assert "worked example" in change.reason and change.new_source.startswith("v2.yaml:")
    assert diff(old, loads(text, "same.yaml")).changes == []
