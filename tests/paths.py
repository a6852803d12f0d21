"""Where the tests find the repository, the bundled products and the worked example."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS_DIR = ROOT / "products"
# every bundled product, whatever their number: tests over "all products" parametrize on this
PRODUCT_FILES = sorted(PRODUCTS_DIR.glob("*.yaml"))
PRODUCT = PRODUCTS_DIR / "hepatitis_b.yaml"
CASES = PRODUCTS_DIR / "hepatitis_b"
CASE = CASES / "adherent_two_years.yaml"
