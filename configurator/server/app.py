"""The ASGI application: the API under ``/api/v1`` and the workbench, over one Environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

import anyio.to_thread
from fastapi import APIRouter, FastAPI

from ..environment import Environment
from . import api_cases, api_products, auth, errors, workbench
from .config import ServerConfig


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The application for `config` (default: loopback, bundled products, default db)."""
    config = config or ServerConfig()
    config.check()
    app = FastAPI(title="configurator", version=_version(), lifespan=_lifespan,
                  description="Managed-care single-disease insurance products: decide cases, "
                              "issue policies, review versions.",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.config = config
    app.state.env = Environment(products=config.products, db=config.db)
    errors.install(app)
    auth.install(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(api_products.router)
    api.include_router(api_cases.router)
    api.include_router(auth.router)
    app.include_router(api)
    app.include_router(workbench.router)
    return app


# Evaluations hold the GIL and take turns on the engine's lock: more threads than cores
# only add switching (40 threads made 200 concurrent requests three times slower).
REQUEST_THREADS = 4


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    yield


def _version() -> str:
    try:
        return version("configurator")
    except PackageNotFoundError:
        return "0"
