"""The reading guide: consequences in one sentence, gains apart from duties, one page.

Insurance Law Art. 17 asks for a prominent notice of what refuses or cuts
cover. The guide lists it first, each item with its consequence and clause,
short enough to stay on one page; duties ("What you must do") and gains
("What you gain") are separate lists; the limits follow, one line per clause.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from configurator import load, loads
from configurator.document.blocks import GuideGroup, GuideItem
from configurator.environment import Environment
from configurator.product.clauses import clause_numbers

from .paths import PRODUCT, PRODUCT_FILES

ENV = Environment()
LOCALES = ["en", "zh-CN"]
PRODUCTS = [p.stem for p in PRODUCT_FILES]
ENDS = (".", "。", ":", "：")


def _product(name: str):
    return load(next(p for p in PRODUCT_FILES if p.stem == name))


def _parts(policy) -> dict[str, list]:
    return {part.kind: part.entries for part in policy.guide.parts}


def _refs(entries) -> set[str]:
    out = set()
    for entry in entries:
        items = entry.items if isinstance(entry, GuideGroup) else [entry]
        out |= {item.ref for item in items}
    return out


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PRODUCTS)
def test_every_highlighted_item_has_a_consequence_sentence_and_a_clause(name, locale):
    product = _product(name)
    policy = ENV.document(product, locale=locale)
    numbers = set(clause_numbers(product).values()) | {
        c.number for c in policy.clauses()} | {s.number for s in policy.sections}
    highlighted = 0
    for part in policy.guide.parts:
        for entry in part.entries:
            if not entry.attention:
                continue
            highlighted += 1
            if isinstance(entry, GuideGroup):
                assert entry.text.endswith((":", "：")), entry.text  # the lead says what happens
                assert entry.items and all(i.ref in numbers for i in entry.items), entry
            else:
                assert entry.ref in numbers, entry
                assert entry.text.endswith(ENDS[:2]), entry.text  # a whole sentence
                # one sentence for the consequence: the old items stopped before it
                assert not re.search(r"(if you miss it|未按时完成)[.。]?$", entry.text)
    assert highlighted >= 4
    # the lint reads `policy.attention`: every highlighted item, each with its clause
    assert policy.attention and all(isinstance(i, GuideItem) and i.attention and i.ref
                                    for i in policy.attention)


def test_the_consequence_comes_from_the_rule_and_follows_its_parameter():
    policy = ENV.document(load(PRODUCT))
    duties = [e.text for e in _parts(policy)["duties"] if isinstance(e, GuideItem)]
    missed = ("Six-monthly liver check-up: if you miss it, the liver cancer benefit falls to "
              "50% of the sum insured until your next check-up in time.")
    assert missed in duties
    zh = ENV.document(load(PRODUCT), locale="zh-CN")
    assert ("每六个月肝脏复查：未按时完成的，肝癌保险金降至保额的50%，直至您下一次按时复查。"
            in [e.text for e in _parts(zh)["duties"] if isinstance(e, GuideItem)])
    text = PRODUCT.read_text(encoding="utf-8").replace(
        "reduced_cover_percent: {value: 50", "reduced_cover_percent: {value: 40")
    changed = ENV.document(loads(text, file=str(PRODUCT)))
    assert missed.replace("50%", "40%") in [e.text for e in _parts(changed)["duties"]
                                           if isinstance(e, GuideItem)]


def test_bonuses_are_gains_with_their_cap_and_duties_are_check_ups():
    product = load(PRODUCT)
    policy = ENV.document(product)
    numbers = clause_numbers(product)
    parts = _parts(policy)
    bonuses = {numbers[f"adherence.{a.id}"] for a in product.adherence}
    checkups = {numbers[f"checkup.{c.id}"] for c in product.checkups}
    assert bonuses <= _refs(parts["gains"])
    assert not bonuses & (_refs(parts["duties"]) | _refs(parts["attention"]))
    assert checkups <= _refs(parts["duties"])
    assert not checkups & _refs(parts["gains"])
    gains = [e.text for e in parts["gains"] if isinstance(e, GuideItem)]
    assert ("Check-up and medicine bonus: for each policy year you meet its terms, we raise your "
            "sum insured by 10% from the next year, to at most 50% more; in a year you miss, "
            "the bonus stays where it is.") in gains
    assert "Functional cure discount: for each policy year you meet its terms, we take 10% off " \
           "your standard premium from the next renewal; in a year you miss, the bonus stays " \
           "where it is." in gains
    assert not any("stops at" in t for t in gains)


def test_a_discount_cap_reads_as_a_discount():
    """The oral product's cap read 'it stops at 15% more'."""
    policy = ENV.document(_product("oral_health"))
    gains = [e.text for e in _parts(policy)["gains"] if isinstance(e, GuideItem)]
    assert any("we take 5% off your standard premium from the next renewal, to at most 15% off"
               in t for t in gains)
    zh = ENV.document(_product("oral_health"), locale="zh-CN")
    assert any("自下次续保起标准保费优惠5%，累计最多优惠15%" in e.text
               for e in _parts(zh)["gains"])


def test_a_check_up_that_raises_cover_is_a_gain_and_missing_it_a_duty():
    product = _product("senior_checkup")
    parts = _parts(ENV.document(product))
    assert ("Health check-up after you buy: if you have it in time, your sum insured rises to "
            "100% of its full amount and your standard premium is 5% lower.") in [
        e.text for e in parts["gains"]]
    assert ("Health check-up after you buy: if you miss it, your sum insured stays at 40% of "
            "its full amount for the rest of the policy year.") in [e.text for e in parts["duties"]]


def test_the_highlighted_list_is_short():
    """The oral product highlighted about 50 items; alike ones are now one entry each."""
    for name in PRODUCTS:
        for locale in LOCALES:
            policy = ENV.document(_product(name), locale=locale)
            attention = _parts(policy)["attention"]
            assert len(attention) <= 12, (name, locale, len(attention))
            groups = [e for e in attention if isinstance(e, GuideGroup)]
            assert groups, "exclusions and waiting periods are grouped"


def _guide_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "specimen.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")


def _heading(pages: list[str], text: str, after: int = 0) -> int:
    """The index of the first page from `after` with `text` as a line of its own."""
    line = re.compile(rf"^\s*{re.escape(text)}\s*$", re.M)
    return next(i for i, page in enumerate(pages) if i >= after and line.search(page))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", PRODUCTS)
def test_the_highlighted_list_fits_one_page_and_no_clause_reference_wraps_alone(name, locale,
                                                                               tmp_path):
    product = _product(name)
    pages = _guide_pages(ENV.render_pdf(product, locale=locale), tmp_path)
    words = ENV.document(product, locale=locale).words
    guide = _heading(pages, words("guide"))
    # the highlighted list, from its heading to the next one, is on one page
    assert _heading(pages, words("attention"), guide) == \
        _heading(pages, words("guide_duties"), guide) == guide
    assert _heading(pages, words("contents"), guide) - guide <= 2  # the whole guide
    alone = re.compile(r"^\s*(\((clause|section) [\d.]+\)|（第[\d.]+(条|部分)）)[;；]?\s*$")
    assert [line for page in pages for line in page.splitlines() if alone.match(line)] == []


def test_clause_references_are_kept_with_their_last_word_in_the_html():
    html = ENV.render_html(load(PRODUCT))
    guide = html[html.index('<section class="guide"'):html.index('<nav class="toc"')]
    refs = re.findall(r'<a class="ref"', guide)
    kept = re.findall(r'<span class="keep">[^<\s]+(?: |&nbsp;|\xa0)<a class="ref"', guide)
    assert refs and len(kept) == len(refs)


@pytest.mark.parametrize(("text", "tail"), [
    ("Alcohol or drug misuse", "misuse"), ("直至您下一次按时复查。", "复查。"),
    ("肝癌保险金180天", "180天"), ("乙肝病毒DNA", "DNA"), ("We pay.", "pay.")])
def test_the_last_word_kept_with_a_reference(text, tail):
    item = GuideItem(text, "3.1")
    assert item.tail == tail and item.head + item.tail == text
