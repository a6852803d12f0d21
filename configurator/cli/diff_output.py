"""A `Diff` for a terminal: the changes table, the version bump, the redline, the impact.

The HTML, PDF and JSON forms of the same report are
`configurator.compliance.report`; the colours of the effects are shared with it.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..compliance.diff import Diff
from ..compliance.redline import ClauseRedline
from ..compliance.report import STYLE, declared_words

PIECE_STYLE = {"delete": "red strike", "insert": "green underline", "equal": ""}
MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "equal": ("", "")}  # wdiff's


def print_diff(result: Diff, console: Console) -> None:
    """The whole report for a terminal: changes, bump, redline, impact."""
    old, new = result.old, result.new
    console.print(f"[bold]{new.name}[/]: {old.version} ({old.hash}) -> {new.version} "
                  f"({new.hash})")
    console.print(changes_table(result))
    bump = result.bump
    verdict = "" if bump.sufficient else f" [red]- {declared_words(bump.declared)}[/]"
    console.print(f"suggested version bump: [bold]{bump.level}[/] ({bump.reason}){verdict}")
    if result.lint is not None:
        print_lint(result, console)
    if result.redline:
        console.print(f"\n[bold]Wording redline[/] ({len(result.redline)} texts changed)")
        for clause in result.redline:
            console.print(redline_text(clause))
    if result.impact is not None:
        print_impact(result, console)
    console.print(f"\ndiff sha256 {result.sha256}", markup=False)


def print_lint(result: Diff, console: Console) -> None:
    """The lint findings the new version introduces, as their own section."""
    found = result.lint or []
    console.print(f"\n[bold]New lint findings[/] ({result.profile} profile): "
                  f"{len(found) or 'none'}")
    for finding in found:
        console.print(Text(f"  {finding}", style="red" if finding.severity == "error" else
                           "yellow"))


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
    for group, summary in zip(impact.groups, result.summaries, strict=True):
        console.print(Text(summary.line() if summary.one_line else summary.headline,
                           style="bold"))
        for reason in summary.because:
            console.print(Text(f"  because: {reason}"))
        if summary.totals():
            console.print(Text(f"  {summary.totals()}"))
        if summary.one_line:
            continue
        for entry in group.cases:
            moved = "; ".join(d.words or d.text for d in entry.differences)
            line = Text(f"  - {entry.case.name}: {moved} ")
            line.append(f"({entry.method})", style="dim")
            console.print(line)
    for error in impact.errors:
        console.print(f"[red]{error}[/]")
