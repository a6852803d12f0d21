"""Products named in a request: a registry version or a bundled product, never a path.

No path from a request reaches the file system: a request names a product as
``id@version``, ``id@YYYY-MM-DD`` (the version in force that day) or a bare
``id`` of a product in the server's products folder (``<folder>/<id>.yaml``,
nothing else); a product's YAML sent in a request body is read by the same
safe loader as a file, under a name the request gives (`upload_name`, made safe).

Loaded products are kept by the façade (`Environment.load`: a file until its
time or size moves, a registered version by its hash), so every request
naming the same product gets the same `Product` and it is compiled once.
"""

from __future__ import annotations

import re

from ..environment import Environment
from ..product.model import Product
from ..registry.versions import REF
from .errors import BadRequest, Missing

BARE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
REF_PATTERN = r"^[a-z][a-z0-9_]{0,47}(@(\d{4}-\d{2}-\d{2}|\d+\.\d+\.\d+))?$"
VERSION_PATTERN = r"^[a-z][a-z0-9_]{0,47}@(\d{4}-\d{2}-\d{2}|\d+\.\d+\.\d+)$"
# What /openapi.json says a reference looks like. Declared, not enforced by the framework:
# `product_for` refuses anything else itself, as a 400 problem on `product` with a hint.
REF_SCHEMA = {"pattern": REF_PATTERN}
VERSION_SCHEMA = {"pattern": VERSION_PATTERN}
ID_SCHEMA = {"pattern": BARE.pattern}  # a bundled product's id
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def product_for(env: Environment, ref: str) -> Product:
    """The product `ref` names: a registry version or a bundled product."""
    if REF.match(ref):
        return registered(env, ref)
    if BARE.match(ref):
        return bundled(env, ref)
    raise BadRequest(f"'{ref[:80]}' is not a product reference",
                     "name a product as ID, ID@VERSION or ID@YYYY-MM-DD", "product")


def bundled(env: Environment, product_id: str) -> Product:
    """The product ``<products folder>/<product_id>.yaml`` (404 when there is none)."""
    if not BARE.match(product_id):
        raise BadRequest(f"'{product_id[:80]}' is not a product id", path="product")
    path = env.products_folder / f"{product_id}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in env.product_files()) or "none"
        raise Missing(f"no product '{product_id}' in the products folder",
                      f"bundled products: {known}; a registered version is ID@VERSION",
                      "product")
    return env.load(path)


def registered(env: Environment, ref: str) -> Product:
    """The registered version ``id@version`` or ``id@DATE`` names (404 when none does)."""
    if not env.db_path.is_file():
        raise Missing(f"no registry database, so no registered version '{ref}'",
                      "register a product first, or name a bundled product by its id",
                      "product")
    return env.load(ref)


def stable_ref(product: Product) -> str:
    """A reference that names this very version later: ``id@version`` for a registered
    version, the bare id for a bundled file."""
    return product.source_file if REF.match(product.source_file) else product.id


def upload_name(name: str | None, default: str = "product.yaml") -> str:
    """A file name a request gave, made safe to show (never used as a path): letters,
    digits, ``_.-``, at most 100 characters; `default` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    safe = _NAME.sub("_", base).strip("._")[:100]
    return safe or default
