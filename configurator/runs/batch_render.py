"""Batch rendering: one personalised policy per case, by warm worker processes.

Each worker loads and compiles the product once, warms weasyprint (fonts,
stylesheet, the worked example, the clause-part layout) and then renders case
after case. The parent reads cases lazily (`batch.read_cases`: JSONL or CSV)
and keeps only a few in flight per worker, so memory stays flat however long
the file is; workers are replaced after `TASKS_PER_WORKER`
documents so any slow growth inside weasyprint is bounded too. Each file is
written whole or not at all (a temporary file renamed into place).
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from ..cases.case import Case
from ..errors import CaseError, ConfigError
from ..product.model import Product
from ..registry.store import resolve_product
from .batch import count_rows, read_cases

IN_FLIGHT_PER_WORKER = 4
TASKS_PER_WORKER = 500
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

_WORKER: dict[str, Any] = {}


def file_name(case: Case, row: int, fmt: str) -> str:
    """`<policy number>.pdf`, made safe for a file system; `row-<n>.pdf` without one."""
    stem = _SAFE.sub("_", case.policy_number).strip("._") if case.policy_number else ""
    return f"{stem or f'row-{row}'}.{fmt}"


# ------------------------------------------------------------ workers


def warm_worker(product_ref: str, db: str | None, locale: str, fmt: str) -> None:
    """Process initialiser: load, compile and warm everything once per worker."""
    from ..cases.case import load_case
    from ..document.render import RenderError, illustration_file, render_html, render_pdf

    product = resolve_product(product_ref, db)
    sample = illustration_file(product)
    try:  # a personalised policy: primes the engine, fonts and the clause-part layout
        case = load_case(sample, product) if sample.is_file() else None
        (render_pdf if fmt == "pdf" else render_html)(product, case=case, locale=locale)
    except RenderError:
        (render_pdf if fmt == "pdf" else render_html)(product, locale=locale)
    _WORKER.update(product=product, locale=locale, fmt=fmt)


def render_one(row: int, case: Case, target: str) -> tuple[int, str, str | None, float]:
    """Render one case in a warm worker; (row, status, message, CPU seconds). Never raises."""
    began = time.process_time()
    row, status, message = _render_one(row, case, target)
    return row, status, message, time.process_time() - began


def _render_one(row: int, case: Case, target: str) -> tuple[int, str, str | None]:
    from ..document.render import RenderError, render_html, render_pdf

    product, locale, fmt = _WORKER["product"], _WORKER["locale"], _WORKER["fmt"]
    try:
        if fmt == "pdf":
            data = render_pdf(product, case=case, locale=locale)
        else:
            data = render_html(product, case=case, locale=locale).encode("utf-8")
    except RenderError as exc:
        return row, "skipped", f"row {row}: " + "; ".join(p.message for p in exc.problems)
    except ConfigError as exc:
        return row, "failed", "\n".join(str(p) for p in exc.problems)
    path = Path(target)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return row, "written", None


# ------------------------------------------------------------ the parent


def run_batch(product_ref: str, cases_path: Path, out_dir: Path, workers: int, locale: str,
              fmt: str, progress: Callable[[int, int | None], None] | None = None,
              db: str | None = None,
              on_written: Callable[[Product, Case, Path], None] | None = None):
    """Render every case; bad rows are reported, not fatal. See `render.render_batch`.

    `on_written(product, case, path)` runs in this process after each document
    is written (e.g. to record it in the audit trail).
    """
    from ..document.render import BatchResult

    product = resolve_product(product_ref, db)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    total = count_rows(cases_path)
    done = 0
    tick = progress or (lambda done, total: None)
    tick(0, total)
    for _row, status, message, path, cpu, case in _results(
            product, (product_ref, db), cases_path, out_dir, workers, locale, fmt):
        done += 1
        if status == "written":
            result.written.append(path)
            result.cpu_seconds.append(cpu)
            if on_written is not None:
                on_written(product, case, path)
        elif status == "skipped":
            result.skipped.append(message)
        else:
            result.failed.append(message)
        tick(done, total)
    return result


def _results(product: Product, source: tuple[str, str | None], cases_path: Path, out_dir: Path,
             workers: int, locale: str, fmt: str
             ) -> Iterator[tuple[int, str, str, Path, float, Case | None]]:
    """(row, status, message, path, CPU seconds, case) per case, in completion order."""
    context = multiprocessing.get_context("spawn")
    limit = workers * IN_FLIGHT_PER_WORKER
    pending: dict[Future, tuple[Path, Case]] = {}
    names: set[str] = set()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=warm_worker,
                             initargs=(*source, locale, fmt),
                             max_tasks_per_child=TASKS_PER_WORKER) as pool:
        for row, case in read_cases(cases_path, product):
            if isinstance(case, CaseError):
                yield row, "failed", "\n".join(str(p) for p in case.problems), Path(), 0.0, None
                continue
            name = file_name(case, row, fmt)
            if name in names:
                name = f"{Path(name).stem}-row-{row}.{fmt}"
            names.add(name)
            path = out_dir / name
            pending[pool.submit(render_one, row, case, str(path))] = (path, case)
            while len(pending) >= limit:
                yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
        while pending:
            yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)


def _collect(pending: dict[Future, tuple[Path, Case]], finished: set[Future]
             ) -> Iterator[tuple[int, str, str, Path, float, Case]]:
    for future in finished:
        path, case = pending.pop(future)
        row, status, message, cpu = future.result()
        yield row, status, message or "", path, cpu, case
