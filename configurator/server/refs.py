"""Products named in a request: a registry version or a bundled product, never a path.

No path from a request reaches the file system: a request names a product as
``id@version``, ``id@YYYY-MM-DD`` (the version in force that day) or a bare
``id`` of a product in the server's products folder; a product's YAML sent
in a request body is read by the same safe loader as a file, named by the
request.
"""

from __future__ import annotations

import re

from ..environment import Environment
from ..product.model import Product
from ..registry.versions import REF
from .errors import BadRequest, Missing

BARE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def product_for(env: Environment, ref: str) -> Product:
    """The product `ref` names: a registry version or a bundled product."""
    if not (REF.match(ref) or BARE.match(ref)):
        raise BadRequest(f"'{ref[:80]}' is not a product reference",
                         "name a product as ID, ID@VERSION or ID@YYYY-MM-DD", "product")
    if REF.match(ref):
        return env.load(ref)
    # a bare id names a file in the products folder only (never one in the working folder)
    bundled = env.products_folder / f"{ref}.yaml"
    if not bundled.is_file():
        raise Missing(f"no product '{ref}' on this server",
                      "name a product listed by GET /api/v1/products, or ID@VERSION", "product")
    return env.load(bundled)
