"""Floor 7, the server: the HTTP API (``/api/v1``, OpenAPI at ``/openapi.json``) and the
workbench, another thin face over the `Environment` (like the CLI, no logic in routes).

    >>> from configurator.server import ServerConfig, create_app
    >>> app = create_app(ServerConfig(db="configurator.db"))      # an ASGI app for uvicorn
"""

from __future__ import annotations

from .app import create_app
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
