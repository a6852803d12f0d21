"""What the server holds every request to: body and upload sizes, and time per evaluation.

- **Sizes.** `BodyLimit` (ASGI middleware) refuses a body whose
  ``Content-Length`` is over the limit before reading any of it, and counts
  the bytes of a body sent without one (chunked), refusing it (413) as soon
  as it passes the limit: no request is ever read whole first.
  ``multipart/form-data`` (batch uploads) is held to `max_upload_bytes`,
  anything else to `max_body_bytes`. `save_upload` streams an upload to disk
  in chunks, whole or not at all, under the same limit.
- **Time.** The C engine cannot be interrupted and holds one lock per
  process, so a thread cannot be given a deadline. Every case evaluation
  (and every lint, which evaluates the product's worked example) runs in one
  of a few spawned worker processes (`Evaluations`), one task at a time per
  worker; the request waits at most `evaluation_seconds` for a free worker and
  at most as long again for the answer. A worker over the limit is killed
  (and replaced on demand) and the request gets a 503 problem; nothing is
  left running. The worker loads the same product the same way (the same
  file or ``id@version``, checked by content hash), so its Outcome is the one
  the CLI prints, byte for byte. Workers exit when the server is gone.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile

from ..cases.case import Case
from ..cases.outcome import Outcome
from ..compliance.lint import Finding, lint
from ..environment import Environment
from ..errors import (
    CaseError,
    CompileError,
    ConfigError,
    ConfiguratorError,
    EngineError,
    Problem,
    ProductError,
    StoreError,
)
from ..files import atomic_file
from ..product.model import Product
from ..registry.versions import NotFound
from .config import ServerConfig
from .errors import BadRequest, BodyTooLarge, TooLarge, Unavailable

LOGGER = logging.getLogger("configurator.server")
CHUNK = 64 * 1024
START_SECONDS = 120.0  # a worker's start-up (imports, fonts): not counted against a request
EVALUATION_WORKERS = max(1, min(4, os.cpu_count() or 1))
WORKER_PRODUCTS = 16  # products a worker keeps loaded
WATCH_SECONDS = 0.5  # how often a worker checks that the server is alive
WARM_DELAY = 2.0  # seconds after start-up before the workers are started ahead of need


# ------------------------------------------------------------ shape


def single_values(request: Request) -> None:
    """A dependency of every API route: each query parameter given once.

    No API parameter is a list, and a framework reading a repeated one takes
    its last value silently; the request is refused instead (400)."""
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise BadRequest(f"the query parameter {repeated[0][:40]!r} is given more than once",
                         "give each query parameter once", repeated[0][:40])


# ------------------------------------------------------------ sizes


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit, before or while it is read."""

    def __init__(self, app: Any, config: ServerConfig):
        self.app = app
        self.config = config

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        upload = headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit = self.config.max_upload_bytes if upload else self.config.max_body_bytes
        what = "upload" if upload else "request body"
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            status = 413 if length.isdigit() else 400
            text = (f"the {what} is larger than the server accepts ({limit:,} bytes)"
                    if status == 413 else "Content-Length is not a number")
            await _refuse(send, status, text)
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, what)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Any, status: int, text: str) -> None:
    code = "too_large" if status == 413 else "invalid"
    record = Problem(None, "", text, None, code).to_json()
    body = json.dumps({"problems": [record]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def save_upload(upload: UploadFile, target: Path, limit: int) -> int:
    """Copy `upload` to `target` in chunks (whole or not at all); its size in bytes.

    Over `limit` bytes it is refused (`TooLarge`) and nothing is left at `target`.
    """
    size = 0
    upload.file.seek(0)
    with atomic_file(target, "wb") as handle:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the upload is larger than the server accepts ({limit:,} bytes)")
            handle.write(chunk)
    return size


# ------------------------------------------------------------ time: evaluation workers


class TimeUp(Exception):
    """A worker did not answer within its time."""


def source_of(product: Product, text: str | None = None) -> tuple:
    """How a worker loads the same product: its file or ``id@version``, or the YAML text
    a request sent (`text`), with the content hash it must come out with."""
    if text is not None:
        return ("text", text, product.source_file, product.hash)
    return ("load", product.source_file, product.hash)


class Evaluations:
    """Case evaluations and lint in worker processes, each held to a time limit."""

    def __init__(self, env: Environment, seconds: float, workers: int = EVALUATION_WORKERS):
        self.env = env
        self.seconds = seconds
        self.size = max(1, workers)
        self._idle: list[_Worker] = []
        self._started = 0
        self._closed = False
        self._cond = threading.Condition()

    def evaluate(self, product: Product, case: Case, *, explain: bool = False,
                 locale: str = "en") -> Outcome:
        """`env.evaluate(product, case, ...)`, in a worker, within the time limit."""
        return self._call(("evaluate", source_of(product), case, explain, locale))

    def lint(self, product: Product, profile: str, text: str | None = None) -> list[Finding]:
        """`lint(product, profile, env.illustration(product))`, in a worker, within the limit;
        `text` is the YAML a request sent (a product with no file to load it from)."""
        return self._call(("lint", source_of(product, text), profile))

    def warm(self, delay: float = WARM_DELAY) -> None:
        """Start the missing workers in the background after `delay` seconds (unless
        closed by then: a server started and stopped at once, as in tests, spawns
        nothing), so no request waits for one. Each is free for requests as soon as it
        has started, and a worker already free is never held back."""
        def start() -> None:
            with self._cond:
                self._cond.wait_for(lambda: self._closed, delay)
            while True:
                with self._cond:
                    if self._closed or self._started >= self.size:
                        return
                    self._started += 1
                try:
                    worker = _Worker(self.env)
                except Exception as exc:  # noqa: BLE001 - a request will try again
                    self._lost(None)
                    LOGGER.warning("could not start an evaluation worker: %s", exc)
                    return
                self._give(worker)

        threading.Thread(target=start, name="evaluation-warm-up", daemon=True).start()

    def close(self) -> None:
        """Stop every worker (those busy are stopped when they come back)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.kill()

    def _call(self, task: tuple) -> Any:
        worker = self._take(self.seconds)
        try:
            reply = worker.call(task, self.seconds)
        except TimeUp:
            self._lost(worker)
            LOGGER.warning("an evaluation took longer than %ss; its worker was stopped",
                           self.seconds)
            raise Unavailable(f"the evaluation took longer than the {self.seconds:g} s the "
                              f"server allows; it was stopped",
                              "a case with fewer events, or an earlier as_of, takes less "
                              "time") from None
        except (EOFError, OSError) as exc:
            self._lost(worker)
            raise EngineError(f"an evaluation worker died ({type(exc).__name__})") from None
        self._give(worker)
        return _unwrap(reply)

    def _take(self, seconds: float) -> _Worker:
        deadline = time.monotonic() + seconds
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("the server is shutting down")
                if self._idle:
                    return self._idle.pop()
                if self._started < self.size:
                    self._started += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Unavailable(f"every evaluation worker was busy for {seconds:g} s",
                                      "try again in a moment")
                self._cond.wait(remaining)
        try:
            return _Worker(self.env)
        except BaseException:
            self._lost(None)
            raise

    def _give(self, worker: _Worker) -> None:
        with self._cond:
            if not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
        worker.kill()

    def _lost(self, worker: _Worker | None) -> None:
        if worker is not None:
            worker.kill()
        with self._cond:
            self._started -= 1
            self._cond.notify()


class _Worker:
    """One spawned process and the pipe to it; one task at a time."""

    def __init__(self, env: Environment):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        products = str(env.products_folder)
        self.process = context.Process(target=serve_worker, name="configurator-evaluator",
                                       args=(child, os.getpid(), products, str(env.db_path)),
                                       daemon=True)
        self.process.start()
        child.close()
        try:
            if not self.conn.poll(START_SECONDS):
                raise EOFError
            self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise EngineError("an evaluation worker did not start") from None

    def call(self, task: tuple, seconds: float) -> tuple:
        self.conn.send(task)
        if not self.conn.poll(seconds):
            raise TimeUp()
        return self.conn.recv()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


# ------------------------------------------------------------ inside a worker


def serve_worker(conn: Any, parent: int, products: str, db: str) -> None:
    """A worker's life: answer tasks one at a time until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch",
                     daemon=True).start()
    env = Environment(products=products, db=db)
    loaded: OrderedDict[tuple, Product] = OrderedDict()
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(env, loaded, task))


def _watch_parent(parent: int) -> None:
    """Exit when the server is gone. (Not ``PR_SET_PDEATHSIG``, as `runs.pool` has it: that
    follows the thread that started the worker, and a server starts workers from request
    threads that come and go.)"""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _answer(env: Environment, loaded: OrderedDict, task: tuple) -> tuple:
    try:
        product = _product(env, loaded, task[1])
        if task[0] == "evaluate":
            _, _, case, explain, locale = task
            return ("ok", env.evaluate(product, case, explain=explain, locale=locale))
        return ("ok", lint(product, task[2], env.illustration(product)))
    except ConfiguratorError as exc:
        return ("error", _encoded(exc))
    except Exception:  # noqa: BLE001 - a bug: logged here, a 500 there, the worker lives on
        LOGGER.exception("evaluation worker failed")
        return ("error", ("internal", "", None))


def _product(env: Environment, loaded: OrderedDict, source: tuple) -> Product:
    key = (source[0], source[-2], source[-1]) if source[0] == "text" else source
    product = loaded.get(key)
    if product is None:
        product = env.loads(source[1], source[2]) if source[0] == "text" else env.load(source[1])
        if product.hash != source[-1]:
            raise StoreError(f"{source[-2]} changed while it was being evaluated (hash "
                             f"{product.hash}, not {source[-1]}); try again")
        loaded[key] = product
        while len(loaded) > WORKER_PRODUCTS:
            loaded.popitem(last=False)
    loaded.move_to_end(key)
    return product


_CONFIG_ERRORS = {cls.__name__: cls for cls in (ConfigError, ProductError, CaseError,
                                                CompileError)}


def _encoded(exc: ConfiguratorError) -> tuple:
    """An error as plain data (exceptions with positioned problems do not pickle whole)."""
    if isinstance(exc, ConfigError):
        name = type(exc).__name__
        return ("config", name if name in _CONFIG_ERRORS else "ConfigError", exc.problems)
    if isinstance(exc, NotFound):
        return ("missing", str(exc), None)
    if isinstance(exc, StoreError):
        return ("store", str(exc), None)
    if isinstance(exc, EngineError):
        return ("engine", str(exc), None)
    return ("other", str(exc), None)


def _unwrap(reply: tuple) -> Any:
    """A worker's answer, or its error raised again here."""
    status, value = reply
    if status == "ok":
        return value
    kind, text, problems = value
    if kind == "config":
        raise _CONFIG_ERRORS[text](problems)
    raise {"missing": NotFound, "store": StoreError, "engine": EngineError,
           "other": ConfiguratorError}.get(kind, RuntimeError)(text or "worker failed")
