"""The main job end to end on the bundled products: validate, compile, evaluate every example."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .case import load_case
from .compile import compile_product
from .engine import evaluate
from .load import load
from .source import load_file


def bundled_products() -> Path:
    """The `products/` folder shipped beside the package (or in the working directory)."""
    beside = Path(__file__).resolve().parent.parent / "products"
    return beside if beside.is_dir() else Path("products")


def product_files(folder: Path) -> list[Path]:
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


def run_demo(folder: Path | None = None, out: Path | None = None) -> list[DemoRow]:
    """Evaluate every bundled example; optionally write each Outcome as JSON under `out`."""
    rows = []
    for product_file in product_files(folder or bundled_products()):
        product = load(product_file)
        compiled = compile_product(product)
        for case_file in example_cases(product_file):
            outcome = evaluate(compiled, load_case(case_file, product))
            cover = outcome.coverage
            rows.append(DemoRow(product.id, case_file.stem, outcome.decision, cover.tier,
                                cover.sum_insured, outcome.payable_total,
                                sum(1 for c in outcome.checkups if c.status in ("due", "overdue"))))
            if out is not None:
                target = out / product.id / f"{case_file.stem}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                text = json.dumps(outcome.to_json(), ensure_ascii=False, indent=2)
                target.write_text(text + "\n", encoding="utf-8")
    return rows
