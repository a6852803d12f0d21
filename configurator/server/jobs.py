"""Batch jobs: a CSV or JSON-lines file of cases in, a results file out, off the request.

A job is a folder ``<db>.jobs/<id>/`` beside the registry database, holding
the upload (``input.csv`` or ``input.jsonl``, streamed to disk under the
upload limit), the results when done (``results.csv`` / ``results.jsonl``,
written whole by `runs.batch.run_batch`) and ``job.json``, its state (saved
whole at every change of status and at most every half second while it
runs). The id is 32 random bytes (URL-safe base64), so a job cannot be
found by guessing, and only the user who submitted it can see it.

Jobs run in the background, one at a time per worker slot (``job_workers``
threads, each feeding `run_batch` and following its progress); a request
only queues one. Jobs outlive a page reload and a restart: a server that
starts over a jobs folder queues again every job that was queued or running
(a killed run left no results file, and with ``record`` the audit trail
skips the rows already recorded under the job's batch id).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from ..environment import Environment
from ..errors import ConfigError, ConfiguratorError, Problem, Span
from ..files import write_atomic
from ..registry.audit import BatchRecorder, registered_for_audit
from ..runs.batch import run_batch
from .auth import User
from .errors import Conflict, Missing, Unusable
from .limits import save_upload
from .refs import product_for, stable_ref, upload_name

LOGGER = logging.getLogger("configurator.server")
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
SAVE_SECONDS = 0.5
MAX_PROBLEMS = 1000  # problems kept per job (the count is kept whole)
STATES = ("queued", "running", "done", "failed")


@dataclass
class Job:
    """One batch job's state, as saved in its ``job.json``."""

    id: str
    user: str
    product: str  # a reference that names this very version again
    product_hash: str
    input: str  # the upload's name, made safe (labels problems only)
    suffix: str  # .csv or .jsonl: the input's format
    output: str  # .csv or .jsonl: the results' format
    record: bool
    status: str = "queued"
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    total: int | None = None
    processed: int = 0
    written: int = 0
    skipped: int = 0
    problem_count: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        job = cls(**data)
        if not JOB_ID.match(job.id) or job.status not in STATES or \
                job.suffix not in (".csv", ".jsonl") or job.output not in (".csv", ".jsonl"):
            raise ValueError("not a job configurator wrote")
        return job


class Jobs:
    """The jobs of one server: submitted, followed, run in the background, kept on disk."""

    def __init__(self, env: Environment, slots: int = 1):
        self.env = env
        self.folder = env.db_path.with_name(env.db_path.name + ".jobs")
        self.slots = slots
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._resume()

    # -------------------------------------------------------- for routes

    def submit(self, user: User, ref: str, upload: UploadFile, output: str | None,
               record: bool, limit: int) -> Job:
        """Queue a job for `upload` (streamed to disk under `limit` bytes)."""
        name = upload_name(upload.filename, "cases.csv")
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise Unusable(f"'{name}' is neither .csv nor .jsonl", "upload a batch file of "
                           "cases: CSV with dotted headers, or JSON lines", "file")
        product = product_for(self.env, ref)
        if record:
            with self.env.store(readonly=True) as store:
                registered_for_audit(store, product)  # published, same content: or 409 now
        job = Job(secrets.token_urlsafe(32), user.name, stable_ref(product), product.hash,
                  name, suffix, f".{output}" if output else suffix, record,
                  created_at=_now())
        folder = self.folder / job.id
        folder.mkdir(parents=True, mode=0o700)
        try:
            save_upload(upload, folder / f"input{suffix}", limit)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._jobs[job.id] = job
        self._save(job)
        self._queue.put(job.id)
        self._start()
        return job

    def get(self, job_id: str, user: User) -> Job:
        """The job `job_id` of `user` (404 for any other, to them as to a guesser)."""
        job = self._jobs.get(job_id) if JOB_ID.match(job_id) else None
        if job is None and JOB_ID.match(job_id):
            job = self._read(self.folder / job_id / "job.json")
        if job is None or job.user != user.name:
            raise Missing("no such job", "jobs are listed at /api/v1/jobs", "job")
        return job

    def of(self, user: User) -> list[Job]:
        """Every job of `user`, newest first."""
        found = []
        for path in self._folders():
            job = self._jobs.get(path.name) or self._read(path / "job.json")
            if job is not None and job.user == user.name:
                found.append(job)
        return sorted(found, key=lambda job: job.created_at, reverse=True)

    def results(self, job_id: str, user: User) -> tuple[Job, Path]:
        """A finished job and its results file (409 while it is not done)."""
        job = self.get(job_id, user)
        if job.status != "done":
            raise Conflict(f"the job is {job.status}; its results are ready when it is done")
        return job, self.folder / job.id / f"results{job.output}"

    def close(self) -> None:
        """Stop taking jobs (a job running now finishes; queued ones wait for the next start)."""
        for _ in self._threads:
            self._queue.put(None)

    # -------------------------------------------------------- running

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self.slots:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"batch-jobs-{len(self._threads) + 1}")
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            job = self._jobs.get(job_id)
            if job is not None and job.status == "queued":
                self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", _now()
        job.processed, job.total = 0, None
        self._save(job)
        folder = self.folder / job.id
        try:
            report = self._batch(job, folder)
        except ConfigError as exc:
            self._fail(job, exc.problems, folder)
        except ConfiguratorError as exc:
            self._fail(job, [Problem(None, "", str(exc), None, "batch")], folder)
        except Exception:  # noqa: BLE001 - a bug fails this job, never the server
            LOGGER.exception("batch job %s failed", job.id)
            self._fail(job, [Problem(None, "", "internal error; the server's log has the "
                                     "details", None, "internal")], folder)
        else:
            job.written, job.skipped = report.written, report.skipped
            self._problems(job, report.problems, folder)
            job.status = "done"
        job.finished_at = _now()
        self._save(job)

    def _batch(self, job: Job, folder: Path) -> Any:
        product = product_for(self.env, job.product)
        if product.hash != job.product_hash:
            raise ConfiguratorError(f"{job.product} changed since the job was submitted "
                                    f"(hash {product.hash}, not {job.product_hash})")
        saved = [time.monotonic()]

        def progress(_: int) -> None:
            job.processed += 1
            if time.monotonic() - saved[0] > SAVE_SECONDS:
                saved[0] = time.monotonic()
                self._save(job)

        def total(rows: int) -> None:
            job.total = rows

        options = {"workers": 1, "on_progress": progress, "on_total": total, "env": self.env}
        cases, output = folder / f"input{job.suffix}", folder / f"results{job.output}"
        if not job.record:
            return run_batch(product, cases, output, **options)
        with self.env.store() as store:
            recorder = _ByUser(BatchRecorder(store, product, f"job-{job.id}"), job.user)
            return run_batch(product, cases, output, recorder=recorder, **options)

    def _fail(self, job: Job, problems: list[Problem], folder: Path) -> None:
        job.status = "failed"
        self._problems(job, problems, folder)

    def _problems(self, job: Job, problems: list[Problem], folder: Path) -> None:
        """Keep the first problems, naming the upload instead of the file on the server."""
        job.problem_count = len(problems)
        inside = str(folder / f"input{job.suffix}")
        job.problems = [_positioned(p, inside, job.input).to_json()
                        for p in problems[:MAX_PROBLEMS]]

    # -------------------------------------------------------- on disk

    def _save(self, job: Job) -> None:
        write_atomic(self.folder / job.id / "job.json",
                     json.dumps(job.to_json(), ensure_ascii=False, indent=1))

    def _read(self, path: Path) -> Job | None:
        try:
            return Job.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [path for path in self.folder.iterdir() if JOB_ID.match(path.name)]

    def _resume(self) -> None:
        """Queue again every job that was queued or running when the server stopped."""
        pending = []
        for path in self._folders():
            job = self._read(path / "job.json")
            if job is not None and job.status in ("queued", "running"):
                job.status = "queued"
                self._jobs[job.id] = job
                pending.append(job)
        for job in sorted(pending, key=lambda job: job.created_at):
            self._queue.put(job.id)
        if pending and self.slots:
            self._start()


class _ByUser:
    """A `BatchRecorder` whose rows name the user who submitted the job."""

    def __init__(self, recorder: BatchRecorder, user: str):
        self.recorder, self.user = recorder, user
        self.batch_id, self.secret, self.done = recorder.batch_id, recorder.secret, recorder.done
        self.skip = recorder.skip

    def add_row(self, row: dict[str, Any]) -> None:
        self.recorder.add_row({**row, "user": self.user})

    def flush(self) -> None:
        self.recorder.flush()


def _positioned(problem: Problem, inside: str, name: str) -> Problem:
    """`problem` naming the upload `name`, not the file `inside` the server, and positioned.

    `run_batch` reports a bad row as one line of text (its workers send text),
    ``FILE:LINE:COL: [path: ]message[; hint]``, in an unpositioned problem;
    its file, row (line) and column become the record's own again; the rest
    stays the message, as the CLI prints it.
    """
    if problem.span is not None:
        span = Span(problem.span.file.replace(inside, name), problem.span.line,
                    problem.span.col)
        return replace(problem, span=span, message=problem.message.replace(inside, name))
    message = problem.message.replace(inside, name)
    found = _ROW.match(message, len(name)) if message.startswith(name + ":") else None
    if found is None:
        return replace(problem, message=message)
    return Problem(Span(name, int(found["line"]), int(found["column"])), problem.path,
                   message[found.end():], problem.hint, problem.code)


_ROW = re.compile(r":(?P<line>\d+):(?P<column>\d+): ")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
