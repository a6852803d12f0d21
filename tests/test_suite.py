"""Scenario suites: the matcher, failures with positions, coverage, and both entry points."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from configurator import CaseError, compile_product, evaluate, load
from configurator.runs.gates import suite_gate
from configurator.runs.suites import Coverage, check, failures, load_suite, lookup, same

ROOT = Path(__file__).resolve().parent.parent
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
    shutil.copy(ROOT / "products" / "hepatitis_b.yaml", tmp_path / "hepatitis_b.yaml")
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


def test_coverage_lists_what_no_case_exercised():
    product = load(ROOT / "products" / "hepatitis_b.yaml")
    compiled = compile_product(product)
    coverage = Coverage(compiled)
    for scenario in load_suite(ROOT / "products" / "hepatitis_b" / "eligibility.suite.yaml",
                               product):
        coverage.record(evaluate(compiled, scenario.case))
    missed = coverage.missed()
    assert "eligibility.age_outside_range" not in missed
    assert "benefit.liver_cancer" in missed
    assert "checkup monitoring" not in missed
    assert 0 < coverage.percent < 100


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    bindir = Path(sys.executable).parent
    exe = shutil.which("configurator", path=str(bindir)) or "configurator"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "COLUMNS": "120"})


def test_configurator_test_reports_failures_and_ends_with_the_count(product_dir):
    result = run("test", "hepatitis_b", cwd=product_dir)
    assert result.returncode == 1
    assert "hepatitis_b/mini.suite.yaml:8:5: wrong on purpose" in result.stdout
    assert "  decision: expected 'accept', got 'decline'" in result.stdout
    assert "rule coverage:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_plain_pytest_runs_the_same_items(product_dir):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "hepatitis_b"], capture_output=True, text=True, cwd=product_dir,
                            timeout=300)
    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout
    assert "wrong on purpose" in result.stdout


def test_min_coverage_fails_a_passing_run(product_dir):
    suite = product_dir / "hepatitis_b" / "mini.suite.yaml"
    suite.write_text(SUITE.split("  - name: wrong on purpose")[0])
    assert run("test", "hepatitis_b", cwd=product_dir).returncode == 0
    low = run("test", "hepatitis_b", "--min-coverage", "90", cwd=product_dir)
    assert low.returncode == 1
    assert low.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_a_broken_suite_exits_two(product_dir):
    (product_dir / "hepatitis_b" / "mini.suite.yaml").write_text("cases: [1, 2\n")
    result = run("test", "hepatitis_b", cwd=product_dir)
    assert result.returncode == 2
    assert "invalid YAML" in result.stdout + result.stderr
