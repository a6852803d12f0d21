"""One source of truth for every number in the wording.

Wording names the rule's own parameter with a format (``{pdc_min:percent}``);
the checks in `product/wording_check.py` refuse what lets wording and rules
part (their negative fixtures are `tests/fixtures/broken/wording_*.yaml`);
and changing a number a rule reads changes every clause that prints it, in
every language.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import loads
from configurator.compliance.diff import diff
from configurator.environment import Environment
from configurator.errors import ConfigError
from configurator.product.fields import text_variants
from configurator.product.model import Parameter, Product
from configurator.product.params import parameters_at
from configurator.product.texts import PLACEHOLDER, texts
from configurator.product.usage import RULES, WORDING, parameter_uses
from configurator.product.wording import format_value, formatted, render_text, split

from .paths import PRODUCT, PRODUCT_FILES

ENV = Environment()


# ------------------------------------------------------------ formats


@pytest.mark.parametrize(("value", "unit", "form", "en", "zh"), [
    (0.8, "ratio", "percent", "80%", "80%"),
    (0.955, "ratio", "percent", "95.5%", "95.5%"),
    (80, "percent", "percent", "80%", "80%"),
    (200000, "CNY", "money", "RMB 200,000", "200,000元"),
    (2, "visits", "count", "2 visits", "2次"),
    (1, "visits", "count", "1 visit", "1次"),
    (3, "teeth", "count", "3 teeth", "3颗"),
    (1, "tooth", None, "1 tooth", "1颗"),
    (180, "days", "days", "180 days", "180天"),
    (1, "days", None, "1 day", "1天"),
    (6, "months", "months", "6 months", "6个月"),
    (60, None, "number", "60", "60"),
    (60, "years", "number", "60", "60"),
    (1.3, "times", None, "1.3 times", "1.3倍"),
])
def test_a_placeholder_reads_as_its_format_asks(value, unit, form, en, zh):
    parameter = Parameter(value=value, unit=unit)
    assert formatted(value, parameter, form, "en", "CNY") == en
    assert formatted(value, parameter, form, "zh-CN", "CNY") == zh


def test_a_placeholder_splits_into_its_name_and_format():
    assert split("pdc_min:percent") == ("pdc_min", "percent")
    assert split(" pdc_min ") == ("pdc_min", None)


def test_units_without_a_noun_are_printed_after_the_number():
    assert format_value(12.4, "kPa") == "12.4 kPa"
    assert format_value(20, "percent", "zh-CN") == "20%"


# ------------------------------------------------------------ the pdc_min experiment


def with_pdc_min(value: str) -> Product:
    text = PRODUCT.read_text(encoding="utf-8")
    old = "pdc_min: {value: 0.8,"
    assert text.count(old) == 1
    return loads(text.replace(old, f"pdc_min: {{value: {value},"), str(PRODUCT))


def policy_text(product: Product, locale: str) -> str:
    html = ENV.render_html(product, locale=locale)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize(("locale", "before", "after"), [
    ("en", "at least 80% of days", "at least 90% of days"),
    ("zh-CN", "有药天数比例不低于80%", "有药天数比例不低于90%"),
])
def test_the_adherence_rule_and_its_clause_move_together(locale, before, after):
    assert before in policy_text(with_pdc_min("0.8"), locale)
    moved = policy_text(with_pdc_min("0.9"), locale)
    assert after in moved and before not in moved


def test_diff_reports_the_wording_change_of_a_rule_parameter():
    result = diff(with_pdc_min("0.8"), with_pdc_min("0.9"))
    change, = result.changes
    # the threshold is the half-year metric's (issue 13: PDC in each half); the wording the
    # programme's
    assert (change.subject, change.causes, change.effect) == (
        "metric.halves_on_antivirals", ("parameter.pdc_min",), "unfavourable")
    changed = {(clause.locale, clause.key) for clause in result.redline}
    assert changed == {("en", "adherence.treatment_adherence.text"),
                       ("zh-CN", "adherence.treatment_adherence.text")}
    english = next(clause for clause in result.redline if clause.locale == "en")
    assert "<del>80%</del><ins>90%</ins>" in english.html


# ------------------------------------------------------------ no duplicate display values


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_no_bundled_product_keeps_a_display_copy_of_a_rule_parameter(path):
    product = ENV.load(path)
    uses = parameter_uses(product)
    for name in product.parameters:
        for other in product.parameters:
            if other != name and name.startswith(other + "_"):
                assert uses[name][RULES] or not uses[name][WORDING], (name, other)


# ------------------------------------------------------------ the property


@cache
def mentioned_rule_parameters() -> list[tuple[str, str]]:
    """(product file, parameter) for every number a rule reads and a clause prints."""
    found = []
    for path in PRODUCT_FILES:
        product = ENV.load(path)
        uses = parameter_uses(product)
        for name, parameter in product.parameters.items():
            if uses[name][RULES] and uses[name][WORDING] and parameter.values is None \
                    and isinstance(parameter.value, (int, float)) \
                    and not isinstance(parameter.value, bool):
                found.append((str(path), name))
    return found


def mentioning_texts(product: Product, name: str) -> list[tuple[str, str]]:
    """(path, locale) of every text whose placeholders name `name`."""
    out = []
    for path, text in texts(product):
        for locale, value in text_variants(text):
            if any(split(m.group(1))[0] == name for m in PLACEHOLDER.finditer(value)):
                out.append((".".join(map(str, path)), locale))
    return out


def with_value(path: str, name: str, value: float) -> Product | None:
    """The product at `path` with parameter `name` set to `value` (through its YAML), or
    None if the product refuses that value."""
    text = open(path, encoding="utf-8").read()
    found = re.search(rf"^  {name}: (?:\{{value: )?([-0-9.e]+)", text, re.MULTILINE)
    assert found, name
    start, end = found.span(1)
    try:
        return loads(text[:start] + repr(value) + text[end:], path)
    except ConfigError:
        return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changing_a_rule_parameter_changes_every_clause_that_prints_it(data):
    path, name = data.draw(st.sampled_from(mentioned_rule_parameters()), label="parameter")
    product = ENV.load(path)
    old = product.parameters[name].value
    # a new value the product still accepts: the same kind of number, a little apart
    step = data.draw(st.sampled_from([1, 2, 5]), label="step")
    delta = step if isinstance(old, int) else Decimal("0.05")
    changed = with_value(path, name, old + delta if isinstance(old, int) else
                         float(Decimal(str(old)) + delta))
    if changed is None:  # above its bounds (a percent at 100): move it down instead
        changed = with_value(path, name, old - delta if isinstance(old, int) else
                             float(Decimal(str(old)) - delta))
    assert changed is not None, name
    locales = set()
    for key, locale in mentioning_texts(product, name):
        assert _rendered(product, key, locale) != _rendered(changed, key, locale), (key, locale)
        locales.add(locale)
    for locale in locales:  # and the policy document the customer reads moves with it
        assert policy_text(product, locale) != policy_text(changed, locale), locale


def _rendered(product: Product, key: str, locale: str) -> str:
    text = dict((".".join(map(str, p)), t) for p, t in texts(product))[key]
    constants = parameters_at(product, product.effective_from)
    return " ".join(render_text(text, product, constants, locale).split())
