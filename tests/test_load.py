"""Loading and checking products: positioned errors, all at once, and the happy path.

`tests/fixtures/broken/` holds one broken product per failure mode, each the
valid `tests/fixtures/tiny.yaml` with one defect. `NAME.expect` lists the
fragments its error output must contain, in order: the first line is the
exact `file:line:col` of the first problem, the rest are words that follow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import configurator
from configurator import Problem, ProductError, Span
from configurator.errors import ConfigError, did_you_mean
from configurator.product.source import load_text

from .paths import PRODUCT_FILES, PRODUCTS_DIR, ROOT

FIXTURES = Path("tests/fixtures")  # relative: error positions name files as given
BROKEN = FIXTURES / "broken"
TINY = FIXTURES / "tiny.yaml"
TINY_TEXT = (ROOT / TINY).read_text(encoding="utf-8")
BROKEN_FILES = sorted((ROOT / BROKEN).glob("*.yaml"))


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # positions in .expect files are relative to the repo root


def expected(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def error_of(path: str | Path) -> ProductError:
    with pytest.raises(ProductError) as info:
        configurator.load(path)
    return info.value


def assert_in_order(text: str, fragments: list[str]) -> None:
    at = 0
    for fragment in fragments:
        found = text.find(fragment, at)
        assert found >= 0, f"{fragment!r} not found (in order) in:\n{text}"
        at = found + len(fragment)


# ------------------------------------------------------------ the broken-fixture folder


def test_the_base_of_every_broken_fixture_is_valid():
    product = configurator.load(TINY)
    assert product.id == "tiny"
    assert [rule.id for rule in product.eligibility] == ["too_old", "smoker_loading"]


def test_every_broken_fixture_says_what_its_error_must_contain():
    assert len(BROKEN_FILES) >= 24
    stems = {p.stem for p in BROKEN_FILES}
    expects = {p.stem for p in (ROOT / BROKEN).glob("*.expect")}
    assert stems == expects


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_product_is_reported_with_position_and_words(path: Path):
    rel = BROKEN / path.name
    fragments = expected(path.with_suffix(".expect"))
    assert re.fullmatch(rf"{re.escape(str(rel))}:\d+:\d+", fragments[0]), fragments[0]
    text = str(error_of(rel))
    assert text.startswith(fragments[0] + ":"), text
    assert_in_order(text, fragments)
    assert "Traceback" not in text


@pytest.mark.parametrize("path", [p for p in BROKEN_FILES if p.stem != "several_mistakes"],
                         ids=lambda p: p.stem)
def test_one_defect_is_one_problem(path: Path):
    """No cascades: a misspelt event does not also make an exclusion's names unknown."""
    problems = error_of(BROKEN / path.name).problems
    assert len(problems) == 1, "\n".join(map(str, problems))


def test_several_mistakes_are_reported_at_once_in_line_order():
    problems = error_of(BROKEN / "several_mistakes.yaml").problems
    assert [p.span.line for p in problems] == [4, 11, 33, 52, 59]
    assert [p.path for p in problems] == [
        "version", "premium.nett", "eligibility[0].when", "benefits[0].event",
        "exclusions[0].text"]


def test_a_missing_file_is_a_positioned_error():
    problems = error_of("tests/fixtures/no_such_product.yaml").problems
    assert [str(p) for p in problems] == ["tests/fixtures/no_such_product.yaml:1:1: file not found"]


# ------------------------------------------------------------ problems as text


def test_problem_text_is_file_line_col_path_message_hint():
    span = Span("products/x.yaml", 12, 7)
    assert str(Problem(span, "eligibility[0].when", "unknown name 'agee'", "did you mean 'age'?")
               ) == "products/x.yaml:12:7: eligibility[0].when: unknown name 'agee'; did you " \
                    "mean 'age'?"
    assert str(Problem(span, "version", "bad")) == "products/x.yaml:12:7: version: bad"
    assert str(Problem(span, "", "invalid YAML")) == "products/x.yaml:12:7: invalid YAML"


def test_error_lines_are_sorted_and_each_names_a_position_and_path():
    error = error_of(BROKEN / "several_mistakes.yaml")
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems) == 5
    pattern = re.compile(r"^tests/fixtures/broken/several_mistakes\.yaml:\d+:\d+: [\w.\[\]]+: .+")
    assert all(pattern.match(line) for line in lines), lines
    problems = [Problem(Span("b", 2, 1), "", "later"), Problem(Span("a", 9, 9), "", "first"),
                Problem(Span("b", 1, 5), "", "middle")]
    assert [p.message for p in ConfigError(problems).problems] == ["first", "middle", "later"]


def test_did_you_mean_only_for_near_misses():
    assert did_you_mean("max_agee", ["max_age", "min_age"]) == "did you mean 'max_age'?"
    assert did_you_mean("weight", ["max_age", "min_age"]) is None


# ------------------------------------------------------------ the happy path


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_bundled_products_load(path: Path):
    product = configurator.load(path)
    assert product.eligibility and product.benefits
    assert re.fullmatch(r"[0-9a-f]{12}", product.hash)
    assert configurator.load(path).hash == product.hash


def test_yaml_1_2_keeps_no_and_yes_as_strings():
    doc = load_text("answer: no\nother: yes\nflag: true\nshout: NO\n", "t.yaml")
    assert doc.data == {"answer": "no", "other": "yes", "flag": True, "shout": "NO"}
    text = TINY_TEXT.replace(
        "  smoker: {type: boolean, default: false}\n",
        "  smoker: {type: boolean, default: false}\n  consent: {type: enum, values: [yes, no]}\n")
    product = configurator.loads(text, "tiny.yaml")
    assert product.inputs["consent"].values == ["yes", "no"]


def test_an_impossible_date_is_kept_as_text_for_the_validator():
    assert load_text("day: 2026-02-30\nok: 2026-02-28\n", "t.yaml").data["day"] == "2026-02-30"


def test_nested_positions():
    product = configurator.load(TINY)
    lines = TINY_TEXT.splitlines()

    def at(line: int, text: str) -> Span:
        return Span(str(TINY), line, lines[line - 1].index(text) + 1)

    doc = product.source
    assert product.eligibility[1].span == at(36, "id: smoker_loading")
    assert product.checkups[0].trigger.span == at(45, "{on_issue")
    assert product.benefits[0].pays.span == at(53, "{amount")
    assert product.inputs["sex"].span == at(21, "{type: enum")
    assert doc.key_span(("events", "visit", "fields", "alt")) == at(27, "alt:")
    assert doc.span(("events", "visit", "fields", "alt", "max")) == at(27, "5000")
    assert doc.span(("inputs", "sex", "values", 1)) == at(21, "female")
    assert doc.key_span(("exclusions", 0, "when")) == at(58, "when")


def test_positions_point_inside_a_condition_string():
    text = TINY_TEXT.replace("    when: age > max_age\n", "    when: 'age > 18 and agee > 3'\n")
    with pytest.raises(ProductError) as info:
        configurator.loads(text, "t.yaml")
    (problem,) = info.value.problems
    assert problem.span == Span("t.yaml", 33, 11 + 1 + len("age > 18 and "))


def test_duplicate_key_names_where_it_was_first_defined():
    text = TINY_TEXT.replace("  net: 1000\n", "  net: 1000\n  health_management_cost: 1\n"
                                    "  net: 1200\n")
    with pytest.raises(ProductError) as info:
        configurator.loads(text, "t.yaml")
    assert str(info.value).startswith("t.yaml:13:3: invalid YAML: duplicate key 'net' (first "
                                      "defined at line 11)")
    flow = TINY_TEXT.replace("{amount: 10000}", "{amount: 1, amount: 2}")
    with pytest.raises(ProductError) as info:
        configurator.loads(flow, "t.yaml")
    assert str(info.value).startswith("t.yaml:53:23: invalid YAML: duplicate key 'amount' (first "
                                      "defined at line 53)")


def test_content_hash_ignores_comments_and_layout_but_not_values():
    text = TINY_TEXT
    base = configurator.loads(text, "t.yaml").hash
    reflowed = text.replace("premium:\n  net: 1000\n", "# the premium\npremium: {net: 1000}\n")
    assert configurator.loads(reflowed, "t.yaml").hash == base
    changed = text.replace("  net: 1000\n", "  net: 1001\n")
    assert configurator.loads(changed, "t.yaml").hash != base


def test_dated_parameters_load_as_a_history():
    text = TINY_TEXT.replace(
        "  max_age: {value: 60, unit: years}\n",
        "  max_age:\n    unit: years\n    values:\n      - {from: 2026-01-01, value: 60}\n"
        "      - {from: 2027-01-01, value: 65}\n")
    product = configurator.loads(text, "t.yaml")
    assert [(v.from_.isoformat(), v.value) for v in product.parameters["max_age"].values] == [
        ("2026-01-01", 60), ("2027-01-01", 65)]


# ------------------------------------------------------------ robustness


_EDITS = st.sampled_from(["", "\t", ":", "- ", "{", "}", "[", "'", "x", "  ", "1", "no",
                          "when: age >", "id: too_old", "amount: x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.integers(0, 58), column=st.integers(0, 40), edit=_EDITS,
       delete=st.booleans())
def test_any_small_edit_loads_or_fails_with_positions(line, column, edit, delete):
    """Whatever a designer mistypes, the loader answers with problems, never a traceback."""
    lines = TINY_TEXT.splitlines(keepends=True)
    if delete:
        del lines[line]
    else:
        text = lines[line]
        lines[line] = text[:column] + edit + text[column:]
    try:
        configurator.loads("".join(lines), "t.yaml")
    except ProductError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.span is not None and problem.span.file == "t.yaml"
            assert 1 <= problem.span.line <= len(lines) + 1 and problem.span.col >= 1


# ------------------------------------------------------------ the JSON Schema


def test_json_schema_next_to_the_products_is_up_to_date():
    path = PRODUCTS_DIR / "product.schema.json"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == configurator.json_schema(), (
        "products/product.schema.json is out of date; run "
        "`configurator schema -o products/product.schema.json`")


def test_json_schema_describes_the_format():
    schema = configurator.json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"id", "version", "inputs", "term"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    assert "eligibility" in schema["properties"]
