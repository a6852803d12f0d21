"""Errors as the API returns them: JSON problem records and a status code, never a trace.

Every error body is ``{"problems": [record, ...]}``, each record the same
`Problem` the CLI prints (``file``, ``line``, ``column``, ``path``,
``message``, ``hint``, ``code``, and ``text``, the CLI's one-line form).
Status codes: 400 a request that is not well-formed, 401/403 who is asking,
404 nothing by that name, 409 a move the registry refuses (or a database it
cannot use), 413 too large, 422 input that does not check (a product, a
case), 503 an evaluation over its time limit or no worker free, 500 a bug
(logged, no details leaked).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ..errors import ConfigError, ConfiguratorError, EngineError, Problem, StoreError
from ..registry.store import LifecycleError, PublishRefused
from ..registry.versions import NotFound

LOGGER = logging.getLogger("configurator.server")


class ApiError(ConfiguratorError):
    """A refusal with an HTTP status: raised by routes, turned into problem records."""

    status = 400

    def __init__(self, message: str, hint: str | None = None, path: str = ""):
        super().__init__(message)
        self.problem = Problem(None, path, message, hint, type(self).__name__.lower())


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class Missing(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class TooLarge(ApiError):
    status = 413


class Unusable(ApiError):
    """Well-formed, but not what it must be (an upload that is no batch file)."""

    status = 422


class Unavailable(ApiError):
    """Not now: an evaluation over its time limit, or every worker busy for as long."""

    status = 503


class BodyTooLarge(HTTPException):
    """Raised while a request body is read, as soon as it passes its limit (`limits.py`).

    An `HTTPException`, so FastAPI passes it through its body parsing untouched."""

    def __init__(self, limit: int, what: str):
        super().__init__(413, f"the {what} is larger than the server accepts "
                              f"({limit:,} bytes)")


# ------------------------------------------------------------ documented in /openapi.json


class ProblemRecord(BaseModel):
    """One problem: where it is (file, line, column, path inside the document) and what."""

    file: str | None = Field(description="the file (or name the request gave); null when the "
                                         "problem is about the request as a whole")
    line: int | None
    column: int | None
    path: str = Field(description="the path inside the document, e.g. eligibility[0].when")
    message: str
    hint: str | None
    code: str = Field(description="the kind of problem: invalid, case, lifecycle, store, "
                                  "missing, too_large, ...")
    text: str = Field(description="the CLI's one-line form: file:line:col: path: message; hint")


class Problems(BaseModel):
    """Every error the API returns: the same problem records the CLI prints."""

    problems: list[ProblemRecord]


_WHY = {400: "the request is not well-formed (malformed JSON, a bad reference)",
        401: "not signed in", 403: "signed in, but without the role this needs",
        404: "no product, version, job or record by that name",
        409: "the registry refuses the move (four eyes, lifecycle, overlap) or cannot be used",
        413: "the body or upload is larger than the server accepts",
        422: "the input does not check (a product, a case, a field out of range)",
        500: "a bug in configurator (logged; no details are given)",
        503: "the evaluation took longer than the server allows, or no worker was free"}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, each a `Problems` body."""
    return {status: {"model": Problems, "description": _WHY[status]} for status in statuses}


COMMON = (400, 401, 403, 413, 422, 500, 503)
"""Statuses any API route can answer with (the router documents them for all)."""


# ------------------------------------------------------------ handlers


def problems(status: int, records: list[Problem],
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"problems": [p.to_json() for p in records]}, status_code=status,
                        headers=headers)


def message(status: int, text: str, code: str, hint: str | None = None) -> JSONResponse:
    return problems(status, [Problem(None, "", text, hint, code)])


def _store_status(exc: StoreError) -> int:
    return 404 if isinstance(exc, NotFound) else 409


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem records."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problems(exc.status, [exc.problem])

    @app.exception_handler(ConfigError)
    async def config_error(request: Request, exc: ConfigError) -> JSONResponse:
        return problems(422, exc.problems)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        reasons = exc.reasons if isinstance(exc, PublishRefused) else [str(exc)]
        code = "lifecycle" if isinstance(exc, LifecycleError | PublishRefused) else "store"
        return problems(_store_status(exc), [Problem(None, "", r, None, code) for r in reasons])

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        LOGGER.error("engine error on %s %s: %s", request.method, request.url.path, exc)
        return message(500, "the rules engine failed; this is a bug in configurator",
                       "engine")

    @app.exception_handler(ConfiguratorError)
    async def refused(request: Request, exc: ConfiguratorError) -> JSONResponse:
        # raised on purpose and not bad input as such: a file that cannot be written, ...
        return message(409, str(exc), "refused")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        records = [Problem(None, ".".join(str(p) for p in e.get("loc", ())),
                           str(e.get("msg", "invalid")), None, str(e.get("type", "invalid")))
                   for e in exc.errors()]
        status = 400 if any(p.code == "json_invalid" for p in records) else 422
        return problems(status, records)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {413: "too_large", 404: "missing", 405: "method"}.get(exc.status_code, "http")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allowed = _allowed(request, (headers or {}).get("Allow"))
            headers = {**(headers or {}), **({"Allow": allowed} if allowed else {})}
        return problems(exc.status_code, [Problem(None, "", str(exc.detail), None, code)],
                        headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        LOGGER.exception("unexpected error on %s %s", request.method, request.url.path)
        return message(500, "internal error; the server's log has the details", "internal")


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def _allowed(request: Request, given: str | None) -> str | None:
    """Every method the path answers to, as /openapi.json documents them (Starlette's 405
    names only the first route's); `given` for a path the document does not have."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations if method.upper() in METHODS}
    return ", ".join(sorted(methods)) if methods else given
