"""What a running server is configured with: where it listens, its files and its limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfiguratorError
from .users import UsersError, UsersSource, key_file, private

MIB = 2**20


class ServerRefused(ConfiguratorError):
    """The server will not start with this configuration; the message says why."""


@dataclass(frozen=True)
class ServerConfig:
    """Where the server listens, what it serves, and the limits it holds requests to.

    `products` is the products folder (default: the bundled ones), `db` the
    registry and audit database (default: ``$CONFIGURATOR_DB`` or
    ``configurator.db``), `users` the users file (accounts, roles, password
    hashes, API tokens). Without a users file the server accepts requests on
    the loopback interface only, as a single local user with every role.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    products: Path | None = None
    db: Path | None = None
    users: Path | None = None
    max_body_bytes: int = 4 * MIB  # JSON and YAML request bodies
    max_upload_bytes: int = 64 * MIB  # batch files
    evaluation_seconds: float = 10.0  # the time one evaluation may take
    job_workers: int = 1  # processes running batch jobs

    @property
    def loopback(self) -> bool:
        """Whether the server listens only on this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def check(self) -> None:
        """Refuse a configuration that would expose the server without credentials.

        Beyond loopback a users file is required; a users file (wherever the
        server listens) must be private to its owner (0600) and hold at least
        one user, and so must its session key if there is one already.
        """
        if not self.loopback and self.users is None:
            raise ServerRefused(
                f"refusing to listen on {self.host} without credentials: give --users FILE "
                "(accounts with roles and password hashes; see 'configurator users --help'), "
                "or listen on 127.0.0.1")
        if self.users is None:
            return
        try:
            UsersSource(self.users)
            key = key_file(self.users)
            if key.exists():
                private(key)
        except UsersError as exc:
            raise ServerRefused(f"refusing to start: {exc}") from None
