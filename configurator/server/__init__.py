"""Floor 7, the server: the HTTP API (``/api/v1``, OpenAPI at ``/openapi.json``) and the
workbench, another thin face over the `Environment` (like the CLI, no logic in routes).

    >>> from configurator.server import ServerConfig, create_app
    >>> app = create_app(ServerConfig(db="configurator.db"))      # an ASGI app for uvicorn
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ServerConfig

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` imported when first asked for: FastAPI and the routes take ~0.35 s to
    import, which every other command (and `configurator users`, which reads the users
    file through `server.users`) would pay for nothing."""
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
