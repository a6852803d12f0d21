"""Where the package's data lives: document templates and the bundled products.

Both ship in the wheel as `configurator.templates` and `configurator.products`
(mapped from the repository's top-level ``templates/`` and ``products/``
folders by pyproject.toml) and are found with `importlib.resources`, so an
installed configurator works from any folder. Run from a checkout without
installing, they are the folders beside the package.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=4)
def _folder(name: str) -> Path:
    # the data folders hold no __init__.py: look them up under the package itself
    # (a regular package on the file system, so its Traversable is a real path)
    installed = Path(str(resources.files("configurator").joinpath(name)))
    return installed if installed.is_dir() else _CHECKOUT / name


def templates_folder() -> Path:
    """The document templates: jinja2 layouts, the stylesheet, wording per locale."""
    return _folder("templates")


def products_folder() -> Path:
    """The bundled products (``<id>.yaml`` with example cases and suites in ``<id>/``)."""
    return _folder("products")
