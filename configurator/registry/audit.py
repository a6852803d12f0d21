"""The audit trail: which product version decided which case, what it decided, untouched.

One row per decided case (``evaluations``) and per issued document
(``documents``), each appended to its own hash chain (see `configurator.db`).
A row holds the recording time (UTC, from the store's clock), the product id,
version and content hash, the engine version, the case hash, a pseudonymous
case key and the Outcome JSON. It holds nothing personal:

- **Personal inputs never enter the database.** `Case.personal` (inputs the
  product marks ``personal: true``, and the policy holder's name) is kept out
  of the case hash and the Outcome; before a row is written, the Outcome text
  is checked to contain none of those values, and the write is refused if it
  does.
- **The case hash** is sha256 of the canonical JSON of the non-personal case:
  policy number and start, as_of, applicant inputs, events. Whoever holds the
  case file can prove it is the one that was decided.
- **The case key** is HMAC-SHA256 over the person's identity with a local
  secret, so the same person links across rows and nobody can read the
  identity back or test guesses without the secret. The identity is the
  applicant's national ID number (an input named ``id_number``) when the case
  has one, else all the applicant's personal inputs, else the policy number;
  a case with none of these has no key. The secret is 32 random bytes in a
  file beside the database (``configurator.db.key``, mode 0600), or the file
  named by ``$CONFIGURATOR_SECRET_FILE``. The database keeps only a
  fingerprint of it, so a different secret is noticed instead of silently
  breaking the links. Lose the secret and old keys can no longer be matched.

Batches (`BatchRecorder`) commit every `chunk` rows in one transaction: a
failure or a kill leaves whole committed chunks and nothing of the chunk in
flight. Recording is idempotent by (batch id, row number): run the same batch
again with the same id and rows already recorded are skipped (the case hash
must match, else the batch file changed and recording stops).

Recording requires the product version to be in the registry with the same
content hash, published or retired: drafts do not decide real cases. It also
requires the chain to end where it was last recorded (`db.append_chained`): a
row added or removed by hand makes it refuse with what ``audit verify`` says.

`audit_show` lists recorded decisions and refuses rows configurator cannot have
written; `verify` (in `integrity`, re-exported here) checks the whole file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cases.case import Case
from ..cases.outcome import Outcome
from ..compiler.safe_subset import ENGINE_VERSION
from ..files import create_private
from ..product.model import Product
from .db import (
    ChainBreak,
    StoreError,
    append_chained,
    canonical,
    meta_get,
    meta_set,
    sha256_text,
    transaction,
)
from .integrity import Verification, verify, verify_database
from .store import Store, VersionRecord

ENV_SECRET = "CONFIGURATOR_SECRET_FILE"
IDENTITY_INPUT = "id_number"
DEFAULT_CHUNK = 1_000  # rows a transaction: each commit waits for the disk (~5 ms here, WAL, FULL)


class PersonalDataLeak(StoreError):
    """An Outcome that contains a personal value; it is not recorded."""


# ------------------------------------------------------------ case hash and key


def case_hash(case: Case) -> str:
    """sha256 of the non-personal case (policy number and start, as_of, inputs, events)."""
    return sha256_text(canonical(case.public_data()))


def identity(case: Case) -> str | None:
    """What identifies the insured person: national ID, else personal inputs, else policy."""
    inputs = {k: _normal(v) for k, v in case.personal.items() if k != "holder" and v is not None}
    if inputs.get(IDENTITY_INPUT):
        return canonical({IDENTITY_INPUT: inputs[IDENTITY_INPUT]})
    if any(inputs.values()):
        return canonical(inputs)
    if case.policy_number:
        return canonical({"policy": case.policy_number})
    return None


def _normal(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def case_key(secret: bytes, case: Case) -> str | None:
    """HMAC-SHA256 of the case's identity under `secret`; None when nothing identifies it."""
    who = identity(case)
    if who is None:
        return None
    return hmac.new(secret, who.encode("utf-8"), hashlib.sha256).hexdigest()


def secret_path(store: Store) -> Path:
    return Path(os.environ.get(ENV_SECRET) or f"{store.path}.key")


def load_secret(path: Path) -> bytes:
    """The case-key secret at `path`, created (0600, atomically) if it does not exist.

    Refused as a `StoreError` naming the file: one that cannot be read or created
    (permissions, a full disk), is not a regular file, is readable by others, or
    does not hold at least 16 bytes written in hex.
    """
    try:
        if not path.exists():
            create_private(path, (secrets.token_hex(32) + "\n").encode())
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"the case-key secret {path} is not a file; move it away (a new "
                             f"secret breaks the links to earlier case keys) or set "
                             f"${ENV_SECRET} to the secret file")
        if info.st_mode & 0o077:
            raise StoreError(f"the case-key secret {path} is readable by other users; run "
                             f"'chmod 600 {path}'")
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(f"cannot read or create the case-key secret {path} ({reason}); "
                         f"check the file, its folder and the free space, or set "
                         f"${ENV_SECRET} to the secret file; nothing was recorded") from exc
    try:
        secret = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) < 16:
        raise StoreError(f"the case-key secret {path} is not at least 16 bytes written in hex; "
                         f"restore the secret the database's case keys were made with")
    return secret


def _fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"configurator case-key fingerprint", hashlib.sha256).hexdigest()[:16]


def _check_fingerprint(store: Store, secret: bytes, path: Path) -> None:
    """Inside a write transaction: the secret is the one earlier keys were made with."""
    mine, known = _fingerprint(secret), meta_get(store.db, "case_key_fingerprint")
    if known is None:
        meta_set(store.db, "case_key_fingerprint", mine)
    elif known != mine:
        raise StoreError(f"the case-key secret {path} is not the one this database's case keys "
                         f"were made with (fingerprint {known}); restore that file or set "
                         f"${ENV_SECRET} to it")


def case_digests(secret: bytes, case: Case, *texts: str) -> tuple[str, str | None]:
    """(case hash, case key); a case (or text to record) that cannot be written as UTF-8
    - a lone surrogate the case check let through - is refused, nothing recorded."""
    try:
        for text in texts:
            text.encode("utf-8")
        return case_hash(case), case_key(secret, case)
    except UnicodeEncodeError as exc:
        raise StoreError(f"the case holds text that is not valid Unicode ({exc.reason}: "
                         f"{exc.object[exc.start:exc.end]!a}); nothing was recorded") from exc


# ------------------------------------------------------------ recording


def evaluation_row(product: Product, secret: bytes, case: Case, outcome: Outcome,
                   batch: tuple[str, int] | None = None) -> dict[str, Any]:
    """The audit row for one decided case, before chaining (pure: batch workers build it)."""
    text = canonical(outcome.to_json())
    _refuse_personal(case, text)
    hashed, key = case_digests(secret, case, text)
    return {"recorded_at": None, "product_id": product.id,
            "product_version": product.version, "product_hash": product.hash,
            "engine_version": ENGINE_VERSION, "case_hash": hashed,
            "case_key": key, "decision": outcome.decision,
            "outcome": text, "batch_id": batch[0] if batch else None,
            "batch_row": batch[1] if batch else None}


class Recorder:
    """Writes audit rows for one product version into one store."""

    def __init__(self, store: Store, product: Product):
        self.store = store
        self.product = product
        self.version = registered_for_audit(store, product)
        self.secret_file = secret_path(store)
        self.secret = load_secret(self.secret_file)

    def evaluation_row(self, case: Case, outcome: Outcome,
                       batch: tuple[str, int] | None = None) -> dict[str, Any]:
        """The row for one decided case (hashes filled in when appended)."""
        return evaluation_row(self.product, self.secret, case, outcome, batch)

    def append(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Append rows in one transaction, stamped with the store's clock."""
        if not rows:
            return []
        with transaction(self.store.db, "record"):
            _check_fingerprint(self.store, self.secret, self.secret_file)
            rows = self._new_rows(table, rows)
            at = self.store.now()
            for row in rows:
                row["recorded_at"] = at
            return append_chained(self.store.db, table, rows)

    def _new_rows(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop batch rows already recorded (resume); refuse ones whose case changed."""
        if table != "evaluations" or rows[0]["batch_id"] is None:
            return rows
        done = recorded_rows(self.store, rows[0]["batch_id"], [r["batch_row"] for r in rows])
        for row in rows:
            old = done.get(row["batch_row"])
            if old is not None and old != row["case_hash"]:
                raise StoreError(f"batch {row['batch_id']} row {row['batch_row']} was recorded "
                                 f"with a different case; use a new batch id for changed input")
        return [row for row in rows if row["batch_row"] not in done]


def registered_for_audit(store: Store, product: Product) -> VersionRecord:
    """The registry record a decision is recorded against; refuses unpublished content."""
    record = store.get(product.id, product.version)
    ref = f"{product.id}@{product.version}"
    if record is None:
        raise StoreError(f"{ref} is not in the registry at {store.path}; publish it before "
                         f"recording decisions made with it")
    if record.hash != product.hash:
        raise StoreError(f"{ref} differs from the registered version (hash {product.hash}, "
                         f"registered {record.hash}); record with the registered content")
    if record.status not in ("published", "retired"):
        raise StoreError(f"{ref} is {record.status}, not published; only published versions "
                         f"decide cases on the record")
    return record


def _refuse_personal(case: Case, outcome_text: str) -> None:
    """Refuse an Outcome that mentions a personal value as a whole word."""
    for name, value in case.personal.items():
        text = str(value).strip() if value is not None else ""
        if len(text) < 2 or text not in outcome_text:  # the fast, usual case
            continue
        if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", outcome_text):
            raise PersonalDataLeak(f"the Outcome contains the personal value of '{name}'; "
                                   f"nothing was recorded (this is a bug in configurator)")


def record_evaluation(store: Store, product: Product, case: Case, outcome: Outcome,
                      user: str | None = None) -> int:
    """Record one decided case (by `user`, when someone signed in asked for it); returns
    its row number in the audit trail."""
    recorder = Recorder(store, product)
    row = recorder.evaluation_row(case, outcome)
    row["user"] = user
    return recorder.append("evaluations", [row])[0]


def record_document(store: Store, product: Product, case: Case | None,
                    pdf: bytes | str | Path, kind: str = "policy",
                    user: str | None = None) -> int:
    """Record an issued document (its bytes, or a path to them) by sha256.

    Stored with the product id, version and hash, the case hash and key, and
    the `user` who issued it; returns the row number in the ``documents`` chain.
    """
    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    recorder = Recorder(store, product)
    row = {"recorded_at": None, "sha256": hashlib.sha256(data).hexdigest(), "kind": kind,
           "product_id": product.id, "product_version": product.version,
           "product_hash": product.hash,
           "case_hash": None, "case_key": None, "user": user}
    if case is not None:
        row["case_hash"], row["case_key"] = case_digests(recorder.secret, case)
    return recorder.append("documents", [row])[0]


def recorded_rows(store: Store, batch_id: str, among: list[int] | None = None
                  ) -> dict[int, str]:
    """Row number -> case hash of what batch `batch_id` has recorded (of `among`, if given)."""
    sql = "SELECT batch_row, case_hash FROM evaluations WHERE batch_id = ?"
    if among is not None:
        sql += f" AND batch_row IN ({', '.join('?' * len(among))})"
    return {r["batch_row"]: r["case_hash"] for r in store.db.query(
        sql, [batch_id, *(among or [])])}


def recorded_numbers(store: Store, batch_id: str) -> set[int]:
    """The row numbers batch `batch_id` has recorded: what a resumed run skips. Only the
    numbers, read from the batch's index as tuples: with each case hash, a dict a row,
    100,000 recorded rows took 0.50 s of CPU and 24 MB at the peak, against 0.10 s and 9."""
    return {row[0] for row in store.db.execute(
        "SELECT batch_row FROM evaluations WHERE batch_id = ?", [batch_id])}


def default_batch_id(cases: str | Path) -> str:
    """The batch id a file of cases records under when none is given: its name and the
    start of its content hash, so rerunning the same file resumes it and a changed file
    starts a new batch."""
    path = Path(cases)
    with path.open("rb") as handle:  # a portfolio's file can be gigabytes: read it in blocks
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return f"{path.name}-{digest[:12]}"


@dataclass
class BatchRecorder:
    """Records a batch in chunks; resumable by (batch id, row number).

    Use as a context manager: rows are buffered and written `chunk` at a time,
    each chunk one transaction; the rest is written on a clean exit and
    dropped on an exception (a rerun with the same batch id records it).
    `done` lists rows already recorded, so a rerun can skip evaluating them.
    """

    store: Store
    product: Product
    batch_id: str
    chunk: int = DEFAULT_CHUNK
    recorded: int = 0
    skipped: int = 0
    done: set[int] = field(default_factory=set)
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._recorder = Recorder(self.store, self.product)
        self.done = recorded_numbers(self.store, self.batch_id)

    def __enter__(self) -> BatchRecorder:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.flush()

    def add(self, row_number: int, case: Case, outcome: Outcome) -> None:
        if row_number in self.done:
            self.skipped += 1
            return
        batch = (self.batch_id, row_number)
        self.add_row(self._recorder.evaluation_row(case, outcome, batch))

    @property
    def secret(self) -> bytes:
        return self._recorder.secret

    def skip(self) -> None:
        """A row of `done` met again, decided for the output only (`runs.batch.run_batch`)."""
        self.skipped += 1

    def add_row(self, row: dict[str, Any]) -> None:
        """Add a row built by `evaluation_row` (e.g. in a batch worker process)."""
        if row["batch_row"] in self.done:
            self.skipped += 1
            return
        self._pending.append(row)
        if len(self._pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        written = self._recorder.append("evaluations", pending)
        self.recorded += len(written)
        self.skipped += len(pending) - len(written)
        # `done` stays what an earlier run recorded: a row comes once in a run, and a row
        # recorded twice is dropped by `append` anyway; a set of every row grew ~60 MB a
        # million rows


def record_batch(store: Store, product: Product, batch_id: str,
                 rows: Iterable[tuple[int, Case, Outcome]],
                 chunk: int = DEFAULT_CHUNK) -> BatchRecorder:
    """Record ``(row number, case, outcome)`` items as batch `batch_id`; see `BatchRecorder`."""
    with BatchRecorder(store, product, batch_id, chunk) as recorder:
        for number, case, outcome in rows:
            recorder.add(number, case, outcome)
    return recorder


__all__ = [
    "BatchRecorder", "ChainBreak", "PersonalDataLeak", "Recorder", "Verification",
    "case_hash", "case_key", "record_batch", "record_document", "record_evaluation",
    "recorded_numbers", "recorded_rows", "verify", "verify_database",
]
