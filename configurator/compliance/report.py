"""A `Diff` as a terminal table, JSON, an HTML report or a PDF.

The HTML comes from ``templates/diff.html.j2`` (autoescaped; the redline is
already escaped token by token in `redline.pieces_html`). The PDF is that
HTML through weasyprint with a fetcher that allows only ``data:`` URLs, so a
report can never reach the network or the file system.
"""

from __future__ import annotations

import json

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..resources import templates_folder
from .diff import Diff
from .redline import ClauseRedline

STYLE = {"favourable": "green", "unfavourable": "red", "mixed": "yellow", "neutral": "dim"}
PIECE_STYLE = {"delete": "red strike", "insert": "green underline", "equal": ""}
MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "equal": ("", "")}  # wdiff's




# ------------------------------------------------------------ terminal


def print_diff(result: Diff, console: Console) -> None:
    """The whole report for a terminal: changes, bump, redline, impact."""
    old, new = result.old, result.new
    console.print(f"[bold]{new.name}[/]: {old.version} ({old.hash}) -> {new.version} "
                  f"({new.hash})")
    console.print(changes_table(result))
    bump = result.bump
    verdict = "" if bump.sufficient else f" [red]- {declared_words(bump.declared)}[/]"
    console.print(f"suggested version bump: [bold]{bump.level}[/] ({bump.reason}){verdict}")
    if result.redline:
        console.print(f"\n[bold]Wording redline[/] ({len(result.redline)} texts changed)")
        for clause in result.redline:
            console.print(redline_text(clause))
    if result.impact is not None:
        print_impact(result, console)


def declared_words(declared: str) -> str:
    if declared == "none":
        return "the new version number is not higher"
    return f"the new version number is only a {declared} bump"


def changes_table(result: Diff) -> Table:
    count = len(result.changes)
    table = Table(title=f"{count} change{'' if count == 1 else 's'}", show_lines=False,
                  expand=True)
    for column, width in (("#", 3), ("clause", 6), ("kind", 24), ("effect", 12)):
        table.add_column(column, no_wrap=True, min_width=width)
    table.add_column("reason", ratio=1)
    for number, change in enumerate(result.changes, start=1):
        effect = Text(change.effect, style=STYLE.get(change.effect, ""))
        table.add_row(str(number), change.clause or "-", change.kind, effect,
                      change.reason.rsplit(": ", 1)[0])
    return table


def redline_text(clause: ClauseRedline) -> Text:
    when = f", from {clause.in_force}" if clause.in_force else ""
    text = Text(f"{clause.clause or '-'} {clause.key} [{clause.locale}] ({clause.status}{when}): ",
                style="bold")
    for piece in clause.pieces:
        opening, closing = MARKS[piece.op]
        text.append(f"{opening}{piece.text}{closing}", style=PIECE_STYLE[piece.op])
    return text


def print_impact(result: Diff, console: Console) -> None:
    impact = result.impact
    console.print(f"\n[bold]Impact[/]: {impact.evaluated} cases evaluated under both versions, "
                  f"{len(impact.changed)} changed")
    for group in impact.groups:
        reasons = [result.changes[i].reason for i in group.changes] or [
            "several changes acting together"]
        console.print(f"[bold]{group.headline()}[/]")
        for reason in reasons:
            console.print(f"  because: {reason}")
        for entry in group.cases:
            moved = "; ".join(d.text for d in entry.differences)
            console.print(f"  - {entry.case.name} ({entry.case.where}): {moved} "
                          f"[dim]({entry.method})[/]")
    for error in impact.errors:
        console.print(f"[red]{error}[/]")


# ------------------------------------------------------------ files


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
    from ..document.render import html_to_pdf

    return html_to_pdf(html)


def report_bytes(result: Diff, suffix: str) -> bytes:
    """The report in the format a file suffix asks for (.html, .pdf or .json)."""
    if suffix == ".json":
        return (json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n").encode()
    html = render_html(result)
    if suffix == ".pdf":
        return render_pdf(html)
    return html.encode("utf-8")
