"""A fifth product dropped into the products folder is picked up by everything that walks
"all products" (the demo, `configurator test` and its pytest plugin, validate, the façade).

The folder is built once for the module: copies of the bundled products, plus
a fifth, hepatitis_b under a new id and name, its example cases and suites
copied beside it with their references to the product file changed to match.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from configurator import Environment
from configurator.cli import main
from configurator.runs.demo import run_demo
from configurator.runs.suites import SuiteRun, run_suites

from .paths import PRODUCT, PRODUCT_FILES, PRODUCTS_DIR

SOURCE = PRODUCT.stem  # the product the fifth one is copied from
FIFTH = "hepatitis_b_plus"  # shares a prefix with its source, as a product line's next one would
EXPECTED = sorted([p.stem for p in PRODUCT_FILES] + [FIFTH])
# (old, new) in the product file: its id and both names
RENAMED = [("\nid: hepatitis_b\n", f"\nid: {FIFTH}\n"),
           ("\n  en: Liver Care Hepatitis B Cover\n",
            "\n  en: Liver Care Plus Hepatitis B Cover\n"),
           ("\n  zh-CN: 肝安心乙肝专病保险\n", "\n  zh-CN: 肝安心加强版乙肝专病保险\n")]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the product once: the copy needs updating"
    return text.replace(old, new)


def add_fifth(folder: Path) -> None:
    """products/<FIFTH>.yaml and products/<FIFTH>/, made from the SOURCE product."""
    assert not (folder / FIFTH).exists(), f"{FIFTH} is bundled now: add a product of another id"
    text = PRODUCT.read_text(encoding="utf-8")
    for old, new in RENAMED:
        text = replace_once(text, old, new)
    (folder / f"{FIFTH}.yaml").write_text(text, encoding="utf-8")
    (folder / FIFTH).mkdir()
    for path in sorted(PRODUCT.with_suffix("").glob("*.yaml")):
        words = path.read_text(encoding="utf-8").replace(f"products/{SOURCE}.yaml",
                                                         f"products/{FIFTH}.yaml")
        (folder / FIFTH / path.name).write_text(words, encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The bundled products, copied, and the fifth."""
    folder = tmp_path_factory.mktemp("products")
    shutil.copy(PRODUCTS_DIR / "product.schema.json", folder)  # the files' schema comment names it
    for path in PRODUCT_FILES:
        shutil.copy(path, folder / path.name)
        shutil.copytree(path.with_suffix(""), folder / path.stem)
    add_fifth(folder)
    return folder


@pytest.fixture(scope="module")
def suites(folder) -> SuiteRun:
    return run_suites([folder], None, Environment(products=folder))


def cases_per_product(run: SuiteRun) -> Counter:
    """How many suite cases ran for each product (suites live in products/<id>/)."""
    return Counter(Path(r.scenario.span.file).parent.name for r in run.results)


def test_the_fifth_product_is_a_renamed_copy(folder):
    text = (folder / f"{FIFTH}.yaml").read_text(encoding="utf-8")
    assert f"\nid: {FIFTH}\n" in text and "Liver Care Plus" in text
    copied = sorted(p.name for p in (folder / FIFTH).iterdir())
    assert copied == sorted(p.name for p in PRODUCT.with_suffix("").iterdir())
    assert any(p.name.endswith(".suite.yaml") for p in (folder / FIFTH).iterdir())
    assert not any(f"products/{SOURCE}.yaml" in p.read_text(encoding="utf-8")
                   for p in (folder / FIFTH).iterdir())


def test_the_environment_lists_and_finds_all_five(folder):
    env = Environment(products=folder)
    assert [p.stem for p in env.product_files()] == EXPECTED
    assert len(EXPECTED) == len(PRODUCT_FILES) + 1
    assert env.load(FIFTH).id == FIFTH  # a bare id names the new product too
    assert env.load(FIFTH).hash != env.load(SOURCE).hash


def test_the_demo_reports_every_product_with_no_failed_scenario(folder):
    demo = run_demo(folder, env=Environment(products=folder))
    assert [report.id for report in demo.products] == EXPECTED
    for report in demo.products:
        assert report.failed == [], report.id
        assert report.lint_findings == [], report.id
        assert report.scenarios > 0 and report.coverage == 100, report.id
    by_id = {report.id: report for report in demo.products}
    assert by_id[FIFTH].scenarios == by_id[SOURCE].scenarios
    rows = {pid: [(r.case, r.decision, r.tier, r.payable) for r in demo.rows if r.product == pid]
            for pid in (SOURCE, FIFTH)}
    assert rows[FIFTH] and rows[FIFTH] == rows[SOURCE]  # a copy decides every example the same


def test_run_suites_runs_the_fifth_products_suites(suites):
    assert suites.problems == [] and suites.failed == []
    assert sorted(c.compiled.product.id for c in suites.coverage.values()) == EXPECTED
    assert all(c.percent == 100 for c in suites.coverage.values())
    counts = cases_per_product(suites)
    assert sorted(counts) == EXPECTED
    assert counts[FIFTH] == counts[SOURCE] > 0
    assert suites.passed == sum(counts.values())


def test_configurator_test_on_the_folder_passes(folder, suites, capsys):
    assert main(["test", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == f"{suites.passed} passed, 0 failed"
    assert f"  {FIFTH} 1.0.0: 100.0% (" in out


def test_validate_accepts_all_five(folder, capsys):
    files = sorted(folder.glob("*.yaml"))
    assert main(["validate", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^\S+: ok \((\S+) 1\.0\.0, [0-9a-f]{12}\)$", out, re.M) == EXPECTED


def test_the_pytest_plugin_collects_the_fifth_products_suites(folder, suites):
    """Plain pytest, which collects products/ for the repository's own suite, in a fresh
    process as a user runs it."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(folder)], capture_output=True, text=True, cwd=folder,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert re.search(rf"\b{suites.passed} passed\b", result.stdout), result.stdout[-2000:]
    assert f"  {FIFTH} 1.0.0: 100.0% (" in result.stdout
