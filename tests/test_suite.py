"""Scenario suites: the matcher, failures with positions, coverage, and both runners
(`configurator test`, which needs no pytest, and the pytest plugin)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from configurator import CaseError, compile_product, evaluate, load
from configurator.cli import cli
from configurator.runs.gates import suite_gate
from configurator.runs.suites import (
    RuleCoverage,
    check,
    failures,
    load_suite,
    lookup,
    run_suites,
    same,
)

from .paths import CASES, PRODUCT, PRODUCT_FILES

OUTCOME = {
    "decision": "accept",
    "coverage": {"sum_insured": "110000.00", "tier": "full"},
    "exclusions": [{"id": "alcohol", "source": "product"}, {"id": "war", "source": "product"}],
    "checkups": [{"id": "monitoring", "due": "2026-07-01", "status": "done"},
                 {"id": "monitoring", "due": "2027-01-01", "status": "due"}],
    "claims": [{"id": "c-1.5", "benefit": "x", "status": "paid", "payable": "10.00"}],
}


@pytest.mark.parametrize("path, expected", [
    ("decision", "accept"),
    ("coverage.sum_insured", 110000),
    ("coverage.sum_insured", "110000"),
    ("exclusions", ["war", "alcohol"]),
    ("checkups[monitoring].status", ["done", "due"]),
    ("claims[c-1.5].payable", 10),
    ("claims.0.status", "paid"),
])
def test_expectations_that_hold(path, expected):
    assert check(OUTCOME, {path: expected}) == []


@pytest.mark.parametrize("path, expected", [
    ("decision", "decline"),
    ("coverage.sum_insured", 110000.01),
    ("exclusions", ["alcohol"]),
    ("exclusions", []),
    ("checkups[monitoring].status", ["done"]),
    ("claims[c-2].status", "paid"),
    ("coverage.missing", 1),
])
def test_expectations_that_fail(path, expected):
    [mismatch] = check(OUTCOME, {path: expected})
    assert mismatch.path == path


def test_lookup_keeps_dots_inside_selectors():
    assert lookup(OUTCOME, "claims[c-1.5].benefit") == "x"
    assert not same(1, lookup(OUTCOME, "nope.deeper"))


SUITE = textwrap.dedent("""\
    cases:
      - name: youngest age accepted
        policy: {start: 2026-03-01}
        as_of: 2026-03-01
        applicant: &a {age: 18, sex: male, hbv_status: carrier, hbsag_positive_months: 24,
                       alt: 30, hbv_dna: 100, afp: 3}
        expect: {decision: accept, coverage.sum_insured: 200000}
      - name: wrong on purpose
        policy: {start: 2026-03-01}
        as_of: 2026-03-01
        applicant: {<<: *a, age: 61}
        expect: {decision: accept}
    """)


@pytest.fixture()
def product_dir(tmp_path):
    """A copy of the hepatitis B product with a suite beside it."""
    shutil.copy(PRODUCT, tmp_path / "hepatitis_b.yaml")
    (tmp_path / "hepatitis_b").mkdir()
    (tmp_path / "hepatitis_b" / "mini.suite.yaml").write_text(SUITE)
    return tmp_path


def test_failures_name_the_case_position_expected_and_actual(product_dir):
    product = load(product_dir / "hepatitis_b.yaml")
    found = failures(product_dir / "hepatitis_b" / "mini.suite.yaml", compile_product(product))
    assert len(found) == 1
    assert found[0].endswith("mini.suite.yaml:8:5: wrong on purpose: decision: expected "
                             "'accept', got 'decline'")


def test_publishing_is_refused_while_a_suite_fails(product_dir):
    product = load(product_dir / "hepatitis_b.yaml")
    problems = suite_gate(product, product_dir / "hepatitis_b.yaml")
    assert problems and "wrong on purpose" in problems[0]


def test_a_bad_case_in_a_suite_is_a_positioned_error(product_dir):
    bad = product_dir / "hepatitis_b" / "bad.suite.yaml"
    bad.write_text(SUITE.replace("sex: male", "sex: mal"))
    with pytest.raises(CaseError) as caught:
        load_suite(bad, load(product_dir / "hepatitis_b.yaml"))
    assert "bad.suite.yaml:5:34: applicant.sex:" in str(caught.value)
    assert "did you mean 'male'?" in str(caught.value)


def test_coverage_lists_what_no_case_exercised(product, compiled):
    coverage = RuleCoverage(compiled)
    for scenario in load_suite(CASES / "eligibility.suite.yaml", product):
        coverage.record(evaluate(compiled, scenario.case))
    missed = coverage.missed()
    assert "eligibility.age_outside_range" not in missed
    assert "benefit.liver_cancer" in missed
    assert "checkup monitoring" not in missed
    assert 0 < coverage.percent < 100


def invoke(*args: str) -> Result:
    """`configurator ARGS` in-process (run from the folder the test chdir'd to)."""
    return CliRunner().invoke(cli, list(args), prog_name="configurator", catch_exceptions=False)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_configurator_test_reports_failures_and_ends_with_the_count(product_dir, monkeypatch):
    monkeypatch.chdir(product_dir)
    result = invoke("test", "hepatitis_b")
    assert result.exit_code == 1
    assert result.stdout.startswith("hepatitis_b/mini.suite.yaml:8:5: wrong on purpose\n"
                                    "  decision: expected 'accept', got 'decline'\n")
    assert "\nrule coverage:\n  hepatitis_b 1.0.0: 4.9% (3 of 61)\n" in result.stdout
    assert "    not exercised: benefit.liver_cancer\n" in result.stdout
    assert last_line(result.stdout) == "1 passed, 1 failed"


def test_configurator_test_exit_codes(product_dir, monkeypatch):
    monkeypatch.chdir(product_dir)
    suite = product_dir / "hepatitis_b" / "mini.suite.yaml"
    assert invoke("test", "hepatitis_b").exit_code == 1
    suite.write_text(SUITE.split("  - name: wrong on purpose")[0])
    passing = invoke("test", "hepatitis_b")
    assert passing.exit_code == 0 and passing.stderr == ""
    assert last_line(passing.stdout) == "1 passed, 0 failed"
    suite.write_text(SUITE.replace("decision: accept}", "decision: accept, nothing: [1, 2}"))
    broken = invoke("test", "hepatitis_b")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("hepatitis_b/mini.suite.yaml:")
    assert "Traceback" not in broken.stderr


def test_k_selects_cases_by_a_part_of_their_name(product_dir, monkeypatch):
    monkeypatch.chdir(product_dir)
    result = invoke("test", "hepatitis_b", "-k", "YOUNGEST")
    assert result.exit_code == 0
    assert last_line(result.stdout) == "1 passed, 0 failed"
    assert invoke("test", "hepatitis_b", "-k", "purpose").exit_code == 1
    nothing = invoke("test", "hepatitis_b", "-k", "no such case")
    assert nothing.exit_code == 2 and "no case name contains 'no such case'" in nothing.stderr


def test_configurator_test_defaults_to_the_bundled_products():
    run = run_suites()
    assert run.problems == [] and run.failed == [] and run.passed > 100
    with_suites = [p.stem for p in PRODUCT_FILES if list(p.with_suffix("").glob("*.suite.yaml"))]
    assert sorted(c.compiled.product.id for c in run.coverage.values()) == with_suites
    assert all(c.percent == 100 for c in run.coverage.values())


def test_plain_pytest_runs_the_same_items(product_dir):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "hepatitis_b"], capture_output=True, text=True, cwd=product_dir,
                            timeout=300)
    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout
    assert "hepatitis_b/mini.suite.yaml:8:5: wrong on purpose\n" \
           "  decision: expected 'accept', got 'decline'" in result.stdout
    assert "\nrule coverage:\n  hepatitis_b 1.0.0: 4.9% (3 of 61)\n" in result.stdout


WITHOUT_PYTEST = """\
import sys
sys.modules["pytest"] = None  # any `import pytest` now fails
from configurator.cli import main
code = main(["test", *sys.argv[1:]])
assert "_pytest" not in sys.modules
sys.exit(code)
"""


def test_configurator_test_needs_no_pytest_and_counts_like_the_plugin(product_dir):
    for suite in CASES.glob("*.suite.yaml"):
        shutil.copy(suite, product_dir / "hepatitis_b" / suite.name)
    without = subprocess.run([sys.executable, "-c", WITHOUT_PYTEST, "hepatitis_b"],
                             capture_output=True, text=True, cwd=product_dir, timeout=300)
    assert without.returncode == 1, without.stderr
    assert "Traceback" not in without.stderr
    passed, failed = map(int, re.fullmatch(r"(\d+) passed, (\d+) failed",
                                           last_line(without.stdout)).groups())
    assert failed == 1 and passed > 50
    plugin = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "hepatitis_b"], capture_output=True, text=True, cwd=product_dir,
                            timeout=300)
    assert f"{failed} failed, {passed} passed" in plugin.stdout
    coverage = without.stdout.split("\nrule coverage:\n", 1)[1].rsplit("\n", 2)[0]
    assert f"\nrule coverage:\n{coverage}\n" in plugin.stdout


def test_min_coverage_fails_a_passing_run(product_dir, monkeypatch):
    monkeypatch.chdir(product_dir)
    suite = product_dir / "hepatitis_b" / "mini.suite.yaml"
    suite.write_text(SUITE.split("  - name: wrong on purpose")[0])
    assert invoke("test", "hepatitis_b", "--min-coverage", "3").exit_code == 0
    low = invoke("test", "hepatitis_b", "--min-coverage", "90")
    assert low.exit_code == 1
    assert last_line(low.stdout) == "1 passed, 0 failed"
    assert "rule coverage of hepatitis_b 1.0.0 is 3.3%, below --min-coverage 90%" in low.stderr


def test_a_broken_suite_exits_two_through_the_console_script(product_dir):
    (product_dir / "hepatitis_b" / "mini.suite.yaml").write_text("cases: [1, 2\n")
    exe = shutil.which("configurator", path=str(Path(sys.executable).parent)) or "configurator"
    result = subprocess.run([exe, "test", "hepatitis_b"], capture_output=True, text=True,
                            cwd=product_dir, timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("hepatitis_b/mini.suite.yaml:2:1: invalid YAML")
    assert last_line(result.stdout) == "0 passed, 0 failed"


def test_a_suite_without_its_product_is_bad_input(product_dir, monkeypatch):
    monkeypatch.chdir(product_dir)
    (product_dir / "hepatitis_b.yaml").rename(product_dir / "elsewhere.yaml")
    result = invoke("test", "hepatitis_b")
    assert result.exit_code == 2
    assert f"{product_dir / 'hepatitis_b.yaml'}:1:1: file not found" in result.stderr
