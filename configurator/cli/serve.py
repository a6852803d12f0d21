"""`configurator serve`: the HTTP API and the workbench."""

from __future__ import annotations

from pathlib import Path

import click

from ..server import ServerConfig, create_app
from .group import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (beyond loopback only with --users).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--products", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Products folder [default: the bundled products].")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="CONFIGURATOR_DB",
              help="Registry and audit database [default: configurator.db].")
@click.option("--users", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Users file: accounts, roles, password hashes and API tokens.")
def serve(host: str, port: int, products: Path | None, db: Path | None,
          users: Path | None) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /openapi.json, docs at /docs) and the workbench.

    Listens on 127.0.0.1 by default; any other address needs --users.

    Example:

        configurator serve --port 8000
    """
    import uvicorn

    app = create_app(ServerConfig(host=host, port=port, products=products, db=db, users=users))
    click.echo(f"configurator serving on http://{host}:{port}/ (API docs: /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
