"""The façade: configuration and the one compile cache, in one object.

Like jinja's `Environment`, an `Environment` holds where things are (the
products folder, the registry database), the default language, and the
caches that make repeated work cheap: each product is compiled once and its
worked example evaluated once per environment. The CLI, the HTTP server, the
pytest plugin, batch workers and the renderer all reach products, engines and
documents through it::

    >>> from configurator import Environment
    >>> env = Environment()
    >>> product = env.load("products/hepatitis_b.yaml")       # or "hepatitis_b@1.0.0"
    >>> outcome = env.evaluate(product, env.case("case.yaml", product))
    >>> pdf = env.render_pdf(product, env.case("case.yaml", product))

A product is named by a file path, ``id@version`` or ``id@YYYY-MM-DD`` (the
version in force that day in the registry); a path never touches the
database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .cases.case import Case, case_from_data, load_case
from .cases.illustration import illustration_case
from .cases.outcome import Illustration, Outcome
from .compiler.compile import CompiledProduct, compile_product
from .document import render as documents
from .document.blocks import Policy
from .engine.evaluate import evaluate
from .engine.illustrate import illustrate
from .errors import Problem, ProductError, Span
from .product.load import load, loads
from .product.model import Product
from .registry.db import database_path
from .registry.store import DEFAULT_GATES, PublishGate, Store
from .registry.versions import is_ref
from .resources import products_folder

BARE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_COMPILED = 64  # compiled products kept per environment (each holds engine rulesets)


class Environment:
    """Where products and the registry are, the default language, and the caches.

    `products` is the folder of bundled products (default: the ones shipped
    with configurator); `db` the registry and audit database (default:
    ``$CONFIGURATOR_DB``, else ``configurator.db`` in the working directory);
    `locale` the language of wording when a call does not name one.
    """

    def __init__(self, products: str | Path | None = None, db: str | Path | None = None,
                 locale: str = "en"):
        self.products_folder = Path(products) if products is not None else products_folder()
        self.db = db
        self.locale = locale
        self._products: dict[tuple, Product] = {}
        self._products_lock = threading.Lock()  # a server loads from several threads
        self._compiled: dict[tuple[str, str, str], CompiledProduct] = {}
        self._last_compiled: CompiledProduct | None = None  # a batch asks for it every row
        self._illustrations: dict[tuple[str, str, str], Illustration | None] = {}

    # ------------------------------------------------------------ products

    @property
    def db_path(self) -> Path:
        return database_path(self.db)

    def product_files(self) -> list[Path]:
        """The product files in the products folder, by name."""
        return sorted(p for p in self.products_folder.glob("*.yaml") if p.is_file())

    def load(self, ref: str | Path) -> Product:
        """A product from a file, ``id@version`` or ``id@YYYY-MM-DD`` (the registry), or a
        bare id naming a product in the products folder (``hepatitis_b``); checked whole,
        its sample case too (`CaseError` positioned in the product)."""
        if is_ref(ref):
            with self.store(readonly=True) as store:
                record = store.record_for(str(ref))
                key = ("registry", str(store.path), record.ref, record.hash)
                return self._cached(key, lambda: _checked(store.load_version(record)))
        path = self.product_path(ref)
        try:
            stat = path.stat()
        except OSError:  # not there (or unreadable): the loader says so, positioned
            return _checked(load(path))
        key = ("file", str(path), stat.st_mtime_ns, stat.st_size)
        return self._cached(key, lambda: _checked(load(path)))

    def _cached(self, key: tuple, build: Callable[[], Product]) -> Product:
        """A loaded product, kept while its file (or its registered version) is unchanged: a
        registered version never changes; a file is reloaded when its time or size moves."""
        with self._products_lock:
            found = self._products.get(key)
        if found is not None:
            return found
        found = build()
        with self._products_lock:
            found = self._products.setdefault(key, found)
            while len(self._products) > MAX_COMPILED:
                self._products.pop(next(iter(self._products)))
        return found

    def product_path(self, ref: str | Path) -> Path:
        """The file a product reference names: the path itself, or ``<id>.yaml`` in the
        products folder for a bare id that is not a file here."""
        path = Path(ref)
        bundled = self.products_folder / f"{ref}.yaml"
        if not path.exists() and BARE_ID.match(str(ref)):
            if bundled.is_file():
                return bundled
            known = ", ".join(p.stem for p in self.product_files())
            raise ProductError([Problem(Span(str(ref), 1, 1), "", "no such file or product",
                                        f"name a product file, ID@VERSION, ID@YYYY-MM-DD or a "
                                        f"product in {self.products_folder}: {known}")])
        return path

    def loads(self, text: str, file: str = "<product>") -> Product:
        """A product from YAML text, checked whole."""
        return _checked(loads(text, file))

    def compile(self, product: Product) -> CompiledProduct:
        """The product compiled into durable-rules rulesets, once per environment."""
        last = self._last_compiled
        if last is not None and last.product is product:
            return last
        key = (product.id, product.hash, product.source_file)
        found = self._compiled.get(key)
        if found is None or found.product is not product:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.pop(next(iter(self._compiled)))
            found = self._compiled[key] = compile_product(product)
        self._last_compiled = found
        return found

    # ------------------------------------------------------------ cases

    def case(self, source: str | Path | dict, product: Product) -> Case:
        """A case checked against `product`: from a file, or from plain data."""
        if isinstance(source, dict):
            return case_from_data(source, product)
        return load_case(source, product)

    def evaluate(self, product: Product, case: Case | dict, *, explain: bool = False,
                 locale: str | None = None, summary: bool = False) -> Outcome:
        """Decide one case as of its date (a decline is a decision, not an error);
        `summary`: no trace or adherence records (a batch's summary rows)."""
        return evaluate(self.compile(product), case, explain=explain,
                        locale=locale or self.locale, summary=summary)

    # ------------------------------------------------------------ documents

    def illustration(self, product: Product) -> Illustration | None:
        """The worked example's Outcomes: the product's sample case, year by year (cached)."""
        key = (product.id, product.hash, product.source_file)
        if key not in self._illustrations:
            case = illustration_case(product) if product.adherence else None
            found = illustrate(self.compile(product), case) if case is not None else None
            self._illustrations[key] = found
        return self._illustrations[key]

    def document(self, product: Product, case: Case | None = None,
                 outcome: Outcome | None = None, locale: str | None = None) -> Policy:
        """The policy as plain data (what the templates lay out and lint reads)."""
        locale = locale or self.locale
        outcome = self._outcome(product, case, outcome, locale)
        return documents.build_document(product, outcome, case, locale,
                                        self.illustration(product))

    def render_html(self, product: Product, case: Case | None = None,
                    outcome: Outcome | None = None, locale: str | None = None) -> str:
        """The policy as one HTML page: the specimen, or personalised for `case`."""
        locale = locale or self.locale
        outcome = self._outcome(product, case, outcome, locale)
        return documents.render_html(product, outcome, case, locale, self.illustration(product))

    def render_pdf(self, product: Product, case: Case | None = None,
                   outcome: Outcome | None = None, locale: str | None = None,
                   **options: Any) -> bytes:
        """The policy as a tagged PDF: the specimen, or personalised for `case`.

        `options` go to `document.render.render_pdf` (`variant`, `timings`).
        """
        locale = locale or self.locale
        outcome = self._outcome(product, case, outcome, locale)
        return documents.render_pdf(product, outcome, case, locale, self.illustration(product),
                                    **options)

    def _outcome(self, product: Product, case: Case | None, outcome: Outcome | None,
                 locale: str) -> Outcome | None:
        if outcome is None and case is not None:
            return self.evaluate(product, case, locale=locale)
        return outcome

    # ------------------------------------------------------------ the registry

    def store(self, create: bool = False, gates: tuple[PublishGate, ...] = DEFAULT_GATES,
              readonly: bool = False) -> Store:
        """The registry and audit database (created only when `create`; opened for reading
        only when `readonly`, so reading works on a read-only file)."""
        return Store(self.db, create=create, gates=gates, readonly=readonly)


@lru_cache(maxsize=1)
def default_environment() -> Environment:
    """The environment library calls use when none is given (bundled products, defaults)."""
    return Environment()


def _checked(product: Product) -> Product:
    illustration_case(product)  # raises a positioned CaseError for a broken sample case
    return product
