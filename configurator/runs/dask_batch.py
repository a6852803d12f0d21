"""Batch evaluation on Dask distributed: the one home of dask.

`dask_source(address)` plugs into `runs.batch.run_batch(source=...)`. ADDRESS is
``local:N`` (a `LocalCluster` of N spawned worker processes, started for the run
and stopped after it) or a scheduler's address (``tcp://host:port``; start one
with ``dask scheduler`` and workers with ``dask worker tcp://host:port`` on
machines where configurator is installed).

The input is cut here into partitions. Workers that see the input file (``local:N``, or
`dask_source(address, shared=True)` where every worker shares the file system) are sent
where each partition of a JSON-lines file lies (`cases.lines.line_spans`: bytes only, ~1
s a million rows) and read it themselves; otherwise the rows travel as text (JSON lines,
and CSV records as their cells, are made rows on the workers: `batch.unmade_rows`). Each
worker loads and compiles the product once (the product is sent once, `Client.scatter`,
as a `batch.Shipment`: a worker whose code is not the command's refuses it) and returns
each partition's results as one pickled bytes object. At most a few partitions per
worker are in flight, so memory stays flat. Results are handed on in input order, so the
output is byte for byte the local run's. A worker that dies has its partitions run again
elsewhere (the scheduler retries them); a partition's results are used once, whichever
attempt delivers them, so nothing is written twice. With ``--record`` the workers also
build the audit rows, leaving out rows the batch already recorded (a rerun after a crash
resumes where the last committed chunk ended), and the one writer here appends them in
input order. The cluster's own failures - no scheduler at the address, none of its
workers joined, the connection lost - end the run with one error (Dask's logged
tracebacks kept quiet) and nothing written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import socket
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dask
from distributed import Client, Future, LocalCluster
from distributed.comm.core import CommClosedError
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.scheduler import KilledWorker

from ..cases.batchfile import CsvHeader
from ..cases.lines import LineSpan, line_spans
from ..environment import Environment
from ..errors import ConfiguratorError, EngineError
from ..product.model import Product
from .batch import (
    Audit,
    Result,
    Shipment,
    Source,
    WorkerMismatch,
    chunks,
    evaluate_rows,
    recorded_among,
    shipment,
    unmade_rows,
)
from .pool import die_with_parent

PARTITION = 1000  # rows in one task
DEFAULT_PORT = 8786  # a scheduler's, when the address names none
WORKER_WAIT = 30  # seconds a scheduler may take to have its first worker
IN_FLIGHT_PER_WORKER = 3
RETRIES = 3  # a partition whose worker died is run again up to this many times
_LOCAL = re.compile(r"local:(\d{1,3})$")
# what a partition's future raises when the cluster, not the rows, failed: the scheduler or
# the connection to it lost (its futures cancelled), a worker dying each time it ran it
_CLUSTER_FAILED = (CommClosedError, CancelledError, KilledWorker, TimeoutError)


def check_address(address: str) -> str:
    """`address` if it is ``local:N`` (N from 1 to 256) or a scheduler URL, else an error."""
    local = _LOCAL.match(address)
    if local and 1 <= int(local[1]) <= 256:
        return address
    if re.match(r"(tcp|tls|inproc|ucx|ws|wss)://\S+$", address):
        try:
            numbered = urlsplit(address).port != 0  # None: no port given, Dask's own
        except ValueError:  # not a number, or past 65535
            numbered = False
        if not numbered:
            raise ConfiguratorError(f"--dask {address!r}: the port must be a number from 1 to "
                                    f"65535, as in tcp://host:8786")
        return address
    raise ConfiguratorError(f"--dask {address!r}: give local:N (N worker processes on this "
                            f"machine) or a scheduler address such as tcp://host:8786")


def dask_source(address: str, shared: bool | None = None) -> Source:
    """A `run_batch` source evaluating on the Dask cluster at `address`. With `shared`
    (the default for ``local:N``) the workers read their partitions of a JSON-lines file
    from the file itself, which they must see at the same path."""
    check_address(address)
    if shared is None:
        shared = bool(_LOCAL.match(address))

    def source(env: Environment, product: Product, cases: Path, audit: Audit | None,
               done: frozenset[int], output: str | None = None) -> Iterator[Result]:
        with _client(address) as client:
            yield from _results(client, product, cases, audit, done, shared, output)

    return source


class _DieWithDriver(WorkerPlugin):
    """Local workers exit when the driver process that started them is gone."""

    name = "configurator-die-with-driver"

    def __init__(self, driver: int):
        self.driver = driver

    def setup(self, worker: Any) -> None:
        if os.getppid() == self.driver:
            die_with_parent(self.driver)


# A cluster started for one run is tuned for it: no stack sampling (the workers' profiler
# samples every thread every 10 ms), the event loops' health tick every second instead of
# every 20 ms, memory and system checks less often, no work stealing (the driver keeps a
# few partitions per worker in flight). On 100,000 rows (bench/batch.py): 23% more CPU a
# row than the 2-worker pool with Dask's defaults, 9% with these. The client gathers results
# from the workers directly: through the scheduler (which runs in this process) every
# partition's results crossed two connections (2-4 points of the overhead, paired runs).
_QUIET = {"distributed.worker.profile.enabled": False,
          "distributed.admin.tick.interval": "1s",
          "distributed.admin.system-monitor.interval": "5s",
          "distributed.worker.memory.monitor-interval": "1s",
          "distributed.scheduler.work-stealing": False}


class _client:
    """A client on `address`; for ``local:N`` a cluster started now and stopped after."""

    def __init__(self, address: str):
        self.address, self.cluster, self.client = address, None, None
        # dask's loggers with a level of their own ("distributed", "distributed.client", ...)
        self.levels = {logger: logger.level for logger in map(
            logging.getLogger, sorted(logging.root.manager.loggerDict))
            if logger.name.partition(".")[0] == "distributed" and logger.level}

    def __enter__(self) -> Client:
        # Dask logs each failed reconnection with its traceback; what failed is said once, by
        # the error the run ends with (the scheduler's and workers' own logs keep theirs)
        for logger in self.levels:
            logger.setLevel(logging.CRITICAL)
        local = _LOCAL.match(self.address)
        try:
            if local:
                with dask.config.set(_QUIET):  # read as the cluster and client start
                    self.cluster = LocalCluster(
                        n_workers=int(local[1]), threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.CRITICAL,
                        # its health and metrics server, which it starts even without a
                        # dashboard: any free port (on 8787 by default, warning if taken)
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                    self.client = Client(self.cluster, direct_to_workers=True)
                self.client.register_plugin(_DieWithDriver(os.getpid()))
            else:
                unreachable = _unreachable(self.address)
                if unreachable:
                    raise ConfiguratorError(f"--dask {self.address}: {unreachable}")
                self.client = Client(self.address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise ConfiguratorError(f"--dask {self.address}: cannot reach the cluster "
                                    f"({exc})") from None
        try:  # tasks sent to a scheduler with no worker would wait for ever
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except (OSError, TimeoutError):
            self.__exit__()
            raise ConfiguratorError(f"--dask {self.address}: the scheduler has no workers "
                                    f"(waited {WORKER_WAIT} s); start 'dask worker "
                                    f"{self.address}' on the machines that evaluate") from None
        return self.client

    def __exit__(self, *exc: Any) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - closing must not hide the run's own error
                    pass
        for logger, level in self.levels.items():
            logger.setLevel(level)


def _unreachable(address: str) -> str | None:
    """Why no scheduler can be at a ``tcp://`` or ``tls://`` address - its host unknown, or
    its port refusing connections - found at once, where Dask's client would retry for its
    whole timeout (30 s); None when a connection opens, or it cannot tell (Dask then says)."""
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return None
    port = parts.port or DEFAULT_PORT  # `check_address` took out ports that are not numbers
    try:
        with socket.create_connection((parts.hostname, port), timeout=5):
            return None
    except socket.gaierror:
        return f"there is no host named {parts.hostname!r}; check the address"
    except ConnectionRefusedError:
        return (f"nothing listens on {parts.hostname} port {port} (connection refused); start "
                f"'dask scheduler' there, or check the port")
    except OSError:
        return None


def _partitions(cases: Path, shared: bool, done: frozenset[int]
                ) -> Iterator[tuple[list | LineSpan, frozenset[int], CsvHeader | None]]:
    """(rows, or where they lie in the file; the rows among them recorded before; a CSV
    file's header, to make its records rows with)."""
    spans = line_spans(cases, PARTITION) if shared and cases.suffix == ".jsonl" else None
    if spans is None:
        rows, header = unmade_rows(cases)
        for chunk in chunks(rows, PARTITION):
            yield chunk, recorded_among(chunk, done), header
        return
    recorded = sorted(done)
    for index, span in enumerate(spans):
        last = spans[index + 1][2] if index + 1 < len(spans) else None  # its last line
        yield span, frozenset(recorded[bisect_right(recorded, span[2]):
                                       bisect_right(recorded, last) if last is not None else None]
                              ), None


def _results(client: Client, product: Product, cases: Path, audit: Audit | None,
             done: frozenset[int], shared: bool, output: str | None = None
             ) -> Iterator[Result]:
    sent = client.scatter(shipment(product), broadcast=True, hash=False)  # once a worker
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    limit = IN_FLIGHT_PER_WORKER * workers + 1
    run = hashlib.sha256(f"{cases}:{os.getpid()}:{id(client)}".encode()).hexdigest()[:12]
    pending: deque[tuple[int, Future]] = deque()
    last = 0
    for index, (chunk, recorded, header) in enumerate(_partitions(cases, shared, done)):
        pending.append((index, client.submit(
            evaluate_partition, sent, str(cases), audit, chunk, recorded, output, header,
            key=f"configurator-{run}-{index}", retries=RETRIES, pure=False)))
        if len(pending) >= limit:
            last = yield from _take(pending, cases, last)
    while pending:
        last = yield from _take(pending, cases, last)


def _take(pending: deque, cases: Path, last: int) -> Iterator[Result]:
    index, future = pending.popleft()
    try:
        results = pickle.loads(future.result())
    except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost scheduler, ...
        for _, other in pending:
            other.cancel()
        if isinstance(exc, WorkerMismatch):  # after Dask's retries (mostly on the same worker)
            raise WorkerMismatch(f"{exc}; no results were written") from None
        if isinstance(exc, _CLUSTER_FAILED):  # the cluster failed, not the rows
            raise ConfiguratorError(f"the Dask cluster failed while it evaluated the rows after "
                                    f"row {last} of {cases} ({type(exc).__name__}: "
                                    f"{' '.join(str(exc).split())[:200]}); no results were "
                                    f"written: check the scheduler and the workers, and run "
                                    f"again") from None
        if isinstance(exc, OSError):  # a worker could not read its part of the input
            raise ConfiguratorError(f"a Dask worker could not read its part of {cases} ({exc}); "
                                    f"no results were written") from None
        if isinstance(exc, ConfiguratorError):  # said by configurator on the worker
            raise ConfiguratorError(f"a Dask worker: {exc}; no results were written") from None
        raise EngineError(f"the Dask cluster could not evaluate the rows after row {last} of "
                          f"{cases} ({type(exc).__name__}: {str(exc)[:200]}); no results were "
                          f"written") from None
    finally:
        future.release()
    yield from results
    return results[-1][0] if results else last


def evaluate_partition(shipped: Shipment, file: str, audit: Audit | None,
                       chunk: list | LineSpan, done: frozenset[int],
                       output: str | None = None, header: CsvHeader | None = None) -> bytes:
    """On a worker: one partition's results (`batch.evaluate_rows`: the product loaded and
    compiled once a worker), pickled here: Dask sends bytes as they are, while its own
    serialisation of a list of rows took ~7% of a worker's CPU, on its event loop."""
    return pickle.dumps(evaluate_rows(shipped, file, audit, chunk, done, output, header),
                        protocol=pickle.HIGHEST_PROTOCOL)
