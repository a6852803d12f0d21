"""The product registry: which version of a product is in force when, and who said so.

Lifecycle of a version (``PRODUCT_ID@VERSION``; the version comes from the
product file's ``version:``)::

    publish FILE ──> draft ──approve──> approved ──publish──> published
                       │                   │                     │
                       └─────────retire────┴─────────retire──────┴──> retired

- ``publish FILE --effective-from D [--effective-to D] --by NAME`` registers a
  new version as a **draft**: the YAML text, its content hash and the
  effective window are stored. It is refused if the product does not load,
  if a publish gate fails (the store's `gates`: by default the product must
  compile and its sample case check; the CLI adds lint errors and failing
  suites, `configurator.runs.gates`), if the window is outside
  the product's own ``effective_from``/``effective_to``, if the same content
  is already registered under another version number, or if the window
  overlaps another *published* version of the product.
- ``approve ID@VERSION --by NAME``: draft -> approved. Four eyes: the person
  who registered the version cannot approve it.
- ``publish ID@VERSION --by NAME`` (or ``publish FILE`` again, same content):
  approved -> published; publishing is the last step. The overlap check runs
  again here under the write lock, so two versions racing to publish cannot
  both win.
- **Supersession** (`supersession`): a new version whose window starts inside a
  published version's window (after its first day, running at least as long)
  is registered as that version's *successor*, proposing to end it the day
  before the successor starts. Approving a successor records the sha256 of
  the diff the reviewer approved against its predecessor
  (`compliance.approval`); publishing it ends the predecessor's window in the
  same transaction, logged as ``end-date`` naming the publisher and the
  approver. ``ID@DATE`` then resolves to whichever was in force that day.
- ``retire ID@VERSION --by NAME``: draft, approved or published -> retired.
  A retired version no longer resolves by date and no longer blocks an
  overlapping window; ``ID@VERSION`` still loads it, so old audit rows can be
  re-checked. Retired is final.

Every other move is refused with a message that says what to do instead. A
version's content never changes: registering different content under an
existing ``ID@VERSION`` is refused (bump the version).

Effective windows are whole days, **both ends inclusive** (as in product
files): ``effective_from`` is the first day in force, ``effective_to`` the
last, and no ``effective_to`` means open-ended. Windows [1 Jan, 31 Dec] and
[1 Jan next year, -] do not overlap; [.., 31 Dec] and [31 Dec, ..] do.

`resolve_product` accepts a path, ``id@version`` or ``id@YYYY-MM-DD`` (the
published version whose window contains that day). Every state change is one
transaction that updates ``versions`` and appends to the hash-chained
``registry_log``; `configurator.audit.verify` replays the log against
``versions``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..cases.illustration import illustration_case
from ..compiler.compile import compile_product
from ..errors import ConfigError, did_you_mean
from ..product.load import load, loads
from ..product.model import Product
from .db import (
    Clock,
    StoreError,
    append_chained,
    connect,
    database_path,
    sha256_text,
    timestamp,
    transaction,
    utc_now,
)
from .faults import require_text
from .supersession import end_date, log_entries, still_superseded, supersedable
from .versions import (
    NotFound,
    VersionRecord,
    is_ref,
    parse_ref,
    substance_hash,
    version_key,
)

__all__ = [
    "DEFAULT_GATES", "LifecycleError", "NotFound", "PublishRefused", "Store", "StoreError",
    "VersionRecord", "resolve_product", "validation_gate",
]


PublishGate = Callable[[Product, "Path | None"], list[str]]


class LifecycleError(StoreError):
    """A lifecycle move that is not allowed from the version's current status."""


class PublishRefused(StoreError):
    """Publishing refused; `reasons` lists every reason at once."""

    def __init__(self, subject: str, reasons: list[str]):
        self.reasons = reasons
        lines = "\n".join(f"  - {r}" for r in reasons)
        super().__init__(f"cannot publish {subject}:\n{lines}")


# ------------------------------------------------------------ publish gates


def validation_gate(product: Product, path: Path | None) -> list[str]:
    """The product compiles into the safe durable-rules subset and its sample case checks."""
    try:
        compile_product(product)
        illustration_case(product)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


DEFAULT_GATES: tuple[PublishGate, ...] = (validation_gate,)


# ------------------------------------------------------------ the store


class Store:
    """An open configurator database: the registry here, the audit trail in `audit`.

    `clock` stamps records (wall-clock UTC by default; tests inject their own).
    `gates` refuse registering a version that fails them (default: it must
    compile; `configurator.runs.gates` adds lint and the scenario suites).
    `readonly` opens the file for reading only (see `db.connect`): reading
    works on a read-only file, and every change is refused.
    """

    def __init__(self, path: str | Path | None = None, *, clock: Clock = utc_now,
                 create: bool = True, gates: tuple[PublishGate, ...] = DEFAULT_GATES,
                 readonly: bool = False):
        self.path = database_path(path)
        self.clock = clock
        self.gates = gates
        self.readonly = readonly
        self.db: Database = connect(self.path, create=create and not readonly,
                                    readonly=readonly)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def now(self) -> str:
        return timestamp(self.clock)

    # -------------------------------------------------------- reading

    def get(self, product_id: str, version: str) -> VersionRecord | None:
        row = next(self.db.query("SELECT * FROM versions WHERE product_id = ? AND version = ?",
                                 [product_id, version]), None)
        return VersionRecord.from_row(row) if row else None

    def history(self, product_id: str) -> list[VersionRecord]:
        """Every registered version of `product_id`, oldest version number first."""
        rows = self.db.query("SELECT * FROM versions WHERE product_id = ?", [product_id])
        records = sorted((VersionRecord.from_row(r) for r in rows),
                         key=lambda r: version_key(r.version))
        if not records:
            raise NotFound(f"no product '{product_id}' in the registry at {self.path}"
                           + _did_you_mean(self._product_ids(), product_id))
        return records

    def in_force(self, product_id: str, day: dt.date) -> VersionRecord:
        """The published version of `product_id` whose window contains `day`."""
        published = [r for r in self.history(product_id) if r.status == "published"]
        found = [r for r in published if r.in_force_on(day)]
        if found:
            return found[0]  # windows of published versions never overlap
        windows = ", ".join(f"{r.version} {r.window}" for r in published) or "none"
        raise NotFound(f"no version of {product_id} is in force on {day} "
                       f"(published: {windows})")

    def record_for(self, ref: str) -> VersionRecord:
        """The registered version named by ``id@version`` or ``id@DATE``."""
        parsed = parse_ref(ref)
        if parsed is None:
            raise NotFound(f"'{ref}' is not a registry reference; write PRODUCT_ID@VERSION "
                           f"(e.g. hepatitis_b@1.0.0) or PRODUCT_ID@YYYY-MM-DD")
        product_id, at = parsed
        if isinstance(at, dt.date):
            return self.in_force(product_id, at)
        record = self.get(product_id, at)
        if record is None:
            known = ", ".join(r.version for r in self.history(product_id))
            raise NotFound(f"{product_id} has no version {at} (registered: {known})")
        return record

    def product(self, ref: str) -> Product:
        """Load the product named by ``id@version`` or ``id@DATE`` from its stored YAML."""
        return self.load_version(self.record_for(ref))

    def load_version(self, record: VersionRecord) -> Product:
        row = next(self.db.query("SELECT content, content_sha256 FROM versions WHERE "
                                 "product_id = ? AND version = ?",
                                 [record.product_id, record.version]), None)
        if row is None:
            raise NotFound(f"{record.ref} disappeared from the registry while it was read")
        require_text(row, f"versions row {record.ref}", ("content", "content_sha256"))
        if sha256_text(row["content"]) != row["content_sha256"]:
            raise StoreError(f"the stored text of {record.ref} does not match its hash; the "
                             f"registry was edited (run 'configurator audit verify')")
        product = loads(row["content"], file=record.ref)
        if product.hash != record.hash:
            raise StoreError(f"{record.ref} now loads with hash {product.hash}, not the "
                             f"registered {record.hash}; this configurator reads the product "
                             f"differently from the one that registered it")
        return product

    def _product_ids(self) -> list[str]:
        return [r["product_id"] for r in self.db.query(
            "SELECT DISTINCT product_id FROM versions") if isinstance(r["product_id"], str)]

    # -------------------------------------------------------- lifecycle

    def publish(self, source: str | Path, *, by: str, effective_from: dt.date | None = None,
                effective_to: dt.date | None = None,
                gates: list[PublishGate] | None = None) -> VersionRecord:
        """Register a product file as a draft, or publish an approved version.

        `source` is a product file or ``id@version``. A file whose id and
        version are already registered with the same content stands for that
        version (and is published if approved).
        """
        by = _person(by)
        if is_ref(source):
            return self._publish_registered(self.record_for(str(source)), by, effective_from,
                                            effective_to)
        path = Path(source)
        product = load(path)
        existing = self.get(product.id, product.version)
        if existing is not None:
            _same_content(existing, product)
            return self._publish_registered(existing, by, effective_from, effective_to)
        return self._register(product, path, by, effective_from, effective_to, gates)

    def approve(self, ref: str | Path, *, by: str,
                diff_sha256: str | None = None) -> VersionRecord:
        """draft -> approved, by someone other than the person who registered it.

        A successor's approval records `diff_sha256`, the hash of the diff against
        its predecessor that the reviewer approved (`compliance.approval.reviewed_diff`).
        """
        by = _person(by)
        record = self._registered(ref)
        _require(record, "approved", ("draft",))
        if by.casefold() == record.registered_by.casefold():
            raise LifecycleError(f"{record.ref} was registered by {record.registered_by}, who "
                                 f"cannot also approve it (four eyes); ask a reviewer")
        extra = {}
        if record.supersedes:
            if not (isinstance(diff_sha256, str) and SHA256.match(diff_sha256)):
                raise LifecycleError(
                    f"{record.ref} supersedes {record.predecessor}: its approval records the "
                    f"sha256 of the diff the reviewer approved against it; review "
                    f"'configurator diff {record.predecessor} {record.ref}' first")
            extra = {"approved_diff_sha256": diff_sha256}
        return self._move(record, "approved", by, "approve", extra=extra)

    def log(self, product_id: str) -> list[dict[str, Any]]:
        """The registry's audit trail for `product_id`, oldest first (who did what when)."""
        return log_entries(self, product_id)

    def retire(self, ref: str | Path, *, by: str) -> VersionRecord:
        """draft, approved or published -> retired (final)."""
        record = self._registered(ref)
        _require(record, "retired", ("draft", "approved", "published"))
        return self._move(record, "retired", _person(by), "retire")

    def registered(self, ref: str | Path) -> VersionRecord:
        """The registered version named by a reference or by its product file."""
        return self._registered(ref)

    def _registered(self, ref: str | Path) -> VersionRecord:
        if is_ref(ref):
            return self.record_for(str(ref))
        product = load(ref)
        record = self.get(product.id, product.version)
        if record is None:
            raise NotFound(f"{product.id}@{product.version} ({ref}) is not registered; "
                           f"run 'configurator publish {ref}' first")
        _same_content(record, product)
        return record

    def _register(self, product: Product, path: Path, by: str, start: dt.date | None,
                  end: dt.date | None, gates: list[PublishGate] | None) -> VersionRecord:
        subject = f"{product.id}@{product.version}"
        if start is None:
            raise PublishRefused(subject, ["--effective-from is required to register a new "
                                           "version (the first day it is in force)"])
        end = end if end is not None else product.effective_to
        reasons = [m for gate in (self.gates if gates is None else gates)
                   for m in gate(product, path)]
        reasons += _window_problems(product, start, end)
        content = path.read_text(encoding="utf-8")
        with transaction(self.db, "publish"):
            if self.get(product.id, product.version) is not None:
                raise PublishRefused(subject, ["it was registered by someone else meanwhile; "
                                               "see 'configurator history'"])
            reasons += self._duplicate_problems(product)
            predecessor = supersedable(self, product.id, product.version, start, end)
            reasons += self._overlap_problems(product.id, product.version, start, end,
                                              predecessor)
            if reasons:
                raise PublishRefused(subject, reasons)
            row = self._draft_row(product, content, start, end, by)
            row["supersedes"] = predecessor.version if predecessor else None
            self.db["versions"].insert(row)
            self._log(row["registered_at"], product.id, product.version, "register", by, {
                "hash": product.hash, "content_sha256": row["content_sha256"],
                "substance_hash": row["substance_hash"],
                "effective_from": row["effective_from"], "effective_to": row["effective_to"],
                **({"supersedes": row["supersedes"]} if predecessor else {})})
        return VersionRecord.from_row(row)

    def _draft_row(self, product: Product, content: str, start: dt.date, end: dt.date | None,
                   by: str) -> dict[str, Any]:
        return {"product_id": product.id, "version": product.version, "status": "draft",
                "hash": product.hash, "substance_hash": substance_hash(product),
                "content": content, "content_sha256": sha256_text(content),
                "effective_from": start.isoformat(),
                "effective_to": end.isoformat() if end else None,
                "registered_by": by, "registered_at": self.now()}

    def _publish_registered(self, record: VersionRecord, by: str, start: dt.date | None,
                            end: dt.date | None) -> VersionRecord:
        if (start and start != record.effective_from) or (end and end != record.effective_to):
            raise LifecycleError(f"{record.ref} was registered for {record.window}; the window "
                                 f"of a registered version cannot change (register a new "
                                 f"version instead)")
        if record.status == "draft":
            raise LifecycleError(f"{record.ref} is a draft awaiting approval; run 'configurator "
                                 f"approve {record.ref} --by REVIEWER' first")
        _require(record, "published", ("approved",))
        with transaction(self.db, "publish"):
            current = self.get(record.product_id, record.version) or record
            predecessor = still_superseded(self, current)
            reasons = self._overlap_problems(record.product_id, record.version,
                                             record.effective_from, record.effective_to,
                                             predecessor)
            if reasons:
                raise PublishRefused(record.ref, reasons)
            if predecessor is not None:
                end_date(self, predecessor, current, by)
            return self._move(record, "published", by, "publish", in_transaction=True)

    def _move(self, record: VersionRecord, status: str, by: str, action: str,
              in_transaction: bool = False, extra: dict[str, str] | None = None
              ) -> VersionRecord:
        """Change a version's status (and the `extra` columns) and log it, in one
        transaction."""
        if not in_transaction:
            with transaction(self.db, action):
                return self._move(record, status, by, action, True, extra)
        current = self.get(record.product_id, record.version)
        _require(current, status, _FROM[status])  # re-read under the write lock
        at = self.now()
        self.db["versions"].update((record.product_id, record.version), {
            "status": status, f"{status}_by": by, f"{status}_at": at, **(extra or {})})
        self._log(at, record.product_id, record.version, action, by,
                  {"status": status, **(extra or {})})
        return self.get(record.product_id, record.version)

    def _log(self, at: str, product_id: str, version: str, action: str, by: str,
             detail: dict[str, Any]) -> None:
        append_chained(self.db, "registry_log", [{
            "at": at, "product_id": product_id, "version": version, "action": action,
            "by": by, "detail": json.dumps(detail, sort_keys=True)}])

    def _duplicate_problems(self, product: Product) -> list[str]:
        same = self.db.query("SELECT version, status FROM versions WHERE product_id = ? AND "
                             "substance_hash = ?", [product.id, substance_hash(product)])
        return [f"the content is identical to registered version {r['version']} "
                f"({r['status']}); only the version number differs" for r in same]

    def _overlap_problems(self, product_id: str, version: str, start: dt.date,
                          end: dt.date | None,
                          superseded: VersionRecord | None = None) -> list[str]:
        """Published windows [start, end] overlaps, but for the one it `superseded`."""
        mine = f"{start.isoformat()}..{end.isoformat() if end else ''}"
        rows = self.db.query("SELECT * FROM versions WHERE product_id = ? AND status = "
                             "'published' AND version != ?", [product_id, version])
        skip = superseded.version if superseded else None
        return [f"its window {mine} ({product_id}@{version}) overlaps published "
                f"{other.ref} {other.window}; start after its first day and run at least "
                f"as long to supersede it, retire it, or choose dates outside it"
                for other in map(VersionRecord.from_row, rows)
                if other.overlaps(start, end) and other.version != skip]


_FROM = {"approved": ("draft",), "published": ("approved",),
         "retired": ("draft", "approved", "published")}


def _require(record: VersionRecord | None, target: str, allowed: tuple[str, ...]) -> None:
    if record is None:
        raise NotFound("the version disappeared while it was being changed")
    if record.status not in allowed:
        verb = {"approved": "approve", "published": "publish", "retired": "retire"}[target]
        raise LifecycleError(f"cannot {verb} {record.ref}: it is {record.status} (only a "
                             f"{' or '.join(allowed)} version can be {target})")


def _same_content(record: VersionRecord, product: Product) -> None:
    if record.hash != product.hash:
        raise PublishRefused(record.ref, [
            f"{record.ref} is already registered with different content (hash {record.hash}, "
            f"this file {product.hash}); a registered version never changes, so bump the "
            f"version number"])


def _window_problems(product: Product, start: dt.date, end: dt.date | None) -> list[str]:
    problems = []
    if end is not None and end < start:
        problems.append(f"--effective-to {end} is before --effective-from {start}")
    if start < product.effective_from:
        problems.append(f"--effective-from {start} is before the product's own effective_from "
                        f"{product.effective_from}")
    if product.effective_to and (end is None or end > product.effective_to):
        problems.append(f"the window must end by the product's own effective_to "
                        f"{product.effective_to}")
    return problems


SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_PERSON = 200


def _person(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise StoreError("say who is doing this with --by NAME")
    if len(name) > MAX_PERSON or not name.isprintable():
        raise StoreError(f"--by must name a person in at most {MAX_PERSON} printable "
                         f"characters (no control characters or line breaks)")
    return name


def _did_you_mean(choices: list[str], name: str) -> str:
    hint = did_you_mean(name, choices)
    return f"; {hint}" if hint else ""


# ------------------------------------------------------------ resolving products


def resolve_product(ref: str | Path, db: str | Path | None = None) -> Product:
    """A product from a file path, ``id@version`` or ``id@YYYY-MM-DD``.

    Paths load directly and never touch the database; references read the
    registry at `db` (default: ``$CONFIGURATOR_DB`` or ``configurator.db``).
    A date picks the published version whose window (both ends inclusive)
    contains it.
    """
    if not is_ref(ref):
        return load(ref)
    with Store(db, readonly=True) as store:
        return store.product(str(ref))
