"""A `Diff` as JSON, an HTML report or a PDF (the terminal form is `configurator.cli`'s).

The HTML comes from ``templates/diff.html.j2`` (autoescaped; the redline is
already escaped token by token in `redline.pieces_html`). The PDF is that
HTML through weasyprint with a fetcher that allows only ``data:`` URLs, so a
report can never reach the network or the file system.
"""

from __future__ import annotations

import json

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..document.render import html_to_pdf
from ..resources import templates_folder
from .diff import Diff

# the colour of each effect, in the HTML report and on a terminal
STYLE = {"favourable": "green", "unfavourable": "red", "mixed": "yellow", "neutral": "dim"}


def declared_words(declared: str) -> str:
    """Why the declared version bump is not enough, in words."""
    if declared == "none":
        return "the new version number is not higher"
    return f"the new version number is only a {declared} bump"


def render_html(result: Diff) -> str:
    """The report as one self-contained HTML page."""
    env = Environment(loader=FileSystemLoader(str(templates_folder())),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    template = env.get_template("diff.html.j2")
    redline = [(clause, Markup(clause.html)) for clause in result.redline]
    return template.render(diff=result, redline=redline, style=STYLE,
                           declared=declared_words(result.bump.declared))


def render_pdf(html: str) -> bytes:
    """The report through the policy documents' pipeline: tagged PDF/UA-1, the same
    fonts, a fetcher that serves only files under templates/, byte-identical output."""
    return html_to_pdf(html)


def report_bytes(result: Diff, suffix: str) -> bytes:
    """The report in the format a file suffix asks for (.html, .pdf or .json)."""
    if suffix == ".json":
        return (json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n").encode()
    html = render_html(result)
    if suffix == ".pdf":
        return render_pdf(html)
    return html.encode("utf-8")
