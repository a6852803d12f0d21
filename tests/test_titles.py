"""Clause titles: written by the designer, derived only as a fallback, never a list of inputs.

An eligibility rule or check-up result heads its clause with its own
`title:`; without one the heading is the outcome in words and the first
thing the condition reads (lint warns: TITLE_MISSING). Two clauses side by
side with one heading are a finding naming both positions (TITLE_DUPLICATE).
The decline rules are one clause that says "we cannot cover you" once and
lists each decline under its own number, and the engine's reasons cite
those numbers.
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator import loads
from configurator.compliance.diff import diff
from configurator.compliance.lint import lint
from configurator.conditions.visitor import names
from configurator.document.phrases import phrases
from configurator.document.policy import build_policy
from configurator.document.titles import capital, label, rule_title
from configurator.environment import Environment
from configurator.errors import ConfigError
from configurator.product.clauses import DECLINES, clause_numbers, declines
from configurator.product.model import EligibilityRule, Product, text_in
from configurator.product.params import parameters_at
from configurator.product.wording import render_text
from configurator.runs.suites import load_suite

from .paths import PRODUCT_FILES, PRODUCTS_DIR

ENV = Environment()
LOCALES = ("en", "zh-CN")
TITLE_LINE = re.compile(r"^\s+title: .*\n", re.M)


@cache
def bundled(path: Path) -> Product:
    return ENV.load(path)


@cache
def untitled(path: Path) -> Product:
    """The bundled product with every rule's `title:` taken out."""
    text = path.read_text(encoding="utf-8")
    product = bundled(path)
    assert len(TITLE_LINE.findall(text)) == len(list(titled_rules(product)))
    return loads(TITLE_LINE.sub("", text), file=str(path))


def titled_rules(product: Product):
    """(clause key, rule) for every rule that heads its clause with a title."""
    for rule in product.eligibility:
        yield f"eligibility.{rule.id}", rule
    for checkup in product.checkups:
        for result in checkup.results:
            yield f"checkup.{checkup.id}.{result.id}", result


def clauses_by_key(product: Product, locale: str) -> dict:
    return {clause.key: clause for clause in build_policy(product, locale).clauses()}


def every_label(product: Product, locale: str) -> set[str]:
    names = set(product.inputs) | set(product.derived) | set(product.metrics)
    names |= {f for event in product.events.values() for f in event.fields}
    return {label(product, name, locale) for name in names}


def labels_in(title: str, labels: set[str], locale: str) -> list[str]:
    """The labels a title holds, longest first, each place counted once."""
    rest, found = title.casefold(), []
    for item in sorted(labels, key=len, reverse=True):
        pattern = re.escape(item.casefold())
        if locale == "en":
            pattern = rf"(?<![a-z0-9]){pattern}(?![a-z0-9])"
        if re.search(pattern, rest):
            found.append(item)
            rest = re.sub(pattern, "\0", rest)
    return found


# ------------------------------------------------------------ a title is used when given


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_every_bundled_rule_has_a_title_in_each_language(path):
    product = bundled(path)
    for key, rule in titled_rules(product):
        assert rule.title is not None, key
        for locale in product.languages:
            assert text_in(rule.title, locale).strip(), (key, locale)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_a_given_title_heads_its_clause_in_the_document(path, locale):
    product = bundled(path)
    clauses = clauses_by_key(product, locale)
    html = unescape(ENV.render_html(product, locale=locale))
    constants = parameters_at(product, product.effective_from)
    for key, rule in titled_rules(product):
        written = render_text(rule.title, product, constants, locale)
        assert clauses[key].title == written, key
        assert written in html, key


def test_a_title_may_name_a_parameter_and_must_have_every_language():
    text = (PRODUCTS_DIR / "hepatitis_b.yaml").read_text(encoding="utf-8")
    over = text.replace("title: {en: Age at entry, zh-CN: 投保年龄}",
                        "title: {en: 'Age at entry: {min_entry_age:number} to "
                        "{max_entry_age:number}', zh-CN: '投保年龄{min_entry_age:number}至"
                        "{max_entry_age:number}周岁'}", 1)
    product = loads(over)
    assert clauses_by_key(product, "en")["eligibility.age_outside_range"].title == \
        "Age at entry: 18 to 60"
    assert clauses_by_key(product, "zh-CN")["eligibility.age_outside_range"].title == \
        "投保年龄18至60周岁"
    with pytest.raises(ConfigError, match="zh-CN"):
        loads(text.replace("title: {en: Age at entry, zh-CN: 投保年龄}",
                           "title: {en: Age at entry}", 1))


# ------------------------------------------------------------ the fallback


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_without_titles_no_heading_is_a_list_of_labels(path, locale):
    """Every rule of every bundled product, its title taken out: at most one label."""
    product = untitled(path)
    clauses = clauses_by_key(product, locale)
    labels = every_label(product, locale)
    constants = parameters_at(product, product.effective_from)
    for key, rule in titled_rules(product):
        title = clauses[key].title
        assert len(labels_in(title, labels, locale)) <= 1, (key, title)
        assert ", " not in title and "、" not in title, (key, title)
        read = {n.id for n in names(rule.when.node)} - set(constants)
        if len(read) > 1:  # what the heading used to be: every label, joined
            assert title != ", ".join(label(product, n, locale) for n in read), key


@st.composite
def conditions(draw, product: Product) -> tuple[str, list[str]]:
    """A condition over 1-5 of the product's inputs, and the names it reads in order."""
    atoms = {}
    for name, spec in product.inputs.items():
        if spec.type == "boolean":
            atoms[name] = name
        elif spec.type in ("number", "integer"):
            atoms[name] = f"{name} > {spec.min if spec.min is not None else 0}"
        elif spec.type == "enum" and spec.values:
            atoms[name] = f"{name} == '{spec.values[0]}'"
    chosen = draw(st.lists(st.sampled_from(sorted(atoms)), min_size=1, max_size=5, unique=True))
    joins = draw(st.lists(st.sampled_from([" and ", " or "]), min_size=len(chosen) - 1,
                          max_size=len(chosen) - 1))
    text = atoms[chosen[0]] + "".join(j + atoms[n] for j, n in zip(joins, chosen[1:],
                                                                     strict=True))
    return text, chosen


@settings(max_examples=60, deadline=None)
@given(data=st.data(), locale=st.sampled_from(LOCALES),
       outcome=st.sampled_from(["decline", "refer", "loading", "exclusion"]),
       path=st.sampled_from(PRODUCT_FILES))
def test_the_fallback_names_the_outcome_and_only_the_first_input(data, locale, outcome, path):
    product = bundled(path)
    text, chosen = data.draw(conditions(product))
    extra = {"loading": {"percent": 10}, "exclusion": {"exclusion": "x"}}.get(outcome, {})
    rule = EligibilityRule(id="r", when=text, outcome=outcome, text="t", **extra)
    constants = parameters_at(product, product.effective_from)
    title = rule_title(product, "eligibility.r", rule, locale, constants)
    first = label(product, chosen[0], locale)
    assert title == capital(phrases(locale)(f"title_fallback.{outcome}", topic=first))
    assert labels_in(title, every_label(product, locale), locale) == [first]


def test_a_condition_on_parameters_alone_is_a_numbered_condition():
    product = bundled(PRODUCTS_DIR / "hepatitis_b.yaml")
    rule = EligibilityRule(id="r", when="min_entry_age > 100", outcome="refer", text="t")
    constants = parameters_at(product, product.effective_from)
    numbers = {"eligibility.r": "2.9"}
    assert rule_title(product, "eligibility.r", rule, "en", constants, numbers) == "Condition 9"
    assert rule_title(product, "eligibility.r", rule, "zh-CN", constants, numbers) == "情形9"


# ------------------------------------------------------------ eGFR stays eGFR


@pytest.mark.parametrize(("text", "expected"), [
    ("your age", "Your age"), ("eGFR (kidney function)", "eGFR (kidney function)"),
    ("mRNA vaccine", "mRNA vaccine"), ("HBV DNA", "HBV DNA"), ("年龄", "年龄"), ("", ""),
    ("fev1 ratio", "Fev1 ratio")])
def test_capital_leaves_words_that_already_hold_capitals(text, expected):
    assert capital(text) == expected


@given(st.text(max_size=30))
def test_capital_changes_at_most_the_first_letter(text):
    out = capital(text)
    assert out[1:] == text[1:] and out[:1] in (text[:1], text[:1].upper())
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if any(ch.isupper() for ch in first):
        assert out == text


def test_egfr_is_printed_as_written():
    path = PRODUCTS_DIR / "senior_checkup.yaml"
    for product in (bundled(path), untitled(path)):
        html = ENV.render_html(product, locale="en")
        assert "eGFR" in html and "EGFR" not in html
    title = clauses_by_key(untitled(path), "en")["checkup.post_issue_checkup.low_kidney_function"]
    assert title.title == "Result: eGFR (kidney function)"


# ------------------------------------------------------------ lint


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_lint_warns_for_each_rule_without_a_title_at_the_rule(path):
    product = untitled(path)
    found = [f for f in lint(product) if f.code == "TITLE_MISSING"]
    rules = list(titled_rules(product))
    assert len(found) == len(rules)
    numbers = clause_numbers(product)
    for key, rule in rules:
        at = product.source.span(rule.path)
        finding, = [f for f in found if f.span == at]
        assert f" {rule.id} " in finding.message and f"clause {numbers[key]} " in finding.message
        assert finding.severity == "warning" and finding.span.file == str(path)


def test_lint_finds_the_duplicated_copd_titles_with_both_positions():
    """The old '2.8 / 2.9 慢阻肺GOLD分级': two loadings on the GOLD grade."""
    path = PRODUCTS_DIR / "copd.yaml"
    product = untitled(path)
    moderate, severe = (next(r for r in product.eligibility if r.id == i)
                        for i in ("moderate_copd_loading", "severe_copd_loading"))
    numbers = clause_numbers(product)
    found = [f for f in lint(product) if f.code == "TITLE_DUPLICATE"]
    assert len(found) == 1
    first = product.source.span(moderate.path)
    assert found[0].span == product.source.span(severe.path)
    assert f"clause {numbers['eligibility.severe_copd_loading']} " in found[0].message
    assert f"clause {numbers['eligibility.moderate_copd_loading']} ({first})" in \
        found[0].message
    assert "(en, zh-CN)" in found[0].message


def test_a_duplicate_written_title_points_at_both_titles():
    path = PRODUCTS_DIR / "copd.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "title: {en: Severe COPD, zh-CN: 重度慢阻肺}",
        "title: {en: Severe COPD, zh-CN: 中度慢阻肺}")
    product = loads(text, file=str(path))
    finding, = lint(product)
    assert finding.code == "TITLE_DUPLICATE" and "'中度慢阻肺' (zh-CN)" in finding.message
    severe = next(r for r in product.eligibility if r.id == "severe_copd_loading")
    moderate = next(r for r in product.eligibility if r.id == "moderate_copd_loading")
    assert finding.span == product.source.span(severe.path + ("title",))
    assert str(product.source.span(moderate.path + ("title",))) in finding.message


# ------------------------------------------------------------ declines, grouped


def decline_items(html: str) -> dict[str, str]:
    """Clause number -> the text of each item listed in the declines clause."""
    return {number: re.sub(r"<[^>]+>", "", body) for number, body in re.findall(
        r'<li id="clause-[0-9-]+"[^>]*><span class="num">([0-9.]+)</span>(.*?)</li>', html,
        re.S)}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_declines_are_one_clause_that_says_it_once_and_lists_each(path, locale):
    product = bundled(path)
    words = phrases(locale)
    numbers = clause_numbers(product)
    html = unescape(ENV.render_html(product, locale=locale))
    rules = declines(product)
    intro = words("declines_intro" if len(rules) > 1 else "declines_intro_one")
    assert html.count(intro) == 1
    assert words("declines_title") in html
    # said once in all: neither the other intro nor the sentence every decline used to repeat
    said = {words("declines_intro"), words("declines_intro_one"),
            "We cannot cover you in this case.", "此种情况我们不予承保。"}
    assert sum(html.count(sentence) for sentence in said) == 1
    items = decline_items(html)
    constants = parameters_at(product, product.effective_from)
    assert sorted(items, key=lambda n: int(n.rsplit(".", 1)[1])) == \
        [numbers[f"eligibility.{r.id}"] for r in rules]
    for rule in rules:
        number = numbers[f"eligibility.{rule.id}"]
        assert number.startswith(numbers[DECLINES] + ".")
        body = " ".join(items[number].split())
        assert text_in(rule.title, locale) in body
        assert " ".join(render_text(rule.text, product, constants, locale).split()) in body


def decline_examples():
    for path in PRODUCT_FILES:
        product = bundled(path)
        folder = PRODUCTS_DIR / product.id
        for case_path in sorted(folder.glob("*.yaml")):
            if case_path.name.endswith(".suite.yaml"):
                for suite_case in load_suite(case_path, product):
                    yield path, f"{case_path.name}: {suite_case.name}", suite_case.case
            else:
                yield path, case_path.name, ENV.case(case_path, product)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_declined_outcome_cites_the_numbers_the_document_prints(locale):
    declined = 0
    html = {path: decline_items(unescape(ENV.render_html(bundled(path), locale=locale)))
            for path in PRODUCT_FILES}
    for path, name, case in decline_examples():
        product = bundled(path)
        outcome = ENV.evaluate(product, case, locale=locale)
        if outcome.decision != "decline":
            continue
        declined += 1
        cited = [r for r in outcome.reasons if r.rule.startswith("eligibility.")]
        assert cited, name
        for reason in cited:
            rule = next(r for r in product.eligibility if f"eligibility.{r.id}" == reason.rule)
            if rule.outcome != "decline":
                continue
            assert reason.clause == clause_numbers(product)[reason.rule], name
            assert reason.clause in html[path], (name, reason.clause)
            assert text_in(rule.title, locale) in html[path][reason.clause], name
    assert declined >= 8  # every bundled product has declined examples


@pytest.mark.parametrize(("locale", "line"), [
    ("en", "(Big three positive, clause 2.5)"),
    ("zh-CN", "（大三阳，第2.5条）")])
def test_the_schedule_names_a_loading_by_its_title_and_clause(locale, line):
    product = bundled(PRODUCTS_DIR / "hepatitis_b.yaml")
    case = ENV.case(PRODUCTS_DIR / "hepatitis_b" / "big_three_positive_loading.yaml", product)
    html = unescape(ENV.render_html(product, case, locale=locale))
    assert line in html
    assert clause_numbers(product)["eligibility.big_three_positive_loading"] == "2.5"


def test_diff_reports_a_changed_title_as_wording_of_its_clause():
    path = PRODUCTS_DIR / "hepatitis_b.yaml"
    text = path.read_text(encoding="utf-8")
    new = loads(text.replace("title: {en: Raised AFP,", "title: {en: AFP above normal,")
                .replace("version: 1.0.0", "version: 1.0.1", 1))
    change, = diff(bundled(path), new).changes
    assert (change.kind, change.clause) == ("wording_only", "2.3")
    assert change.subject == "eligibility.afp_raised"
