"""Personalised policies: page 1 (key facts) and the schedule say the person's values.

For each bundled product, example cases whose cover differs from the specimen
(a bonus, a cut cover level, a loading, a discount, raised limits, an
exclusion added by underwriting) are rendered to PDF in both languages. Page 1
must hold the person's sum insured, loadings, exclusions and premium, all
worked out from their Outcome, and never the specimen value they replace.
"""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from configurator import load, load_case
from configurator.cases.outcome import money
from configurator.document.keyfacts import premium_terms
from configurator.document.phrases import Values
from configurator.environment import Environment
from configurator.product.params import parameters_at

from .paths import PRODUCTS_DIR

ENV = Environment()
LOCALES = ["en", "zh-CN"]

# (product, example case): each changes cover or price away from the specimen
CASES = [
    ("hepatitis_b", "fatty_liver_claim_refused"),  # sum insured 220,000 and an added exclusion
    ("hepatitis_b", "missed_checkup_reduced_cover"),  # reduced cover level: 50%
    ("hepatitis_b", "big_three_positive_loading"),  # a 30% loading
    ("senior_checkup", "accident_day_one_illness_waiting"),  # base cover, 40%, before the check-up
    ("senior_checkup", "uncontrolled_blood_pressure_loading"),  # loading and check-up rebate
    ("senior_checkup", "lung_nodule_exclusion"),  # full cover after the check-up, an exclusion
    ("oral_health", "premium_discount_smoker"),  # loading and scaling-reward discount
    ("oral_health", "limits_bonus_capped"),  # yearly limits raised by the scaling reward
    ("copd", "care_plan_bonus_capped"),  # a loading and a raised hospital limit
]


def _flat(text: str, locale: str) -> str:
    """pdftotext output as one line: English words single-spaced, Chinese without spaces."""
    return re.sub(r"\s+", "", text) if locale == "zh-CN" else " ".join(text.split())


def _pages(pdf: bytes, tmp_path, first: int, last: int) -> str:
    path = tmp_path / "policy.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", "-f", str(first), "-l", str(last), str(path),
                           "-"], capture_output=True, text=True, check=True).stdout


def _case(product_id: str, case_id: str):
    product = load(PRODUCTS_DIR / f"{product_id}.yaml")
    case = load_case(PRODUCTS_DIR / product_id / f"{case_id}.yaml", product)
    return product, case, ENV.evaluate(product, case)


def _expected(product, outcome, locale: str) -> dict[str, list[str]]:
    """What page 1 must say, worked out here from the Outcome and the product's terms."""
    v = Values(product, parameters_at(product, outcome.as_of), locale)
    names = {x.id: x.name.en if locale == "en" else x.name.zh_CN for x in product.exclusions}
    terms = premium_terms(product, outcome, locale)
    standard = money(product.premium.net)
    loadings = [v.money(money(standard * Decimal(str(x.percent)) / 100))
                for x in outcome.loadings if x.removed is None]
    return {"sum insured": [v.money(outcome.coverage.sum_insured)],
            "loadings": [v.percent(x.percent) for x in outcome.loadings if x.removed is None]
            + loadings,
            "discounts": [v.money(c.amount) for c in terms.discounts],
            "exclusions": [names[x.id] for x in outcome.exclusions if x.source != "product"],
            "premium": [v.money(terms.total)]}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("product_id", "case_id"), CASES)
def test_page_one_holds_the_persons_cover_and_premium(product_id, case_id, locale, tmp_path):
    product, case, outcome = _case(product_id, case_id)
    assert outcome.decision == "accept"
    pdf = ENV.render_pdf(product, case, locale=locale)
    page1 = _flat(_pages(pdf, tmp_path, 1, 1), locale)
    for what, needles in _expected(product, outcome, locale).items():
        for needle in needles:
            assert _flat(needle, locale) in page1, f"{what}: {needle!r} not on page 1"
    cooling = "change your mind" if locale == "en" else "犹豫期"
    assert cooling in page1, "the key facts run over page 1"


def _specimen_amount(product, locale: str) -> str:
    v = Values(product, parameters_at(product, product.effective_from), locale)
    return v.ref(product.coverage.sum_insured, product.currency)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("product_id", "case_id"), [
    ("hepatitis_b", "fatty_liver_claim_refused"), ("hepatitis_b", "missed_checkup_reduced_cover"),
    ("senior_checkup", "accident_day_one_illness_waiting")])
def test_no_specimen_sum_insured_where_the_persons_differs(product_id, case_id, locale,
                                                            tmp_path):
    """The issue's example: page 1 said RMB 200,000 while page 2 said RMB 220,000."""
    product, case, outcome = _case(product_id, case_id)
    specimen = _specimen_amount(product, locale)
    mine = Values(product, {}, locale).money(outcome.coverage.sum_insured)
    assert mine != specimen
    pdf = ENV.render_pdf(product, case, locale=locale)
    for page in (1, 2):
        text = _flat(_pages(pdf, tmp_path, page, page), locale)
        assert _flat(mine, locale) in text, f"page {page} lacks {mine}"
        assert _flat(specimen, locale) not in text, f"page {page} shows the specimen {specimen}"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_cut_cover_level_gives_its_share_of_the_full_sum_insured(locale, tmp_path):
    product, case, _ = _case("senior_checkup", "accident_day_one_illness_waiting")
    pdf = ENV.render_pdf(product, case, locale=locale)
    page1 = _flat(_pages(pdf, tmp_path, 1, 1), locale)
    expected = {"en": "Cover level: Base cover until your check-up, 40% of the full sum insured.",
                "zh-CN": "保障档次：体检前基础保障，为全额保额的40%。"}[locale]
    assert _flat(expected, locale) in page1
    due = {"en": "Health check-up after you buy: due 30 April 2026, at the latest by 30 May 2026.",
           "zh-CN": "投保后体检：应检日2026年4月30日，最迟2026年5月30日完成。"}[locale]
    assert _flat(due, locale) in page1


def test_the_premium_adds_loadings_and_takes_off_discounts():
    """1,000 standard + 20% smoker loading - 15% scaling discount = 1,050 (oral_health)."""
    product, case, outcome = _case("oral_health", "premium_discount_smoker")
    policy = ENV.document(product, case)
    premium = next(g for g in policy.key_facts.groups if g.title == "Your premium")
    assert [i.text for i in premium.items] == [
        "Standard premium: RMB 1,000 a year.",
        "Extra premium (a loading) of 20%: RMB 200 more.",
        "Discount of 15% (Scaling reward - premium discount): RMB 150 less.",
        "You pay RMB 1,050 a year, of which RMB 180 is for health services."]
    assert [i.attention for i in premium.items] == [False, True, False, False]
    rows = {row.label: row.value for row in policy.schedule.rows}
    assert rows["You pay"] == "RMB 1,050 a year"
    assert rows["Extra premium for you"] == "20% more, RMB 200 a year (Smoking, clause 2.3)"
    assert "Premium change" not in rows
    # the Outcome's adjustment is the loadings less the discounts
    terms = premium_terms(product, outcome, "en")
    assert terms.total == money(product.premium.net) * (
        1 + Decimal(str(outcome.coverage.premium_adjustment_percent)) / 100)


def test_a_check_up_rebate_is_named_as_the_discount():
    product, case, outcome = _case("senior_checkup", "uncontrolled_blood_pressure_loading")
    terms = premium_terms(product, outcome, "en")
    assert [(c.percent, c.amount) for c in terms.loadings] == [(25, Decimal("700.00"))]
    assert [(c.title, c.percent, c.amount) for c in terms.discounts] == [
        ("Health check-up after you buy", 5, Decimal("140.00"))]
    assert terms.total == Decimal("3360.00")
    assert terms.total == money(product.premium.net) * (
        1 + Decimal(str(outcome.coverage.premium_adjustment_percent)) / 100)


def test_the_exclusion_added_for_the_person_is_a_main_exclusion_on_page_one():
    product, case, _ = _case("hepatitis_b", "fatty_liver_accepted_with_exclusion")
    for locale, name in (("en", "Fatty liver disease (added for you)"),
                         ("zh-CN", "脂肪肝相关疾病（为您加注）")):
        policy = ENV.document(product, case, locale=locale)
        main = policy.key_facts.groups[[g.title for g in policy.key_facts.groups].index(
            policy.words("kf_exclusions"))]
        added = [i for i in main.items if i.text == name]
        assert added and added[0].attention and added[0].ref == "6.5"
    specimen = ENV.document(product)
    assert not any("added" in i.text for g in specimen.key_facts.groups for i in g.items)


def test_raised_limits_are_on_page_one_not_the_specimen_ones():
    product, case, _ = _case("oral_health", "limits_bonus_capped")
    policy = ENV.document(product, case)
    pays = policy.key_facts.groups[0]
    assert "Your yearly limits: Basic treatment yearly limit RMB 3,200; Complex treatment " \
           "yearly limit RMB 12,800." in [i.text for i in pays.items]


def test_schedule_wording_defects_are_gone():
    """'after 1 policy years', '要求不低于1。', 'Premium change: -5% of the standard premium'."""
    product, case, _ = _case("hepatitis_b", "fatty_liver_claim_refused")
    en = ENV.document(product, case)
    status = en.schedule.programmes[0].paras[0].text
    assert "after 1 policy year in a row" in status
    cure = en.schedule.programmes[1]
    assert cure.paras[0].text == ("You have not earned the Functional cure discount yet. "
                                  "It can reach 10%.")
    zh = ENV.document(product, case, locale="zh-CN")
    lines = [p.text for p in zh.schedule.programmes[1].progress]
    assert lines == ["本保单年度表面抗原阴性次数：0，要求不低于1次。"]
    senior, checked, _ = _case("senior_checkup", "all_normal_full_cover")
    rows = {r.label: r.value for r in ENV.document(senior, checked).schedule.rows}
    assert rows["Discounts for you"] == \
        "5% off, RMB 140 a year (Health check-up after you buy, clause 4.1)"
    assert not any("-5%" in value for value in rows.values())


def test_specimen_key_facts_have_no_personal_values():
    product = load(PRODUCTS_DIR / "senior_checkup.yaml")
    policy = ENV.document(product)
    texts = [i.text for g in policy.key_facts.groups for i in g.items]
    assert "The sum insured is RMB 1,000,000." in texts
    assert "Cover level at the start: Base cover until your check-up, 40% of the sum " \
           "insured." in texts
    assert "Standard premium: RMB 2,800 a year. It includes RMB 480 for health services." \
        in texts
    assert not any(t.startswith("Your sum insured") or "You pay" in t for t in texts)
