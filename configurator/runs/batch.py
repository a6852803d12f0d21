"""Batch evaluation: CSV or JSON lines in, one summary row per case out.

CSV columns are flat; nested fields use dotted headers (``applicant.age``,
``policy.start``) and a timeline goes in an ``events`` column as a JSON list.
A bad row is reported with its row number and skipped; it never stops the
run or loses the other rows. Output is written to a temporary file and
renamed into place, so a failed run leaves no half-written file. With
several workers, each process (spawned, so the engine's C state is never
forked) loads and compiles the product once and takes chunks of rows; the
output keeps the input order.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cases.case import Case, case_from_document
from ..compiler.compile import CompiledProduct, compile_product
from ..engine.evaluate import evaluate
from ..engine.outcome import Outcome, money_text
from ..errors import CaseError, ConfigError, Problem, Span
from ..product.load import load, loads
from ..product.model import Product
from ..product.source import Document

COLUMNS = ["row", "name", "decision", "reasons", "tier", "sum_insured",
           "premium_adjustment_percent", "loadings", "exclusions", "checkups_open",
           "claims_paid", "payable_total"]
CHUNK = 200
Raw = tuple[int, Any, str | None, dict]  # (row number, data, parse error, path -> column)


@dataclass
class BatchReport:
    """What a batch run did: rows written, and the problems of skipped rows."""

    written: int = 0
    problems: list[Problem] = field(default_factory=list)


# ------------------------------------------------------------ reading


def read_raw(path: str | Path) -> Iterator[Raw]:
    """(row number, plain data, parse error) for each row of a .csv or .jsonl file."""
    path = Path(path)
    if path.suffix == ".jsonl":
        yield from _jsonl(path)
    elif path.suffix == ".csv":
        yield from _csv(path)
    else:
        raise CaseError([Problem(Span(str(path), 1, 1), "", "batch files must be .csv or .jsonl")])


def _jsonl(path: Path) -> Iterator[Raw]:
    for number, line in _lines(path):
        yield parse_line(number, line)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def parse_line(number: int, line: str) -> Raw:
    """One JSON line as a raw row (parsed in the worker, so the parent only reads text)."""
    try:
        return number, json.loads(line), None, {}
    except json.JSONDecodeError as exc:
        return number, None, f"{exc.colno}:invalid JSON: {exc.msg}", {}


def _csv(path: Path) -> Iterator[Raw]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {tuple(h.split(".")): i for i, h in enumerate(reader.fieldnames or [], 1)}
        for row in reader:
            number = reader.line_num
            try:
                yield number, nest(row), None, columns
            except ValueError as exc:
                yield number, None, f"{columns.get(('events',), 1)}:{exc}", columns


def nest(row: dict[str, str | None]) -> dict[str, Any]:
    """Dotted CSV headers to nested data; empty cells are left out; `events` is JSON."""
    data: dict[str, Any] = {}
    for header, value in row.items():
        if header is None or value is None or value == "":
            continue
        if header == "events":
            try:
                data["events"] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"the events column is not a JSON list: {exc.msg}") from None
            continue
        target = data
        *parents, leaf = header.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return data


def read_cases(path: str | Path, product: Product) -> Iterator[tuple[int, Case | CaseError]]:
    """Checked cases (or the error of each bad row) from a batch file."""
    for raw in read_raw(path):
        yield raw[0], to_case(str(path), raw, product)


def to_case(file: str, raw: Raw, product: Product) -> Case | CaseError:
    """The row as a checked case, or its error positioned at the row (and CSV column)."""
    number, data, error, columns = raw
    if error is not None:
        column, message = error.split(":", 1)
        return CaseError([Problem(Span(file, number, int(column)), "", message)])
    spans = {(): Span(file, number, 1)}
    spans.update({path: Span(file, number, column) for path, column in columns.items()})
    doc = Document(file, data, spans=spans)
    text = file.endswith(".csv")
    try:
        return case_from_document(doc, product, text_values=text)
    except CaseError as exc:
        return exc


# ------------------------------------------------------------ rows out


def summary(number: int, outcome: Outcome, name: str | None) -> dict[str, Any]:
    """One output row: decision, reasons, cover, exclusions and payable totals."""
    cover = outcome.coverage
    return {
        "row": number, "name": name or "", "decision": outcome.decision,
        "reasons": [r.rule for r in outcome.reasons],
        "tier": cover.tier or "", "sum_insured": money_text(cover.sum_insured),
        "premium_adjustment_percent": _plain_number(cover.premium_adjustment_percent),
        "loadings": [f"{x.rule}:{x.percent:g}" for x in outcome.loadings],
        "exclusions": [x.id for x in outcome.exclusions],
        "checkups_open": sum(1 for c in outcome.checkups if c.status in ("due", "overdue")),
        "claims_paid": sum(1 for c in outcome.claims if c.payable > 0),
        "payable_total": money_text(outcome.payable_total),
    }


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Writer:
    """Rows to a temporary file beside the target, renamed into place on success."""

    def __init__(self, target: Path):
        self.target = target
        self.temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.handle = self.temporary.open("w", encoding="utf-8", newline="")
        self.csv = None
        if target.suffix == ".csv":
            self.csv = csv.DictWriter(self.handle, fieldnames=COLUMNS)
            self.csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self.csv is not None:
            flat = {k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()}
            self.csv.writerow(flat)
        else:
            self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    def commit(self) -> None:
        self.handle.close()
        self.temporary.replace(self.target)

    def abandon(self) -> None:
        self.handle.close()
        self.temporary.unlink(missing_ok=True)


# ------------------------------------------------------------ running

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class Audit:
    """Where a batch's decisions are recorded: workers build rows, the caller appends them."""

    batch_id: str
    secret: bytes


Result = tuple[int, dict | None, list[str], dict | None]  # row, summary, problems, audit row


def _start_worker(product_text: str, file: str, audit: Audit | None) -> None:
    product = loads(product_text, file)
    _WORKER.update(product=product, compiled=compile_product(product), audit=audit)


def _run_chunk(file: str, chunk: list) -> list[Result]:
    rows = (parse_line(*item) if len(item) == 2 else item for item in chunk)
    return [_run_one(file, raw, _WORKER["product"], _WORKER["compiled"], _WORKER["audit"])
            for raw in rows]


def _run_one(file: str, raw: Raw, product: Product, compiled: CompiledProduct,
             audit: Audit | None) -> Result:
    number = raw[0]
    case = to_case(file, raw, product)
    if isinstance(case, CaseError):
        return number, None, [str(p) for p in case.problems], None
    try:
        outcome = evaluate(compiled, case)
        row = None
        if audit is not None:
            from ..registry.audit import evaluation_row

            row = evaluation_row(product, audit.secret, case, outcome, (audit.batch_id, number))
        return number, summary(number, outcome, case.name), [], row
    except ConfigError as exc:
        return number, None, [str(p) for p in exc.problems], None


def _chunks(rows: Iterator[Raw]) -> Iterator[list[Raw]]:
    chunk: list[Raw] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def product_text(product: Product) -> str:
    """The product as JSON text workers can load again (same content hash)."""
    return json.dumps(product.source.data, ensure_ascii=False, default=str)


def run_batch(product: Product | str | Path, cases: str | Path, output: str | Path,
              workers: int = 1, on_progress: Callable[[int], None] | None = None,
              recorder: Any = None) -> BatchReport:
    """Evaluate every row of `cases` and write one summary row each to `output`.

    `product` is a loaded product or a path. With a `recorder` (an
    `audit.BatchRecorder`), every decision is also added to the audit trail,
    in chunks; rerunning with the same batch id resumes.
    """
    if not isinstance(product, Product):
        product = load(product)
    audit = Audit(recorder.batch_id, recorder.secret) if recorder is not None else None
    target = Path(output)
    if target.suffix not in (".csv", ".jsonl"):
        raise CaseError([Problem(Span(str(target), 1, 1), "", "write results to .csv or .jsonl")])
    writer = _Writer(target)
    report = BatchReport()
    try:
        for number, row, problems, audit_row in _results(product, Path(cases), workers, audit):
            if row is None:
                report.problems += [Problem(None, "", p) for p in problems]
            else:
                writer.write(row)
                report.written += 1
            if audit_row is not None:
                recorder.add_row(audit_row)
            if on_progress:
                on_progress(number)
        if recorder is not None:
            recorder.flush()
    except BaseException:
        writer.abandon()
        raise
    writer.commit()
    return report


def _results(product: Product, cases: Path, workers: int, audit: Audit | None
             ) -> Iterator[Result]:
    file = str(cases)
    rows = read_raw(cases)
    if workers <= 1:
        compiled = compile_product(product)
        for raw in rows:
            yield _run_one(file, raw, product, compiled, audit)
        return
    if cases.suffix == ".jsonl":
        rows = _lines(cases)  # workers parse the JSON
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(product_text(product), product.source_file,
                                       audit)) as pool:
        pending: deque = deque()
        for chunk in _chunks(rows):  # a bounded window keeps memory flat on big files
            pending.append(pool.submit(_run_chunk, file, chunk))
            if len(pending) >= 4 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def count_rows(path: str | Path) -> int:
    """Rows in a batch file (for a progress bar's total)."""
    with Path(path).open(encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if Path(path).suffix == ".csv" else lines
