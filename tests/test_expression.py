"""Conditions parsed once: an `Expression` carries its tree from the check to every stage."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from configurator import ProductError, compile_product, evaluate, load, load_case, loads
from configurator.compliance.lint import lint
from configurator.conditions import ConditionSyntaxError, Expression, as_expression, parse
from configurator.conditions import parser as parser_module
from configurator.document.render import render_html
from configurator.product.model import Product

from .paths import CASE, PRODUCT, PRODUCT_FILES, ROOT


def test_the_tree_is_parsed_on_first_use_and_then_kept():
    text = Expression("age > 60 and smoker")
    assert "node" not in vars(text)
    node = text.node
    assert text.node is node
    assert node == parse("age > 60 and smoker")


def test_an_expression_dumps_compares_and_hashes_as_its_text():
    text = Expression("age > 60")
    assert text == "age > 60" and hash(text) == hash("age > 60")
    assert repr(text) == repr("age > 60") and str(text) == "age > 60"
    assert json.dumps({"when": text}) == '{"when": "age > 60"}'


def test_text_that_does_not_parse_raises_on_every_use():
    text = Expression("age >")
    for _ in range(2):
        with pytest.raises(ConditionSyntaxError) as info:
            text.node  # noqa: B018  (the property is what is tested)
        assert info.value.pos == 5


def test_copies_share_the_tree_and_a_pickle_carries_only_the_text():
    text = Expression("a > 1")
    node = text.node
    assert copy.copy(text) is text and copy.deepcopy(text) is text
    back = pickle.loads(pickle.dumps(text))
    assert type(back) is Expression and back == text
    assert "node" not in vars(back)
    assert back.node == node


def test_as_expression_keeps_an_expression_and_its_tree():
    text = Expression("a > 1")
    assert as_expression(text) is text
    made = as_expression("a > 1")
    assert type(made) is Expression and made == text


def conditions_of(product: Product) -> list:
    """Every condition and derived expression a product holds."""
    found: list = [d.expr for d in product.derived.values()]
    found += [r.when for r in product.eligibility]
    for checkup in product.checkups:
        found += [checkup.trigger.when] + [r.when for r in checkup.results]
    for metric in product.metrics.values():
        found += [spec.when for spec in (metric.count, metric.on_time) if spec is not None]
    found += [p.when for p in product.adherence]
    found += [b.when for b in product.benefits] + [x.when for x in product.exclusions]
    return [text for text in found if text is not None]


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_a_checked_product_carries_every_condition_already_parsed(path):
    conditions = conditions_of(load(path))
    assert len(conditions) > 10
    for text in conditions:
        assert type(text) is Expression
        assert "node" in vars(text), text  # parsed by the check, kept on the model


def test_a_condition_that_does_not_parse_is_reported_inside_its_string():
    source = (ROOT / "tests/fixtures/tiny.yaml").read_text(encoding="utf-8")
    assert "    when: age > max_age\n" in source  # line 33; the text starts at column 11
    with pytest.raises(ProductError) as info:
        loads(source.replace("when: age", "when: age >> 1 or age", 1), "tiny.yaml")
    assert "tiny.yaml:33:16: eligibility[0].when: invalid condition: expected a number" in str(
        info.value)


def test_no_stage_after_the_check_parses_again(monkeypatch):
    product = load(PRODUCT)  # loaded fresh: the check parses each condition, nothing later may
    case = load_case(CASE, product)

    def refuse(self):
        raise AssertionError(f"parsed again: {self.text!r}")

    monkeypatch.setattr(parser_module._Parser, "parse", refuse)
    compiled = compile_product(product)
    assert compiled.lifted and product.derived  # so the lifted and derived paths run
    outcome = evaluate(compiled, case, explain=True)
    assert any(reason.checks for reason in outcome.reasons)  # explanations read the trees
    assert "<html" in render_html(product, case=case)
    lint(product)
