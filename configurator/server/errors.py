"""Errors as the API returns them: JSON problem records and a status code, never a trace.

Every error body is ``{"problems": [record, ...]}``, each record the same
`Problem` the CLI prints (``file``, ``line``, ``column``, ``path``,
``message``, ``hint``, ``code``, and ``text``, the CLI's one-line form).
Status codes: 400 a request that is not well-formed, 401/403 who is asking,
404 nothing by that name, 409 a move the registry refuses, 413 too large,
422 input that does not check (a product, a case), 500 a bug (logged, no
details leaked).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


class TooLarge(ApiError):
    status = 413


def problems(status: int, records: list[Problem]) -> JSONResponse:
    return JSONResponse({"problems": [p.to_json() for p in records]}, status_code=status)


def message(status: int, text: str, code: str, hint: str | None = None) -> JSONResponse:
    return problems(status, [Problem(None, "", text, hint, code)])


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
        status = 404 if isinstance(exc, NotFound) else 409
        reasons = exc.reasons if isinstance(exc, PublishRefused) else [str(exc)]
        code = "lifecycle" if isinstance(exc, LifecycleError | PublishRefused) else "store"
        return problems(status, [Problem(None, "", r, None, code) for r in reasons])

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        LOGGER.error("engine error on %s %s: %s", request.method, request.url.path, exc)
        return message(500, "the rules engine failed; this is a bug in configurator",
                       "engine")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        records = [Problem(None, ".".join(str(p) for p in e.get("loc", ())),
                           str(e.get("msg", "invalid")), None, str(e.get("type", "invalid")))
                   for e in exc.errors()]
        status = 400 if any(p.code == "json_invalid" for p in records) else 422
        return problems(status, records)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return message(exc.status_code, str(exc.detail), "http")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        LOGGER.exception("unexpected error on %s %s", request.method, request.url.path)
        return message(500, "internal error; the server's log has the details", "internal")
