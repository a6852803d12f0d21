"""Editor support (issue 15 item 4): described schemas, product-specific enumerations,
case and suite schemas with modelines, and the real yaml-language-server over stdio."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

from configurator.cases.schema import case_schema, suite_schema
from configurator.environment import Environment
from configurator.product.model import json_schema
from configurator.product.schema import product_schema
from configurator.product.source import load_file

from .lsp import Client, server_command
from .paths import PRODUCT, PRODUCTS_DIR

CASE_FILES = sorted(p for p in PRODUCTS_DIR.glob("*/*.yaml") if not p.name.endswith(".suite.yaml"))
SUITE_FILES = sorted(PRODUCTS_DIR.glob("*/*.suite.yaml"))


def properties(schema: dict):
    yield from schema.get("properties", {}).items()
    for definition in schema.get("$defs", {}).values():
        yield from definition.get("properties", {}).items()


def test_every_field_has_a_description_and_an_example():
    found = list(properties(json_schema()))
    assert len(found) > 150
    missing = [name for name, sub in found if not sub.get("description") or
               not sub.get("examples")]
    assert missing == []


def test_no_generated_titles_to_repeat_on_hover():
    def titles(node):
        if isinstance(node, dict):
            yield from ([node["title"]] if isinstance(node.get("title"), str) else [])
            for value in node.values():
                yield from titles(value)
        elif isinstance(node, list):
            for value in node:
                yield from titles(value)
    # only the branches of a union are titled, with what they are ("a number")
    assert set(titles(json_schema())) == {"a whole number", "a number", "a name", "text",
                                          "true or false", "nothing (leave it out)"}


def test_bundled_schemas_are_up_to_date():
    for name, schema in (("case", case_schema()), ("suite", suite_schema())):
        on_disk = json.loads((PRODUCTS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert on_disk == schema, f"run `configurator schema --kind {name} -o " \
                                  f"products/{name}.schema.json`"


def test_every_case_and_suite_has_a_modeline_and_fits_its_schema():
    for paths, name in ((CASE_FILES, "case"), (SUITE_FILES, "suite")):
        validator = jsonschema_rs.validator_for(json.loads(
            (PRODUCTS_DIR / f"{name}.schema.json").read_text(encoding="utf-8")))
        for path in paths:
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first == f"# yaml-language-server: $schema=../{name}.schema.json", path
            data = json.loads(json.dumps(load_file(path).data, default=str))
            errors = [e.message for e in validator.iter_errors(data)]
            assert errors == [], path


def test_product_schema_enumerates_names():
    product = Environment().load(PRODUCT)
    schema = product_schema(product)
    benefit = schema["$defs"]["Benefit"]["properties"]
    waiting = next(b for b in benefit["waiting_period_days"]["anyOf"] if b["type"] == "string")
    assert waiting["enum"] == sorted(product.parameters)
    assert benefit["event"]["enum"] == sorted(product.events)
    effect_tier = schema["$defs"]["Effect"]["properties"]["tier"]["anyOf"][0]
    assert effect_tier["enum"] == sorted(product.coverage.tiers)
    initial = schema["$defs"]["LowestMetric"]["properties"]["initial"]
    assert initial["enum"] == sorted(product.inputs)
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(json.loads(json.dumps(product.source.data, default=str)))


# ------------------------------------------------------------ the real language server

SERVER = server_command()
needs_server = pytest.mark.skipif(
    SERVER is None, reason="yaml-language-server is not installed (.ci/setup installs it with "
                           "npm; or set $YAML_LANGUAGE_SERVER)")


@pytest.fixture
def editor(tmp_path):
    client = Client(SERVER)
    client.start(tmp_path)
    yield client
    client.close()


def _write_schema(folder, name, schema):
    (folder / name).write_text(json.dumps(schema), encoding="utf-8")


@needs_server
def test_language_server_completes_and_checks_parameter_names(editor, tmp_path):
    product = Environment().load(PRODUCT)
    _write_schema(tmp_path, "hb.schema.json", product_schema(product))
    text = PRODUCT.read_text(encoding="utf-8").replace(
        "$schema=product.schema.json", "$schema=hb.schema.json")
    good = tmp_path / "good.yaml"
    good.write_text(text, encoding="utf-8")
    assert editor.open(good) == []
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "waiting_period_days:" in line)
    labels = editor.completion(good, row, lines[row].index(":") + 2)
    assert set(product.parameters) <= set(labels)
    hover = editor.hover(good, row, lines[row].index("waiting") + 2)
    assert "Days from the policy start" in hover and "Waiting Period Days" not in hover
    assert "||" not in hover and hover.startswith("#### one of the product's parameters")
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("waiting_period_days: cancer_waiting_days",
                                 "waiting_period_days: cancer_wating_days"), encoding="utf-8")
    diagnostics = editor.open(typo)
    assert any(d["range"]["start"]["line"] == row for d in diagnostics), diagnostics


@needs_server
def test_language_server_checks_a_case_file(editor, tmp_path):
    product = Environment().load(PRODUCT)
    _write_schema(tmp_path, "case.schema.json", case_schema(product))
    case = PRODUCTS_DIR / "hepatitis_b" / "age_18_accepted.yaml"
    text = case.read_text(encoding="utf-8").replace("../case.schema.json", "case.schema.json")
    good = tmp_path / "case.yaml"
    good.write_text(text, encoding="utf-8")
    assert editor.open(good) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  age:", "  agee:", 1), encoding="utf-8")
    messages = [d["message"] for d in editor.open(bad)]
    assert any("agee" in m for m in messages), messages
