"""What can go wrong with the database file, in words a user can act on.

Every connection the registry opens is a `GuardedConnection`: any error
SQLite reports - a corrupt page, a dropped table, a full disk, a read-only
file, a lock held too long - leaves it as a `DatabaseFault` (a `StoreError`,
so the CLI prints ``error: ...`` and exits 2) naming the file, the kind of
trouble in SQLite's own words, and what to do. No call site can forget to
translate, because none sees a raw ``sqlite3`` error. (Errors that can only
be bugs in configurator - a wrong number of parameters, a closed connection -
stay as they are.)

Text is read through `read_text`, which never fails: a value that is not
valid UTF-8 comes back as `Undecodable` (a ``bytes``), and a BLOB as
``bytes``; `odd_column` finds them, so readers refuse such rows by table and
row instead of crashing on them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..errors import StoreError

BUSY_TIMEOUT_SECONDS = 60.0

_AUDIT_HINT = "run 'configurator audit verify' to see what is wrong, and restore the file " \
              "from a backup"


class DatabaseFault(StoreError):
    """SQLite refused or failed; `kind` says which way, `detail` is SQLite's own message."""

    def __init__(self, path: str | Path, kind: str, detail: str):
        self.path, self.kind, self.detail = str(path), kind, detail
        super().__init__(_MESSAGES[kind].format(path=self.path, detail=detail,
                                                hint=_AUDIT_HINT,
                                                timeout=BUSY_TIMEOUT_SECONDS))


_MESSAGES = {
    "damaged": "{path} is damaged ({detail}): SQLite cannot read it, so nothing was changed; "
               "{hint}",
    "not a database": "{path} is not a configurator database ({detail}): --db or "
                      "$CONFIGURATOR_DB names another file, or the file's header is destroyed "
                      "(then restore it from a backup)",
    "schema": "{path} is missing part of its schema ({detail}): it was altered outside "
              "configurator; {hint}",
    "altered": "{path} refused the change ({detail}): the audit trail was altered outside "
               "configurator, so nothing was recorded; {hint}",
    "full": "the disk holding {path} is full ({detail}); nothing was recorded or changed: free "
            "some space and run the command again",
    "read-only": "{path} cannot be written ({detail}): registering, approving and recording "
                 "need write access to the file and its folder (history, audit show, audit "
                 "verify and evaluating without --record only read)",
    "cannot open": "cannot open {path} ({detail}): check that the file and its folder exist and "
                   "can be read (a database in WAL mode also needs its folder writable, or its "
                   "-wal and -shm files present)",
    "i/o": "reading or writing {path} failed ({detail}): the disk may be full, failing or over "
           "a size limit; nothing was recorded or changed, check the disk and run the command "
           "again",
    "busy": "the database {path} is busy ({detail}); another process held it for over "
            "{timeout:.0f}s, try again",
    "other": "{path}: SQLite failed ({detail}); nothing was recorded or changed",
}

# SQLite result codes (without their extended suffix) -> kind of trouble
_KINDS = {
    "SQLITE_CORRUPT": "damaged", "SQLITE_NOTADB": "not a database", "SQLITE_FORMAT": "damaged",
    "SQLITE_FULL": "full", "SQLITE_READONLY": "read-only", "SQLITE_PERM": "read-only",
    "SQLITE_AUTH": "read-only", "SQLITE_CANTOPEN": "cannot open", "SQLITE_IOERR": "i/o",
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_CONSTRAINT": "altered",
    "SQLITE_MISMATCH": "altered", "SQLITE_TOOBIG": "damaged", "SQLITE_RANGE": "damaged",
}
_SCHEMA_WORDS = ("no such table", "no such column", "malformed database schema",
                 "has no column named")


def fault(path: str | Path, exc: sqlite3.Error) -> DatabaseFault:
    """The `DatabaseFault` for a SQLite error met while using the database at `path`."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    base = "_".join(name.split("_")[:2])
    detail = str(exc) or name or type(exc).__name__
    kind = _KINDS.get(base)
    if kind is None:
        lowered = detail.lower()
        kind = "schema" if any(words in lowered for words in _SCHEMA_WORDS) else (
            "damaged" if "malformed" in lowered else "other")
    return DatabaseFault(path, kind, detail)


def _translated(connection: Any, call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise  # misuse of the API: a bug in configurator, not a damaged file
    except sqlite3.Error as exc:
        raise fault(getattr(connection, "path", "the database"), exc) from exc
    except UnicodeDecodeError as exc:  # a name in the schema, or SQLite's own message
        raise DatabaseFault(getattr(connection, "path", "the database"), "damaged",
                            "database disk image is malformed: text SQLite returned is not "
                            "UTF-8") from exc


class GuardedCursor(sqlite3.Cursor):
    """A cursor whose SQLite errors are `DatabaseFault`s (also while rows are fetched)."""

    def execute(self, *args: Any) -> GuardedCursor:
        return _translated(self.connection, super().execute, *args)

    def executemany(self, *args: Any) -> GuardedCursor:
        return _translated(self.connection, super().executemany, *args)

    def fetchone(self) -> Any:
        return _translated(self.connection, super().fetchone)

    def fetchmany(self, *args: Any) -> list[Any]:
        return _translated(self.connection, super().fetchmany, *args)

    def fetchall(self) -> list[Any]:
        return _translated(self.connection, super().fetchall)

    def __next__(self) -> Any:
        return _translated(self.connection, super().__next__)


class GuardedConnection(sqlite3.Connection):
    """A connection whose SQLite errors are `DatabaseFault`s naming `path`."""

    path: str = "the database"

    def cursor(self, factory: Any = GuardedCursor) -> Any:
        return _translated(self, super().cursor, factory)

    # sqlite3's own shortcuts make a plain Cursor; these make a guarded one
    def execute(self, *args: Any) -> Any:
        return self.cursor().execute(*args)

    def executemany(self, *args: Any) -> Any:
        return self.cursor().executemany(*args)

    def executescript(self, *args: Any) -> Any:
        return _translated(self, self.cursor().executescript, *args)

    def commit(self) -> None:
        _translated(self, super().commit)

    def rollback(self) -> None:
        _translated(self, super().rollback)


def open_connection(path: Path, target: str, uri: bool = False) -> GuardedConnection:
    """A `GuardedConnection` to `target` (a file name, or a ``file:`` URI), in autocommit."""
    try:
        connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS,
                                     isolation_level=None, uri=uri, factory=GuardedConnection)
    except sqlite3.Error as exc:
        raise fault(path, exc) from exc
    connection.path = str(path)
    connection.text_factory = read_text
    return connection


# ------------------------------------------------------------ rows that are not what we wrote


class Undecodable(bytes):
    """A TEXT value that is not valid UTF-8 (configurator never writes one)."""


def read_text(data: bytes) -> str:
    """SQLite TEXT as str; bytes that are not UTF-8 come back as `Undecodable`."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Undecodable(data)


def odd_column(row: dict[str, Any]) -> str | None:
    """Why a row cannot be what configurator wrote, naming the column; None if it can."""
    for column, value in row.items():
        if isinstance(value, Undecodable):
            return f"its {column} is text that is not valid UTF-8"
        if isinstance(value, bytes):
            return f"its {column} is binary data, not text"
    return None


def require_text(row: dict[str, Any], where: str, columns: tuple[str, ...],
                 optional: tuple[str, ...] = ()) -> None:
    """Refuse a row whose `columns` are not text (or, for `optional` ones, NULL)."""
    problem = odd_column(row)
    if problem is None:
        for column in columns + optional:
            value = row.get(column)
            if not isinstance(value, str) and not (value is None and column in optional):
                problem = f"its {column} is {'missing' if value is None else 'not text'}"
                break
    if problem:
        raise StoreError(f"{where} cannot be read: {problem}; the row was altered outside "
                         f"configurator ({_AUDIT_HINT})")
