"""Policy documents: wording from the product, accessible and reproducible PDFs.

PDFs are rendered once per module (weasyprint takes about a second a
document on this machine) and each test checks one property of them.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import page
import pikepdf
import pytest

from configurator import ConfigError, load, load_case, loads
from configurator.cli import main
from configurator.document.readability import (
    TARGET_FLESCH,
    TARGET_GRADE,
    ClauseScore,
    clause_scores,
    document_score,
    score_text,
    syllables,
)
from configurator.document.render import REFUSED, RenderError, html_to_pdf
from configurator.environment import Environment
from configurator.product.clauses import clause_numbers
from configurator.runs.batch_render import render_batch

from .paths import CASE, PRODUCT, PRODUCT_FILES, ROOT

# the console script of the interpreter running the tests (the venv need not be on PATH)
CONFIGURATOR = str(Path(sys.executable).parent / "configurator")

TEMPLATES = ROOT / "templates"
ENV = Environment()


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def rendered(product, case):
    """PDFs for the specimen (en) and the personalised policy (en, zh-CN), with warnings."""
    out = {}
    for name, the_case, locale in (("specimen-en", None, "en"), ("case-en", case, "en"),
                                   ("case-zh-CN", case, "zh-CN")):
        handler = _Warnings()
        logging.getLogger("weasyprint").addHandler(handler)
        try:
            out[name] = (ENV.render_pdf(product, the_case, locale=locale), handler.messages)
        finally:
            logging.getLogger("weasyprint").removeHandler(handler)
    return out


DOCUMENTS = ["specimen-en", "case-en", "case-zh-CN"]


# ------------------------------------------------------------ PDF quality


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_missing_glyphs_or_other_weasyprint_warnings(rendered, name):
    _, warnings = rendered[name]
    assert not [w for w in warnings if ".notdef" in w], warnings
    assert warnings == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_qpdf_check_is_clean(rendered, name, tmp_path):
    path = tmp_path / "policy.pdf"
    path.write_bytes(rendered[name][0])
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


@pytest.mark.parametrize("name", DOCUMENTS)
def test_pdf_ua_validator_reports_no_failures(rendered, name):
    report = page.validate_pdf_bytes(rendered[name][0], profile="ua1")
    failures = [f"{f.rule_id}: {f.message}" for f in report.failures]
    assert failures == []
    assert report.is_compliant
    assert report.rules.total > 100  # the whole PDF/UA-1 profile ran


def _struct_headings(pdf: pikepdf.Pdf) -> list[int]:
    """Heading levels in structure-tree order."""
    levels = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Dictionary):
            tag = str(node.get("/S", ""))
            if re.fullmatch(r"/H[1-6]", tag):
                levels.append(int(tag[2]))
            kids = node.get("/K")
            if kids is not None:
                for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                    walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return levels


@pytest.mark.parametrize("name", DOCUMENTS)
def test_tag_tree_language_title_fonts_and_metadata(rendered, name, product):
    pdf = pikepdf.open(__import__("io").BytesIO(rendered[name][0]))
    locale = name.split("-", 1)[1]
    assert str(pdf.Root.Lang) == locale
    assert pdf.Root.MarkInfo.Marked is True
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    levels = _struct_headings(pdf)
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    info = pdf.docinfo
    assert str(info["/productid"]) == product.id
    assert str(info["/productversion"]) == product.version
    assert str(info["/producthash"]) == product.hash
    assert product.hash in str(info["/Keywords"])
    with pdf.open_metadata() as xmp:
        assert xmp["dc:title"] == str(info["/Title"])
        assert xmp["pdfuaid:part"] == "1"
    for font in _fonts(pdf):
        descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
        assert "Noto" in str(descriptor.FontName)


def _fonts(pdf: pikepdf.Pdf) -> list:
    found = {}
    for pdf_page in pdf.pages:
        for font in (pdf_page.Resources.get("/Font") or {}).values():
            found[font.objgen] = font
    return list(found.values())


def test_bookmarks_follow_the_sections(rendered, product):
    pdf = pikepdf.open(__import__("io").BytesIO(rendered["specimen-en"][0]))
    titles: list[str] = []

    def walk(items) -> None:
        for item in items:
            titles.append(item.title)
            walk(item.children)

    with pdf.open_outline() as outline:
        walk(outline.root)
    flat = " | ".join(titles)
    assert titles[0] == product.name.en
    for number, title in (("1", "Words with special meanings"), ("6", "What we do not pay for")):
        assert f"{number} {title}" in flat


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "policy.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_pdftotext_finds_every_clause_in_order(rendered, name, product, case, tmp_path):
    locale = name.split("-", 1)[1]
    policy = ENV.document(product, case if name.startswith("case") else None,
                            locale=locale)
    text = _text(rendered[name][0], tmp_path)
    headings = [f"{c.number} {c.title}" for c in policy.clauses()]
    assert len(headings) > 40
    position = text.find(headings[-1]) + len(headings[-1])  # past the table of contents
    assert position > len(headings[-1])
    for heading in headings:
        found = text.find(heading, position)
        assert found >= 0, f"{heading!r} not found after the contents, in order"
        position = found + len(heading)
    assert re.search(r"Page 1 of \d+|第 1 页，共 \d+ 页", text)


def test_identical_input_gives_identical_bytes(rendered, product, case):
    assert ENV.render_pdf(product, case) == rendered["case-en"][0]


def test_a_fresh_process_gives_the_same_bytes(rendered, tmp_path):
    out = tmp_path / "policy.pdf"
    subprocess.run([CONFIGURATOR, "render", str(PRODUCT), "--case", str(CASE), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    assert out.read_bytes() == rendered["case-en"][0]


def test_no_remote_fetch_is_attempted(product, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a document tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    REFUSED.clear()
    html = ENV.render_html(product)
    assert "http://" not in html and "https://" not in html
    html_to_pdf(html)
    assert REFUSED == []
    sneaky = html.replace("</body>", '<img src="http://example.com/x.png" alt="x"></body>')
    with pytest.raises(RenderError, match="may only use files in templates/") as error:
        html_to_pdf(sneaky)
    assert "http://example.com/x.png" in str(error.value)
    assert REFUSED == ["http://example.com/x.png"]


# ------------------------------------------------------------ what the document says


class _Chunks(HTMLParser):
    """Text chunks of the <body>, each with whether it sits inside an `attention` element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.chunks: list[tuple[str, bool]] = []
        self.body = False

    def handle_starttag(self, tag, attrs) -> None:
        self.body = self.body or tag == "body"
        if tag in ("meta", "br", "img", "link"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append("attention" in classes or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag) -> None:
        if self.stack and tag not in ("meta", "br", "img", "link"):
            self.stack.pop()

    def handle_data(self, data) -> None:
        if self.body and data.strip():
            self.chunks.append((data, bool(self.stack and self.stack[-1])))


def _chunks(html: str) -> list[tuple[str, bool]]:
    parser = _Chunks()
    parser.feed(html)
    return parser.chunks


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_every_exclusion_and_reduction_is_highlighted_wherever_it_appears(product, case, locale):
    html = ENV.render_html(product, case, locale=locale)
    policy = ENV.document(product, case, locale=locale)
    words = {c.key: c for c in policy.clauses()}
    needles = []
    # a defined term may share its name with an exclusion (zh-CN: 既往症); as a
    # definition it is not an exclusion and is not highlighted
    terms = {words[f"definition.{d.id}"].title for d in product.definitions}
    for exclusion in product.exclusions:
        clause = words[f"exclusion.{exclusion.id}"]
        if clause.title not in terms:
            needles.append(clause.title)
        needles += [b.text for b in clause.blocks if hasattr(b, "text")]
    missed = [b for b in words["checkup.monitoring"].blocks if b.attention]
    assert missed, "the missed check-up effect is an attention item"
    needles += [b.text for b in missed]
    chunks = _chunks(html)
    for needle in needles:
        hits = [flag for text, flag in chunks if needle in text]
        assert hits, f"{needle!r} does not appear"
        assert all(hits), f"{needle!r} appears without highlighting"


def test_reading_guide_lists_every_exclusion_and_reduction_with_clause_numbers(product):
    policy = ENV.document(product)
    numbers = clause_numbers(product)
    refs = {item.ref for item in policy.attention}
    for exclusion in product.exclusions:
        assert numbers[f"exclusion.{exclusion.id}"] in refs
    for benefit in product.benefits:
        if benefit.waiting_period_days:
            assert numbers[f"benefit.{benefit.id}"] in refs
    assert numbers["checkup.monitoring"] in refs
    assert numbers["adherence.treatment_adherence"] in refs
    assert all(item.attention for item in policy.attention)


def test_clause_numbers_are_the_compilers(product):
    html = ENV.render_html(product)
    for key, number in clause_numbers(product).items():
        anchor = "clause-" + number.replace(".", "-")
        # a clause opens with its numbered heading; an item of the declines clause is a
        # numbered list item
        assert re.search(rf'(<section[^>]*id="{anchor}"[^>]*>\s*<h[34][^>]*>|<li id="{anchor}"'
                         rf'[^>]*>)<span class="num">{re.escape(number)}</span>', html), key


def test_numbers_come_from_parameters_not_templates(product):
    text = PRODUCT.read_text(encoding="utf-8")
    text = (text.replace("cooling_off_days: 15", "cooling_off_days: 21")
            .replace("sum_insured: {value: 200000", "sum_insured: {value: 350000")
            .replace("cancer_waiting_days: {value: 180", "cancer_waiting_days: {value: 120"))
    changed = loads(text, file=str(PRODUCT))
    html = ENV.render_html(changed)
    assert "21 days" in html and "15 days" not in html
    assert "RMB 350,000" in html and "RMB 200,000" not in html
    assert "120 days" in html and "180 days" not in html


def _visible_template_text(source: str) -> str:
    source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    source = re.sub(r"<style>.*?</style>", " ", source, flags=re.S)
    return re.sub(r"<[^>]+>", " ", source)


def test_no_number_is_typed_into_the_templates_or_wording():
    for path in TEMPLATES.glob("*.j2"):
        visible = _visible_template_text(path.read_text(encoding="utf-8"))
        visible = visible.replace("sha256", "")  # the digest's name (diff.html.j2), not a number
        assert not re.search(r"\d", visible), f"{path.name}: {visible!r}"
    for path in (TEMPLATES / "strings").glob("*.yaml"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("#"):
                assert not re.search(r"\d", line), f"{path.name}:{number}: {line}"


def test_personalised_policy_comes_from_the_outcome(product, case):
    policy = ENV.document(product, case)
    html = ENV.render_html(product, case)
    assert "Wang Fang" in html and "LC-2026-000123" in html
    rows = {row.label: row.value for row in policy.schedule.rows}
    assert rows["Sum insured now"] == "RMB 240,000"  # 200,000 plus two adherent years of 10%
    assert rows["Bonus earned"] == "20%"
    assert rows["Cover level"] == "Full cover"
    due = [row for row in policy.schedule.checkups.rows if row[1].text == "1 July 2028"]
    assert due and due[0][3].text == "due"
    programme = policy.schedule.programmes[0]
    assert "Liver check-ups this policy year: 0. You need at least 2 visits." in [
        p.text for p in programme.progress]
    assert programme.closing == "To raise your bonus, meet each of these by 31 December 2028."


def test_exclusion_added_by_underwriting_is_in_the_schedule_highlighted(product):
    data = json.loads(json.dumps(load_case(CASE, product).to_data()))
    data["applicant"]["fatty_liver"] = True
    data["policy"]["number"] = "LC-FATTY"
    from configurator import case_from_data

    fatty = case_from_data(data, product)
    policy = ENV.document(product, fatty)
    assert [p.attention for p in policy.schedule.exclusions] == [True]
    assert "Fatty liver disease (clause 6.5)" in policy.schedule.exclusions[0].text


def test_a_declined_application_has_no_policy(product):
    data = load_case(CASE, product).to_data()
    data["applicant"]["age"] = 75
    from configurator import case_from_data

    with pytest.raises(RenderError, match="decline"):
        ENV.render_html(product, case_from_data(data, product))


def test_worked_example_is_computed_by_the_engine(product):
    policy = ENV.document(product)
    clause = next(c for c in policy.clauses() if c.key == "adherence.treatment_adherence")
    table = next(b for b in clause.blocks if b.kind == "table")
    kept = [row[-3].text for row in table.rows]
    bonus = [row[-2].text for row in table.rows]
    assert kept == ["yes", "yes", "no", "yes"]
    assert bonus == ["10%", "20%", "20%", "30%"]  # frozen in the year with too few refills
    assert table.rows[-1][-1].text == "RMB 260,000"


# ------------------------------------------------------------ readability


def test_english_wording_meets_the_readability_targets(product):
    whole = document_score(product, "en", ENV.illustration(product))
    assert whole.flesch >= TARGET_FLESCH and whole.grade <= TARGET_GRADE, whole
    assert whole.words > 1000


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_every_bundled_product_meets_the_readability_targets(path):
    other = load(path)
    whole = document_score(other, "en", ENV.illustration(other))
    assert whole.flesch >= TARGET_FLESCH and whole.grade <= TARGET_GRADE, whole


@pytest.mark.parametrize("path", [p for p in PRODUCT_FILES if p != PRODUCT],
                         ids=lambda p: p.stem)
def test_every_bundled_product_renders_to_valid_pdf_ua(path):
    other = load(path)
    handler = _Warnings()
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        pdf = ENV.render_pdf(other)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    assert handler.messages == []
    assert page.validate_pdf_bytes(pdf, profile="ua1").failures == []


def test_every_english_clause_reads_at_least_at_the_flesch_target(product):
    scores = clause_scores(product, "en", ENV.illustration(product))
    low = [(s.clause, s.title, s.flesch) for s in scores
           if s.flesch < TARGET_FLESCH]
    assert low == []


def test_clause_scores_are_worst_first_with_the_lint_fields(product):
    scores = clause_scores(product, "en", ENV.illustration(product))
    assert all(isinstance(s, ClauseScore) for s in scores)
    assert [s.flesch for s in scores] == sorted(s.flesch for s in scores)
    numbers = {s.clause for s in scores}
    assert set(clause_numbers(product).values()) <= numbers
    first = scores[0]
    assert {"clause", "title", "flesch", "grade", "words", "sentences"} <= set(
        first.__dataclass_fields__)


def test_chinese_is_scored_by_sentence_length(product):
    scores = clause_scores(product, "zh-CN", ENV.illustration(product))
    assert all(s.flesch is None and s.chars_per_sentence for s in scores)


def test_naic_counting_rules():
    # semicolons and colons end sentences; numbers are one syllable; hyphenated words one word
    score = score_text("We pay RMB 200,000; you pay nothing: it is a well-known rule.")
    assert score.sentences == 3
    assert score.words == 12
    assert syllables("200,000") == 1
    assert syllables("insurance") == 3
    # medical terms are left out
    assert score_text("Hepatocellular carcinoma is bad.").words == 2


def test_readability_works_offline(product, monkeypatch):
    from configurator.document import readability

    def no_network(*args, **kwargs):
        raise AssertionError("readability tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    readability._syllable_table.cache_clear()
    assert clause_scores(product, "en", ENV.illustration(product))


# ------------------------------------------------------------ batch and CLI


def test_batch_renders_each_case_and_reports_bad_rows(product, tmp_path):
    good = load_case(CASE, product).to_data()
    second = json.loads(json.dumps(good))
    second["policy"]["number"] = "LC-2026-000124"
    declined = json.loads(json.dumps(good))
    declined["applicant"]["age"] = 80
    declined["policy"]["number"] = "LC-OLD"
    lines = [json.dumps(good), json.dumps(second), "{not json", json.dumps(declined)]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(lines) + "\n")
    seen = []
    result = render_batch(PRODUCT, cases, tmp_path / "out", workers=2, fmt="html",
                          progress=lambda done, total: seen.append((done, total)))
    names = sorted(p.name for p in result.written)
    assert names == ["LC-2026-000123.html", "LC-2026-000124.html"]
    assert len(result.failed) == 1 and "cases.jsonl:3" in result.failed[0]
    assert len(result.skipped) == 1 and "decline" in result.skipped[0]
    assert seen[-1] == (4, 4)
    assert "Wang Fang" in (tmp_path / "out" / "LC-2026-000124.html").read_text()


def test_cli_render_readability_and_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where a render that wrongly went ahead would write its PDF
    code = main(["render", str(PRODUCT), "--readability"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "whole document: Flesch" in out and "met" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("age: 45", "age: old"))
    code = main(["render", str(PRODUCT), "--case", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "expected a number" in err


# ------------------------------------------------------------ the worked example's case


def test_a_file_and_its_registry_version_render_the_same_bytes(product, env, tmp_path):
    """The sample case is part of the product, so `id@version` renders the worked example too."""
    with env.store(create=True) as store:
        store.publish(PRODUCT, by="alice", effective_from=product.effective_from)
        store.approve("hepatitis_b@1.0.0", by="bob")
        store.publish("hepatitis_b@1.0.0", by="alice")
    registered = env.load("hepatitis_b@1.0.0")
    assert registered.source_file == "hepatitis_b@1.0.0" and registered.hash == product.hash
    from_file, from_registry = env.render_pdf(product), env.render_pdf(registered)
    assert from_file == from_registry
    texts = []
    for pdf in (from_file, from_registry):
        path = tmp_path / "policy.pdf"
        path.write_bytes(pdf)
        texts.append(subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                                    capture_output=True, text=True).stdout)
    assert texts[0] == texts[1] and "Worked example" in texts[0]


def test_a_broken_sample_case_is_reported_inside_the_product_file(tmp_path):
    text = PRODUCT.read_text(encoding="utf-8")
    assert "\n  applicant:\n    age: 40\n" in text  # the illustration's applicant
    broken = tmp_path / "hepatitis_b.yaml"
    broken.write_text(text.replace("\n  applicant:\n    age: 40\n",
                                   "\n  applicant:\n    age: 400\n"))
    line = broken.read_text().splitlines().index("    age: 400") + 1
    with pytest.raises(ConfigError) as error:
        Environment().load(broken)
    problem, = error.value.problems
    assert (problem.span.file, problem.span.line) == (str(broken), line)
    assert problem.path == "illustration.applicant.age"
    assert "above the maximum" in problem.message


def test_worked_example_follows_the_sample_case_in_the_product(product):
    shorter = loads(PRODUCT.read_text(encoding="utf-8").replace(
        "  as_of: 2029-12-31", "  as_of: 2027-12-31"), "two_years.yaml")
    rows = [block for block in ENV.document(shorter).sections[4].clauses[0].blocks
            if getattr(block, "kind", "") == "table"]
    assert [row[0].text for row in rows[0].rows] == ["1", "2"]
    assert ENV.illustration(shorter).years == 2 and ENV.illustration(product).years == 4


def test_an_outcome_of_another_product_is_refused(product, case):
    other = load(ROOT / "products" / "copd.yaml")
    with pytest.raises(RenderError, match="decided by hepatitis_b"):
        ENV.render_html(other, outcome=ENV.evaluate(product, case))
