"""weasyprint, as every document uses it: local files only, parsed once per process.

The stylesheet (`templates/policy.css`) is parsed once and the font
configuration made once per process (`stylesheet`, `font_config`); the URL
fetcher serves only files under `templates/` and refuses everything else
(`local_fetcher`, `REFUSED`). `page_content` measures how full a laid-out
page is.
weasyprint is slow to import: it is imported only when a document is made.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..resources import templates_folder

LOGGER = logging.getLogger("configurator.render")

REFUSED: list[str] = []  # every URL a document tried to fetch and was refused


def base_url() -> str:
    return templates_folder().as_uri() + "/"


def identifier(*texts: str) -> bytes:
    """The PDF file identifier: a hash of the HTML, so equal input gives equal bytes."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32].encode("ascii")


def lay_out(html: str, variant: str | None) -> Any:
    """`html` laid out in pages (a weasyprint `Document`), with the policy stylesheet."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=base_url(), url_fetcher=local_fetcher()
                           ).render(font_config=font_config(), pdf_variant=variant,
                                    stylesheets=[stylesheet()])


def tagged_variant(variant: str | None) -> bool:
    """Whether weasyprint tags a PDF of this variant (PDF/UA, PDF/A-a)."""
    if variant is None:
        return False
    from weasyprint.pdf import VARIANTS

    return bool(VARIANTS[variant][1].get("pdf_tags"))


def page_content(page: Any) -> tuple[float, float]:
    """How far down `page`'s content area its content reaches, and that area's height (px)."""
    from weasyprint.formatting_structure import boxes

    box = page._page_box
    top = box.content_box_y()
    bottom = top
    todo = [child for child in box.children if not isinstance(child, boxes.MarginBox)]
    while todo:
        child = todo.pop()
        if isinstance(child, (boxes.LineBox, boxes.ReplacedBox, boxes.TableBox)):
            bottom = max(bottom, child.position_y + child.margin_height())
        if not isinstance(child, boxes.LineBox):
            todo.extend(getattr(child, "children", ()))
    return bottom - top, box.height


@lru_cache(maxsize=1)
def css_text() -> str:
    return (templates_folder() / "policy.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def stylesheet() -> Any:
    """policy.css parsed once per process."""
    import weasyprint

    return weasyprint.CSS(string=css_text(), base_url=base_url(), url_fetcher=local_fetcher(),
                          font_config=font_config())


@lru_cache(maxsize=1)
def font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def local_fetcher() -> Any:
    """A url_fetcher that serves files under `templates/` and refuses everything else.

    Refused URLs are appended to `REFUSED`, so a test can assert that no
    remote fetch was even attempted; a refusal also stops the render.
    """
    return _local_fetcher_class()()


@lru_cache(maxsize=1)
def _local_fetcher_class() -> type:
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    root = templates_folder().resolve()

    class LocalFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                REFUSED.append(url)
                LOGGER.error("refused to fetch %s: documents only use files in %s", url, root)
                raise PermissionError(f"refused to fetch {url}")
            return super().fetch(url, headers)

    return LocalFetcher
