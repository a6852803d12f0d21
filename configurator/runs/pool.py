"""One way to run work in worker processes: spawned, warmed once, a bounded window.

The engine's C state must never be forked, and its calls hold the GIL, so
parallel work means spawned processes, each warmed once by an initializer
(load and compile the product, warm the fonts...) and then fed task after
task. At most `limit` tasks are in flight, so memory stays flat however long
the input is. Batch evaluation and batch rendering both run through here.

Workers die with their parent: on Linux the kernel kills them when it goes
(``PR_SET_PDEATHSIG``), and everywhere a watchdog thread exits a worker whose
parent is gone. Workers ignore ``SIGINT`` (a Ctrl-C reaches the whole
process group; the parent handles it). When the parent leaves a pool's block
by an exception (an error, Ctrl-C, a ``SIGTERM`` turned into an exception by
`exit_on_signals`) the workers are terminated at once instead of being
waited for.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

IN_FLIGHT_PER_WORKER = 4
WATCH_SECONDS = 0.5  # how often a worker checks that its parent is alive
_PR_SET_PDEATHSIG = 1


@contextmanager
def spawn_pool(workers: int, initializer: Callable[..., None] | None, initargs: tuple,
               max_tasks_per_child: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """`workers` spawned processes, each run through `initializer(*initargs)` (if any) once.

    Leaving the block normally waits for the workers to finish; leaving it by
    an exception (``KeyboardInterrupt`` and ``SystemExit`` included) kills them.
    """
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs),
                               max_tasks_per_child=max_tasks_per_child)
    try:
        yield pool
    except BaseException:
        tear_down(pool)
        raise
    pool.shutdown(wait=True)


def tear_down(pool: ProcessPoolExecutor) -> None:
    """Stop `pool` now: pending tasks cancelled, workers terminated (killed if they linger)."""
    # `_processes`, `_executor_manager_thread`, `_result_queue` and `_call_queue` are private,
    # but the only handles on the workers, the executor's manager thread and its pipes (the
    # same in 3.11 and 3.12); read before `shutdown`, which forgets them
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    calls = getattr(pool, "_call_queue", None)
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 5
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)
    # A worker terminated while it sent a result leaves the manager thread reading the rest
    # of that message for ever: this process holds the pipe's other end too. Closed here, once
    # no worker can write, the read ends (EOFError: the pool is broken, its thread exits).
    # Left blocked, the thread hung the interpreter's exit, which joins it with no timeout.
    if results is not None and not any(process.is_alive() for process in processes):
        results._writer.close()
    # Before CPython 3.11.5 (gh-94777) the same hang came the other way: the call queue's
    # feeder thread blocked writing a task into a full pipe no worker reads any more, and
    # the manager thread joins it for ever. Closing the pipe's read end, as 3.11.5's manager
    # thread does itself (so not done twice), fails that write and the feeder ends. This
    # process never reads that pipe, so it is closed whether or not a worker still looks
    # alive (one killed a moment ago was seen to, and hung the exit without this).
    if calls is not None and sys.version_info < (3, 11, 5):
        calls._reader.close()
    # let the manager thread see its workers gone and close its wake-up pipe now: left
    # running, it raced the interpreter's exit hook, which could write to that pipe as it
    # closed ("Exception ignored ... Bad file descriptor" after a SIGTERM, CPython 3.11)
    if manager is not None and manager is not threading.current_thread():
        manager.join(max(0.0, deadline - time.monotonic()) + 1)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple
                  ) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def die_with_parent(parent: int) -> None:
    """Make this process exit when process `parent` (the one that started it) is gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still works
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _exit_on(signum: int, frame: Any) -> None:
    signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
    raise SystemExit(128 + signum)


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """While the block runs, ``SIGTERM`` and ``SIGHUP`` raise ``SystemExit`` (128 + signal).

    So `finally` blocks run on a polite kill too: workers are torn down and
    temporary files removed. Only in the main thread, and only where no
    handler of the program's own is installed; the old handlers come back after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _exit_on)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
