"""Reading the audit trail: the recorded decisions a filter selects, oldest first, a row at
a time (a portfolio's trail of a million rows is ~8 GB), each refused if configurator
cannot have written it (the CLI, the API and the workbench read it through here)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .db import StoreError, schema_version, user_tables
from .faults import require_text
from .integrity import column_findings
from .store import Store

MAX_LIMIT = 2**63 - 1  # SQLite's largest integer
_SHOWN = ("recorded_at", "product_id", "product_version", "product_hash", "case_hash",
          "decision", "outcome")


@dataclass(frozen=True)
class AuditFilter:
    """What `show` selects: all given conditions must hold; dates are UTC days, inclusive;
    `limit` is at most that many rows (1 to `MAX_LIMIT`; None: all); `batch_id` the rows a
    batch recorded (a portfolio's run: found by the batch's index, not a scan of the trail)."""

    product_id: str | None = None
    version: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    decision: str | None = None
    limit: int | None = None
    batch_id: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column, value in (("product_id", self.product_id),
                              ("product_version", self.version),
                              ("decision", self.decision),
                              ("batch_id", self.batch_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since:
            clauses.append("recorded_at >= ?")
            params.append(self.since.isoformat())
        if self.until and self.until < dt.date.max:  # until the last day there is: no bound
            clauses.append("recorded_at < ?")
            params.append((self.until + dt.timedelta(days=1)).isoformat())
        return " AND ".join(clauses) or "1", params


def show(store: Store, selection: AuditFilter = AuditFilter()) -> list[dict[str, Any]]:
    """Recorded evaluations matching `selection`, oldest first (Outcome JSON as text).

    A row configurator cannot have written (binary or non-UTF-8 text, a missing
    value) is refused by table and row, and a table whose columns are not the ones its
    schema version made (a column renamed in the stored schema) as a whole, pointing at
    ``audit verify``.
    """
    return list(shown(store, selection))


def shown(store: Store, selection: AuditFilter = AuditFilter()) -> Iterator[dict[str, Any]]:
    """`show`'s rows one at a time, as they are read: a portfolio's trail of a million rows
    is ~8 GB. The selection and the table's columns are checked here, each row as it comes
    (refused as `show` says). Read them inside `db.snapshot` to read the same rows twice."""
    limit = selection.limit
    if limit is not None and (type(limit) is not int or not 1 <= limit <= MAX_LIMIT):
        raise StoreError(f"the limit must be a whole number from 1 to {MAX_LIMIT}, not "
                         f"{str(limit)[:30]}")
    tables = set(user_tables(store.db)) & {"evaluations"}  # a missing one: the query says so
    altered = column_findings(store.db, schema_version(store.db), tables)
    if altered:
        raise StoreError(f"{altered[0].text} (run 'configurator audit verify')")
    where, params = selection.where()
    bound = " LIMIT ?" if limit is not None else ""
    numbers = store.db.execute(f"SELECT seq FROM evaluations WHERE {where} ORDER BY seq{bound}",
                               params + ([limit] if limit is not None else []))
    return _checked(store, numbers)


SHOWN_BLOCK = 500  # rows read at a time by their numbers


def _checked(store: Store, numbers: Any) -> Iterator[dict[str, Any]]:
    """The rows `numbers` (a cursor of row numbers, in order) names, read `SHOWN_BLOCK` at a
    time and checked. The numbers come first because a filter SQLite answers from an index
    (product, batch, day) then sorts what it found by row number: whole rows, ~8 KB each,
    through temporary files (/var/tmp) as large as the result - `audit show --product
    hepatitis_b --json` on 100,000 rows took 15.2-15.4 s against 13.3-13.5 unfiltered;
    now 13.5-13.7 either way."""
    while block := [row[0] for row in numbers.fetchmany(SHOWN_BLOCK)]:
        for row in store.db.query(f"SELECT * FROM evaluations WHERE seq IN "
                                  f"({', '.join('?' * len(block))}) ORDER BY seq", block):
            require_text(row, f"evaluations row {row.get('seq')}", _SHOWN,
                         ("case_key", "batch_id", "engine_version"))
            yield row


def outcome_of(row: dict[str, Any]) -> dict[str, Any]:
    """The recorded Outcome of a `show` row, decoded; a row whose Outcome is not a JSON
    object is refused by row."""
    try:
        outcome = json.loads(row["outcome"])
    except (ValueError, RecursionError):
        outcome = None
    if not isinstance(outcome, dict):
        raise StoreError(f"evaluations row {row.get('seq')} cannot be read: its outcome is not "
                         f"the JSON configurator writes; the row was altered outside "
                         f"configurator (run 'configurator audit verify')")
    return outcome
