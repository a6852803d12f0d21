"""Fixtures shared across test modules: the hepatitis B product and its worked example.

The product, its example case and its compiled rulesets are loaded once per
session; nothing here may be mutated by a test. A module that needs another
product (test_copd.py) defines its own fixture of the same name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from configurator import (
    Case,
    CompiledProduct,
    Environment,
    Product,
    compile_product,
    load,
    load_case,
)

from .paths import CASE, PRODUCT


@pytest.fixture(scope="session")
def product() -> Product:
    """products/hepatitis_b.yaml, loaded and checked once."""
    return load(PRODUCT)


@pytest.fixture(scope="session")
def case(product: Product) -> Case:
    """products/hepatitis_b/adherent_two_years.yaml, checked against `product`."""
    return load_case(CASE, product)


@pytest.fixture(scope="session")
def compiled(product: Product) -> CompiledProduct:
    """`product` compiled to durable-rules rulesets."""
    return compile_product(product)


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    """A façade over the bundled products whose registry database lives in `tmp_path`."""
    return Environment(db=tmp_path / "registry.db")
