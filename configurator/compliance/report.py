"""A `Diff` as JSON, an HTML report or a PDF (the terminal form is `configurator.cli`'s).

The HTML comes from ``templates/diff.html.j2``, laid out by the documents'
one jinja2 environment (`document.escape`: outside text cleaned and
autoescaped; the redline's pieces escaped one by one in `escape.tagged`).
The PDF is that HTML through the documents' weasyprint pipeline, whose
fetcher serves only files under ``templates/``, so a report can never reach
the network; a failure in jinja2 or weasyprint is a `RenderError` naming the
report, never a traceback.
"""

from __future__ import annotations

import json

from ..document.escape import environment, tagged
from ..document.render import failures, html_to_pdf
from .diff import Diff

# the colour of each effect, in the HTML report and on a terminal
STYLE = {"favourable": "green", "unfavourable": "red", "mixed": "yellow", "neutral": "dim"}


def declared_words(declared: str) -> str:
    """Why the declared version bump is not enough, in words."""
    if declared == "none":
        return "the new version number is not higher"
    return f"the new version number is only a {declared} bump"


def describe(result: Diff) -> str:
    """The report in words, for an error message."""
    return (f"the compliance report {result.old.id} {result.old.version} -> "
            f"{result.new.id} {result.new.version}")


def render_html(result: Diff) -> str:
    """The report as one self-contained HTML page."""
    with failures(describe(result)):
        template = environment().get_template("diff.html.j2")
        redline = [(clause, tagged((p.op, p.text) for p in clause.pieces))
                   for clause in result.redline]
        impact = list(zip(result.impact.groups, result.summaries, strict=True)
                      if result.impact is not None else [])
        return template.render(diff=result, redline=redline, style=STYLE, impact=impact,
                               declared=declared_words(result.bump.declared))


def render_pdf(html: str, what: str = "the compliance report") -> bytes:
    """The report through the policy documents' pipeline: tagged PDF/UA-1, the same
    fonts, a fetcher that serves only files under templates/, byte-identical output."""
    return html_to_pdf(html, what=what)


def report_bytes(result: Diff, suffix: str) -> bytes:
    """The report in the format a file suffix asks for (.html, .pdf or .json)."""
    if suffix == ".json":
        return (json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n").encode()
    html = render_html(result)
    if suffix == ".pdf":
        return render_pdf(html, describe(result))
    return html.encode("utf-8")
