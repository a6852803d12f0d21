"""Property-based fuzzing of the HTTP API with schemathesis, against its own /openapi.json.

In-process (ASGI), on a server with a users file, every request signed in
with the API token of a user holding every role. Why not the local server:
this is the configuration a deployment runs, so the authentication layer and
the security the document declares are fuzzed too (schemathesis also sends
requests without the token and expects a 401); a narrower role would stop
most requests at 403 before their input is looked at.

Every generated request must get no 5xx (`not_a_server_error`) and an answer
that matches the document: a declared status, content type and headers, a
body matching the declared schema (`response_schema_conformance`); and
schemathesis' other default checks hold: a request the schema forbids is
refused (4xx), one it allows is not refused as malformed (400), a 405 names
every method of the path in ``Allow``.

The unmarked test is a fast, derandomised subset (the cheap operations, 8
examples each, about 10 s); ``pytest -m slow tests/test_server_fuzz.py``
runs every operation (render, suites, lint, diff, registry writes, jobs too)
with 150 examples each.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from configurator.server import ServerConfig, create_app
from configurator.server import users as accounts

# made while collecting (parametrize needs the schema); removed when the session ends
_FOLDER = tempfile.TemporaryDirectory(prefix="configurator-fuzz-")


def _server() -> tuple[object, str]:
    folder = Path(_FOLDER.name)
    found = accounts.Users().add("fuzz", accounts.ROLES, "fuzz-password-1")
    found, token = found.with_token("fuzz")
    users = folder / "users.toml"
    accounts.write(users, found)
    app = create_app(ServerConfig(db=folder / "registry.db", users=users,
                                  max_upload_bytes=256 * 1024, evaluation_seconds=5.0))
    return app, token


APP, TOKEN = _server()
# A request the document allows may still be refused for what it says, not for its form: a
# case is checked against its product (whose own schema is /products/{ref}/case-schema), so
# 422 is an answer to a schema-valid request; 400 (malformed) is not.
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "404", "409", "413", "422", "429"]}},
    "auth": {"openapi": {"token": {"bearer": TOKEN}}}})  # the scheme /openapi.json declares
# Signing in with a generated name and password is a 401 (test_server_auth fuzzes it).
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG).exclude(
    method="POST", path="/api/v1/session")

# Operations that decide, render, run suites or spawn workers take seconds a call; the fast
# subset leaves them to the slow run.
EXPENSIVE = r"^/api/v1/(render|test|lint|diff|jobs$|registry$|products/\{ref\}/lint)"
FAST = SCHEMA.exclude(path_regex=EXPENSIVE).exclude(method="POST", path="/api/v1/evaluate")


@pytest.fixture(scope="module", autouse=True)
def _stop_workers():
    yield
    APP.state.jobs.close()
    APP.state.evaluations.close()


def _fuzz(case) -> None:
    response = case.call_and_validate()
    assert response.status_code < 500


@FAST.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzzing_the_cheap_operations_finds_no_error(case):
    _fuzz(case)


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzzing_every_operation_finds_no_error(case):
    _fuzz(case)
