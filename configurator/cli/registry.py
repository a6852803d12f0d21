"""The registry and audit commands: publish, approve, retire, history, audit verify/show.

The store is opened through the invocation's `Environment` with the standard
publish gates (`options.open_store`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..compliance.approval import reviewed_diff
from ..registry.audit import verify_database
from ..registry.audit_show import MAX_LIMIT, AuditFilter, outcome_of, shown
from ..registry.db import StoreError, snapshot
from ..registry.supersession import log_words
from .group import cli
from .options import DATE, Failed, db_option, environment, open_store


@cli.command()
@click.argument("product", type=click.Path(dir_okay=False))
@click.option("--effective-from", type=DATE, help="First day in force (registering a file).")
@click.option("--effective-to", type=DATE,
              help="Last day in force, inclusive [default: the product's effective_to, or "
                   "open-ended].")
@click.option("--by", required=True, help="Who is doing this.")
@db_option
def publish(product: str, effective_from: dt.date | None, effective_to: dt.date | None,
            by: str) -> None:
    """Register a product version as a draft, or publish an approved one.

    Lifecycle: publish FILE (draft) -> approve (approved) -> publish again
    (published) -> retire. Registering is refused for a product that does not
    validate, content identical to another version, or a window overlapping a
    published version. Window ends are inclusive.

    A version starting inside a published version's window (after its first
    day, running at least as long) supersedes it: publishing the successor
    ends the predecessor the day before, in the same transaction, and
    ID@DATE keeps resolving each day to the version in force then.

    Example:

        configurator publish products/hepatitis_b.yaml --effective-from 2026-01-01 --by alice

        configurator approve hepatitis_b@1.0.0 --by bob

        configurator publish hepatitis_b@1.0.0 --by alice
    """
    with open_store(create=True) as store:
        record = store.publish(product, by=by, effective_from=effective_from,
                               effective_to=effective_to)
    click.echo(f"{record.ref}: {record.status}, in force {record.window}, hash {record.hash}")
    if record.supersedes and record.status != "published":
        click.echo(f"supersedes {record.predecessor}: publishing {record.ref} ends "
                   f"{record.predecessor} on {record.proposed_end} (proposed)")
    elif record.supersedes:
        click.echo(f"{record.predecessor} now ends on {record.proposed_end}")


@cli.command()
@click.argument("ref")
@click.option("--by", required=True, help="The reviewer (not the person who registered it).")
@click.option("--diff-sha256", "seen", metavar="HASH",
              help="The 'diff sha256' configurator diff printed for the diff you reviewed; "
                   "refused if the diff against the predecessor is not that one.")
@db_option
def approve(ref: str, by: str, seen: str | None) -> None:
    """Approve a draft version (four eyes: not by the person who registered it).

    Approving a successor records the sha256 of its diff against the version
    it supersedes (run 'configurator diff PREDECESSOR REF' to review it).

    Example:

        configurator approve hepatitis_b@1.0.0 --by bob
    """
    with open_store() as store:
        reviewed = reviewed_diff(store, ref)
        if seen is not None and seen != reviewed:
            raise StoreError(f"the diff you reviewed ({seen}) is not the diff of {ref} against "
                             f"its predecessor ({reviewed or 'it supersedes nothing'}); run "
                             f"'configurator diff' again and review what changed")
        record = store.approve(ref, by=by, diff_sha256=reviewed)
    click.echo(f"{record.ref}: approved by {record.approved_by}")
    if record.approved_diff_sha256:
        click.echo(f"the approved diff against {record.predecessor}: sha256 "
                   f"{record.approved_diff_sha256}")


@cli.command()
@click.argument("ref")
@click.option("--by", required=True, help="Who is doing this.")
@db_option
def retire(ref: str, by: str) -> None:
    """Retire a version: it stops resolving by date and frees its window (final).

    Example:

        configurator retire hepatitis_b@1.0.0 --by alice
    """
    with open_store() as store:
        record = store.retire(ref, by=by)
    click.echo(f"{record.ref}: retired by {record.retired_by}")


@cli.command()
@click.argument("product_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--log", "with_log", is_flag=True,
              help="Also list the registry's audit trail: every registration, approval, "
                   "publication, end-dating and retirement, with who and when.")
@db_option
def history(product_id: str, as_json: bool, with_log: bool) -> None:
    """List the registered versions of a product: status, window, hash, who and when.

    Example:

        configurator history hepatitis_b --log
    """
    with open_store(readonly=True) as store:
        records = store.history(product_id)
        log = store.log(product_id) if with_log else []
    if as_json:
        data = [r.to_json() for r in records]
        click.echo(json.dumps({"versions": data, "log": log} if with_log else data, indent=2,
                              ensure_ascii=False))
        return
    columns = ("version", "status", "in force (inclusive)", "hash", "registered", "approved",
               "published", "retired")
    rows = [(r.version, r.status, r.window, r.hash, _who(r.registered_by, r.registered_at),
             _who(r.approved_by, r.approved_at), _who(r.published_by, r.published_at),
             _who(r.retired_by, r.retired_at)) for r in records]
    _table(f"{product_id}: registered versions", columns, rows)
    for r in records:
        if r.superseded_by:
            click.echo(f"{r.ref} superseded by {r.product_id}@{r.superseded_by} from "
                       f"{_next_day(r.effective_to)}")
        elif r.supersedes and r.status in ("draft", "approved"):
            click.echo(f"{r.ref} supersedes {r.predecessor}: publishing it ends "
                       f"{r.predecessor} on {r.proposed_end} (proposed)")
    if with_log:
        click.echo("registry log:")
        for entry in log:
            click.echo(_cell(log_words(product_id, entry)).plain)


def _next_day(day: dt.date | None) -> str:
    return (day + dt.timedelta(days=1)).isoformat() if day else "-"


def _who(by: str | None, at: str | None) -> str:
    return f"{by} {at[:16].replace('T', ' ')}" if by and at else "-"


def _table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    table = _titled(title, columns)
    for row in rows:
        table.add_row(*(_cell(cell) for cell in row))
    Console(width=160).print(table)  # wide: history and audit rows are not cut (pipe to less -S)


def _titled(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=Text(title))
    for column in columns:
        table.add_column(column)
    return table


def _cell(value: object) -> Text:
    """A table cell as plain text: no rich markup, control characters shown escaped."""
    text = str(value)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return Text(text)


@cli.group()
def audit() -> None:
    """The audit trail: recorded decisions and issued documents, hash-chained.

    Example:

        configurator audit verify

        configurator audit show --product hepatitis_b --decision decline
    """


@audit.command(name="verify")
@db_option
def audit_verify() -> None:
    """Check the file, the hash chains and the registry; name what is wrong (exit 1).

    SQLite's integrity check runs first; an empty file or one without the
    configurator schema fails; then every hash chain is walked (the first
    edited, missing, added or undecodable row is named) and the registry is
    replayed against its log. The file is opened read-only and never changed.
    CORRUPT lines are about the file, TAMPERED lines about its content.

    Example:

        configurator audit verify
    """
    result = verify_database(environment().db_path)
    for table, count in result.rows.items():
        shown = "unreadable" if count is None else f"{count} rows, tip {result.tips[table]}"
        click.echo(f"{table}: {shown}")
    if not result.ok:
        raise Failed("\n".join(str(p) for p in result.problems))
    click.echo("ok: SQLite finds the file intact, every chain verifies and the registry "
               "matches its log")


@audit.command(name="show")
@click.option("--product", "product_id", help="Product id.")
@click.option("--version", help="Product version.")
@click.option("--since", type=DATE, help="Recorded on or after this UTC day.")
@click.option("--until", type=DATE, help="Recorded on or before this UTC day.")
@click.option("--decision", type=click.Choice(["accept", "decline", "refer"]))
@click.option("--batch", "batch_id", metavar="ID",
              help="Recorded by this batch: its --batch-id, or the default, the input file's "
                   "name and content hash, as 'evaluate --record' printed it.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), help="At most N rows.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@db_option
def audit_show(product_id: str | None, version: str | None, since: dt.date | None,
               until: dt.date | None, decision: str | None, batch_id: str | None,
               limit: int | None, as_json: bool) -> None:
    """List recorded decisions, filtered by product, version, day, decision and batch.

    Example:

        configurator audit show --product hepatitis_b --since 2026-01-01 --decision decline

        configurator audit show --batch renewal-2027 --decision refer --json
    """
    selection = AuditFilter(product_id, version, since, until, decision, limit, batch_id)
    with open_store(readonly=True) as store, snapshot(store.db):
        # every row is read and checked before the first is shown (a bad one: nothing
        # shown), one at a time - a portfolio's trail of a million rows is ~8 GB
        widest, count = _Widest(len(_AUDIT_COLUMNS)), 0
        for row in shown(store, selection):
            if as_json:
                outcome_of(row)
            else:
                widest.add(_audit_cells(row))
            count += 1
        if as_json:
            for row in shown(store, selection):
                click.echo(json.dumps({**row, "outcome": outcome_of(row)}, ensure_ascii=False))
            return
        _long_table("audit trail: recorded decisions", _AUDIT_COLUMNS, widest.rows(), count,
                    map(_audit_cells, shown(store, selection)))
    click.echo(f"{count} rows")


_AUDIT_COLUMNS = ("row", "recorded (UTC)", "product", "hash", "decision", "case key",
                  "case hash", "engine")


def _audit_cells(r: dict) -> list[Text]:
    return [_cell(c) for c in (
        r["seq"], r["recorded_at"][:19].replace("T", " "),
        f"{r['product_id']}@{r['product_version']}", r["product_hash"], r["decision"],
        (r["case_key"] or "-")[:12], r["case_hash"][:12], r.get("engine_version") or "unknown")]


TABLE_BLOCK = 1000  # rows of a long table rendered at a time


class _Widest:
    """Per column, the widest cell and the one with the longest word: what rich lays a
    column out by (its measurement), so a table of these two rows has the whole table's
    column widths."""

    def __init__(self, columns: int):
        self.cells = [[(0, Text())] * columns, [(0, Text())] * columns]

    def add(self, cells: list[Text]) -> None:
        widest, wordiest = self.cells
        for index, cell in enumerate(cells):
            if cell.cell_len > widest[index][0]:
                widest[index] = (cell.cell_len, cell)
            word = max(map(cell_len, cell.plain.split()), default=0)
            if word > wordiest[index][0]:
                wordiest[index] = (word, cell)

    def rows(self) -> list[list[Text]]:
        return [[cell for _, cell in row] for row in self.cells]


def _long_table(title: str, columns: tuple[str, ...], widest: list[list[Text]], count: int,
                rows: Iterator[list[Text]]) -> None:
    """`_table`'s table of `count` rows, printed `TABLE_BLOCK` rows at a time: each block a
    table of its own with the columns' widths rich gives the `widest` rows (`_Widest`), its
    edges between blocks left out, so the whole is `_table`'s bytes while only one block is
    ever held."""
    console, block = Console(width=160), TABLE_BLOCK
    probe = _titled(title, columns)
    for cells in widest:
        probe.add_row(*cells)
    # rich lays the columns out in Table._calculate_column_widths (padding included, in
    # the console's width less the borders) and offers no public way to ask;
    # tests/test_hostile_registry.py holds the blocks to the single table, a too-wide one too
    inside = console.options.update_width(console.width - probe._extra_width)
    widths = [width - probe._get_padding_width(index) for index, width in
              enumerate(probe._calculate_column_widths(console, inside))]
    for start in range(0, max(count, 1), block):
        table = Table(title=Text(title) if start == 0 else None, show_header=start == 0)
        for column, width in zip(columns, widths, strict=True):
            table.add_column(column, width=width)
        for cells in itertools.islice(rows, block):
            table.add_row(*cells)
        with console.capture() as captured:
            console.print(table)
        lines = captured.get().splitlines(keepends=True)
        last = start + block >= count
        click.echo("".join(lines[0 if start == 0 else 1:None if last else -1]), nl=False)
