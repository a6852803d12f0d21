"""The shared part of a policy, laid out and drawn once: the same PDF, byte for byte.

No timings here (speed is measured by bench/render.py): these tests check
that the caches change nothing but the time. A replayed page is the page
weasyprint paints; a warm process writes the bytes a fresh one writes; the
page where the front ends and the shared part begins reads in order, in its
content and in its tag tree; a page that cannot be recorded is painted.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import page
import pikepdf
import pytest
import weasyprint

from configurator import case_from_data, load, load_case
from configurator.document import drawing, paged
from configurator.environment import Environment
from configurator.runs import batch_render

from .paths import CASES, PRODUCT, ROOT

ENV = Environment()
CONFIGURATOR = str(Path(sys.executable).parent / "configurator")
MERGED = CASES / "adherent_two_years.yaml"  # the schedule ends near the top of page 3
APART = CASES / "fatty_liver_accepted_with_exclusion.yaml"  # the front spills onto page 3


@pytest.fixture(scope="module")
def product():
    return load(PRODUCT)


def _fresh_caches(monkeypatch) -> None:
    monkeypatch.setattr(paged, "_SHARED_LAYOUTS", OrderedDict())
    monkeypatch.setattr(paged, "_SHARED_PAGES", {})
    monkeypatch.setattr(paged, "_TOTALS", {})
    monkeypatch.setattr(drawing, "_SUBSETS", OrderedDict())
    monkeypatch.setattr(drawing, "_DEFLATED", {})


@pytest.mark.parametrize("case_file, locale", [(MERGED, "en"), (APART, "zh-CN")],
                         ids=["merged-en", "apart-zh-CN"])
def test_replayed_pages_are_the_pages_weasyprint_paints(product, case_file, locale,
                                                        monkeypatch):
    case = load_case(case_file, product)
    replayed = ENV.render_pdf(product, case, locale=locale)
    _fresh_caches(monkeypatch)
    monkeypatch.setattr(drawing.Drawing, "pages", lambda self, document: list(document.pages))
    painted = ENV.render_pdf(product, case, locale=locale)
    assert painted == replayed


def test_a_warm_process_writes_what_a_cold_one_writes(product, monkeypatch):
    case = load_case(MERGED, product)
    warm = [ENV.render_pdf(product, case, locale="zh-CN") for _ in range(2)]
    _fresh_caches(monkeypatch)
    assert ENV.render_pdf(product, case, locale="zh-CN") == warm[0] == warm[1]


def test_a_fresh_process_writes_the_same_chinese_bytes(product, tmp_path):
    out = tmp_path / "policy.pdf"
    subprocess.run([CONFIGURATOR, "render", str(PRODUCT), "--case", str(APART), "--lang",
                    "zh-CN", "-o", str(out)], check=True, capture_output=True, cwd=ROOT)
    assert out.read_bytes() == ENV.render_pdf(product, load_case(APART, product),
                                              locale="zh-CN")


def _page_texts(pdf: bytes, tmp_path: Path, number: int, raw: bool) -> str:
    path = tmp_path / "policy.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *(["-raw"] if raw else []), "-f", str(number), "-l",
                           str(number), str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_page_the_front_and_the_shared_part_share_reads_in_order(product, tmp_path):
    policy = ENV.document(product, load_case(MERGED, product))
    pdf = ENV.render_pdf(product, load_case(MERGED, product))
    closing = policy.schedule.programmes[-1].closing
    for raw in (False, True):  # by position, and in content-stream order
        text = " ".join(_page_texts(pdf, tmp_path, 3, raw).split())
        assert closing in text and "Reading guide" in text
        assert text.index(closing) < text.index("Reading guide")
    assert page.validate_pdf_bytes(pdf, profile="ua1").failures == []
    with pikepdf.open(tmp_path / "policy.pdf") as doc:
        third = doc.pages[2].obj.objgen
        sections = [kid for kid in doc.Root.StructTreeRoot.K[0].K
                    if "/Pg" in kid and kid.Pg.objgen == third]
        assert [str(kid.S) for kid in sections] == ["/Sect", "/Sect"]  # schedule, then guide
        assert sections[1].K[0].S == "/H2"


def test_only_the_last_page_of_the_front_is_shared(tmp_path):
    """A schedule that fills its page ends the front: the guide starts page 3 (oral
    health's first healthy year: two pages of front exactly)."""
    oral = load(ROOT / "products" / "oral_health.yaml")
    case = load_case(ROOT / "products" / "oral_health" / "first_year_healthy.yaml", oral)
    pdf = ENV.render_pdf(oral, case)
    assert "Reading guide" not in _page_texts(pdf, tmp_path, 2, False)
    lines = [line for line in _page_texts(pdf, tmp_path, 3, False).splitlines() if line.strip()]
    assert lines[1] == "Reading guide"  # after the running header


def test_a_font_subset_is_made_once_per_glyph_set(product, monkeypatch):
    """The same glyphs give the same subset, reused; new glyphs a subset of their own."""
    _fresh_caches(monkeypatch)
    case = load_case(APART, product)
    first = ENV.render_pdf(product, case, locale="zh-CN")
    made = dict(drawing._SUBSETS)
    assert any(len(key[2]) > 100 for key in made)  # the glyphs of the Chinese text
    assert ENV.render_pdf(product, case, locale="zh-CN") == first
    assert drawing._SUBSETS.keys() == made.keys()  # nothing new: every subset reused
    data = json.loads(json.dumps(case.to_data()))
    data["policy"]["holder"] = "龘靐齉"  # three glyphs no clause uses
    ENV.render_pdf(product, case_from_data(data, product), locale="zh-CN")
    assert len(drawing._SUBSETS) > len(made)


def test_a_page_that_cannot_be_recorded_is_painted():
    plain = weasyprint.HTML(string="<html lang=en><p>Text</p></html>").render()
    assert drawing.Drawing.record(plain, tagged=True) is not None
    grouped = weasyprint.HTML(string='<html lang=en><p style="opacity: 0.5">Text</p></html>'
                              ).render()  # a transparency group: an XObject
    assert drawing.Drawing.record(grouped, tagged=True) is None


def test_a_batch_worker_freezes_what_it_keeps_once_per_layout(monkeypatch):
    frozen = []
    made = [3]
    monkeypatch.setattr(batch_render, "layouts_made", lambda: made[0])
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(made[0]))
    monkeypatch.setattr(gc, "collect", lambda: 0)
    monkeypatch.setattr(gc, "set_threshold", lambda *args: None)
    monkeypatch.setattr(batch_render, "_WORKER", {})
    batch_render._keep_warm()
    batch_render._keep_warm()
    made[0] = 4
    batch_render._keep_warm()
    assert frozen == [3, 4]


_WITHOUT_SHORTCUTS = """
import sys
from configurator import load, load_case
from configurator.document import weasy
from configurator.environment import Environment
weasy.shortcuts = lambda: None  # weasyprint as it comes
product = load(sys.argv[1])
for case, locale, out in zip(sys.argv[2::3], sys.argv[3::3], sys.argv[4::3], strict=True):
    with open(out, "wb") as pdf:
        pdf.write(Environment().render_pdf(product, load_case(case, product), locale=locale))
"""


def test_the_shortcuts_change_no_byte(product, tmp_path):
    """weasy.shortcuts (line breaks and struts memoised, pseudo-element styles on demand,
    kept Pango layouts, ...) give the bytes weasyprint gives without them."""
    runs = [(MERGED, "en"), (APART, "zh-CN")]
    args = [str(PRODUCT)]
    for number, (case_file, locale) in enumerate(runs):
        args += [str(case_file), locale, str(tmp_path / f"{number}.pdf")]
    subprocess.run([sys.executable, "-c", _WITHOUT_SHORTCUTS, *args], check=True, cwd=ROOT,
                   capture_output=True)
    for number, (case_file, locale) in enumerate(runs):
        shortcut = ENV.render_pdf(product, load_case(case_file, product), locale=locale)
        assert weasyprint.css.StyleFor.__name__ == "LazyPseudoStyles"  # the shortcuts are on
        assert (tmp_path / f"{number}.pdf").read_bytes() == shortcut, (case_file, locale)


def test_text_whose_style_holds_a_set_is_laid_out_as_weasyprint_would(tmp_path):
    """Struck-out and underlined text (text-decoration-line is a set in weasyprint's style)
    cannot key the remembered line breaks: it is broken afresh, as weasyprint would, once
    the shortcuts are on (the diff report's redline, after any policy in the process)."""
    from configurator.document import weasy

    html = ("<html lang=en><body><p>Kept <del>struck out text</del> and <ins>added text"
            "</ins> and <u>underlined</u>.</p></body></html>")
    weasy.shortcuts()
    pdf = weasyprint.HTML(string=html).write_pdf()
    path = tmp_path / "decorated.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "struck out text" in text and "underlined" in text
