"""A policy PDF as a personal front laid out per document and a shared part made once.

    >>> PagedPolicy(policy, meta, shared_meta, "pdf/ua-1", clock).pdf()

The document's blocks, in order: the front (cover with key facts, and the
person's schedule), then the reading guide, contents and clauses. The front
is personal; the rest - the shared part - is the same for every person with
this product, language and page numbering, so it is laid out and drawn once
per process (`drawing.py`) and reused: only the front is laid out and
painted for each document.

No page but the last is left nearly empty. The shared part flows on after
the schedule, as in one layout: when the front's last page (a schedule page)
is less than `MERGE_BELOW` full, the shared part is laid out with its first
page starting below the front's content - a lead of that height, rounded up
to `LEAD_STEP` so that one layout serves many schedules - and that page
becomes one page with the front's last (`drawing.merged_page`): the front's
content on top, the shared part's below it, one header and footer, one tag
tree in reading order. Otherwise (a full page, or the cover of a specimen, which
always ends its page) the shared part starts a page of its own.

Page numbers run across both parts: the front is laid out with the page
total it will print (guessed from the last document, laid out again if the
guess was wrong), and the shared part numbers its pages on from the front's.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2

from .blocks import Policy
from .drawing import Drawing, merged_page, write_pdf
from .escape import environment, stylesheet
from .weasy import css_text, identifier, lay_out, page_content, tagged_variant

BLOCKS = ("front", "guide", "clauses")
FRONT, SHARED = BLOCKS[:1], BLOCKS[1:]
MERGE_BELOW = 0.75  # a front page fuller than this ends the front's pages
LEAD_STEP = 48  # CSS px (12.7 mm): leads are rounded up to a multiple of this
MAX_CACHED_LAYOUTS = 8

_SHARED_PAGES: dict[tuple[str, int | None], int] = {}  # (shared key, lead) -> page count
_TOTALS: dict[str, int] = {}  # shared key -> the last page total printed (a guess)
_SHARED_LAYOUTS: OrderedDict[tuple, tuple[Any, list[Any], Drawing | None, str]] = \
    OrderedDict()
_MADE = [0]  # shared layouts made by this process


def layouts_made() -> int:
    """How many shared parts this process has laid out and kept (for `runs.batch_render`)."""
    return _MADE[0]


class Clock:
    """Adds elapsed seconds to named totals (for bench/render.py)."""

    def __init__(self, totals: dict[str, float] | None):
        self.totals = totals

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            if self.totals is not None:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - began


def document_html(policy: Policy, meta: dict[str, Any], show: tuple[str, ...] = BLOCKS,
                  shared: bool = False, css: bool = False, **pages: int | None) -> str:
    """The HTML of the blocks in `show`; `pages` fixes page numbers and the lead.

    With `css` the stylesheet is inlined (a self-contained page); weasyprint
    gets it pre-parsed instead (`weasy.stylesheet`).
    """
    numbers = {"total": None, "offset": None, "schedule_page": None, "lead": None, **pages}
    inline = stylesheet(css_text()) if css else ""
    return _template().render(policy=policy, css=inline, meta=meta, show=show, shared=shared,
                              pages=numbers)


class PagedPolicy:
    """One policy laid out as a personal front and a shared part (see the module docstring)."""

    def __init__(self, policy: Policy, meta: dict[str, Any], shared: dict[str, Any],
                 variant: str | None, clock: Clock):
        self.policy = policy
        self.meta = meta
        self.shared = shared  # the shared part's metadata: nothing personal
        self.variant = variant
        self.clock = clock

    def layout(self, html: str) -> Any:
        with self.clock("weasyprint"):
            return lay_out(html, self.variant)

    def html(self, show: tuple[str, ...], shared: bool, **pages: int | None) -> str:
        with self.clock("ours"):
            return document_html(self.policy, self.shared if shared else self.meta, show,
                                 shared, **pages)

    def pdf(self) -> bytes:
        plain = self.html(SHARED, True)
        key = hashlib.sha256(f"{self.variant}\n{plain}".encode()).hexdigest()
        front, front_html, lead = self.front(key)
        merged = lead is not None
        offset = len(front.pages) + (not merged)
        total = offset - 1 + self.shared_pages(key, lead)
        layout, pages, drawing, shared_html = self.shared_part(
            key, lead, offset, total, _page_of(front, "schedule"))
        with self.clock("weasyprint"):
            if merged:
                pages = [*front.pages[:-1], merged_page(front.pages[-1], pages[0]), *pages[1:]]
            else:
                pages = front.pages + pages
            whole = front.copy(pages)
            if drawing is not None:
                whole.fonts = drawing.fonts()
            return write_pdf(whole, pdf_variant=self.variant, custom_metadata=True,
                             pdf_identifier=identifier(front_html, shared_html))

    def front(self, key: str) -> tuple[Any, str, int | None]:
        """The front, its HTML and the shared part's lead, with the right page total."""
        total = _TOTALS.get(key)
        for _ in range(4):
            html = self.html(FRONT, False, total=total)
            front = self.layout(html)
            lead = self.lead(front)
            needed = len(front.pages) - (lead is not None) + self.shared_pages(key, lead)
            if needed == total:
                break
            total = needed
        _TOTALS[key] = needed
        return front, html, lead

    def lead(self, front: Any) -> int | None:
        """How far down its page the shared part starts (None: on a page of its own)."""
        if self.policy.schedule is None or len(front.pages) < 2:
            return None  # the cover ends its page
        used, height = page_content(front.pages[-1])
        if used >= MERGE_BELOW * height:
            return None
        return LEAD_STEP * max(1, math.ceil(used / LEAD_STEP))

    def shared_pages(self, key: str, lead: int | None) -> int:
        """How many pages the shared part takes with this lead."""
        count = _SHARED_PAGES.get((key, lead))
        if count is None:
            count = _SHARED_PAGES[key, lead] = len(self.layout(self.html(SHARED, True,
                                                                         lead=lead)).pages)
        return count

    def shared_part(self, key: str, lead: int | None, offset: int, total: int,
                    schedule_page: int | None) -> tuple[Any, list[Any], Drawing | None, str]:
        """The shared part numbered on from the front: laid out and drawn once (cached)."""
        layout_key = (key, lead, offset, total, schedule_page)
        found = _SHARED_LAYOUTS.get(layout_key)
        if found is None:
            html = self.html(SHARED, True, total=total, offset=offset,
                             schedule_page=schedule_page, lead=lead)
            layout = self.layout(html)
            with self.clock("weasyprint"):
                drawing = Drawing.record(layout, tagged_variant(self.variant))
            found = (layout, drawing.pages(layout) if drawing else layout.pages, drawing, html)
            _SHARED_LAYOUTS[layout_key] = found
            _MADE[0] += 1
            while len(_SHARED_LAYOUTS) > MAX_CACHED_LAYOUTS:
                _SHARED_LAYOUTS.popitem(last=False)
        _SHARED_LAYOUTS.move_to_end(layout_key)
        return found


def _page_of(document: Any, anchor: str) -> int | None:
    for number, page in enumerate(document.pages, start=1):
        if anchor in page.anchors:
            return number
    return None


def _template() -> jinja2.Template:
    return environment().get_template("policy.html.j2")
