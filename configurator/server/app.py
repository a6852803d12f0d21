"""The ASGI application: the API under ``/api/v1`` and the workbench, over one Environment.

Besides the façade, the application holds (``app.state``) the evaluation
workers (`limits.Evaluations`: every case evaluation and lint, within the
time limit) and the batch jobs (`jobs.Jobs`); both start on demand and stop
with the application.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI

from ..environment import Environment
from . import (
    api_cases,
    api_documents,
    api_jobs,
    api_products,
    api_registry,
    api_review,
    auth,
    errors,
    workbench,
)
from .config import ServerConfig
from .jobs import Jobs
from .limits import BodyLimit, Evaluations, single_values


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The application for `config` (default: loopback, bundled products, default db)."""
    config = config or ServerConfig()
    config.check()
    app = FastAPI(title="configurator", version=_version(),
                  description="Managed-care single-disease insurance products: decide cases, "
                              "issue policies, review versions.",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None,
                  lifespan=_lifespan)
    app.state.config = config
    app.state.env = env = Environment(products=config.products, db=config.db)
    app.state.evaluations = Evaluations(env, config.evaluation_seconds)
    app.state.jobs = Jobs(env, config.job_workers)
    errors.install(app)
    app.add_middleware(BodyLimit, config=config)
    auth.install(app)  # its guard outermost: host names first, and every answer logged
    api = APIRouter(prefix="/api/v1", responses=errors.documented(*errors.COMMON),
                    dependencies=[Depends(single_values)])
    for module in (api_products, api_review, api_cases, api_documents, api_registry, api_jobs,
                   auth):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(workbench.router)
    return app


# Requests wait on the GIL, the engine's lock or a worker process: more threads than cores
# only add switching (40 threads made 200 concurrent requests three times slower).
REQUEST_THREADS = 4


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    app.state.evaluations.warm()
    try:
        yield
    finally:
        app.state.jobs.close()
        app.state.evaluations.close()


def _version() -> str:
    try:
        return version("configurator")
    except PackageNotFoundError:
        return "0"
