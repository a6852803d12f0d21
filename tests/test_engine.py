"""Scenario tests for the engine: every hepatitis B example case, checked by hand.

Each expected value below was worked out from the product's parameters
(products/hepatitis_b.yaml), not copied from the engine's output:

- sum insured 200,000; full tier 100%, reduced tier 50%; bonus +10% per
  adherent policy year, capped at +50%, frozen (not reset) in a missed year;
- entry ages 18..60 inclusive; ALT limit 50 U/L (men) / 40 U/L (women);
  an HBV DNA report is due 30 days after the start when ALT > 1.3x the limit;
- monitoring every 6 calendar months from the start, window +-30 days, then
  60 grace days, missed the day after the grace days end; specialist review
  due 30 days after a flare (ALT > 2x the limit), a cancer sign (AFP > 20 or a
  nodule >= 10 mm) or an HBV DNA rise to >= 10x its lowest level (and >= 200);
  a case-manager call due 14 days after any of those signs;
- a liver stiffness scan every 12 calendar months from the start, window +-30
  days, no grace: a missed scan changes nothing, so it shows only in the
  check-up list;
- liver cancer waiting period 180 days: cover starts on day 1, so day 180 is
  the last day inside it; disease waiting period 90 days;
- check-up costs: 100% up to 500 a visit, 1,000 and 2 paid visits a policy year.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from configurator import case_from_data, compile_product, evaluate, load, load_case
from configurator.cases.calendar import add_years, year_number
from configurator.runs.demo import example_cases

from .paths import CASES, PRODUCT

CASE_NAMES = sorted(p.stem for p in example_cases(PRODUCT))

GENERAL = [("alcohol_or_drugs", "product"), ("stopped_treatment", "product"),
           ("pre_existing_illness", "product"), ("self_harm_or_war", "product")]
CONDITIONED = ("eligibility.", "trigger.", "result.", "adherence.", "exclusion.")


def case_of(compiled, name: str):
    return load_case(CASES / f"{name}.yaml", compiled.product)


def run(compiled, name: str, explain: bool = False) -> dict[str, Any]:
    return evaluate(compiled, case_of(compiled, name), explain=explain).to_json()


def run_data(compiled, data: dict[str, Any]) -> dict[str, Any]:
    return evaluate(compiled, case_from_data(data, compiled.product)).to_json()


# ------------------------------------------------------------------ views


def rules(out: dict) -> list[str]:
    return [r["rule"] for r in out["reasons"]]


def dated_rules(out: dict) -> list[tuple[str, str]]:
    return [(r["rule"], r["date"]) for r in out["reasons"]]


def exclusions(out: dict) -> list[tuple[str, str]]:
    return [(x["id"], x["source"]) for x in out["exclusions"]]


def checkups(out: dict) -> list[tuple[str, str, str, str | None]]:
    return [(c["id"], c["due"], c["status"], c.get("done_on")) for c in out["checkups"]]


def claims(out: dict) -> list[tuple[str, str | None, str, str]]:
    return [(c["id"], c["benefit"], c["status"], c["payable"]) for c in out["claims"]]


def claim(out: dict, claim_id: str) -> dict:
    return next(c for c in out["claims"] if c["id"] == claim_id)


def cover(out: dict) -> tuple[str, str | None, Any, bool, Any]:
    c = out["coverage"]
    return (c["sum_insured"], c["tier"], c["premium_adjustment_percent"], c["in_force"],
            c["bonus_percent"])


def programme(out: dict, programme_id: str) -> dict:
    return next(a for a in out["adherence"] if a["id"] == programme_id)


NOT_ISSUED = ("0.00", None, 0, False, 0)


# ------------------------------------------------------------------ underwriting


def test_clean_carrier_is_accepted_on_standard_terms(compiled):
    out = run(compiled, "clean_carrier_accepted")
    assert out["decision"] == "accept"
    assert out["reasons"] == [] and out["loadings"] == [] and out["claims"] == []
    assert exclusions(out) == GENERAL
    assert cover(out) == ("200000.00", "full", 0, True, 0)
    # first check-up: 6 calendar months after 2026-03-01, window +-30 days
    assert checkups(out) == [("monitoring", "2026-09-01", "due", None),
                             ("liver_stiffness", "2027-03-01", "due", None)]
    assert out["checkups"][0]["window"] == ["2026-08-02", "2026-10-01"]
    # 60 grace days after the window: 2026-10-01 + 60 days
    assert out["checkups"][0]["deadline"] == "2026-11-30"


@pytest.mark.parametrize("name", ["age_18_accepted", "age_60_accepted"])
def test_entry_age_limits_are_inclusive(compiled, name):
    out = run(compiled, name)
    assert out["decision"] == "accept"
    assert rules(out) == [] and out["loadings"] == []
    assert exclusions(out) == GENERAL
    assert cover(out) == ("200000.00", "full", 0, True, 0)
    assert checkups(out) == [("monitoring", "2026-07-01", "due", None),
                             ("liver_stiffness", "2027-01-01", "due", None)]


@pytest.mark.parametrize("name, age", [("age_17_declined", 17), ("age_61_declined", 61)])
def test_one_year_outside_the_entry_ages_is_declined(compiled, name, age):
    out = run(compiled, name, explain=True)
    assert out["decision"] == "decline"
    assert rules(out) == ["eligibility.age_outside_range"]
    assert out["reasons"][0]["values"] == {"age": age, "min_entry_age": 18, "max_entry_age": 60}
    assert out["loadings"] == [] and out["exclusions"] == [] and out["checkups"] == []
    assert cover(out) == NOT_ISSUED


def test_big_three_positive_is_loaded_30_percent(compiled):
    out = run(compiled, "big_three_positive_loading")
    assert out["decision"] == "accept"
    assert rules(out) == ["eligibility.big_three_positive_loading"]
    assert out["loadings"] == [{"rule": "eligibility.big_three_positive_loading", "percent": 30}]
    assert exclusions(out) == GENERAL
    assert cover(out) == ("200000.00", "full", 30, True, 0)
    assert checkups(out) == [("monitoring", "2026-08-01", "due", None),
                             ("liver_stiffness", "2027-02-01", "due", None)]


def test_controlled_chronic_hepatitis_is_loaded_40_percent(compiled):
    out = run(compiled, "chronic_hepatitis_controlled_loading")
    assert out["decision"] == "accept"
    assert rules(out) == ["eligibility.chronic_hepatitis_loading"]
    assert out["loadings"] == [{"rule": "eligibility.chronic_hepatitis_loading", "percent": 40}]
    assert cover(out) == ("200000.00", "full", 40, True, 0)


def test_uncontrolled_chronic_hepatitis_is_declined(compiled):
    out = run(compiled, "chronic_hepatitis_uncontrolled_declined", explain=True)
    assert out["decision"] == "decline"
    assert "eligibility.chronic_hepatitis_not_controlled" in rules(out)
    # ALT 88 is 1.76x the male limit of 50: raised, but not above the 2x decline line
    assert "eligibility.alt_too_high" not in rules(out)
    reason = next(r for r in out["reasons"]
                  if r["rule"] == "eligibility.chronic_hepatitis_not_controlled")
    assert reason["values"]["antiviral_months"] == 4
    assert reason["values"]["hbv_dna"] == 3800
    # no policy: no loading, no exclusion, and the HBV DNA report is not scheduled
    assert out["loadings"] == [] and out["exclusions"] == [] and out["checkups"] == []
    assert cover(out) == NOT_ISSUED


def test_cirrhosis_is_declined(compiled):
    out = run(compiled, "cirrhosis_declined")
    assert out["decision"] == "decline"
    assert rules(out) == ["eligibility.advanced_liver_disease"]  # portal vein 12.5 <= 13 mm
    assert out["checkups"] == [] and out["exclusions"] == []
    assert cover(out) == NOT_ISSUED


def test_high_viral_load_without_treatment_is_referred(compiled):
    out = run(compiled, "high_viral_load_untreated_referred", explain=True)
    assert out["decision"] == "refer"
    assert rules(out) == ["eligibility.high_viral_load_untreated"]
    assert out["reasons"][0]["values"] == {"hbv_dna": 24000, "hbv_dna_max_untreated": 2000,
                                           "on_antivirals": False}
    assert out["loadings"] == [] and out["checkups"] == []
    assert cover(out) == NOT_ISSUED


def test_fatty_liver_is_accepted_with_an_underwriting_exclusion(compiled):
    out = run(compiled, "fatty_liver_accepted_with_exclusion")
    assert out["decision"] == "accept"
    assert rules(out) == ["eligibility.fatty_liver_exclusion"]
    assert exclusions(out) == GENERAL + [("fatty_liver_disease",
                                          "eligibility.fatty_liver_exclusion")]
    assert out["exclusions"][-1]["since"] == "2026-01-01"
    assert cover(out) == ("200000.00", "full", 0, True, 0)


# ------------------------------------------------------------------ exclusions on claims


def test_claim_caused_by_fatty_liver_is_refused(compiled):
    out = run(compiled, "fatty_liver_claim_refused")
    assert out["decision"] == "accept"
    assert dated_rules(out) == [("eligibility.fatty_liver_exclusion", "2026-01-01"),
                                ("done.monitoring", "2026-06-25"),
                                ("done.monitoring", "2026-12-28"),
                                ("adherence.treatment_adherence", "2027-01-01"),
                                ("adherence.adherence_discount", "2027-01-01")]
    # no scan in the window 2026-12-02..2027-01-31: missed, and cover is unchanged
    assert checkups(out) == [("monitoring", "2026-07-01", "done", "2026-06-25"),
                             ("monitoring", "2027-01-01", "done", "2026-12-28"),
                             ("monitoring", "2027-07-01", "due", None),
                             ("liver_stiffness", "2027-01-01", "missed", None),
                             ("liver_stiffness", "2028-01-01", "due", None)]
    assert claims(out)[:2] == [("monitoring_visit-1", "checkup_costs", "paid", "430.00"),
                               ("monitoring_visit-2", "checkup_costs", "paid", "450.00")]
    assert exclusions(out)[-1] == ("fatty_liver_disease", "eligibility.fatty_liver_exclusion")
    # two check-ups in year 1 (not on antivirals): +10% and 5% off the premium from 2027-01-01
    assert cover(out) == ("220000.00", "full", -5, True, 10)


def test_fatty_liver_exclusion_refuses_the_claim(compiled):
    out = run(compiled, "fatty_liver_claim_refused")
    refused = claim(out, "decompensated_cirrhosis_diagnosis-1")
    assert (refused["benefit"], refused["status"], refused["payable"]) == (
        "decompensated_cirrhosis", "declined", "0.00")
    assert [r["rule"] for r in refused["reasons"]] == ["exclusion.fatty_liver_disease"]


def test_claim_caused_by_alcohol_is_refused(compiled):
    out = run(compiled, "alcohol_claim_refused")
    assert out["decision"] == "accept"
    assert claims(out) == [
        ("monitoring_visit-1", "checkup_costs", "paid", "420.00"),
        ("decompensated_cirrhosis_diagnosis-1", "decompensated_cirrhosis", "declined", "0.00")]
    refused = claim(out, "decompensated_cirrhosis_diagnosis-1")
    assert [r["rule"] for r in refused["reasons"]] == ["exclusion.alcohol_or_drugs"]
    # ALT 96 at the visit is under 2x50: no flare review
    assert checkups(out) == [("monitoring", "2026-07-01", "done", "2026-06-20"),
                             ("monitoring", "2027-01-01", "due", None),
                             ("liver_stiffness", "2027-01-01", "due", None)]
    assert rules(out) == ["done.monitoring"]


# ------------------------------------------------------------------ HBV DNA report


def test_raised_alt_report_sent_on_time(compiled):
    out = run(compiled, "alt_raised_dna_report_on_time")
    assert out["decision"] == "accept"
    # ALT 58 / 40 = 1.45x > 1.3x: report due 30 days after 2026-04-01
    assert checkups(out) == [("viral_load_report", "2026-05-01", "done", "2026-04-20"),
                             ("monitoring", "2026-10-01", "due", None),
                             ("liver_stiffness", "2027-04-01", "due", None)]
    report = out["checkups"][0]
    assert report["reason"] == "triggered by trigger.viral_load_report on 2026-04-01"
    assert report["deadline"] == "2026-05-01"
    assert not [r for r in rules(out) if r.startswith(("result.", "missed."))]
    assert cover(out) == ("200000.00", "full", 0, True, 0)


def test_raised_alt_trigger_is_explained(compiled):
    out = run(compiled, "alt_raised_dna_report_on_time", explain=True)
    assert ("trigger.viral_load_report", "2026-04-01") in dated_rules(out)


def test_raised_alt_report_missed_refers(compiled):
    out = run(compiled, "alt_raised_dna_report_missed_referred")
    assert out["decision"] == "refer"
    assert checkups(out) == [("viral_load_report", "2026-05-01", "missed", None),
                             ("monitoring", "2026-10-01", "due", None),
                             ("liver_stiffness", "2027-04-01", "due", None)]
    # no grace days: due 2026-05-01, missed the next day
    assert dated_rules(out) == [("trigger.viral_load_report", "2026-04-01"),
                                ("missed.viral_load_report", "2026-05-02")]


def test_raised_alt_report_high_refers(compiled):
    out = run(compiled, "alt_raised_dna_report_high_referred", explain=True)
    assert out["decision"] == "refer"
    assert checkups(out)[0] == ("viral_load_report", "2026-05-01", "done", "2026-04-22")
    assert dated_rules(out) == [("trigger.viral_load_report", "2026-04-01"),
                                ("result.viral_load_report.viral_load_high", "2026-04-22")]
    assert out["reasons"][1]["values"]["hbv_dna"] == 36000


# ------------------------------------------------------------------ check-ups and tiers


def test_missed_checkup_cuts_cover_to_the_reduced_tier(compiled):
    out = run(compiled, "missed_checkup_reduced_cover")
    assert out["decision"] == "accept"
    assert checkups(out) == [("monitoring", "2026-07-01", "missed", None),
                             ("monitoring", "2027-01-01", "due", None),
                             ("liver_stiffness", "2027-01-01", "due", None)]
    # window closes 2026-07-31, 60 grace days end 2026-09-29: missed on 2026-09-30
    assert dated_rules(out) == [("missed.monitoring", "2026-09-30")]
    assert cover(out) == ("100000.00", "reduced", 0, True, 0)
    assert claims(out) == [("liver_cancer_diagnosis-1", "liver_cancer", "paid", "100000.00")]


def test_next_visit_restores_full_cover(compiled):
    out = run(compiled, "missed_checkup_restored_by_next_visit")
    assert dated_rules(out) == [("missed.monitoring", "2026-09-30"),
                                ("done.monitoring", "2026-12-18"),
                                ("trigger.cancer_screen_review", "2026-12-18"),
                                ("trigger.case_management", "2026-12-18")]
    # the case-manager call was due 14 days after the visit (2027-01-01) and
    # never happened; the scan due 2027-01-01 is still inside its window
    assert checkups(out) == [
        ("monitoring", "2026-07-01", "missed", None),
        ("monitoring", "2027-01-01", "done", "2026-12-18"),
        ("monitoring", "2027-07-01", "due", None),
        ("liver_stiffness", "2027-01-01", "overdue", None),
        ("liver_stiffness", "2028-01-01", "due", None),
        ("cancer_screen_review", "2027-01-17", "done", "2027-01-08"),
        ("case_management", "2027-01-01", "missed", None)]
    assert claims(out) == [("monitoring_visit-1", "checkup_costs", "paid", "480.00"),
                           ("liver_cancer_diagnosis-1", "liver_cancer", "paid", "200000.00")]
    # one check-up in year 1 is not enough for the bonus
    assert programme(out, "treatment_adherence")["years"] == {"1": False}
    assert cover(out) == ("200000.00", "full", 0, True, 0)


# first check-up due 2026-07-01: window to 2026-07-31, grace days to 2026-09-29
@pytest.mark.parametrize("day, status, tier", [("2026-09-29", "done", "full"),
                                               ("2026-09-30", "missed", "reduced"),
                                               ("2026-10-15", "missed", "reduced")])
def test_a_late_checkup_counts_only_within_the_grace_days(compiled, day, status, tier):
    """A visit after the grace days completes nothing and does not restore cover."""
    out = with_events(compiled, "missed_checkup_reduced_cover", "2026-11-30", [visit(day)])
    assert checkups(out)[0][:3] == ("monitoring", "2026-07-01", status)
    assert out["coverage"]["tier"] == tier
    assert "in time" in compiled.product.coverage.tiers["reduced"].text.en


def test_flare_at_an_extra_checkup_calls_for_a_review(compiled):
    flare = {**visit("2026-05-01"), "alt": 150}
    out = with_events(compiled, "clean_carrier_accepted", "2026-05-20", [flare])
    assert ("flare_review", "2026-05-31", "due", None) in checkups(out)


def with_events(compiled, name: str, as_of: str, events: list[dict]) -> dict:
    data = case_of(compiled, name).to_data()
    data["as_of"], data["events"] = as_of, events
    return run_data(compiled, data)


def visit(day: str, cost: int = 400) -> dict:
    return {"date": day, "type": "monitoring_visit", "alt": 30, "hbv_dna": 400, "afp": 3.0,
            "cost": cost}


# clean carrier: start 2026-03-01, first check-up due 2026-09-01, window 08-02..10-01,
# grace days 10-02..11-30
@pytest.mark.parametrize("day, status", [("2026-08-01", "missed"), ("2026-08-02", "done"),
                                         ("2026-10-01", "done"), ("2026-10-02", "done"),
                                         ("2026-11-30", "done"), ("2026-12-01", "missed")])
def test_checkup_window_edges(compiled, day, status):
    out = with_events(compiled, "clean_carrier_accepted", "2026-12-15", [visit(day)])
    first = checkups(out)[0]
    assert first[:3] == ("monitoring", "2026-09-01", status)
    if status == "done":
        assert first[3] == day and out["coverage"]["tier"] == "full"
    else:
        assert out["coverage"]["tier"] == "reduced"
    # the visit is reimbursed whether or not it was on time
    assert claims(out) == [("monitoring_visit-1", "checkup_costs", "paid", "400.00")]


@pytest.mark.parametrize("as_of, status, tier", [
    ("2026-08-31", "due", "full"), ("2026-09-02", "overdue", "full"),
    ("2026-10-01", "overdue", "full"), ("2026-10-02", "overdue", "full"),
    ("2026-11-30", "overdue", "full"), ("2026-12-01", "missed", "reduced")])
def test_checkup_status_as_time_passes(compiled, as_of, status, tier):
    out = with_events(compiled, "clean_carrier_accepted", as_of, [])
    assert checkups(out)[0] == ("monitoring", "2026-09-01", status, None)
    assert out["coverage"]["tier"] == tier


@pytest.mark.parametrize("day, status, decision", [("2026-05-01", "done", "accept"),
                                                   ("2026-05-02", "missed", "refer")])
def test_dna_report_due_day_is_the_last_day(compiled, day, status, decision):
    report = {"date": day, "type": "dna_test", "hbv_dna": 1100}
    out = with_events(compiled, "alt_raised_dna_report_on_time", "2026-05-15", [report])
    assert checkups(out)[0][:3] == ("viral_load_report", "2026-05-01", status)
    assert out["decision"] == decision


# disease waiting period 90 days from 2026-01-01: day 90 is 2026-03-31
@pytest.mark.parametrize("day, status, payable, rule", [
    ("2026-03-31", "declined", "0.00", "waiting.decompensated_cirrhosis"),
    ("2026-04-01", "paid", "100000.00", "benefit.decompensated_cirrhosis")])
def test_disease_waiting_period_is_90_days(compiled, day, status, payable, rule):
    diagnosis = {"date": day, "type": "decompensated_cirrhosis_diagnosis"}
    out = with_events(compiled, "missed_checkup_reduced_cover", "2026-04-30", [diagnosis])
    found = claim(out, "decompensated_cirrhosis_diagnosis-1")
    assert (found["status"], found["payable"]) == (status, payable)
    assert [r["rule"] for r in found["reasons"]] == [rule]


def test_liver_cancer_is_paid_once_in_a_lifetime(compiled):
    out = with_events(compiled, "missed_checkup_reduced_cover", "2027-03-31", [
        {"date": "2026-07-20", "type": "liver_cancer_diagnosis"},
        {"date": "2027-03-01", "type": "liver_cancer_diagnosis"}])
    assert claims(out) == [("liver_cancer_diagnosis-1", "liver_cancer", "paid", "200000.00"),
                           ("liver_cancer_diagnosis-2", "liver_cancer", "declined", "0.00")]
    assert "lifetime limit 1" in claim(out, "liver_cancer_diagnosis-2")["reasons"][-1]["text"]


def test_waiting_period_last_day_is_day_180(compiled):
    out = run(compiled, "cancer_claim_day_180_in_waiting")
    assert claims(out) == [("monitoring_visit-1", "checkup_costs", "paid", "480.00"),
                           ("liver_cancer_diagnosis-1", "liver_cancer", "declined", "0.00")]
    refused = claim(out, "liver_cancer_diagnosis-1")
    assert refused["date"] == "2026-06-29"
    assert [r["rule"] for r in refused["reasons"]] == ["waiting.liver_cancer"]
    assert "day 180 " in refused["reasons"][0]["text"]
    # AFP 160 and a 28 mm nodule call for a specialist review within 30 days and
    # a case-manager call within 14 (due 2026-06-24, missed on 2026-06-25)
    assert checkups(out) == [("monitoring", "2026-07-01", "done", "2026-06-10"),
                             ("liver_stiffness", "2027-01-01", "due", None),
                             ("cancer_screen_review", "2026-07-10", "done", "2026-06-20"),
                             ("case_management", "2026-06-24", "missed", None)]
    assert rules(out) == ["done.monitoring", "trigger.cancer_screen_review",
                          "trigger.case_management"]


def test_waiting_period_is_over_on_day_181(compiled):
    out = run(compiled, "cancer_claim_day_181_paid")
    paid = claim(out, "liver_cancer_diagnosis-1")
    assert (paid["date"], paid["status"], paid["payable"]) == ("2026-06-30", "paid", "200000.00")
    assert [r["rule"] for r in paid["reasons"]] == ["benefit.liver_cancer"]


# ------------------------------------------------------------------ adherence


def test_bonus_reaches_its_cap_and_stops(compiled):
    out = run(compiled, "bonus_capped_after_five_years")
    assert cover(out) == ("300000.00", "full", -5, True, 50)
    bonus = programme(out, "treatment_adherence")
    assert bonus["years"] == {str(y): True for y in range(1, 7)}
    assert (bonus["bonus_percent"], bonus["cap_percent"], bonus["consecutive_years"]) == (
        50, 50, 6)
    visits = ["2026-06-22", "2026-12-21", "2027-06-21", "2027-12-20", "2028-06-19",
              "2028-12-18", "2029-06-25", "2029-12-17", "2030-06-24", "2030-12-16",
              "2031-06-23", "2031-12-22"]
    expected = []
    for year in range(6):
        expected += [("done.monitoring", visits[2 * year]),
                     ("done.monitoring", visits[2 * year + 1]),
                     ("adherence.treatment_adherence", f"{2027 + year}-01-01"),
                     ("adherence.adherence_discount", f"{2027 + year}-01-01")]
    assert dated_rules(out) == expected
    assert [c[2] for c in checkups(out)] == ["done"] * 12 + ["due"] + ["missed"] * 6 + ["due"]
    assert checkups(out)[12] == ("monitoring", "2032-07-01", "due", None)
    # no scans: every yearly scan from 2027-01-01 to 2032-01-01 is missed, cover unchanged
    assert checkups(out)[13:] == [("liver_stiffness", f"{y}-01-01", "missed", None)
                                  for y in range(2027, 2033)] + [
        ("liver_stiffness", "2033-01-01", "due", None)]
    assert claims(out) == [(f"monitoring_visit-{n}", "checkup_costs", "paid", "400.00")
                           for n in range(1, 13)]


@pytest.mark.parametrize("as_of, bonus, sum_insured", [
    ("2026-12-31", 0, "200000.00"), ("2027-02-15", 10, "220000.00"),
    ("2028-02-15", 20, "240000.00"), ("2029-02-15", 30, "260000.00"),
    ("2030-02-15", 40, "280000.00"), ("2031-02-15", 50, "300000.00")])
def test_bonus_steps_10_percent_a_year(compiled, as_of, bonus, sum_insured):
    data = case_of(compiled, "bonus_capped_after_five_years").to_data()
    data["as_of"] = as_of
    out = run_data(compiled, data)
    assert (out["coverage"]["bonus_percent"], out["coverage"]["sum_insured"]) == (
        bonus, sum_insured)


def test_non_adherent_year_freezes_the_bonus(compiled):
    out = run(compiled, "non_adherence_freezes_bonus", explain=True)
    bonus = programme(out, "treatment_adherence")
    assert bonus["years"] == {"1": True, "2": False, "3": True}
    assert (bonus["bonus_percent"], bonus["consecutive_years"]) == (20, 1)
    assert cover(out) == ("240000.00", "full", -5, True, 20)
    adherent = [r for r in out["reasons"] if r["rule"] == "adherence.treatment_adherence"]
    assert [r["date"] for r in adherent] == ["2027-01-01", "2029-01-01"]
    # refills cover 80% of the days of both halves of 2026 and of 2028 (issue 13: PDC per half)
    assert [r["values"]["halves_on_antivirals"] for r in adherent] == [2, 2]
    assert [c[3] for c in checkups(out) if c[0] == "monitoring"] == [
        "2026-06-24", "2026-12-22", "2027-06-28", "2027-12-27", "2028-06-26", "2028-12-20",
        None]
    # HBV DNA 5,400 on 2027-06-28 is over 10x its lowest level (20, and over 200):
    # a specialist review (30 days) and a case-manager call (14 days), both missed
    assert [(r["rule"], r["values"]) for r in out["reasons"]
            if r["rule"] == "trigger.viral_rise_review"] == [
        ("trigger.viral_rise_review", {"hbv_dna": 5400, "dna_rise_factor": 10, "dna_nadir": 20,
                                       "dna_detection_limit": 20})]
    assert ("trigger.case_management", "2027-06-28") in dated_rules(out)
    assert checkups(out)[-2:] == [("viral_rise_review", "2027-07-28", "missed", None),
                                  ("case_management", "2027-07-12", "missed", None)]
    assert [c[3] for c in claims(out)] == ["410.00", "410.00", "430.00", "430.00",
                                           "420.00", "420.00"]


def test_missed_year_keeps_the_bonus_rather_than_resetting_it(compiled):
    data = case_of(compiled, "non_adherence_freezes_bonus").to_data()
    data["as_of"] = "2028-01-20"  # after year 2 (refills cover 176 of 365 days: 48%)
    out = run_data(compiled, data)
    assert programme(out, "treatment_adherence")["years"] == {"1": True, "2": False}
    assert cover(out) == ("220000.00", "full", 0, True, 10)


def test_hbsag_loss_gives_the_premium_discount_from_renewal(compiled):
    out = run(compiled, "hbsag_loss_premium_discount")
    assert ("adherence.functional_cure", "2027-01-01") in dated_rules(out)
    cure = programme(out, "functional_cure")
    assert (cure["target"], cure["bonus_percent"], cure["years"]) == (
        "premium_discount", 10, {"1": True})
    assert cover(out) == ("220000.00", "full", -20, True, 10)
    assert checkups(out) == [("monitoring", "2026-07-01", "done", "2026-06-22"),
                             ("monitoring", "2027-01-01", "done", "2026-12-15"),
                             ("monitoring", "2027-07-01", "due", None),
                             ("liver_stiffness", "2027-01-01", "missed", None),
                             ("liver_stiffness", "2028-01-01", "due", None)]


def test_no_discount_before_the_renewal(compiled):
    data = case_of(compiled, "hbsag_loss_premium_discount").to_data()
    data["as_of"] = "2026-12-31"
    out = run_data(compiled, data)
    assert out["coverage"]["premium_adjustment_percent"] == 0


# ------------------------------------------------------------------ check-up costs


def test_checkup_costs_hit_the_per_visit_and_yearly_limits(compiled):
    out = run(compiled, "checkup_cost_limits")
    assert claims(out) == [
        ("monitoring_visit-1", "checkup_costs", "partly_paid", "500.00"),
        ("monitoring_visit-2", "checkup_costs", "partly_paid", "500.00"),
        ("monitoring_visit-3", "checkup_costs", "declined", "0.00"),
        ("monitoring_visit-4", "checkup_costs", "paid", "380.00")]
    assert [c.get("claimed") for c in out["claims"]] == ["650.00", "540.00", "430.00", "380.00"]
    refused = claim(out, "monitoring_visit-3")
    assert "limit 2" in refused["reasons"][-1]["text"]
    # ALT 130 > 2x50 at the June visit: specialist review due 30 days later, a
    # case-manager call 14 days later (2026-07-02; never made)
    assert checkups(out) == [("monitoring", "2026-07-01", "done", "2026-06-18"),
                             ("monitoring", "2027-01-01", "done", "2026-12-20"),
                             ("monitoring", "2027-07-01", "done", "2027-06-25"),
                             ("liver_stiffness", "2027-01-01", "missed", None),
                             ("liver_stiffness", "2028-01-01", "due", None),
                             ("flare_review", "2026-07-18", "done", "2026-07-02"),
                             ("case_management", "2026-07-02", "missed", None)]
    assert dated_rules(out) == [("done.monitoring", "2026-06-18"),
                                ("trigger.flare_review", "2026-06-18"),
                                ("trigger.case_management", "2026-06-18"),
                                ("done.monitoring", "2026-12-20"),
                                ("adherence.treatment_adherence", "2027-01-01"),
                                ("adherence.adherence_discount", "2027-01-01"),
                                ("done.monitoring", "2027-06-25")]


def test_yearly_limit_caps_a_claim_on_its_own(tmp_path):
    """With 600 a visit, the 1,000 yearly limit binds before the 2-visit limit."""
    text = PRODUCT.read_text(encoding="utf-8").replace(
        "checkup_claim_limit: {value: 500,", "checkup_claim_limit: {value: 600,")
    variant = tmp_path / "hepatitis_b.yaml"
    variant.write_text(text, encoding="utf-8")
    product = load(variant)
    case = load_case(CASES / "checkup_cost_limits.yaml", product)
    out = evaluate(compile_product(product), case).to_json()
    assert claims(out) == [
        ("monitoring_visit-1", "checkup_costs", "partly_paid", "600.00"),
        ("monitoring_visit-2", "checkup_costs", "partly_paid", "400.00"),
        ("monitoring_visit-3", "checkup_costs", "declined", "0.00"),
        ("monitoring_visit-4", "checkup_costs", "paid", "380.00")]
    notes = [r["text"] for r in claim(out, "monitoring_visit-2")["reasons"]]
    assert "capped by the yearly limit (400.00 left)" in notes


def test_leap_day_start_renews_on_28_february(compiled):
    out = run(compiled, "leap_day_start_renewal")
    assert ("adherence.treatment_adherence", "2029-02-28") in dated_rules(out)
    assert cover(out) == ("220000.00", "full", -5, True, 10)
    assert checkups(out) == [("monitoring", "2028-08-29", "done", "2028-08-20"),
                             ("monitoring", "2029-02-28", "done", "2029-02-10"),
                             ("monitoring", "2029-08-29", "due", None),
                             ("liver_stiffness", "2029-02-28", "overdue", None),
                             ("liver_stiffness", "2030-02-28", "due", None)]
    assert claims(out) == [("monitoring_visit-1", "checkup_costs", "paid", "450.00"),
                           ("monitoring_visit-2", "checkup_costs", "paid", "450.00"),
                           ("monitoring_visit-3", "checkup_costs", "paid", "300.00")]


def test_policy_year_numbers_follow_the_renewal_dates():
    """year_number agrees with counting renewals (add_years) for every start and day."""
    starts = [dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 12, 31),
              dt.date(2028, 2, 28), dt.date(2028, 2, 29)]
    for start in starts:
        renewals = [add_years(start, n) for n in range(1, 7)]
        day = start
        while day < dt.date(start.year + 6, 1, 1):
            expected = 1 + sum(1 for renewal in renewals if renewal <= day)
            assert year_number(start, day) == expected, (start, day)
            day += dt.timedelta(days=1)


# ------------------------------------------------------------------ the original example


def test_adherent_two_years_then_liver_cancer(compiled):
    out = run(compiled, "adherent_two_years", explain=True)
    assert out["decision"] == "accept"
    assert cover(out) == ("240000.00", "full", -5, True, 20)
    adherent = [r for r in out["reasons"] if r["rule"] == "adherence.treatment_adherence"]
    # refills cover 361 of 365 days in 2026 (from 5 January), every day of 2027: both
    # halves of each year reach 80% (issue 13: PDC in each half)
    assert [(r["date"], r["values"]["halves_on_antivirals"]) for r in adherent] == [
        ("2027-01-01", 2), ("2028-01-01", 2)]
    assert claims(out) == [
        ("monitoring_visit-1", "checkup_costs", "paid", "420.00"),
        ("monitoring_visit-2", "checkup_costs", "paid", "420.00"),
        ("monitoring_visit-3", "checkup_costs", "paid", "450.00"),
        ("monitoring_visit-4", "checkup_costs", "partly_paid", "500.00"),
        ("liver_cancer_diagnosis-1", "liver_cancer", "paid", "240000.00")]
    # ALT 110 > 2x40 and AFP 25 > 20 with a 14 mm nodule on 2027-12-28: both reviews
    # due 2028-01-27, both done by the specialist visit on 2028-01-15; the
    # case-manager call due 2028-01-11 was not made; no scans were done
    assert checkups(out)[-7:] == [("monitoring", "2028-07-01", "due", None),
                                  ("liver_stiffness", "2027-01-01", "missed", None),
                                  ("liver_stiffness", "2028-01-01", "missed", None),
                                  ("liver_stiffness", "2029-01-01", "due", None),
                                  ("flare_review", "2028-01-27", "done", "2028-01-15"),
                                  ("cancer_screen_review", "2028-01-27", "done", "2028-01-15"),
                                  ("case_management", "2028-01-11", "missed", None)]


# ------------------------------------------------------------------ every case


def test_there_are_enough_example_cases():
    assert len(CASE_NAMES) >= 11
    for name in CASE_NAMES:
        first = (CASES / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# "), f"{name}.yaml must start with a comment saying what it shows"


CONTRACT = {
    "product": {"id", "version", "hash"},
    "reasons": {"rule", "text"},
    "loadings": {"rule", "percent"},
    "exclusions": {"id", "text", "source"},
    "checkups": {"id", "due", "status", "reason"},
    "claims": {"id", "benefit", "status", "payable", "reasons"},
}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_json_contract(compiled, name):
    out = json.loads(evaluate(compiled, case_of(compiled, name)).dumps())
    assert {"product", "as_of", "decision", "reasons", "loadings", "exclusions", "checkups",
            "coverage", "claims", "trace"} <= set(out)
    assert out["decision"] in ("accept", "decline", "refer")
    assert CONTRACT["product"] <= set(out["product"])
    for key, fields in CONTRACT.items():
        if key != "product":
            for item in out[key]:
                assert fields <= set(item), (key, item)
    assert {"sum_insured", "limits", "premium_adjustment_percent", "tier"} <= set(
        out["coverage"])
    _assert_money_is_text(out)


def _assert_money_is_text(out: dict) -> None:
    amounts = [out["coverage"]["sum_insured"], *out["coverage"]["limits"].values()]
    for item in out["claims"]:
        amounts += [item["payable"], *([item["claimed"]] if "claimed" in item else [])]
    for amount in amounts:
        assert isinstance(amount, str), amount
        assert Decimal(amount) == Decimal(amount).quantize(Decimal("0.01"))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_same_case_same_outcome(compiled, name):
    case = case_of(compiled, name)
    first = evaluate(compiled, case, explain=True).dumps()
    assert evaluate(compiled, case, explain=True).dumps() == first
    again = case_from_data(case.to_data(), compiled.product)
    assert evaluate(compiled, again, explain=True).dumps() == first


@pytest.mark.parametrize("name", CASE_NAMES)
def test_event_order_in_the_file_does_not_matter(compiled, name):
    case = case_of(compiled, name)
    data = case.to_data()
    data["events"] = [{k: v for k, v in e.items() if k != "id"} for e in reversed(data["events"])]
    assert run_data(compiled, data) == evaluate(compiled, case).to_json()


@pytest.mark.parametrize("name", CASE_NAMES)
def test_explain_and_trace_name_real_rules(compiled, name):
    out = run(compiled, name, explain=True)
    for reason in out["reasons"]:
        assert reason["rule"] in compiled.rules
        if reason["rule"].startswith(CONDITIONED):
            assert reason["values"], reason
            assert reason["checks"][0]["value"] is True, reason
    for item in out["claims"]:
        for reason in item["reasons"]:
            assert reason["rule"] == "claim" or reason["rule"] in compiled.rules
    for step in out["trace"]:
        assert step["rule"] in compiled.rules, step
        assert not step["rule"].startswith("_seen.")
    fired = {step["rule"] for step in out["trace"]}
    assert {r["rule"] for r in out["reasons"]} <= fired


def test_explain_shows_values_and_checks_for_a_loading(compiled):
    out = run(compiled, "big_three_positive_loading", explain=True)
    reason = out["reasons"][0]
    assert reason["values"] == {"hbv_status": "big_three_positive"}
    assert reason["checks"] == [{"condition": reason["checks"][0]["condition"], "value": True,
                                 "depth": 0}]
    assert "hbv_status" in reason["checks"][0]["condition"]
    assert reason["clause"] == "2.5"  # declines are 2.1.1-2.1.7; the loadings follow
    assert re.search(r"hepatitis_b\.yaml:\d+:\d+$", reason["source"])


def test_tiny_and_huge_numbers_reach_the_engine_safely(compiled):
    """orjson writes 1e-7 and 1e+16 without a decimal point, which durable-rules
    cannot read (it crashed the process): such values must still evaluate."""
    tiny = {**visit("2026-09-01"), "afp": 1e-7, "alt": 5e-324}
    out = with_events(compiled, "clean_carrier_accepted", "2026-09-02", [tiny])
    assert checkups(out)[0] == ("monitoring", "2026-09-01", "done", "2026-09-01")
    assert [r["rule"] for r in out["reasons"]] == ["done.monitoring"]
