"""Floor 4, the document: a product (and an Outcome) -> the policy as HTML and PDF.

`render_html`/`render_pdf` take plain data - the product, the person's
Outcome, the worked example's Outcomes - and never compile or evaluate. The
document is built as data (`policy`, `schedule`, `example` into `blocks`),
laid out by the jinja2 templates and printed by weasyprint as PDF/UA-1.
"""

from __future__ import annotations

from .render import RenderError, build_document, render_html, render_pdf

__all__ = ["RenderError", "build_document", "render_html", "render_pdf"]
