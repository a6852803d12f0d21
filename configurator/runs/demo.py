"""The main job end to end on the bundled products.

For each product: load and check it, compile it, lint it under its own
jurisdiction, run its scenario suites (with rule coverage), and evaluate
every example case. With an output folder it also writes each Outcome as
JSON and the specimen policy of each product as PDF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..engine.evaluate import evaluate
from ..environment import Environment
from ..files import write_atomic
from ..product.source import load_file
from .suites import Coverage, check, load_suite, suites_for


def product_files(folder: Path) -> list[Path]:
    """The product files in `folder`, by name."""
    return Environment(products=folder).product_files()


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
             env: Environment | None = None) -> Demo:
    """Run the whole pipeline on every product in `folder` (default: the environment's
    products folder); write files under `out` if given."""
    env = env or Environment(products=folder)
    demo = Demo()
    for product_file in (product_files(folder) if folder else env.product_files()):
        product = env.load(product_file)
        compiled = env.compile(product)
        report = ProductReport(product.id, product.version, product.hash)
        report.lint_findings = [str(f) for f in env.lint(product)]
        _scenarios(product_file, compiled, report)
        for case_file in example_cases(product_file):
            outcome = env.evaluate(product, env.case(case_file, product))
            cover = outcome.coverage
            demo.rows.append(DemoRow(
                product.id, case_file.stem, outcome.decision, cover.tier, cover.sum_insured,
                outcome.payable_total,
                sum(1 for c in outcome.checkups if c.status in ("due", "overdue"))))
            if out is not None:
                text = json.dumps(outcome.to_json(), ensure_ascii=False, indent=2)
                write_atomic(out / product.id / f"{case_file.stem}.json", text + "\n")
        if out is not None:
            report.documents = _documents(env, product, out / product.id)
        demo.products.append(report)
    return demo


def _scenarios(product_file: Path, compiled, report: ProductReport) -> None:
    coverage = Coverage(compiled)
    for suite in suites_for(product_file):
        for scenario in load_suite(suite, compiled.product):
            outcome = evaluate(compiled, scenario.case)
            coverage.record(outcome)
            report.scenarios += 1
            if check(outcome.to_json(), scenario.expect):
                report.failed.append(f"{scenario.span}: {scenario.name}")
    report.coverage = coverage.percent


def _documents(env: Environment, product, folder: Path) -> list[Path]:
    """The specimen policy in each of the product's languages."""
    return [write_atomic(folder / f"policy.{locale}.pdf", env.render_pdf(product, locale=locale))
            for locale in product.languages]
