"""Hostile text in documents (issue 10, item 5 and the document half of 8).

Every product, case and Outcome string reaches the templates through one
escaping path per context (`configurator.document.escape`): these tests read
the templates and the code to hold that by construction, check each escaper
over every control character and over random text, render products and cases
whose name, clause texts, labels, holder and policy number carry the
hostile corpus (`fixtures/hostile/render/strings.json`) and random strings,
and check that a failure inside jinja2 or weasyprint is a clean `RenderError`
naming the document.

The property for a rendered page: its elements and attribute names are those
of the same page with harmless text (nothing injected, nothing lost), each
string appears where it belongs as its printable part (`printable`), the
stylesheet parses to the same rules with the running header one CSS string,
and no URL fetch is attempted. A few full PDFs are rendered (about a second
or three each): pdftotext finds the printable part, qpdf and the PDF/UA-1
validator are clean, and the metadata holds the one-line title.
"""

from __future__ import annotations

import ast
import dataclasses
import html as html_module
import io
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import page
import pikepdf
import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import case_from_data, loads
from configurator.cli import main
from configurator.compliance.diff import diff
from configurator.compliance.redline import compare_words, pieces_html
from configurator.compliance.report import render_html as report_html
from configurator.compliance.report import report_bytes
from configurator.document.escape import (
    LONG_RUN,
    breakable,
    clean_text,
    css_number,
    css_string,
    one_line,
    stylesheet,
    tagged,
)
from configurator.document.phrases import phrases
from configurator.document.render import REFUSED, RenderError
from configurator.document.render import render_html as document_html
from configurator.environment import Environment
from configurator.errors import CaseError, ConfigError, ProductError

from .paths import CASE, PRODUCT, ROOT

ENV = Environment()
TEMPLATES = sorted((ROOT / "templates").glob("*.j2"))
CORPUS = {k: v for k, v in json.loads(
    (Path(__file__).parent / "fixtures" / "hostile" / "render" / "strings.json").read_text()
).items() if not k.startswith("_")}
# every control character (C0, DEL, C1), the Unicode line and paragraph separators
CONTROLS = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))
MARKUP = "</style></script>\"'\\<>&{}"
EVERYTHING = "Ev" + CONTROLS + MARKUP + "il"
LINE_BREAKS = "\r\x0b\x0c\x85\u2028\u2029"


# ------------------------------------------------------------ the rule, stated once here


def printable(text: str) -> str:
    """What a document shows of `text`: the rule `escape.clean_text` implements, restated.

    CR LF and the other line breaks (CR, VT, FF, NEL, U+2028, U+2029) become a
    newline; other C0/C1 controls, lone surrogates and noncharacters are dropped.
    """
    out = []
    for ch in text.replace("\r\n", "\n"):
        code = ord(ch)
        if ch in LINE_BREAKS:
            out.append("\n")
        elif ch in "\t\n" or not (code < 0x20 or 0x7F <= code <= 0x9F
                                  or 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF
                                  or code in (0xFFFE, 0xFFFF)):
            out.append(ch)
    return "".join(out)


def line(text: str) -> str:
    """The printable part on one line (document metadata)."""
    return " ".join(re.split(r"[\t\n ]+", printable(text))).strip()


def same(shown: str, text: str) -> bool:
    """`shown` is the printable part of `text` (zero-width spaces, which wrap long runs, aside)."""
    return shown.replace("\u200b", "") == printable(text).replace("\u200b", "")


def hostile_text(max_size: int = 30, markup: str = MARKUP) -> st.SearchStrategy[str]:
    """Random text, surrogates included, with control and markup characters mixed in often."""
    alphabet = st.one_of(st.characters(exclude_categories=()), st.sampled_from(CONTROLS),
                         st.sampled_from(markup))
    return st.text(alphabet, max_size=max_size).map(lambda s: f"X{s}Y")


# ------------------------------------------------------------ hostile products and cases


def hostile_product(product, text: str):
    """`product` with `text` as its name, first definition (term and text), first exclusion's
    wording and the full-cover tier's label (the checked model: the renderer alone is tested)."""
    definitions = [product.definitions[0].model_copy(update={"term": text, "text": text}),
                   *product.definitions[1:]]
    exclusions = [product.exclusions[0].model_copy(update={"text": text}),
                  *product.exclusions[1:]]
    tiers = dict(product.coverage.tiers)
    tiers["full"] = tiers["full"].model_copy(update={"name": text})
    coverage = product.coverage.model_copy(update={"tiers": tiers})
    return product.model_copy(update={"name": text, "definitions": definitions,
                                      "exclusions": exclusions, "coverage": coverage})


def hostile_case(case, holder: str, number: str):
    return dataclasses.replace(case, personal={**case.personal, "holder": holder},
                               policy_number=number)


class _Page(HTMLParser):
    """A page as html.parser sees it: start tags with attribute names, attributes, texts."""

    VOID = {"meta", "br", "img", "link", "wbr", "hr", "input", "col"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.attrs: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str]] = []  # (innermost open element, text)
        self.open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))
        self.attrs.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data) -> None:
        self.texts.append((self.open[-1] if self.open else "", data))

    def text(self, tag: str) -> list[str]:
        return [data for where, data in self.texts if where == tag]

    def meta(self, name: str) -> str:
        return next(a["content"] for t, a in self.attrs if t == "meta" and a.get("name") == name)


def _rules(css: str) -> list:
    return tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)


def _outline(css: str) -> list[tuple]:
    """Every rule's kind and prelude, and its declarations' names: the stylesheet's shape."""
    out = []
    for rule in _rules(css):
        names = [d.name for d in tinycss2.parse_blocks_contents(rule.content or [])
                 if d.type == "declaration"]
        out.append((rule.type, tinycss2.serialize(rule.prelude or []).strip(), names))
    return out


def _urls(tokens) -> int:
    count = 0
    for token in tokens or []:
        if token.type == "url" or (token.type == "function" and token.lower_name == "url"):
            count += 1
        count += _urls(getattr(token, "content", None) or getattr(token, "arguments", None)
                       or getattr(token, "prelude", None))
    return count


def _running_header(css: str) -> str:
    """The value of the CSS string `body { string-set: running "..." }` sets."""
    for rule in _rules(css):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == "body":
            for declaration in tinycss2.parse_blocks_contents(rule.content):
                if getattr(declaration, "name", "") == "string-set":
                    tokens = [t for t in declaration.value if t.type != "whitespace"]
                    assert [t.type for t in tokens] == ["ident", "string"], tokens
                    return tokens[1].value
    raise AssertionError("no running header")


@pytest.fixture(scope="module")
def baseline(product, case):
    """The personalised page with harmless text in every hostile field."""
    return _Page(ENV.render_html(hostile_product(product, "Harmless text"),
                                 hostile_case(case, "Harmless holder", "LC-1")))


def check_page(html: str, baseline: _Page, product, text: str, holder: str, number: str
               ) -> None:
    """The page holds each string where it belongs, and nothing else changed shape."""
    found = _Page(html)
    assert found.tags == baseline.tags  # no element or attribute injected, none lost
    words = phrases("en")
    title = words("title_personal", product=text, number=number)
    assert found.text("title") == [line(title)]
    assert found.meta("description") == line(title)
    assert found.meta("policy-number") == line(number)
    [heading] = found.text("h1")
    assert same(heading, text)
    details = found.text("dd")
    assert any(same(d, holder) for d in details) and any(same(d, number) for d in details)
    assert any(same(d, text) for d in found.text("td"))  # the cover level in the schedule
    assert any(printable(text).replace("\u200b", "") in d.replace("\u200b", "")
               for d in found.text("p"))  # the exclusion's and the definition's wording
    [css] = found.text("style")
    [base_css] = baseline.text("style")
    assert _outline(css) == _outline(base_css)
    assert _urls(_rules(css)) == _urls(_rules(base_css))
    running = words("running", product=text, version=product.version)
    assert _running_header(css) == printable(running)


# ------------------------------------------------------------ the templates, by construction


def _statements_out(source: str) -> str:
    return re.sub(r"\{#.*?#\}|\{%.*?%\}", "", source, flags=re.S)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_template_marks_text_safe_or_turns_autoescape_off(path):
    source = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    assert not re.search(r"\|\s*safe\b|\bMarkup\b|\{%-?\s*(autoescape|raw)\b", source)
    assert "<script" not in source


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_interpolations_sit_in_content_or_double_quoted_attribute_values(path):
    source = re.sub(r"\{\{.*?\}\}", "@@", _statements_out(path.read_text(encoding="utf-8")),
                    flags=re.S)
    for tag in re.findall(r"<[A-Za-z][^<>]*>", source):
        unquoted = re.sub(r'="[^"]*"', '=""', tag)
        assert "@@" not in unquoted, tag  # never a bare or single-quoted value, never a name
        for name, value in re.findall(r'([\w:-]+)="([^"]*@@[^"]*)"', tag):
            assert not name.startswith("on") and name not in ("style", "src"), tag
            assert name != "href" or value.startswith("#"), tag  # links only within the page


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_inside_style_only_css_escapers_and_in_metadata_only_one_line(path):
    source = _statements_out(path.read_text(encoding="utf-8"))
    for style in re.findall(r"<style>(.*?)</style>", source, flags=re.S):
        for expression in re.findall(r"\{\{(.*?)\}\}", style, flags=re.S):
            expression = expression.strip()
            assert expression == "css" or re.search(r"\|\s*css_(string|number)$", expression), \
                expression
    for element in re.findall(r"<title>.*?</title>|<meta [^>]*>", source, flags=re.S):
        for expression in re.findall(r"\{\{(.*?)\}\}", element, flags=re.S):
            assert re.search(r"\|\s*one_line$", expression.strip()), element


def test_markup_and_the_jinja2_environment_are_made_only_in_escape():
    """Nothing outside document/escape.py can mark text as safe or build another
    template environment with other escaping rules."""
    found = []
    for path in sorted((ROOT / "configurator").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() == "configurator/document/escape.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("markupsafe", "jinja2"):
                found.append(f"{path.name}: from {node.module} import ...")
            if isinstance(node, ast.Import) and any(a.name == "markupsafe" for a in node.names):
                found.append(f"{path.name}: import markupsafe")
            if isinstance(node, ast.Attribute) and node.attr in ("Environment", "Markup"):
                found.append(f"{path.name}: .{node.attr}")
    assert found == []


# ------------------------------------------------------------ the escapers


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_clean_text_keeps_tab_and_newline_breaks_lines_and_drops_other_controls(char):
    cleaned = clean_text(f"a{char}b")
    assert cleaned == printable(f"a{char}b")
    assert cleaned in ("ab", "a\tb", "a\nb")
    assert (cleaned == "a\nb") == (char in "\n" + LINE_BREAKS)
    [token] = tinycss2.parse_component_value_list(f'"{css_string(f"a{char}b")}"')
    assert (token.type, token.value) == ("string", cleaned)
    found = _Page(_probe().render(value=f"a{char}b"))
    assert found.text("p") == [cleaned] and found.attrs[1][1]["title"] == cleaned
    assert str(one_line(f"a{char}b")) in ("ab", "a b")


def test_clean_text_drops_surrogates_and_noncharacters_and_keeps_the_rest():
    assert clean_text("a\ud800b\udfffc\ufffed\uffffe\ufdd0f") == "abcdef"
    kept = "Wang Fang 王芳 \u00e9\u200b\u202e\U0001F600 \t\n"
    assert clean_text(kept) == kept


@settings(max_examples=300, deadline=None)
@given(hostile_text(60))
def test_css_string_is_one_css_string_token_holding_the_printable_part(text):
    escaped = css_string(text)
    assert not re.search(r"[\x00-\x1f\x7f\"'<>&]", escaped)
    tokens = tinycss2.parse_component_value_list(f'"{escaped}"')
    assert [t.type for t in tokens] == ["string"]
    assert tokens[0].value == printable(text)


@settings(max_examples=200, deadline=None)
@given(hostile_text(80))
def test_html_text_escaping_round_trips_and_long_runs_wrap(text):
    html = _probe().render(value=text)
    found = _Page(html)
    assert [tag for tag, _ in found.tags] == ["p", "span"]
    assert same(found.text("p")[0], text) and same(found.attrs[1][1]["title"], text)
    assert not any(len(run) > LONG_RUN for run in re.findall(
        r"[!-~]+", found.text("p")[0].replace("\u200b", " ")))
    assert html_module.unescape(str(one_line(text))) == line(text)


def _probe() -> jinja2.Template:
    from configurator.document.escape import environment

    return environment().from_string('<p>{{ value }}</p><span title="{{ value }}"></span>')


def test_css_number_takes_only_integers_and_the_stylesheet_cannot_close_style():
    assert css_number(12) == "12"
    for bad in ("12; background: url(x)", 1.5, True, None):
        with pytest.raises(TypeError):
            css_number(bad)
    with pytest.raises(ValueError):
        stylesheet("p { color: red } </style><script>")
    assert "</" not in (ROOT / "templates" / "policy.css").read_text(encoding="utf-8")


def test_breakable_leaves_short_runs_and_chinese_alone():
    assert breakable("A short sentence, as ever.") == "A short sentence, as ever."
    assert breakable("保险" * 40) == "保险" * 40
    assert breakable("9" * 65) == "\u200b".join(["9" * 30, "9" * 30, "9" * 5])


def test_the_redline_tags_only_del_and_ins_and_escapes_their_text():
    html = pieces_html(compare_words("a safe text", f"a {EVERYTHING} text"))
    assert {tag for tag, _ in _Page(html).tags} <= {"del", "ins"}
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)
    assert "&lt;/style&gt;" in html and "<del>safe</del>" in html
    with pytest.raises(KeyError):
        tagged([("script", "x")])


# ------------------------------------------------------------ rendered pages


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_hostile_string_lands_escaped_where_it_belongs(name, product, case, baseline):
    text = CORPUS[name]
    REFUSED.clear()
    html = ENV.render_html(hostile_product(product, text), hostile_case(case, text, text))
    check_page(html, baseline, product, text, text, text)
    assert REFUSED == []


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text(), holder=hostile_text(), number=hostile_text())
def test_random_strings_in_product_and_case_never_inject(product, case, baseline, text, holder,
                                                         number):
    html = ENV.render_html(hostile_product(product, text), hostile_case(case, holder, number))
    check_page(html, baseline, product, text, holder, number)


def _yaml_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar, every non-printable character escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() and not 0xD800 <= code <= 0xDFFF:
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


NAME_LINE = "  en: Liver Care Hepatitis B Cover"


def _loaded(text: str):
    """The bundled product with `text` as its English name, loaded from YAML, or the
    positioned error loading gives (which must point at the name)."""
    source = PRODUCT.read_text(encoding="utf-8")
    assert source.count(NAME_LINE) == 1
    try:
        return loads(source.replace(NAME_LINE, "  en: " + _yaml_quoted(text)), "hostile.yaml")
    except ProductError as error:
        name_line = source.splitlines().index(NAME_LINE) + 1
        assert error.problems and all(p.span is not None for p in error.problems)
        assert any(p.span.line == name_line and p.span.file == "hostile.yaml"
                   for p in error.problems), str(error)
        return None


@pytest.mark.parametrize("char", ["\r", "\f", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_wording_with_a_control_character_is_refused_at_its_position(char):
    """Product wording may hold tabs and line breaks, no other control character."""
    source = PRODUCT.read_text(encoding="utf-8")
    with pytest.raises(ProductError) as error:
        loads(source.replace(NAME_LINE, "  en: " + _yaml_quoted(f"Liver{char}Care")),
              "control.yaml")
    problem, = error.value.problems
    assert (problem.span.file, problem.span.line) == (
        "control.yaml", source.splitlines().index(NAME_LINE) + 1)
    assert problem.path == "name.en"
    assert f"control character U+{ord(char):04X} at character 6" in problem.message
    assert _loaded("Liver\tCare\nCover") is not None  # tab and newline stay allowed


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text(20, MARKUP.replace("{}", "")), holder=hostile_text(20),
       number=hostile_text(20))
def test_from_yaml_and_case_data_a_page_renders_safely_or_the_error_is_positioned(
        product, baseline, text, holder, number):
    loaded = _loaded(text)
    if loaded is None:
        return
    data = _case_data(product)
    data["policy"].update(holder=holder, number=number)
    try:
        case = case_from_data(data, loaded, file="hostile-case.yaml")
    except CaseError as error:
        assert all(p.span is not None for p in error.problems), str(error)
        return
    try:
        html = ENV.render_html(loaded, case)
    except ConfigError as error:  # a refusal must be positioned, never a rendering bug
        assert all(p.span is not None and p.code != "render_failed" for p in error.problems)
        return
    found = _Page(html)
    assert found.tags == baseline.tags
    [heading] = found.text("h1")
    assert same(heading, text)
    assert found.meta("policy-number") == line(number)
    [css] = found.text("style")
    assert _running_header(css) == printable(
        phrases("en")("running", product=text, version=loaded.version))


def _case_data(product) -> dict:
    from configurator import load_case

    return json.loads(json.dumps(load_case(CASE, product).to_data()))


# ------------------------------------------------------------ whole PDFs


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "policy.pdf"
    path.write_bytes(pdf)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"[\s\u200b]+", "", text)


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\u200b]+", "", printable(text))


def test_every_control_character_and_markup_in_every_field_prints(product, case, tmp_path):
    number = CORPUS["long_policy_number"] + MARKUP
    REFUSED.clear()
    pdf = ENV.render_pdf(hostile_product(product, EVERYTHING),
                         hostile_case(case, EVERYTHING, number))
    assert REFUSED == []
    text = _pdf_text(pdf, tmp_path)
    assert text.count(_squeezed(EVERYTHING)) >= 5  # name, running header, holder, clauses
    assert _squeezed(number) in text  # 300 characters, wrapped, none lost off the page
    document = pikepdf.open(io.BytesIO(pdf))
    title = line(phrases("en")("title_personal", product=EVERYTHING, number=number))
    assert str(document.docinfo["/Title"]) == title
    assert str(document.docinfo["/policynumber"]) == line(number)
    with document.open_metadata() as xmp:
        assert xmp["dc:title"] == title
    assert page.validate_pdf_bytes(pdf, profile="ua1").failures == []


@pytest.mark.parametrize("name", ["css_injection_cr", "css_injection_ff"])
def test_issue_reproducer_css_injection_in_the_product_name(name, case, tmp_path):
    """Issue 10: a product name with a carriage return or form feed escaped the CSS string,
    injected `background: url(http://...)`, and the refused fetch killed the render."""
    loaded = _loaded(CORPUS[name])
    if loaded is None:
        return  # refused at load, at the name's position
    REFUSED.clear()
    pdf = ENV.render_pdf(loaded)
    assert REFUSED == []
    assert _squeezed(CORPUS[name]) in _pdf_text(pdf, tmp_path)


def test_issue_reproducer_an_infinite_parameter_is_refused_or_a_clean_render_error():
    """Issue 10: a parameter `1e400` raised OverflowError in render. Loading may refuse it
    (at its position); the document stage alone must never let the OverflowError out."""
    source = PRODUCT.read_text(encoding="utf-8")
    line_text = "  sum_insured: {value: 200000, unit: CNY}"
    assert source.count(line_text) == 1
    try:
        loaded = loads(source.replace(line_text, line_text.replace("200000", "1e400")),
                       "infinite.yaml")
    except ProductError as error:
        number = source.splitlines().index(line_text) + 1
        assert any(p.span and p.span.line == number for p in error.problems), str(error)
        return
    try:
        document_html(loaded)
    except RenderError as error:
        assert "infinite.yaml" in str(error) and "hepatitis_b" in str(error)


# ------------------------------------------------------------ failures are clean errors


def _boom(*args, **kwargs):
    raise ValueError("layout exploded")


def test_a_weasyprint_failure_is_a_render_error_naming_the_document(product, case,
                                                                     monkeypatch):
    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "render", _boom)
    with pytest.raises(RenderError) as error:
        ENV.render_pdf(product, case, locale="zh-CN")
    problem, = error.value.problems
    assert problem.span == product.span and problem.code == "render_failed"
    for words in (product.id, product.version, "'zh-CN'", case.file, case.policy_number,
                  "ValueError: layout exploded"):
        assert words in problem.message, words
    assert isinstance(error.value.__cause__, ValueError)


def test_a_template_failure_is_a_render_error(product, monkeypatch):
    def broken(*args, **kwargs):
        raise jinja2.UndefinedError("'policy' has no attribute 'nothing'")

    monkeypatch.setattr(jinja2.Template, "render", broken)
    with pytest.raises(RenderError, match=r"the specimen\): UndefinedError"):
        ENV.render_html(product)


def test_cli_render_failure_exits_2_with_a_message_and_writes_nothing(monkeypatch, capsys,
                                                                      tmp_path):
    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "render", _boom)
    out = tmp_path / "policy.pdf"
    code = main(["render", str(PRODUCT), "--case", str(CASE), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "could not render the policy document of hepatitis_b" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_diff_report_escapes_hostile_names_and_wording(product):
    html = report_html(diff(product, hostile_product(product, EVERYTHING)))
    found = _Page(html)
    allowed = set(re.findall(r"<([a-z0-9]+)", (ROOT / "templates" / "diff.html.j2").read_text()))
    assert {tag for tag, _ in found.tags} <= allowed | {"del", "ins"}
    assert [tag for tag, _ in found.tags].count("style") == 1
    assert found.text("title") == [line(f"Compliance review: {EVERYTHING} 1.0.0 → 1.0.0")]
    assert same(found.text("h1")[0], f"Compliance review: {EVERYTHING}")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)


def test_a_diff_report_failure_is_a_clean_error_and_writes_nothing(product, monkeypatch,
                                                                   capsys, tmp_path):
    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", _boom)
    with pytest.raises(RenderError, match="the compliance report hepatitis_b 1.0.0 -> "):
        report_bytes(diff(product, product), ".pdf")
    new = tmp_path / "new.yaml"
    new.write_text(PRODUCT.read_text(encoding="utf-8").replace(NAME_LINE, NAME_LINE + " Plus"))
    report = tmp_path / "review.pdf"
    assert main(["diff", str(PRODUCT), str(new), "-o", str(report)]) == 2
    err = capsys.readouterr().err
    assert "could not render the compliance report" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.yaml"]
