"""One way to run work in worker processes: spawned, warmed once, a bounded window.

The engine's C state must never be forked, and its calls hold the GIL, so
parallel work means spawned processes, each warmed once by an initializer
(load and compile the product, warm the fonts...) and then fed task after
task. At most `limit` tasks are in flight, so memory stays flat however long
the input is. Batch evaluation and batch rendering both run through here.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

IN_FLIGHT_PER_WORKER = 4


def spawn_pool(workers: int, initializer: Callable[..., None], initargs: tuple,
               max_tasks_per_child: int | None = None) -> ProcessPoolExecutor:
    """`workers` spawned processes, each run through `initializer(*initargs)` once."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer, initargs=initargs,
                               max_tasks_per_child=max_tasks_per_child)


def bounded(pool: ProcessPoolExecutor, fn: Callable[..., Any], tasks: Iterable[tuple],
            limit: int, ordered: bool) -> Iterator[tuple[tuple, Any]]:
    """(task, fn(*task)) for every task, at most `limit` in flight at once.

    With `ordered`, results come in the order of `tasks`; otherwise as they finish.
    """
    if ordered:
        yield from _in_order(pool, fn, tasks, limit)
    else:
        yield from _as_finished(pool, fn, tasks, limit)


def _in_order(pool: ProcessPoolExecutor, fn: Callable[..., Any], tasks: Iterable[tuple],
              limit: int) -> Iterator[tuple[tuple, Any]]:
    pending: deque[tuple[tuple, Future]] = deque()
    for task in tasks:
        pending.append((task, pool.submit(fn, *task)))
        if len(pending) >= limit:
            task, future = pending.popleft()
            yield task, future.result()
    while pending:
        task, future = pending.popleft()
        yield task, future.result()


def _as_finished(pool: ProcessPoolExecutor, fn: Callable[..., Any], tasks: Iterable[tuple],
                 limit: int) -> Iterator[tuple[tuple, Any]]:
    pending: dict[Future, tuple] = {}
    for task in tasks:
        pending[pool.submit(fn, *task)] = task
        while len(pending) >= limit:
            yield from _collect(pending)
    while pending:
        yield from _collect(pending)


def _collect(pending: dict[Future, tuple]) -> Iterator[tuple[tuple, Any]]:
    for future in wait(pending, return_when=FIRST_COMPLETED).done:
        yield pending.pop(future), future.result()
