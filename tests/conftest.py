"""Fixtures shared across test modules: the hepatitis B product and its worked example.

The product, its example case and its compiled rulesets are loaded once per
session; nothing here may be mutated by a test. A module that needs another
product (test_copd.py) defines its own fixture of the same name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from configurator import (
    Case,
    CompiledProduct,
    Environment,
    Product,
    compile_product,
    load,
    load_case,
)

from .paths import CASE, PRODUCT


@pytest.fixture(scope="session")
def product() -> Product:
    """products/hepatitis_b.yaml, loaded and checked once."""
    return load(PRODUCT)


@pytest.fixture(scope="session")
def case(product: Product) -> Case:
    """products/hepatitis_b/adherent_two_years.yaml, checked against `product`."""
    return load_case(CASE, product)


@pytest.fixture(scope="session")
def compiled(product: Product) -> CompiledProduct:
    """`product` compiled to durable-rules rulesets."""
    return compile_product(product)


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    """A façade over the bundled products whose registry database lives in `tmp_path`."""
    return Environment(db=tmp_path / "registry.db")


@pytest.fixture(scope="session")
def live_server():
    """Start the real server (uvicorn in a thread) on a free loopback port: call it with a
    `ServerConfig`'s fields, get its base URL; every server stops when the session ends."""
    import socket
    import threading
    import time

    import uvicorn

    from configurator.server import ServerConfig, create_app

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**config) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; no race with others
        port = sock.getsockname()[1]
        app = create_app(ServerConfig(host="127.0.0.1", port=port, **config))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
