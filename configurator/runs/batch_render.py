"""Batch rendering: one personalised policy per case, by warm worker processes.

Each worker (`runs.pool`: spawned) opens its own `Environment`, loads and
compiles the product once and warms weasyprint (fonts, stylesheet, the worked
example, the clause-part layout), then renders case after case. The parent
reads cases lazily (`cases.batchfile.read_cases`: JSONL or CSV) and keeps
only a few in flight per worker, so memory stays flat however long the file
is; workers are replaced after `TASKS_PER_WORKER` documents so any slow growth
inside weasyprint is bounded too. Each file is written whole or not at all,
under a name made from the policy number that is safe, bounded and unique in
the output folder. A bad row - whatever it trips - costs only that row; a
file that cannot be written (a full disk) stops the run with a clean error.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..cases.batchfile import count_rows, internal_error, printable, read_cases
from ..cases.case import Case
from ..document.paged import layouts_made
from ..document.render import NOT_ISSUED, RenderError
from ..environment import Environment
from ..errors import CaseError, ConfigError, ConfiguratorError, EngineError
from ..files import write_atomic
from ..product.model import Product
from .pool import IN_FLIGHT_PER_WORKER, bounded, exit_on_signals, spawn_pool

TASKS_PER_WORKER = 500
YOUNG_OBJECTS = 50_000  # gc threshold of the youngest generation in a warm worker
MAX_STEM = 100  # characters of a file name before its suffix (file systems allow 255 bytes)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

_WORKER: dict[str, Any] = {}


@dataclasses.dataclass
class BatchResult:
    """What a batch run did: files written, rows skipped and rows that failed."""

    written: list[Path] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)  # per written document


def file_name(case: Case, row: int, fmt: str) -> str:
    """`<policy number>.pdf`, made safe for a file system; `row-<n>.pdf` without one.

    Only letters, digits, ``.``, ``_`` and ``-`` are kept (so never a folder
    or a hidden file); a policy number past `MAX_STEM` characters is cut and
    given a hash of the whole, so two long numbers still get two names.
    """
    number = case.policy_number if isinstance(case.policy_number, str) else ""
    stem = _SAFE.sub("_", number).strip("._-")
    if len(stem) > MAX_STEM:
        digest = hashlib.sha256(number.encode("utf-8", "backslashreplace")).hexdigest()[:12]
        stem = f"{stem[:MAX_STEM - 13]}-{digest}"
    return f"{stem or f'row-{row}'}.{fmt}"


# ------------------------------------------------------------ workers


def warm_worker(product_ref: str, db: str | None, locale: str, fmt: str) -> None:
    """Process initialiser: load, compile and warm everything once per worker."""
    env = Environment(db=db, locale=locale)
    product = env.load(product_ref)
    _WORKER.update(env=env, product=product, fmt=fmt)
    illustration = env.illustration(product)
    try:  # a personalised policy: primes the engine, fonts and the clause-part layout
        _document(illustration.case if illustration else None)
    except RenderError:
        _document(None)
    _keep_warm()


def _keep_warm() -> None:
    """Take what the worker keeps (the shared parts' layouts) out of the cycle collector.

    Every document allocates box trees that outlive a few collections; with
    the kept layouts (several hundred thousand objects) in the oldest
    generation, each full collection walked them all, about a tenth of a
    worker's time. After a layout is kept, the garbage is collected and the
    survivors frozen (`gc.freeze`): later collections see only new objects,
    and the youngest generation is collected every `YOUNG_OBJECTS` new
    objects, not every 700 (a document's boxes outlive many collections).
    """
    made = layouts_made()
    if _WORKER.get("frozen_at") != made:
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS, 20, 20)
        _WORKER["frozen_at"] = made


def _document(case: Case | None) -> bytes:
    env, product = _WORKER["env"], _WORKER["product"]
    if _WORKER["fmt"] == "pdf":
        return env.render_pdf(product, case)
    return env.render_html(product, case).encode("utf-8")


def render_one(row: int, case: Case, target: str) -> tuple[int, str, str | None, float]:
    """Render one case in a warm worker; (row, status, message, CPU seconds). Never raises.

    Status ``written``, ``skipped`` (a declined application), ``failed`` (this
    row's fault) or ``stop`` (the file could not be written: the run ends).
    """
    began = time.process_time()
    try:
        row, status, message = _render_one(row, case, target)
    except Exception as exc:  # noqa: BLE001 - a bug below must cost this row, not the batch
        status = "failed"
        message = str(internal_error(case.file, row, exc, "rendering").problems[0])
    _keep_warm()
    return row, status, message, time.process_time() - began


def _render_one(row: int, case: Case, target: str) -> tuple[int, str, str | None]:
    try:
        data = _document(case)
    except RenderError as exc:
        if all(p.code == NOT_ISSUED for p in exc.problems):  # declined or referred: no policy
            return row, "skipped", f"row {row}: " + "; ".join(p.message for p in exc.problems)
        return row, "failed", "\n".join(str(p) for p in exc.problems)
    except ConfigError as exc:
        return row, "failed", "\n".join(str(p) for p in exc.problems)
    try:
        write_atomic(target, data)
    except OSError as exc:
        return row, "stop", f"{exc.filename or target}: {exc.strerror or exc}"
    return row, "written", None


# ------------------------------------------------------------ the parent


def render_batch(product_ref: str | Path, cases_path: str | Path, out_dir: str | Path,
                 workers: int = 1, locale: str = "en", fmt: str = "pdf",
                 progress: Callable[[int, int | None], None] | None = None,
                 db: str | None = None,
                 on_written: Callable[[Product, Case, Path], None] | None = None
                 ) -> BatchResult:
    """One personalised policy per case of a JSONL or CSV file, by warm worker processes.

    `product_ref` is a file or a registry reference (``id@version``, with
    `db`). Bad rows are reported, not fatal; declined applications are
    skipped. `progress(done, total)` is called after each case;
    `on_written(product, case, path)` runs in this process after each document
    is written (e.g. to record it in the audit trail).
    """
    product = Environment(db=db).load(product_ref)
    total = count_rows(cases_path)  # the file as a whole: a clean error before any work
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    tick = progress or (lambda done, total: None)
    tick(0, total)
    jobs = _Jobs(product, Path(cases_path), out, fmt, result)
    with exit_on_signals(), spawn_pool(workers, warm_worker,
                                       (str(product_ref), db, locale, fmt),
                                       TASKS_PER_WORKER) as pool:
        try:
            for task, answer in bounded(pool, render_one, jobs, IN_FLIGHT_PER_WORKER * workers,
                                        ordered=False):
                _take(result, product, task, answer, on_written)
                tick(len(result.written) + len(result.skipped) + len(result.failed), total)
        except BrokenProcessPool:
            raise EngineError("a worker process died while rendering policies; the policies "
                              f"listed as written are in {out}") from None
    return result


def _take(result: BatchResult, product: Product, task: tuple, answer: tuple,
          on_written: Callable[[Product, Case, Path], None] | None) -> None:
    """One worker's answer into `result` (and `on_written`); a file not written stops the run."""
    _row, status, message, cpu = answer
    path, case = Path(task[2]), task[1]
    if status == "written":
        result.written.append(path)
        result.cpu_seconds.append(cpu)
        if on_written is not None:
            on_written(product, case, path)
    elif status == "skipped":
        result.skipped.append(printable(message or ""))
    elif status == "failed":
        result.failed.append("\n".join(printable(line) for line in (message or "").split("\n")))
    else:
        raise ConfiguratorError(f"{printable(message or '')}; the run stopped: the policies "
                                f"written so far are in {path.parent}")


class _Jobs:
    """(row, case, target path) for every good row; bad rows go straight to `failed`."""

    def __init__(self, product: Product, cases: Path, out: Path, fmt: str,
                 result: BatchResult):
        self.product, self.cases, self.out, self.fmt = product, cases, out, fmt
        self.result = result
        self.names: set[str] = set()

    def __iter__(self) -> Iterator[tuple[int, Case, str]]:
        for row, case in read_cases(self.cases, self.product):
            if isinstance(case, CaseError):
                self.result.failed.append("\n".join(printable(str(p)) for p in case.problems))
                continue
            yield row, case, str(self.out / self.unique(file_name(case, row, self.fmt), row))

    def unique(self, name: str, row: int) -> str:
        """`name`, or `<stem>-row-<n>` when taken (ignoring case, as some file systems do)."""
        stem, taken = Path(name).stem, 0
        while name.casefold() in self.names:
            taken += 1
            name = f"{stem}-row-{row}{f'-{taken}' if taken > 1 else ''}.{self.fmt}"
        self.names.add(name.casefold())
        return name
