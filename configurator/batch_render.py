"""Batch rendering: one personalised policy per case, by warm worker processes.

Each worker loads and compiles the product once, warms weasyprint (fonts,
stylesheet, the worked example) and then renders case after case. The parent
reads cases lazily and keeps only a few in flight per worker, so memory stays
flat however long the file is; workers are replaced after `TASKS_PER_WORKER`
documents so any slow growth inside weasyprint is bounded too. Each file is
written whole or not at all (a temporary file renamed into place).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from .case import Case, case_from_data
from .errors import CaseError, ConfigError, Problem, Span
from .load import load
from .model import Product

IN_FLIGHT_PER_WORKER = 4
TASKS_PER_WORKER = 500
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

_WORKER: dict[str, Any] = {}


def read_jsonl_cases(path: Path, product: Product) -> Iterator[tuple[int, Case | CaseError]]:
    """(line number, Case or CaseError) for each non-blank line of a JSONL file.

    A stand-in for `configurator.batch.read_cases` until that lands on main.
    """
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, case_from_data(json.loads(line), product, file=str(path))
            except json.JSONDecodeError as exc:
                yield number, CaseError([Problem(Span(str(path), number, exc.colno), "",
                                                 f"not valid JSON: {exc.msg}")])
            except CaseError as exc:  # JSON has no positions: point at the line
                yield number, CaseError([dataclasses.replace(p, span=Span(str(path), number, 1))
                                         for p in exc.problems])


def _read_cases(path: Path, product: Product) -> Iterator[tuple[int, Case | CaseError]]:
    try:
        from .batch import read_cases  # the lead's reader (CSV and JSONL), once on main
    except ImportError:
        return read_jsonl_cases(path, product)
    return read_cases(path, product)


def count_rows(path: Path) -> int:
    """Non-blank lines: the progress bar's total (the file is read twice, lazily)."""
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


def file_name(case: Case, row: int, fmt: str) -> str:
    """`<policy number>.pdf`, made safe for a file system; `row-<n>.pdf` without one."""
    stem = _SAFE.sub("_", case.policy_number).strip("._") if case.policy_number else ""
    return f"{stem or f'row-{row}'}.{fmt}"


# ------------------------------------------------------------ workers


def warm_worker(product_path: str, locale: str, fmt: str) -> None:
    """Process initialiser: load, compile and warm everything once per worker."""
    from .case import load_case
    from .render import RenderError, illustration_file, render_html, render_pdf

    product = load(product_path)
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
    from .render import RenderError, render_html, render_pdf

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


def run_batch(product_path: Path, cases_path: Path, out_dir: Path, workers: int, locale: str,
              fmt: str, progress: Callable[[int, int | None], None] | None = None):
    """Render every case; bad rows are reported, not fatal. See `render.render_batch`."""
    from .render import BatchResult

    product = load(product_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    total = count_rows(cases_path)
    done = 0
    tick = progress or (lambda done, total: None)
    tick(0, total)
    for _row, status, message, path, cpu in _results(product, product_path, cases_path,
                                                   out_dir, workers, locale, fmt):
        done += 1
        if status == "written":
            result.written.append(path)
            result.cpu_seconds.append(cpu)
        elif status == "skipped":
            result.skipped.append(message)
        else:
            result.failed.append(message)
        tick(done, total)
    return result


def _results(product: Product, product_path: Path, cases_path: Path, out_dir: Path,
             workers: int, locale: str, fmt: str
             ) -> Iterator[tuple[int, str, str, Path, float]]:
    """(row, status, message, path, CPU seconds) per case, in completion order."""
    context = multiprocessing.get_context("spawn")
    limit = workers * IN_FLIGHT_PER_WORKER
    pending: dict[Future, Path] = {}
    names: set[str] = set()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=warm_worker,
                             initargs=(str(product_path), locale, fmt),
                             max_tasks_per_child=TASKS_PER_WORKER) as pool:
        for row, case in _read_cases(cases_path, product):
            if isinstance(case, CaseError):
                yield row, "failed", "\n".join(str(p) for p in case.problems), Path(), 0.0
                continue
            name = file_name(case, row, fmt)
            if name in names:
                name = f"{Path(name).stem}-row-{row}.{fmt}"
            names.add(name)
            path = out_dir / name
            pending[pool.submit(render_one, row, case, str(path))] = path
            while len(pending) >= limit:
                yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
        while pending:
            yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)


def _collect(pending: dict[Future, Path], finished: set[Future]
             ) -> Iterator[tuple[int, str, str, Path, float]]:
    for future in finished:
        path = pending.pop(future)
        row, status, message, cpu = future.result()
        yield row, status, message or "", path, cpu
