"""The main job end to end on the bundled products.

For each product: load and check it, compile it, lint it under its own
jurisdiction, run its scenario suites (with rule coverage), and evaluate
every example case. With an output folder it also writes each Outcome as
JSON and the specimen policy of each product as PDF.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..cases.outcome import Outcome
from ..compiler.compile import CompiledProduct
from ..compliance.lint import lint
from ..environment import Environment, default_environment
from ..files import write_atomic
from ..product.model import Product
from ..product.source import load_file
from .suites import RuleCoverage, load_suite, run_case, suites_for


def product_files(folder: Path) -> list[Path]:
    """The product files in `folder`, by name."""
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def example_cases(product_file: Path) -> list[Path]:
    """Case files in the product's folder (suites, which hold `cases:`, are not examples)."""
    folder = product_file.with_suffix("")
    found = []
    for path in sorted(folder.glob("*.yaml")):
        data = load_file(path).data
        if isinstance(data, dict) and "applicant" in data:
            found.append(path)
    return found


@dataclass
class DemoRow:
    product: str
    case: str
    decision: str
    tier: str | None
    sum_insured: Decimal
    payable: Decimal
    open_checkups: int


@dataclass
class ProductReport:
    """What the demo found for one product."""

    id: str
    version: str
    hash: str
    lint_findings: list[str] = field(default_factory=list)
    scenarios: int = 0
    failed: list[str] = field(default_factory=list)
    coverage: float = 100.0
    documents: list[Path] = field(default_factory=list)


@dataclass
class Demo:
    products: list[ProductReport] = field(default_factory=list)
    rows: list[DemoRow] = field(default_factory=list)


def run_demo(folder: Path | None = None, out: Path | None = None,
             env: Environment | None = None,
             on_step: Callable[[int, int, str], None] | None = None) -> Demo:
    """Run the whole pipeline on every bundled product; write files under `out` if given.

    Products are loaded, compiled, evaluated and rendered through `env`
    (default: the default `Environment`); files are written whole or not at all.
    `on_step(done, total, product_id)` is called as each product starts and at the end.
    """
    env = env or default_environment()
    demo = Demo()
    files = product_files(folder or env.products_folder)
    for done, product_file in enumerate(files):
        if on_step:
            on_step(done, len(files), product_file.stem)
        product = env.load(product_file)
        compiled = env.compile(product)
        report = ProductReport(product.id, product.version, product.hash)
        report.lint_findings = [str(f) for f in lint(product, product.jurisdiction,
                                                     env.illustration(product))]
        _scenarios(product_file, compiled, report)
        for case_file in example_cases(product_file):
            outcome = env.evaluate(product, env.case(case_file, product))
            demo.rows.append(_row(product.id, case_file.stem, outcome))
            if out is not None:
                text = json.dumps(outcome.to_json(), ensure_ascii=False, indent=2)
                write_atomic(out / product.id / f"{case_file.stem}.json", text + "\n")
        if out is not None:
            report.documents = _documents(env, product, out / product.id)
        demo.products.append(report)
    if on_step:
        on_step(len(files), len(files), "done")
    return demo


def _row(product_id: str, case_name: str, outcome: Outcome) -> DemoRow:
    cover = outcome.coverage
    return DemoRow(product_id, case_name, outcome.decision, cover.tier, cover.sum_insured,
                   outcome.payable_total,
                   sum(1 for c in outcome.checkups if c.status in ("due", "overdue")))


def _scenarios(product_file: Path, compiled: CompiledProduct, report: ProductReport) -> None:
    coverage = RuleCoverage(compiled)
    for suite in suites_for(product_file):
        for scenario in load_suite(suite, compiled.product):
            result = run_case(compiled, scenario, coverage)
            report.scenarios += 1
            if not result.passed:
                report.failed.append(f"{scenario.span}: {scenario.name}")
    report.coverage = coverage.percent


def _documents(env: Environment, product: Product, folder: Path) -> list[Path]:
    """The specimen policy in each of the product's languages."""
    return [write_atomic(folder / f"policy.{locale}.pdf", env.render_pdf(product, locale=locale))
            for locale in product.languages]
