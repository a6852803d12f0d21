"""``audit verify``: is the database file what configurator wrote, and only that?

In one read snapshot, and reporting every finding at once:

1. SQLite's own ``PRAGMA integrity_check`` (pages, records, indexes): a page
   corrupted on disk is named even where no chain would notice it;
2. the schema: a file that is empty (truncated to 0 bytes) or holds no
   configurator schema fails, it is not "ok, 0 rows"; so does a missing table, and
   a table whose columns are not the ones its schema version has;
3. every hash chain (`db.verify_chain`): the first row that is edited,
   missing, reordered, added by hand, or not decodable (binary or non-UTF-8
   text), named by table and seq;
4. the registry (``versions``) replayed against its hash-chained log.

A finding is ``CORRUPT`` (the file itself: SQLite's check, an unreadable or
missing table, no schema) or ``TAMPERED`` (content that is not what was
recorded). A file SQLite cannot open at all, or with a newer schema, is a
`StoreError` (``error: ...``, exit 2) rather than a finding.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .db import (
    CHAINS,
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLES,
    ChainBreak,
    StoreError,
    connect,
    database_path,
    schema_version,
    sha256_text,
    snapshot,
    user_tables,
    verify_chain,
)
from .faults import DatabaseFault, odd_column

INTEGRITY_LINES = 10  # SQLite's own findings shown (it can list thousands)
LOGGED = ("status", "hash", "content_sha256", "effective_from", "effective_to",
          "registered_by", "registered_at", "approved_by", "approved_at", "published_by",
          "published_at", "retired_by", "retired_at", "supersedes", "superseded_by",
          "approved_diff_sha256")
MOVED = ("approved_diff_sha256", "effective_to", "superseded_by")  # set by a later entry


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the file: ``CORRUPT`` or ``TAMPERED``, and what."""

    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


@dataclass
class Verification:
    """The result of `verify`: rows per chain (None: missing or unreadable), chain tips and
    every finding."""

    rows: dict[str, int | None]
    tips: dict[str, str]
    problems: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Any) -> Verification:
    """Verify the open `Store`'s database (see the module docstring)."""
    return verify_db(store.db, store.path)


def verify_database(path: str | Path | None = None) -> Verification:
    """Verify the database file at `path`, opened read-only: nothing is written to it.

    An empty or schema-less file, or one SQLite finds damaged, is a failed
    `Verification`; a file that does not exist, cannot be opened or is not a
    SQLite database at all is a `StoreError`.
    """
    path = database_path(path)
    try:
        db = connect(path, create=False, readonly=True, require_schema=False)
    except DatabaseFault as exc:
        if exc.kind != "damaged":
            raise
        return Verification({}, {}, [Finding("CORRUPT", f"SQLite cannot read the file "
                                                        f"({exc.detail})")])
    try:
        return verify_db(db, path)
    finally:
        db.close()


def verify_db(db: Database, path: Path) -> Verification:
    """Every check, in one read snapshot (WAL lets writers carry on meanwhile)."""
    with snapshot(db):
        return _verify(db, path)


def _verify(db: Database, path: Path) -> Verification:
    findings = integrity_findings(db)
    try:
        version, tables = schema_version(db), set(user_tables(db))
    except DatabaseFault as exc:
        return Verification({}, {}, findings + [Finding("CORRUPT", f"the schema cannot be read "
                                                                   f"({exc.detail})")])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} has schema version {version}, newer than this configurator "
                         f"understands ({SCHEMA_VERSION}); upgrade configurator")
    findings += schema_findings(path, version, tables)
    findings += _guarded(lambda: column_findings(db, version, tables), "the schema")
    rows, tips, intact = {}, {}, {}
    for table in CHAINS:
        if table in tables:
            rows[table], tips[table], problem = _walk(db, table)
            findings += [problem] if problem else []
            intact[table] = problem is None
    if intact.get("registry_log") and "versions" in tables:
        findings += _guarded(lambda: registry_problems(db), "versions")
    return Verification(rows, tips, findings)


def integrity_findings(db: Database) -> list[Finding]:
    """SQLite's ``integrity_check``: [] when it says ok."""
    try:
        lines = [str(r[0]) for r in db.execute("PRAGMA integrity_check").fetchall()]
    except DatabaseFault as exc:
        return [Finding("CORRUPT", f"SQLite integrity_check: {exc.detail}")]
    if lines == ["ok"]:
        return []
    shown = [Finding("CORRUPT", f"SQLite integrity_check: {line}")
             for line in lines[:INTEGRITY_LINES]]
    if len(lines) > INTEGRITY_LINES:
        shown.append(Finding("CORRUPT", f"SQLite integrity_check: and "
                                        f"{len(lines) - INTEGRITY_LINES} more"))
    return shown


def schema_findings(path: Path, version: int, tables: set[str]) -> list[Finding]:
    """An empty or foreign file, and the tables its schema version should have but lacks."""
    if version == 0:
        if tables:
            return [Finding("CORRUPT", f"{path} holds no configurator schema (tables: "
                                       f"{', '.join(sorted(tables)[:6])}); it is not the "
                                       f"configurator database")]
        size = path.stat().st_size if path.is_file() else 0
        return [Finding("CORRUPT", f"{path} holds no registry or audit trail: the file is "
                                   f"empty ({size:,} bytes); it was truncated or is not the "
                                   f"configurator database: restore it from a backup")]
    return [Finding("CORRUPT", f"{table}: the table is missing (dropped outside configurator)")
            for table in TABLES.get(version, ()) if table not in tables]


def column_findings(db: Database, version: int, tables: set[str]) -> list[Finding]:
    """Each table's columns as configurator made them at this schema version: an edit of
    the stored schema text (a byte flipped in SQLite's first page) can drop, rename or retype
    a column while every row, chain and index still reads as intact."""
    expected = _columns(version)
    return [Finding("CORRUPT", f"{table}: the table's columns are not the ones configurator "
                               f"made (the stored schema was altered): restore the database "
                               f"from a backup")
            for table in sorted(tables & set(expected)) if _table_columns(db, table)
            != expected[table]]


@functools.cache
def _columns(version: int) -> dict[str, list[tuple]]:
    """The columns of every table of schema `version`, from a fresh in-memory database."""
    fresh = Database(memory=True)
    for step in range(version):
        MIGRATIONS[step](fresh)
    return {table: _table_columns(fresh, table) for table in user_tables(fresh)}


def _table_columns(db: Database, table: str) -> list[tuple]:
    """(name, declared type, not null, default, primary key) of each column, in order."""
    return [tuple(row[1:]) for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def _walk(db: Database, table: str) -> tuple[int | None, str, Finding | None]:
    """(rows, tip, the first break or None) of one chain; an unreadable table is CORRUPT."""
    try:
        _, found = verify_chain(db, table)
        count = db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
        last = db.execute(f"SELECT hash FROM [{table}] ORDER BY seq DESC LIMIT 1").fetchone()
    except DatabaseFault as exc:
        return None, "-", Finding("CORRUPT", f"{table}: cannot be read ({exc.detail})")
    tip = last[0] if last and isinstance(last[0], str) else "-"
    return count, tip, Finding("TAMPERED", str(found)) if found else None


def _guarded(check: Any, table: str) -> list[Finding]:
    try:
        return check()
    except DatabaseFault as exc:
        return [Finding("CORRUPT", f"{table}: cannot be read ({exc.detail})")]


# ------------------------------------------------------------ the registry against its log


def registry_problems(db: Database) -> list[Finding]:
    """Replay the registry log and compare it with the `versions` table."""
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    problems = []
    for entry in db.query("SELECT * FROM registry_log ORDER BY seq"):
        try:
            _replay(expected, entry)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(Finding("TAMPERED", f"registry_log row {entry.get('seq')}: its "
                                                f"detail is not what configurator writes"))
    for row in db.query("SELECT * FROM versions ORDER BY product_id, version"):
        key = (row.get("product_id"), row.get("version"))
        problems += _version_problems(row, expected.pop(key, None))
    problems += [Finding("TAMPERED", f"versions: {pid}@{ver} is in the registry log but its "
                                     f"row was deleted") for pid, ver in expected]
    return problems


def _replay(expected: dict, entry: dict[str, Any]) -> None:
    key = (entry["product_id"], entry["version"])
    detail = json.loads(entry["detail"])
    if entry["action"] == "register":
        expected[key] = {"status": "draft", "hash": detail["hash"],
                         "content_sha256": detail["content_sha256"],
                         "effective_from": detail["effective_from"],
                         "effective_to": detail["effective_to"],
                         "registered_by": entry["by"], "registered_at": entry["at"]}
        if "substance_hash" in detail:  # logged since issue 10; older entries do not vouch
            expected[key]["substance_hash"] = detail["substance_hash"]
        if "supersedes" in detail:  # since schema 4
            expected[key]["supersedes"] = detail["supersedes"]
    elif key in expected:
        if entry["action"] != "end-date":
            status = detail["status"]
            expected[key].update({"status": status, f"{status}_by": entry["by"],
                                  f"{status}_at": entry["at"]})
        expected[key].update({name: detail[name] for name in MOVED if name in detail})


def _version_problems(row: dict[str, Any], want: dict[str, Any] | None) -> list[Finding]:
    ref = f"{row.get('product_id')!s:.40}@{row.get('version')!s:.20}"
    odd = odd_column(row)
    if odd:
        return [Finding("TAMPERED", f"versions: {ref}: {odd} (the row was altered outside "
                                    f"configurator)")]
    if want is None:
        return [Finding("TAMPERED", f"versions: {ref} has no registration in the registry log "
                                    f"(inserted directly)")]
    names = LOGGED + (("substance_hash",) if "substance_hash" in want else ())
    problems = [Finding("TAMPERED", f"versions: {ref} {name} is {row.get(name)!r} but the "
                                    f"registry log says {want.get(name)!r} (edited)")
                for name in names if row.get(name) != want.get(name)]
    content = row.get("content")
    if not isinstance(content, str) or sha256_text(content) != row.get("content_sha256"):
        problems.append(Finding("TAMPERED", f"versions: {ref} content does not match its "
                                            f"hash (edited)"))
    return problems


__all__ = ["ChainBreak", "Finding", "Verification", "verify", "verify_database"]
