"""Batch evaluation: CSV or JSON lines in, one summary row per case out.

Rows are read by `cases.batchfile`, which first checks the file as a whole
(one clean error before any work). A bad row - whatever is wrong with it,
and whatever it trips below - is reported with its row number (and CSV
column) and skipped; it never stops the run or loses the other rows. Output
is written whole or not at all (`files.atomic_file`): a failed or killed run
leaves no file, a full disk is a clean error. With several workers
(`runs.pool`: spawned, each loading and compiling the product once through
its own `Environment`, dying with their parent), chunks of rows go to the
workers and the output keeps the input order.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import importlib.metadata
import io
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cases.batchfile import (
    CsvHeader,
    Raw,
    count_rows,
    csv_cells,
    csv_row,
    internal_error,
    parse_line,
    printable,
    read_raw,
    text_lines,
    to_case,
)
from ..cases.lines import LineSpan
from ..cases.outcome import check_writable, summary_row
from ..cases.parquet import ParquetRows
from ..environment import Environment
from ..errors import CaseError, ConfigError, ConfiguratorError, EngineError, Problem, Span
from ..files import atomic_file
from ..native import sources
from ..product.model import Product
from ..registry.audit import evaluation_row
from .pool import IN_FLIGHT_PER_WORKER, bounded, exit_on_signals, spawn_pool

COLUMNS = ["row", "name", "decision", "reasons", "tier", "sum_insured",
           "premium_adjustment_percent", "loadings", "exclusions", "checkups_open",
           "claims_paid", "payable_total"]
# rows a worker is sent at a time: at most this many (each task costs the driver the same
# however many rows it holds: 1,000 rows a task against 200 took ~0.25 s less of its CPU per
# 100,000 rows, ~0.6 ms a task), and few enough that every worker gets several
CHUNK = 1000
CHUNKS_PER_WORKER = 8
# row number, summary (a dict, or its text in the output's format: `encoded_row`), problems,
# audit row
Result = tuple[int, dict | str | None, list[str], dict | None]
# (env, product, cases, audit, done, output=suffix) -> results in input order, each
# summary as a dict or as text in the output file's format (`encoded_row`); rows in `done`
# (recorded before) with no audit row
Source = Callable[..., Iterator[Result]]


@dataclass
class BatchReport:
    """What a batch run did: rows in the file, rows written, and the skipped rows' problems."""

    total: int = 0
    written: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)


# ------------------------------------------------------------ rows out

# the Parquet output's schema: each column's kind
KINDS = {"row": "int", "name": "text", "decision": "text", "reasons": "list", "tier": "text",
         "sum_insured": "text", "premium_adjustment_percent": "float", "loadings": "list",
         "exclusions": "list", "checkups_open": "int", "claims_paid": "int",
         "payable_total": "text"}
OUTPUTS = (".csv", ".jsonl", ".parquet")
# json.dumps(row, ensure_ascii=False) - the same bytes - without a new encoder for each row
_JSON_ROW = json.JSONEncoder(ensure_ascii=False).encode


class _Rows:
    """Summary rows as CSV, JSON lines or Parquet, into a file written whole or not at all."""

    def __init__(self, handle: Any, suffix: str):
        self.handle, self.suffix = handle, suffix
        self.parquet = ParquetRows(handle, KINDS) if suffix == ".parquet" else None
        if suffix == ".csv":
            csv.DictWriter(handle, fieldnames=COLUMNS).writeheader()

    def write(self, row: dict[str, Any] | str) -> None:
        """A summary row, or its text already in this file's format (`encoded_row`)."""
        if type(row) is not str and self.parquet is not None:
            self.parquet.write(row)
        else:
            self.handle.write(row if type(row) is str else encoded_row(row, self.suffix))


class _Line(threading.local):
    """One CSV record as text; each thread its own buffer (a server's batch jobs run in
    threads, a remote Dask worker may run partitions in several)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.DictWriter(self.buffer, fieldnames=COLUMNS)

    def __call__(self, row: dict[str, Any]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow({k: ";".join(v) if isinstance(v, list) else v
                              for k, v in row.items()})  # a list as its items joined by ;
        return self.buffer.getvalue()


_CSV_LINE = _Line()


def encoded_row(row: dict[str, Any], suffix: str | None) -> dict[str, Any] | str:
    """`row` as the text of its line in a `suffix` file (.jsonl, .csv); the row itself for
    Parquet or no file. `_Rows` writes rows through this, and workers send it: a string
    pickles and unpickles in a fraction of a dict's time, and the driver, which every
    worker waits on, then only writes it."""
    if suffix == ".jsonl":
        return _JSON_ROW(row) + "\n"
    if suffix == ".csv":
        return _CSV_LINE(row)
    return row


# ------------------------------------------------------------ running


@dataclass(frozen=True)
class Audit:
    """Where a batch's decisions are recorded: workers build rows, the caller appends them."""

    batch_id: str
    secret: bytes


@dataclass(frozen=True)
class Shipment:
    """A product as workers get it: its text (`product_text`), the file it was read from,
    its content hash, and the code that must decide with it (`code_identity`)."""

    text: str
    source_file: str
    hash: str
    code: str


def shipment(product: Product) -> Shipment:
    return Shipment(product_text(product), product.source_file, product.hash, code_identity())


class WorkerMismatch(ConfiguratorError):
    """A worker whose code, or whose reading of the product, is not the command's."""


_IDENTITY: list[str] = []


def code_identity() -> str:
    """What decides a row besides the product: configurator's sources (each `.py` file's
    SHA-256) and the release of the rules engine installed - the start of their SHA-256.
    Computed once a process (~10 ms)."""
    if not _IDENTITY:
        try:
            engine = importlib.metadata.version("durable-rules")
        except importlib.metadata.PackageNotFoundError:
            engine = "unknown"
        text = json.dumps({"sources": sources(), "durable-rules": engine}, sort_keys=True)
        _IDENTITY.append(hashlib.sha256(text.encode()).hexdigest()[:16])
    return _IDENTITY[0]


# a worker's products, loaded and compiled once each, by the hash of the text they were
# loaded from; a few at most (a remote Dask worker may serve many runs)
_LOADED: dict[str, tuple[Environment, Product]] = {}
_MAX_LOADED = 4


def evaluate_rows(shipped: Shipment, file: str, audit: Audit | None,
                  rows: list | LineSpan, done: frozenset[int] = frozenset(),
                  output: str | None = None, header: CsvHeader | None = None
                  ) -> list[Result]:
    """In a worker process (the pool's or Dask's): `rows` decided with the `shipped`
    product, loaded and compiled the first time this worker sees it - refused
    (`WorkerMismatch`) when this worker's code is not the sender's or it reads the
    product to another content hash, since it could decide otherwise. The rows are
    raw rows, (line number, text) of JSON lines to parse here, (line number, cells) of CSV
    records to make rows of here with the file's `header`, or where they lie in `file` (a
    span of `cases.lines.line_spans`, read here). Rows in `done` (recorded before) get no
    audit row; each summary comes as text for an `output` file of that suffix
    (`encoded_row`)."""
    key = hashlib.sha256(shipped.text.encode("utf-8")).hexdigest()
    state = _LOADED.get(key)
    if state is None:
        state = _load(shipped)
        if len(_LOADED) >= _MAX_LOADED:
            _LOADED.clear()
            gc.unfreeze()  # what the products held can be collected: the heap is frozen again
        _LOADED[key] = state
        gc.freeze()  # the loaded product stays: the collector need not scan it again and again
    env, product = state
    items = text_lines(file, rows) if isinstance(rows, tuple) else rows
    return [_run_one(env, file, item, product, None if item[0] in done else audit, output,
                     header) for item in items]


def _load(shipped: Shipment) -> tuple[Environment, Product]:
    here = f"the worker on {socket.gethostname()} (process {os.getpid()})"
    if code_identity() != shipped.code:
        raise WorkerMismatch(f"{here} runs other configurator code or another rules engine "
                             f"than this command (code {code_identity()} against "
                             f"{shipped.code}) and could decide otherwise: install the same "
                             f"configurator, with the same dependencies, on every worker")
    env = Environment()
    product = env.loads(shipped.text, shipped.source_file)
    if product.hash != shipped.hash:
        raise WorkerMismatch(f"{here} reads {product.id}@{product.version} to content hash "
                             f"{product.hash}, not {shipped.hash} as this command does: "
                             f"install the same configurator, with the same dependencies, on "
                             f"every worker")
    return env, product


def _run_one(env: Environment, file: str, raw: Raw | tuple[int, Any], product: Product,
             audit: Audit | None, output: str | None = None,
             header: CsvHeader | None = None) -> Result:
    """One row decided and summarised (as text for an `output` file of that suffix:
    `encoded_row`), or its problems. Never raises. `raw` is a raw row, or (line number,
    text) of a JSON line, or (line number, cells) of a CSV record with the file's
    `header`."""
    number = raw[0]
    try:
        return _decide(env, file, raw, product, audit, output, header)
    except ConfigError as exc:
        problems = exc.problems
    except Exception as exc:  # noqa: BLE001 - a bug below must cost this row, not the batch
        problems = internal_error(file, number, exc, "evaluating").problems
    return number, None, [str(p) for p in problems], None


def _decide(env: Environment, file: str, raw: Raw | tuple[int, Any], product: Product,
            audit: Audit | None, output: str | None, header: CsvHeader | None) -> Result:
    number = raw[0]
    if len(raw) == 2:  # a JSON line's text, or a CSV record's cells
        raw = parse_line(*raw) if header is None else csv_row(number, header[0], raw[1],
                                                              header[1])
    case = to_case(file, raw, product)
    if isinstance(case, CaseError):
        return number, None, [str(p) for p in case.problems], None
    outcome = env.evaluate(product, case, summary=audit is None)  # the audit needs it all
    row = summary_row(number, outcome, case.name)
    check_writable(row)
    audit_row = None
    if audit is not None:
        audit_row = evaluation_row(product, audit.secret, case, outcome, (audit.batch_id, number))
    return number, encoded_row(row, output), [], audit_row


def unmade_rows(cases: Path) -> tuple[Iterator[Any], CsvHeader | None]:
    """A batch file's rows as its workers take them, made into rows there (`_decide`): a
    JSON line's (line number, text), a CSV record's (line number, cells) with the file's
    header (checked here first), a Parquet file's raw rows. Making CSV rows here cost this
    process ~45 µs a row (100,000 rows, 2 workers: its CPU 7.8 s against 3.4), the nested
    rows being dearer to send than their cells."""
    if cases.suffix == ".jsonl":
        return text_lines(cases), None
    if cases.suffix == ".csv":
        header, records = csv_cells(cases)
        return records, header
    return read_raw(cases), None


def chunk_size(rows: int, workers: int) -> int:
    """Rows a task for `rows` rows on `workers` workers: up to `CHUNK`, ~`CHUNKS_PER_WORKER`
    tasks a worker for a smaller file (so a few thousand rows still keep every worker busy),
    at least 1."""
    return max(1, min(CHUNK, -(-rows // (workers * CHUNKS_PER_WORKER))))


def recorded_among(chunk: list, done: frozenset[int]) -> frozenset[int]:
    """The rows of `chunk` (each a raw row or one to make, its row number first) among
    `done`, the rows recorded before: a resumed batch builds no audit row for them."""
    return frozenset(row[0] for row in chunk if row[0] in done) if done else done


def chunks(rows: Iterator[Any], size: int = CHUNK) -> Iterator[list]:
    """`rows` in lists of `size` (the last one shorter)."""
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def product_text(product: Product) -> str:
    """The product as JSON text workers can load again (same content hash)."""
    return json.dumps(product.source.data, ensure_ascii=False, default=str)


def run_batch(product: Product | str | Path, cases: str | Path, output: str | Path,
              workers: int = 1, on_progress: Callable[[int], None] | None = None,
              recorder: Any = None, env: Environment | None = None,
              on_total: Callable[[int], None] | None = None,
              source: Source | None = None, total: int | None = None) -> BatchReport:
    """Evaluate every row of `cases` and write one summary row each to `output`.

    `product` is a loaded product or a file or registry reference. The file
    is checked as a whole first (`count_rows`: a `CaseError` before any
    work); `on_total(rows)` then gets its number of rows and
    `on_progress(row)` is called after each. With a `recorder` (an
    `audit.BatchRecorder`, or anything with its `batch_id`, `secret`, `done`, `add_row`,
    `skip` and `flush`), every decision is also added to the audit trail, in chunks;
    rerunning with the same batch id resumes: the rows in its `done` get no audit row.
    A file that cannot be read or written (a full disk) is a `ConfiguratorError`; no
    output is left.
    `source` evaluates the rows elsewhere (`runs.dask_batch.dask_source`): it yields
    the same results in input order, so the output is the same bytes. `total` is
    `count_rows(cases)` when the caller has already counted (a million rows take ~1.5 s
    read as text, ~0.3 s for a plain JSON-lines file).
    """
    env = env or Environment()
    if not isinstance(product, Product):
        product = env.load(product)
    target = Path(output)
    if target.suffix not in OUTPUTS:
        raise CaseError([Problem(Span(str(target), 1, 1), "",
                                 "write results to .csv, .jsonl or .parquet")])
    report = BatchReport(total=count_rows(cases) if total is None else total)
    if on_total:
        on_total(report.total)
    audit = Audit(recorder.batch_id, recorder.secret) if recorder is not None else None
    done = frozenset(recorder.done) if recorder is not None else frozenset()
    if source is not None:
        results = source(env, product, Path(cases), audit, done, output=target.suffix)
    else:
        results = _results(env, product, Path(cases), workers, audit, done, target.suffix,
                           chunk_size(report.total, workers))
    with exit_on_signals(), _output(target) as rows, closing(results), _frozen_heap():
        for number, row, problems, audit_row in results:
            if row is None:
                report.skipped += 1
                report.problems += [Problem(None, "", printable(p)) for p in problems]
            else:
                rows.write(row)
                report.written += 1
            if audit_row is not None:
                recorder.add_row(audit_row)
            elif number in done:  # recorded before: its worker built no audit row
                recorder.skip()
            if on_progress:
                on_progress(number)
        if recorder is not None:
            recorder.flush()
    return report


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """What is alive when the run starts (the product, its plan) left out of the cyclic
    collector's scans while rows are decided (~6% of a row's CPU), then handed back."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _output(target: Path) -> Iterator[_Rows]:
    """The summary rows' file, written whole or not at all; I/O errors as clean errors."""
    try:
        if target.suffix == ".parquet":
            with atomic_file(target, "wb") as handle:
                rows = _Rows(handle, target.suffix)
                yield rows
                rows.parquet.close()
            return
        with atomic_file(target, "w", newline="") as handle:
            yield _Rows(handle, target.suffix)
    except OSError as exc:
        where = exc.filename or target
        raise ConfiguratorError(f"{where}: {exc.strerror or exc}; no results were written "
                                f"to {target}") from None


def _results(env: Environment, product: Product, cases: Path, workers: int,
             audit: Audit | None, done: frozenset[int] = frozenset(),
             output: str | None = None, size: int = CHUNK) -> Iterator[Result]:
    """Each row's `Result` in input order; from `workers` processes, sent `size` rows at a
    time with the product's text and those of them recorded before, which get no audit row
    (`evaluate_rows`), rows in the `output` file's format (`encoded_row`)."""
    file = str(cases)
    if workers <= 1:
        for raw in read_raw(cases):
            yield _run_one(env, file, raw, product, None if raw[0] in done else audit)
        return
    rows, header = unmade_rows(cases)
    shipped = shipment(product)
    last = 0  # the last row a worker answered for
    with spawn_pool(workers, None, ()) as pool:
        tasks = ((shipped, file, audit, chunk, recorded_among(chunk, done), output, header)
                 for chunk in chunks(rows, size))
        try:
            for _, results in bounded(pool, evaluate_rows, tasks,
                                      IN_FLIGHT_PER_WORKER * workers, ordered=True):
                last = results[-1][0] if results else last
                yield from results
        except BrokenProcessPool:
            raise EngineError(f"a worker process died evaluating the rows after row {last} "
                              f"of {file}; no results were written") from None
