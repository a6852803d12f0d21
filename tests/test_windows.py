"""Sub-year windows aligned to the policy year (issue 13): quarters and halves for
counts, PDC, 'k of n quarters', and check-ups due in each quarter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from configurator import compile_product, evaluate, load, loads
from configurator.compliance.diff import diff
from configurator.engine.windows import part_of, parts_of_year

FIXTURE = Path(__file__).parent / "fixtures" / "windows" / "quarters.yaml"
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def compiled():
    return compile_product(load(FIXTURE))


def run(compiled, as_of: str, events: list[tuple[str, str, dict]], start: str = "2026-01-01"):
    return evaluate(compiled, {
        "policy": {"start": start}, "as_of": as_of, "applicant": {"age": 50},
        "events": [{"date": day, "type": kind, **fields} for day, kind, fields in events]})


def test_quarters_are_counted_from_each_renewal_and_never_drift():
    assert list(parts_of_year(D("2026-01-31"), 1, "quarter")) == [
        (D("2026-01-31"), D("2026-04-30")), (D("2026-04-30"), D("2026-07-31")),
        (D("2026-07-31"), D("2026-10-31")), (D("2026-10-31"), D("2027-01-31"))]
    assert parts_of_year(D("2026-01-31"), 2, "half")[1] == (D("2027-07-31"), D("2028-01-31"))
    assert part_of(D("2026-01-01"), D("2026-03-31"), "quarter") == (D("2026-01-01"),
                                                                   D("2026-04-01"))
    assert part_of(D("2026-01-01"), D("2026-04-01"), "quarter")[0] == D("2026-04-01")


def test_a_checkup_in_each_quarter_is_open_the_whole_quarter(compiled):
    outcome = run(compiled, "2027-01-01", [("2026-01-01", "hba1c_test", {"hba1c": 7}),
                                            ("2026-06-30", "hba1c_test", {"hba1c": 7}),
                                            ("2026-07-01", "hba1c_test", {"hba1c": 7})])
    got = [(c.due.isoformat(), c.status, c.done_on) for c in outcome.checkups]
    assert got == [("2026-03-31", "done", D("2026-01-01")), ("2026-06-30", "done", D("2026-06-30")),
                   ("2026-09-30", "done", D("2026-07-01")), ("2026-12-31", "missed", None),
                   ("2027-03-31", "due", None)]
    assert outcome.checkups[0].window == (D("2026-01-01"), D("2026-03-31"))
    assert len(outcome.checkups) == 5  # four in the first year: none falls in the next


def test_k_of_n_quarters_with_a_reading_at_both_sides_of_the_boundary(compiled):
    three = [("2026-03-31", "hba1c_test", {"hba1c": 7}),  # last day of Q1
             ("2026-04-01", "hba1c_test", {"hba1c": 7}),  # first day of Q2
             ("2026-12-31", "hba1c_test", {"hba1c": 7})]  # last day of Q4
    kept = run(compiled, "2027-01-01", three)
    assert kept.adherence[0].years == {1: True}
    assert kept.coverage.sum_insured == 110000
    two = run(compiled, "2027-01-01", [three[0], ("2026-03-01", "hba1c_test", {"hba1c": 7}),
                                       three[2]])
    assert two.adherence[0].years == {1: False}  # two readings in Q1 are one quarter


def test_a_count_over_the_quarter_so_far(compiled):
    outcome = run(compiled, "2026-05-15", [("2026-03-31", "hba1c_test", {"hba1c": 7}),
                                            ("2026-04-01", "hba1c_test", {"hba1c": 7})])
    current = outcome.adherence[0].current
    assert (current["tests_this_quarter"], current["hba1c_tests"],
            current["quarters_with_a_test"]) == (1, 2, 2)


@pytest.mark.parametrize("second_half_days, kept", [(148, True), (147, False)])
def test_pdc_in_each_half_at_the_boundary(compiled, second_half_days, kept):
    # H1 2026-01-01..06-30 (181 days): 180 days covered; H2 07-01..12-31 (184 days) needs
    # 0.8 * 184 = 147.2, so 148 days (0.8043) keep it and 147 (0.7989) do not
    outcome = run(compiled, "2027-01-01", [
        ("2026-01-01", "refill", {"days_supply": 180}),
        ("2026-07-01", "refill", {"days_supply": second_half_days})])
    assert outcome.adherence[1].years == {1: kept}
    assert outcome.coverage.premium_adjustment_percent == (-10 if kept else 0)


def test_a_half_missed_entirely_is_not_made_up_by_the_other(compiled):
    outcome = run(compiled, "2027-01-01", [("2026-07-01", "refill", {"days_supply": 180}),
                                            ("2026-12-28", "refill", {"days_supply": 180})])
    assert outcome.adherence[1].years == {1: False}  # the year's PDC is ~0.5; H1 had none


def test_diff_names_and_judges_a_threshold_per_part_and_a_trigger_kind():
    old = load(FIXTURE)
    text = FIXTURE.read_text(encoding="utf-8")
    harder = loads(text.replace("metric: refill_pdc, at_least: pdc_min",
                                "metric: refill_pdc, at_least: 0.9"), "harder.yaml")
    found = [(c.kind, c.effect, c.subject) for c in diff(old, harder).changes]
    assert found == [("metric_changed", "unfavourable", "metric.halves_on_medicine")]
    periodic = loads(text.replace("trigger: {each: quarter}", "trigger: {every_months: 3}"),
                     "periodic.yaml")
    kinds = [(c.kind, c.subject) for c in diff(old, periodic).changes]
    assert kinds == [("checkup_trigger_changed", "checkup.quarterly_hba1c")]
