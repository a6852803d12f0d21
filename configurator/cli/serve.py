"""`configurator serve`: the HTTP API and the workbench.

Logging: uvicorn's access log (request lines with their query strings) is off;
the server's own access log names method, path, status, time and user, never
a query or a body, and tracebacks are logged without exception messages
(they can quote input): personal inputs stay out of the log.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import click

from ..server.config import ServerConfig
from .group import cli
from .users import ENV_USERS

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (beyond loopback only with --users).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--products", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Products folder [default: the bundled products].")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="CONFIGURATOR_DB",
              help="Registry and audit database [default: configurator.db].")
@click.option("--users", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              envvar=ENV_USERS, show_envvar=True,
              help="Users file (see 'configurator users'): accounts, roles, password hashes "
                   "and API tokens. Without it every request is the local user with every "
                   "role, and only loopback is allowed.")
def serve(host: str, port: int, products: Path | None, db: Path | None,
          users: Path | None) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /openapi.json, docs at /docs) and the workbench.

    Listens on 127.0.0.1 by default; any other address needs --users, and the
    server refuses to start with a users file that others can read or that
    holds no user.

    \b
    Example:
        configurator serve --port 8000
        configurator serve --host 0.0.0.0 --users users.toml
    """
    import uvicorn

    from ..server.app import create_app  # FastAPI: imported for this command only

    config = ServerConfig(host=host, port=port, products=products, db=db, users=users)
    app = create_app(config)
    if not config.loopback:
        click.echo(f"warning: {host} is beyond this machine and this is plain HTTP: serve it "
                   "behind an HTTPS proxy (X-Forwarded-Proto from 127.0.0.1 is trusted, and "
                   "session cookies are then marked Secure)", err=True)
    click.echo(f"configurator serving on http://{host}:{port}/ (API docs: /docs)"
               + ("" if users else "; no users file: every request is the local user"),
               err=True)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=log_config())


def log_config() -> dict[str, Any]:
    """Logging for uvicorn and the server: warnings from uvicorn, the access log of our own."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"scrubbed": {"()": Scrubbed, "format": LOG_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "scrubbed",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "configurator": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


class Scrubbed(logging.Formatter):
    """Tracebacks with where things failed and the exception types, but not their messages."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        chain: list[BaseException] = []
        error: BaseException | None = ei[1]
        while error is not None and error not in chain:
            chain.insert(0, error)  # the first cause is told first, as Python does
            error = error.__cause__ or error.__context__
        parts = []
        for error in chain:
            stack = traceback.extract_tb(error.__traceback__)
            parts.append("".join(["Traceback (most recent call last):\n", *stack.format(),
                                  f"{type(error).__module__}.{type(error).__qualname__}: "
                                  "(message not logged: it may quote personal input)"]))
        return "\n\nDuring it, another exception occurred:\n\n".join(parts)
