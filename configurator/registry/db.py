"""The SQLite file behind the registry and the audit trail: connection, schema, chains.

One database file (default ``configurator.db`` in the working directory; the
``--db`` option or the ``CONFIGURATOR_DB`` environment variable point
elsewhere) holds the product registry and the audit trail. It is opened through
sqlite-utils with:

- **WAL mode**, so readers never block the writer and two processes can write
  to the same file (one at a time; SQLite serialises them).
- **Explicit write transactions.** Every write is one ``BEGIN IMMEDIATE`` ...
  ``COMMIT`` (`transaction`). ``IMMEDIATE`` takes the write lock before the
  first read, so reading the chain tip and extending it is atomic: two writers
  can never both extend the same tip. A failure or a kill before ``COMMIT``
  leaves nothing behind. ``synchronous=FULL``: a committed audit row survives
  a power cut, not only a killed process.
- **A versioned schema** in ``PRAGMA user_version``. `migrate` upgrades an
  older file in place inside one write transaction and re-reads the version
  under the lock, so two processes opening an old file at once migrate it
  once. (sqlite-utils' own ``Migrations`` checks what is pending outside the
  transaction, which races; hence the few lines here.)

**Hash chains.** The append-only tables (``registry_log``, ``evaluations``,
``documents``) are hash-chained: each row stores ``prev_hash`` (the previous
row's hash) and ``hash`` = sha256 of the canonical JSON of the row's non-null
columns other than ``seq`` and ``hash`` (``prev_hash`` included). The tip
(row count and last hash) of each chain is kept in ``meta`` and moved in the
same transaction, so truncating the end of a chain is caught too. Columns
that are NULL are left out of the hash, which lets a migration add a column
without invalidating older rows, while setting it later still breaks the row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import StoreError

DEFAULT_DB = "configurator.db"
ENV_DB = "CONFIGURATOR_DB"
SCHEMA_VERSION = 2
GENESIS = "0" * 64
CHAINS = ("registry_log", "evaluations", "documents")
BUSY_TIMEOUT_SECONDS = 60.0

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The recording clock: wall-clock time, used only to stamp records."""
    return dt.datetime.now(dt.UTC)


def timestamp(clock: Clock) -> str:
    """`clock()` as a fixed-width UTC ISO string, so text order is time order."""
    moment = clock()
    if moment.tzinfo is None:
        raise StoreError("the recording clock must return an aware datetime")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def database_path(explicit: str | Path | None = None) -> Path:
    """`explicit`, else ``$CONFIGURATOR_DB``, else ``configurator.db`` here."""
    return Path(explicit or os.environ.get(ENV_DB) or DEFAULT_DB)


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------ connection


def connect(path: Path, create: bool = True) -> Database:
    """Open (or create) the database at `path`: WAL, busy timeout, schema up to date."""
    if not create and not path.exists():
        raise StoreError(f"no configurator database at {path}; publish a product first, or "
                         f"point --db or ${ENV_DB} at one")
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory, not a configurator database")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        db = Database(conn)
        _pragmas(db)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable configurator database ({exc})") from exc
    return db


def _pragmas(db: Database) -> None:
    if db.journal_mode != "wal":
        db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")


@contextlib.contextmanager
def transaction(db: Database, pause_point: str | None = None) -> Iterator[Database]:
    """One write transaction: ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` on error."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"the database is busy ({exc}); another process held it for over "
                         f"{BUSY_TIMEOUT_SECONDS:.0f}s, try again") from exc
    try:
        yield db
        if pause_point:
            pause_for_tests(pause_point)
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


_PAUSE_COUNTS: dict[str, int] = {}


def pause_for_tests(point: str) -> None:
    """Crash-injection hook for the tests; does nothing unless asked to.

    With ``CONFIGURATOR_TEST_PAUSE=point:n:file`` the n-th transaction at
    `point` (``publish``, ``record``) touches `file` just before ``COMMIT`` and
    then sleeps, so a test can kill the process inside the transaction.
    """
    wanted = os.environ.get("CONFIGURATOR_TEST_PAUSE")
    if not wanted:
        return
    name, nth, signal_file = wanted.split(":", 2)
    if name != point:
        return
    _PAUSE_COUNTS[point] = _PAUSE_COUNTS.get(point, 0) + 1
    if _PAUSE_COUNTS[point] == int(nth):
        Path(signal_file).write_text("paused\n")
        time.sleep(600)


# ------------------------------------------------------------ schema


def schema_version(db: Database) -> int:
    return next(db.query("PRAGMA user_version"))["user_version"]


def migrate(db: Database) -> None:
    """Bring the schema up to `SCHEMA_VERSION` in place, in one write transaction."""
    if schema_version(db) == SCHEMA_VERSION:
        return
    with transaction(db):
        current = schema_version(db)  # again, under the write lock
        if current > SCHEMA_VERSION:
            raise StoreError(f"the database has schema version {current}, newer than this "
                             f"configurator understands ({SCHEMA_VERSION}); upgrade configurator")
        for version in range(current, SCHEMA_VERSION):
            MIGRATIONS[version](db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_v1(db: Database) -> None:
    """Schema 1: meta, product versions, the registry log and evaluations."""
    db["meta"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db["versions"].create({
        "product_id": str, "version": str, "status": str, "hash": str, "substance_hash": str,
        "content": str, "content_sha256": str, "effective_from": str, "effective_to": str,
        "registered_by": str, "registered_at": str, "approved_by": str, "approved_at": str,
        "published_by": str, "published_at": str, "retired_by": str, "retired_at": str,
    }, pk=("product_id", "version"), not_null={"status", "hash", "content", "effective_from",
                                                "registered_by", "registered_at"})
    _create_chain(db, "registry_log", {"at": str, "product_id": str, "version": str,
                                       "action": str, "by": str, "detail": str})
    _create_chain(db, "evaluations", {
        "recorded_at": str, "product_id": str, "product_version": str, "product_hash": str,
        "case_hash": str, "case_key": str, "decision": str, "outcome": str,
        "batch_id": str, "batch_row": int})
    db["evaluations"].create_index(["batch_id", "batch_row"], unique=True)
    db["evaluations"].create_index(["product_id", "product_version"])
    db["evaluations"].create_index(["recorded_at"])


def _upgrade_v1_to_v2(db: Database) -> None:
    """Schema 2: evaluations name the engine version; issued documents get their table.

    Rows recorded under schema 1 keep ``engine_version`` NULL (unknown): NULL
    columns are outside the row hash, so their chain still verifies.
    """
    db["evaluations"].add_column("engine_version", str)
    _create_chain(db, "documents", {
        "recorded_at": str, "sha256": str, "kind": str, "product_id": str,
        "product_version": str, "product_hash": str, "case_hash": str, "case_key": str})
    db["documents"].create_index(["sha256"])


def _create_chain(db: Database, table: str, columns: dict[str, type]) -> None:
    db[table].create({"seq": int, **columns, "prev_hash": str, "hash": str}, pk="seq",
                     not_null={"prev_hash", "hash"})


MIGRATIONS: dict[int, Callable[[Database], None]] = {0: _create_v1, 1: _upgrade_v1_to_v2}


# ------------------------------------------------------------ meta


def meta_get(db: Database, key: str) -> str | None:
    row = next(db.query("SELECT value FROM meta WHERE key = ?", [key]), None)
    return row["value"] if row else None


def meta_set(db: Database, key: str, value: str) -> None:
    db["meta"].upsert({"key": key, "value": value}, pk="key")


# ------------------------------------------------------------ hash chains


def row_digest(row: dict[str, Any]) -> str:
    """The hash of one chained row: its non-null columns except `seq` and `hash`."""
    content = {k: v for k, v in row.items() if k not in ("seq", "hash") and v is not None}
    return sha256_text(canonical(content))


def chain_tip(db: Database, table: str) -> tuple[int, str]:
    """(last seq, last hash) of a chain, from `meta`; (0, GENESIS) when empty."""
    value = meta_get(db, f"tip:{table}")
    if value is None:
        return 0, GENESIS
    seq, digest = value.split(" ")
    return int(seq), digest


def append_chained(db: Database, table: str, rows: list[dict[str, Any]]) -> list[int]:
    """Append `rows` to a chain; call inside `transaction` (the tip is read under the lock)."""
    seq, previous = chain_tip(db, table)
    numbers = []
    for row in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, previous
        row["hash"] = previous = row_digest(row)
        numbers.append(seq)
    if rows:
        db[table].insert_all(rows)
        meta_set(db, f"tip:{table}", f"{seq} {previous}")
    return numbers


@dataclass(frozen=True)
class ChainBreak:
    """The first row of a chain that fails verification, and why."""

    table: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.table} row {self.seq}" if self.seq is not None else self.table
        return f"{where}: {self.reason}"


def verify_chain(db: Database, table: str) -> tuple[int, ChainBreak | None]:
    """Walk a chain in `seq` order; (rows seen, first break or None)."""
    expected, previous, count = 1, GENESIS, 0
    for row in db.query(f"SELECT * FROM [{table}] ORDER BY seq"):
        problem = _check_link(row, expected, previous)
        if problem:
            return count, ChainBreak(table, row["seq"], problem)
        expected, previous, count = row["seq"] + 1, row["hash"], count + 1
    return count, _check_tip(db, table, count, previous)


def _check_link(row: dict[str, Any], expected: int, previous: str) -> str | None:
    if row["seq"] != expected:
        missing = (f"row {expected} is missing" if row["seq"] == expected + 1
                   else f"rows {expected} to {row['seq'] - 1} are missing")
        return f"{missing} (deleted, or the rows were renumbered)"
    if row_digest(row) != row["hash"]:
        return "its content does not match its hash (the row was edited)"
    if row["prev_hash"] != previous:
        before = f"row {expected - 1}" if expected > 1 else "the start of the chain"
        return (f"does not follow {before} (rows were reordered, or a row before it was "
                f"replaced)")
    return None


def _check_tip(db: Database, table: str, count: int, last: str) -> ChainBreak | None:
    tip_seq, tip_hash = chain_tip(db, table)
    if (tip_seq, tip_hash) == (count, last):
        return None
    if tip_seq > count:
        return ChainBreak(table, count + 1, f"the chain ends at row {count} but {tip_seq} rows "
                          f"were recorded (rows deleted from the end)")
    return ChainBreak(table, count or None, f"the last row does not match the recorded chain "
                      f"tip ({tip_seq} rows ending {tip_hash[:12]})")
