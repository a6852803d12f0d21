"""Page layout, read from the rendered PDFs (pdftotext -bbox), in English and Chinese.

No page but the last is less than a quarter full; nothing runs into the right
margin; a clause reference never wraps to a line of its own; in Chinese a
number never ends a line whose next line starts with its unit, and a table's
header words and short cells are never broken; unit exponents are
superscripts; every page has the same footer; one currency label per language.

The hepatitis B policies (the specimen, a personalised policy whose schedule
ends near the top of a page, so the reading guide shares that page, and one
whose schedule fills its page) run always; the other products are a slow
sweep.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import subprocess
from xml.etree import ElementTree

import pytest

from configurator import load, load_case
from configurator.document.blocks import Table
from configurator.environment import Environment

from .paths import PRODUCTS_DIR

ENV = Environment()
MM = 72 / 25.4
TOP, BOTTOM, RIGHT = 22 * MM, 20 * MM, 20 * MM  # page margins in policy.css
MIN_FILL = 0.25
SAME_SEGMENT = 4.0  # pt between two words of one line of one cell or paragraph (a space)

# (product, case file or None): the specimen and personalised policies looked at
FAST = [("hepatitis_b", None), ("hepatitis_b", "adherent_two_years"),
        ("hepatitis_b", "fatty_liver_accepted_with_exclusion")]
SLOW = [("copd", None), ("copd", "mild_copd_standard_terms"),
        ("copd", "daily_cash_cap_reached"), ("oral_health", None),
        ("oral_health", "first_year_healthy"), ("senior_checkup", None),
        ("senior_checkup", "low_kidney_function_exclusion")]
LOCALES = ["en", "zh-CN"]


def _documents(pairs: list[tuple[str, str | None]], slow: bool) -> list:
    marks = [pytest.mark.slow] if slow else []
    return [pytest.param(product, case, locale, marks=marks,
                         id=f"{product}-{case or 'specimen'}-{locale}")
            for product, case in pairs for locale in LOCALES]


DOCUMENTS = _documents(FAST, False) + _documents(SLOW, True)


@dataclasses.dataclass
class Segment:
    """Words on one line of one cell or paragraph (no gap wider than a space)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclasses.dataclass
class Page:
    width: float
    height: float
    words: list[Segment]
    segments: list[Segment]


@functools.cache
def _product(name: str):
    return load(PRODUCTS_DIR / f"{name}.yaml")


@functools.cache
def _case(product: str, case: str | None):
    return None if case is None else load_case(PRODUCTS_DIR / product / f"{case}.yaml",
                                               _product(product))


@functools.cache
def _pages(product: str, case: str | None, locale: str) -> tuple[Page, ...]:
    pdf = ENV.render_pdf(_product(product), _case(product, case), locale=locale)
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode("utf-8")
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out).replace('xmlns="http://www.w3.org/1999/xhtml"',
                                                       "")
    pages = []
    for page in ElementTree.fromstring(out).iter("page"):
        words = [Segment(*(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")),
                         word.text or "") for word in page.iter("word")]
        pages.append(Page(float(page.get("width")), float(page.get("height")), words,
                          _segments(words)))
    return tuple(pages)


def _segments(words: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for word in sorted(words, key=lambda w: (round(w.y0, 1), w.x0)):
        last = out[-1] if out else None
        if last and abs(last.y0 - word.y0) < 0.5 and 0 <= word.x0 - last.x1 < SAME_SEGMENT:
            last.x1, last.y1 = word.x1, max(last.y1, word.y1)
            last.text += " " + word.text
        else:
            out.append(dataclasses.replace(word))
    return out


def _lines(page: Page) -> list[str]:
    """The text of each line of `page` (words of any size whose middles are level)."""
    lines: list[list[Segment]] = []
    for word in sorted(page.words, key=lambda w: (w.y0 + w.y1) / 2):
        middle = (word.y0 + word.y1) / 2
        last = lines[-1][-1] if lines else None
        if last and abs((last.y0 + last.y1) / 2 - middle) < 0.3 * (word.y1 - word.y0):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines]


def _body(page: Page) -> list[Segment]:
    """The words between the header and the footer."""
    return [w for w in page.words if w.y0 >= TOP - 1 and w.y1 <= page.height - BOTTOM + 1]


def _text(pages: tuple[Page, ...]) -> str:
    return " ".join(w.text for page in pages for w in page.words)


# ------------------------------------------------------------ every document


@pytest.mark.parametrize("product, case, locale", DOCUMENTS)
def test_no_page_is_less_than_a_quarter_full_but_the_last(product, case, locale):
    pages = _pages(product, case, locale)
    assert len(pages) > 5
    fills = []
    for page in pages:
        body = _body(page)
        bottom = max((w.y1 for w in body), default=TOP)
        fills.append(round((bottom - TOP) / (page.height - TOP - BOTTOM), 2))
    assert all(fill >= MIN_FILL for fill in fills[:-1]), fills


@pytest.mark.parametrize("product, case, locale", DOCUMENTS)
def test_nothing_runs_into_the_right_margin(product, case, locale):
    for number, page in enumerate(_pages(product, case, locale), start=1):
        over = [w.text for w in page.words if w.x1 > page.width - RIGHT + 1]
        assert over == [], f"page {number}: {over}"


REFERENCE = re.compile(r"\((clause [\d.]+|section \d+)\)|（第[\d.]+(条|部分)）")


@pytest.mark.parametrize("product, case, locale", DOCUMENTS)
def test_a_clause_reference_never_wraps_to_a_line_of_its_own(product, case, locale):
    pages = _pages(product, case, locale)
    assert REFERENCE.search(_text(pages)), "the document cites no clause"
    for number, page in enumerate(pages, start=1):
        alone = [line for line in _lines(page) if REFERENCE.fullmatch(line)]
        assert alone == [], f"page {number}: {alone}"


@pytest.mark.parametrize("product, case, locale", DOCUMENTS)
def test_every_page_has_the_same_footer(product, case, locale):
    pages = _pages(product, case, locale)
    for number, page in enumerate(pages, start=1):
        footer = " ".join(w.text for w in page.words if w.y0 > page.height - BOTTOM)
        expected = (f"Page {number} of {len(pages)}" if locale == "en"
                    else f"第 {number} 页，共 {len(pages)} 页")
        assert footer == expected


LABELS = {"en": "RMB", "zh-CN": "元"}
OTHER_LABELS = ["RMB", "CNY", "¥", "￥", "人民币", "yuan", "元"]


@pytest.mark.parametrize("product, case, locale", DOCUMENTS)
def test_one_currency_label_per_language(product, case, locale):
    text = _text(_pages(product, case, locale))
    assert LABELS[locale] in text
    assert [label for label in OTHER_LABELS
            if label != LABELS[locale] and label in text] == []


# ------------------------------------------------------------ Chinese


CJK = re.compile(r"[\u4e00-\u9fff]")


def _zh_documents() -> list:
    return [d for d in DOCUMENTS if d.values[2] == "zh-CN"]


def _below(page: Page):
    """(segment, the segment starting the next line under it at the same left edge)."""
    for a in page.segments:
        height = a.y1 - a.y0
        for b in page.segments:
            if abs(b.x0 - a.x0) < 1.5 and 0 < b.y0 - a.y0 <= 1.3 * height:
                yield a, b


@pytest.mark.parametrize("product, case, locale", _zh_documents())
def test_a_chinese_number_stays_on_the_line_of_its_unit(product, case, locale):
    for number, page in enumerate(_pages(product, case, locale), start=1):
        split = [f"{a.text} / {b.text}" for a, b in _below(page)
                 if a.text[-1:].isdigit() and (CJK.match(b.text) or b.text.startswith("%"))]
        assert split == [], f"page {number}: {split}"


def _tables(value) -> list[Table]:
    if isinstance(value, Table):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _tables(item)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in _tables(getattr(value, f.name))]
    return []


@pytest.mark.parametrize("product, case, locale", _zh_documents())
def test_chinese_table_words_are_never_broken(product, case, locale):
    """Header cells and short cells (no punctuation to break at) are each on one line."""
    policy = ENV.document(_product(product), _case(product, case), locale=locale)
    cells = {text for table in _tables(policy) for text in
             [*table.head, *(cell.text for row in table.rows for cell in row)]}
    if policy.schedule is not None:
        cells |= {row.label for row in policy.schedule.rows}
    whole = [text for text in cells if CJK.search(text) and len(text) <= 12
             and not re.search(r"[\s，。；、：（）()]", text)]
    assert "给付比例" in whole and "等待期" in whole
    lines = [s.text.replace(" ", "") for page in _pages(product, case, locale)
             for s in page.segments]
    broken = [text for text in whole if not any(text in line for line in lines)]
    assert broken == []


# ------------------------------------------------------------ superscripts


@pytest.mark.parametrize("locale", LOCALES)
def test_unit_exponents_are_superscripts(locale):
    """BMI in kg/m² (the specimen) and eGFR per 1.73 m² (a personal exclusion)."""
    for case in (None, "low_kidney_function_exclusion"):
        text = _text(_pages("senior_checkup", case, locale))
        assert "kg/m²" in text and "m2" not in text
    assert "1.73 m²" in text


def test_a_chinese_cell_keeps_a_word_whole_but_not_a_run_too_long_for_a_column():
    """keep-all in a Chinese table cell: no break between two Chinese characters of a run
    of up to 12; a longer run (nothing to break at) breaks as Chinese does, or the column
    would be as wide as the run and the table run off the page (the COPD schedule did)."""
    from configurator.document.typeset import MAX_KEPT, WORD_JOINER, printed

    def joined(text: str) -> int:  # adjacent Chinese characters with no break between
        return len(re.findall(rf"[\u4e00-\u9fff]{WORD_JOINER}(?=[\u4e00-\u9fff])", text))

    words = "一二三四五六七八九十百千万亿"
    assert MAX_KEPT == 12
    assert joined(printed(words[:12], "zh-CN", cell=True)) == 11
    assert joined(printed(words[:13], "zh-CN", cell=True)) == 0
    assert joined(printed("每个保单年度30天", "zh-CN", cell=True)) == 5
    long = printed("共用急性加重住院费用限额30,000元", "zh-CN", cell=True)
    assert joined(long) == 0 and long.endswith(f"0{WORD_JOINER}元")  # the unit stays on
    assert joined(printed(words[:13], "zh-CN", cell=False)) == 0  # prose: Chinese breaking
    assert printed(words[:13], "zh-CN", cell=True).replace(WORD_JOINER, "") == words[:13]
