"""The CLI through its real entry point: exit codes, output, errors without tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import cli

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "products" / "hepatitis_b.yaml"
CASE = ROOT / "products" / "hepatitis_b" / "adherent_two_years.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    """Run the installed console script, as a user would."""
    exe = shutil.which("configurator", path=str(Path(sys.executable).parent)) or "configurator"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "160"}, timeout=300)


def test_validate_reports_ok_and_exit_zero():
    result = run("validate", str(PRODUCT))
    assert result.returncode == 0, result.stderr
    assert "hepatitis_b.yaml: ok (hepatitis_b 1.0.0," in result.stdout


def test_validate_bad_product_exits_two_with_positions_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = PRODUCT.read_text().replace("when: age < min_entry_age", "when: agee < min_entry_age")
    bad.write_text(text.replace("cooling_off_days: 15", "cooling_off_days: fifteen"))
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("cooling_off_days: expected a whole number" in line for line in lines)
    assert any("unknown name 'agee'" in line and "did you mean 'age'?" in line for line in lines)
    assert all(line.startswith(str(bad) + ":") for line in lines)


def test_evaluate_json_follows_the_contract():
    result = run("evaluate", str(PRODUCT), str(CASE), "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    for key in ("product", "as_of", "decision", "reasons", "loadings", "exclusions", "checkups",
                "coverage", "claims", "trace"):
        assert key in outcome
    assert outcome["decision"] == "accept"
    assert set(outcome["product"]) == {"id", "version", "hash"}
    assert isinstance(outcome["coverage"]["sum_insured"], str)


def test_evaluate_explain_cites_rule_line_values_and_clause():
    result = run("evaluate", "products/hepatitis_b.yaml",
                 "products/hepatitis_b/adherent_two_years.yaml", "--explain")
    assert result.returncode == 0, result.stderr
    assert "decision: ACCEPT" in result.stdout
    assert "rule trigger.flare_review at products/hepatitis_b.yaml:" in result.stdout
    assert "policy clause 4." in result.stdout
    assert "read: alt=110" in result.stdout
    assert "[yes] alt > flare_alt_ratio * alt_uln" in result.stdout


def test_evaluate_bad_case_exits_two(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(CASE.read_text().replace("type: antiviral_refill", "type: antiviral_refil", 1)
                    .replace("as_of: 2028-06-30", "as_of: 2025-06-30"))
    result = run("evaluate", str(PRODUCT), str(case))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown event type 'antiviral_refil'; did you mean 'antiviral_refill'?" in \
        result.stderr
    assert "as_of 2025-06-30 is before the policy start 2026-01-01" in result.stderr


def test_missing_file_is_a_clean_error():
    result = run("evaluate", "products/nope.yaml", str(CASE))
    assert result.returncode == 2
    assert result.stderr.strip() == "products/nope.yaml:1:1: file not found"


def test_compile_prints_plain_json_rulesets():
    result = run("compile", str(PRODUCT))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"].startswith("hepatitis_b-1.0.0-")
    rules = data["periods"][0]["rulesets"][0]["rules"]
    assert "eligibility.age_outside_range" in rules


def test_schema_writes_the_json_schema(tmp_path):
    target = tmp_path / "schema.json"
    assert cli.main(["schema", "-o", str(target)]) == 0
    schema = json.loads(target.read_text())
    assert schema["title"] == "configurator product"
    assert "eligibility" in schema["properties"]


def test_demo_runs_the_whole_pipeline_on_every_bundled_product(tmp_path, capsys):
    from configurator.resources import products_folder as bundled_products
    from configurator.runs.demo import example_cases, product_files

    assert cli.main(["demo", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    products = product_files(bundled_products())
    assert len(products) == 4
    for path in products:
        line = next(x for x in out.splitlines() if x.startswith(f"{path.stem} "))
        assert "valid, lint clean" in line and "rule coverage 100%" in line
        assert len(list((tmp_path / path.stem).glob("*.json"))) == len(example_cases(path))
        for pdf in (tmp_path / path.stem).glob("policy.*.pdf"):
            assert pdf.read_bytes().startswith(b"%PDF")
        assert sorted(p.name for p in (tmp_path / path.stem).glob("policy.*.pdf")) == [
            "policy.en.pdf", "policy.zh-CN.pdf"]
    assert "adherent_two_years" in out
    total = sum(len(example_cases(p)) for p in products)
    assert out.strip().splitlines()[-1] == (f"{total} example cases evaluated across 4 "
                                            "products")


def test_usage_errors_exit_two(capsys):
    assert cli.main(["evaluate", str(PRODUCT)]) == 2
    assert "Missing argument" in capsys.readouterr().err


def commands() -> dict[str, click.Command]:
    return dict(cli.cli.commands)


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_help_with_an_example(name):
    command = commands()[name]
    assert command.help and "Example:" in command.help, f"{name} needs a docstring with Example:"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_is_in_the_readme(name):
    readme = (ROOT / "README.md").read_text()
    assert f"configurator {name}" in readme, f"README.md does not show `configurator {name}`"
