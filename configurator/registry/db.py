"""The SQLite file behind the registry and the audit trail: connection, schema, chains.

One database file (default ``configurator.db`` in the working directory; the
``--db`` option or the ``CONFIGURATOR_DB`` environment variable point
elsewhere) holds the product registry and the audit trail. It is opened through
sqlite-utils with:

- **WAL mode**, so readers never block the writer and two processes can write
  to the same file (one at a time; SQLite serialises them).
- **16 KiB pages** in a new file (`PAGE_SIZE`; SQLite's default is 4 KiB): an audit row
  holds its whole Outcome (~7 KB), which on 4 KiB pages spills into a chain of overflow
  pages, each its own WAL frame. A file made before keeps its pages (SQLite changes them
  only by a ``VACUUM`` out of WAL mode, which copies the whole file).
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
- **Read-only opening** for commands that only read (``history``, ``audit
  show``, ``audit verify``, loading ``id@version``): ``mode=ro``, no WAL switch,
  no migration, so they work on a read-only file or folder and never change
  the evidence they read. An older schema is read as it is (schema 1 has no
  ``documents`` table; its rows name no engine version); the next command
  that writes upgrades it.
- **Damage is a message, never a traceback**: every SQLite error becomes a
  `faults.DatabaseFault` (a `StoreError`); a file with no configurator schema
  (an empty, truncated file) is refused rather than read as an empty registry.

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
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from ..errors import StoreError
from .canonical import canonical, canonical_row, sha256_text  # noqa: F401  (the chains' JSON)
from .faults import DatabaseFault, GuardedConnection, odd_column, open_connection

DEFAULT_DB = "configurator.db"
ENV_DB = "CONFIGURATOR_DB"
SCHEMA_VERSION = 4
GENESIS = "0" * 64
CHAINS = ("registry_log", "evaluations", "documents")
# the tables each schema version has (an older schema is read as it is, read-only)
TABLES = {1: ("meta", "versions", "registry_log", "evaluations"),
          2: ("meta", "versions", "registry_log", "evaluations", "documents"),
          3: ("meta", "versions", "registry_log", "evaluations", "documents"),
          4: ("meta", "versions", "registry_log", "evaluations", "documents")}
TIP = re.compile(r"^(\d{1,18}) ([0-9a-f]{64})$")

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


# ------------------------------------------------------------ connection


def connect(path: Path, create: bool = True, readonly: bool = False,
            require_schema: bool = True) -> Database:
    """Open the database at `path` for writing (WAL, schema brought up to date; a new file
    only if `create`) or, with `readonly`, for reading only (``mode=ro``: nothing is
    written, no migration, no WAL switch; an older schema is read as it is).

    Refused as a `StoreError`: a missing file (unless `create`), a file with no
    configurator schema (an empty file, or another program's database; a new or
    empty file is given one only by a writing open with `create`), a newer schema,
    and anything SQLite cannot open. `require_schema=False` (read-only) lets
    `integrity.verify_database` report those itself.
    """
    existed = _exists(path)
    if not create and not existed:
        raise StoreError(f"no configurator database at {path}; publish a product first, or "
                         f"point --db or ${ENV_DB} at one")
    if existed and path.is_dir():
        raise StoreError(f"{path} is a directory, not a configurator database")
    connection = _open_readonly(path) if readonly else open_connection(path, str(path))
    try:
        db = Database(connection)
        if require_schema or not readonly:
            check_schema(db, path, may_create=create and not readonly)
        if not readonly:
            _pragmas(db)
            migrate(db)
    except BaseException:
        connection.close()
        raise
    return db


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:
        raise StoreError(f"cannot reach the configurator database {path} ({exc.strerror})"
                         ) from exc


def _open_readonly(path: Path) -> GuardedConnection:
    """``mode=ro``. A WAL database in a folder we cannot write, without its -shm file,
    cannot be opened that way; nobody can be writing it (a writer needs those files), so
    it opens ``immutable`` instead - unless a -wal file beside it holds changes."""
    target = f"file:{quote(str(path))}"
    try:
        connection = open_connection(path, f"{target}?mode=ro", uri=True)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except DatabaseFault as exc:
        folder = path.parent
        if (exc.kind not in ("read-only", "cannot open") or not path.is_file()
                or os.access(folder, os.W_OK) or Path(f"{path}-shm").exists()):
            raise
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size:
            raise StoreError(f"{path} cannot be read here: its write-ahead log {wal.name} holds "
                             f"changes and its folder is read-only ({exc.detail}); open it once "
                             f"with write access, or copy the database with its -wal file "
                             f"to a writable folder") from exc
    return open_connection(path, f"{target}?mode=ro&immutable=1", uri=True)


PAGE_SIZE = 16384  # bytes; batches of audit rows: 19 µs of SQLite's CPU a row against 29 at 4 KiB


def _pragmas(db: Database) -> None:
    if db.journal_mode != "wal":
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a file with pages already: no effect
        db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")


@contextlib.contextmanager
def transaction(db: Database, pause_point: str | None = None) -> Iterator[Database]:
    """One write transaction: ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` on error.

    A failed ``COMMIT`` (a full disk) rolls back too; nothing of the transaction stays.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        if pause_point:
            pause_for_tests(pause_point)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(StoreError):  # SQLite may have rolled back already
            db.rollback()
        raise


@contextlib.contextmanager
def snapshot(db: Database) -> Iterator[Database]:
    """One read transaction: every query inside sees the same rows, while writers carry on
    (WAL); a reader that goes over rows twice - checks them all, then shows them - shows
    what it checked."""
    db.execute("BEGIN")
    try:
        yield db
    finally:
        with contextlib.suppress(StoreError):
            db.rollback()


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


def user_tables(db: Database) -> list[str]:
    """The names of the tables in the file (SQLite's own ``sqlite_*`` tables left out)."""
    return [str(r["name"]) for r in db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]


class NoSchema(StoreError):
    """The file holds no configurator schema: empty (truncated?), or another program's."""


def check_schema(db: Database, path: Path, may_create: bool = False) -> int:
    """The file's schema version, refusing a newer one and a file with no configurator
    schema (unless `may_create` and it is empty: a new registry)."""
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(f"the database has schema version {version}, newer than this "
                         f"configurator understands ({SCHEMA_VERSION}); upgrade configurator")
    if version == 0:
        tables = user_tables(db)
        if tables:
            raise NoSchema(f"{path} is not a configurator database: it holds tables "
                           f"({', '.join(tables[:6])}) but no configurator schema; point --db "
                           f"or ${ENV_DB} at the configurator database")
        if not may_create:
            raise NoSchema(f"{path} holds no registry or audit trail: the file is empty "
                           f"({_size(path)}); it was truncated or is not the configurator "
                           f"database: restore it from a backup, or delete it and publish a "
                           f"product to start a new registry")
    return version


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size:,} bytes"
    except OSError:
        return "size unknown"


def migrate(db: Database) -> None:
    """Bring the schema up to `SCHEMA_VERSION` in place, in one write transaction."""
    if schema_version(db) == SCHEMA_VERSION:
        return
    with transaction(db):
        current = schema_version(db)  # again, under the write lock
        if current > SCHEMA_VERSION:
            raise StoreError(f"the database has schema version {current}, newer than this "
                             f"configurator understands ({SCHEMA_VERSION}); upgrade configurator")
        if current == 0 and user_tables(db):
            raise NoSchema("the database gained tables of another program while it was being "
                           "set up; point --db at the configurator database")
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


def _upgrade_v2_to_v3(db: Database) -> None:
    """Schema 3: decisions and issued documents name who recorded them (the server's user).

    Rows recorded before keep ``user`` NULL (not known): outside the row hash.
    """
    db["evaluations"].add_column("user", str)
    db["documents"].add_column("user", str)


def _upgrade_v3_to_v4(db: Database) -> None:
    """Schema 4: supersession. A version names the published version it supersedes (set
    when it is registered), the version that ended its window (set when that one is
    published) and the hash of the diff its reviewer approved against its predecessor.

    Versions registered before keep the three NULL: they supersede nothing.
    """
    for column in ("supersedes", "superseded_by", "approved_diff_sha256"):
        db["versions"].add_column(column, str)


def _create_chain(db: Database, table: str, columns: dict[str, type]) -> None:
    db[table].create({"seq": int, **columns, "prev_hash": str, "hash": str}, pk="seq",
                     not_null={"prev_hash", "hash"})


MIGRATIONS: dict[int, Callable[[Database], None]] = {0: _create_v1, 1: _upgrade_v1_to_v2,
                                                    2: _upgrade_v2_to_v3, 3: _upgrade_v3_to_v4}


# ------------------------------------------------------------ meta


def meta_get(db: Database, key: str) -> str | None:
    row = next(db.query("SELECT value FROM meta WHERE key = ?", [key]), None)
    return row["value"] if row else None


def meta_set(db: Database, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
               "value = excluded.value", [key, value])


# ------------------------------------------------------------ hash chains


def row_digest(row: dict[str, Any]) -> str:
    """The hash of one chained row: its non-null columns except `seq` and `hash`."""
    content = {k: v for k, v in row.items() if k not in ("seq", "hash") and v is not None}
    return sha256_text(canonical_row(content))


class MalformedTip(StoreError):
    """The chain tip kept in `meta` is not ``SEQ HASH``: the table was edited by hand."""


def chain_tip(db: Database, table: str) -> tuple[int, str]:
    """(last seq, last hash) of a chain, from `meta`; (0, GENESIS) when empty."""
    value = meta_get(db, f"tip:{table}")
    if value is None:
        return 0, GENESIS
    match = TIP.match(value) if isinstance(value, str) else None
    if match is None:
        raise MalformedTip(f"its recorded tip in meta is malformed ({str(value)[:40]!r}, not "
                           f"'SEQ HASH')")
    return int(match[1]), match[2]


def append_chained(db: Database, table: str, rows: list[dict[str, Any]]) -> list[int]:
    """Append `rows` to a chain; call inside `transaction` (the tip is read under the lock).

    Refused (nothing written) when the table's last row is not the recorded tip: a
    row was added, removed or renumbered outside configurator.
    """
    seq, previous = _intact_tip(db, table)
    numbers = []
    for row in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, previous
        row["hash"] = previous = row_digest(row)
        numbers.append(seq)
    if rows:
        columns = list(rows[0])
        names = ", ".join(f"[{c}]" for c in columns)
        marks = ", ".join("?" * len(columns))
        db.conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({marks})",
                            [[row[c] for c in columns] for row in rows])
        meta_set(db, f"tip:{table}", f"{seq} {previous}")
    return numbers


def _intact_tip(db: Database, table: str) -> tuple[int, str]:
    try:
        tip = chain_tip(db, table)
        last = next(db.query(f"SELECT seq, hash FROM [{table}] ORDER BY seq DESC LIMIT 1"), None)
        if ((last["seq"], last["hash"]) if last else (0, GENESIS)) == tip:
            return tip
        found = verify_chain(db, table)[1] or ChainBreak(table, None, "its last row is not "
                                                         "the recorded tip")
    except MalformedTip as exc:
        found = ChainBreak(table, None, str(exc))
    raise StoreError(f"nothing was recorded: the {table} chain does not verify ({found}); the "
                     f"audit trail was altered outside configurator: run 'configurator audit "
                     f"verify' and restore the database from a backup")


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
    """Walk a chain in `seq` order; (rows seen, first break or None).

    A row that is not what configurator writes (binary or non-UTF-8 text, a
    seq that is not a row number) is a break like any other edit.
    """
    expected, previous, count = 1, GENESIS, 0
    for row in db.query(f"SELECT * FROM [{table}] ORDER BY seq"):
        problem = _check_link(row, expected, previous)
        if problem:
            seq = row.get("seq")
            return count, ChainBreak(table, seq if type(seq) is int else None, problem)
        expected, previous, count = row["seq"] + 1, row["hash"], count + 1
    try:
        return count, _check_tip(db, table, count, previous)
    except MalformedTip as exc:
        return count, ChainBreak(table, None, str(exc))


def _check_link(row: dict[str, Any], expected: int, previous: str) -> str | None:
    seq = row.get("seq")
    if type(seq) is not int:
        return f"a row's seq is {str(seq)[:20]!r}, not a row number (the table was altered)"
    if seq < expected:
        return f"row {seq} appears more than once (the table was altered)"
    if seq != expected:
        missing = (f"row {expected} is missing" if seq == expected + 1
                   else f"rows {expected} to {seq - 1} are missing")
        return f"{missing} (deleted, or the rows were renumbered)"
    odd = odd_column(row)
    if odd:
        return f"{odd} (the row was altered outside configurator)"
    if row_digest(row) != row.get("hash"):
        return "its content does not match its hash (the row was edited)"
    if row.get("prev_hash") != previous:
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
    if tip_seq < count:
        return ChainBreak(table, tip_seq + 1, f"the chain was recorded up to row {tip_seq}, so "
                          f"rows from {tip_seq + 1} on were added outside configurator")
    return ChainBreak(table, count or None, f"the last row does not match the recorded chain "
                      f"tip ({tip_seq} rows ending {tip_hash[:12]})")
