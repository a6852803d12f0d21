"""What every command shares: exit codes, errors, the DATE type, ``--db`` and the façade.

A command that takes a PRODUCT decorates itself with `db_option` and loads it
with `product_from(ref)`: files, ``id@version`` and ``id@YYYY-MM-DD`` then all
work, and a path never touches the database. Each invocation has one
`Environment` (built from ``--db`` / ``$CONFIGURATOR_DB``), reached with
`environment()`; products are compiled, evaluated and rendered through it.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from ..environment import Environment
from ..errors import ConfigError
from ..product.model import Product
from ..registry.db import DEFAULT_DB, ENV_DB
from ..registry.store import Store
from ..runs.gates import STANDARD_GATES

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
_DB_KEY = "configurator.registry.db"
_ENVIRONMENT_KEY = "configurator.environment"


class BadInput(click.ClickException):
    """Bad input the library did not see (a missing option, a wrong combination): exit 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class Failed(BadInput):
    """A check that ran and found something wrong (exit 1)."""

    exit_code = EXIT_FINDINGS


class IsoDate(click.ParamType):
    """A YYYY-MM-DD date."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date; write YYYY-MM-DD", param, ctx)


DATE = IsoDate()


def db_option(command):
    """The shared ``--db FILE`` option (also ``$CONFIGURATOR_DB``), read by `environment`."""
    return click.option(
        "--db", type=click.Path(dir_okay=False), envvar=ENV_DB, default=DEFAULT_DB,
        show_default=True, show_envvar=True, expose_value=False, is_eager=True,
        callback=_remember_db, help="Registry and audit database.")(command)


def _remember_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta[_DB_KEY] = value
    return value


def environment() -> Environment:
    """The façade for this invocation: one per command run, with the ``--db`` it was given."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Environment()
    if _ENVIRONMENT_KEY not in ctx.meta:
        ctx.meta[_ENVIRONMENT_KEY] = Environment(db=ctx.meta.get(_DB_KEY))
    return ctx.meta[_ENVIRONMENT_KEY]


def product_from(ref: str) -> Product:
    """PRODUCT as a file, ``id@version`` or ``id@YYYY-MM-DD`` (from the ``--db`` registry),
    or ``-``: the YAML on stdin."""
    try:
        if ref == "-":
            return environment().loads(read_stdin("PRODUCT"), STDIN)
        return environment().load(ref)
    except ConfigError as exc:
        words = " ".join(str(p) for p in exc.problems)
        shown = STDIN if ref == "-" else ref
        if "unknown field 'cases'" in words:
            raise BadInput(f"{shown}: this is a scenario suite, not a product; run "
                           f"`configurator test {ref}`") from None
        if "unknown field 'applicant'" in words:
            raise BadInput(f"{shown}: this is a case, not a product; give the product first: "
                           f"`configurator evaluate PRODUCT {ref}`") from None
        raise


STDIN = "<stdin>"
_READ_KEY = "configurator.stdin"


def is_stream(path: object) -> bool:
    """Whether a file argument is ``-`` (stdin or stdout)."""
    return path is not None and str(path) == "-"


def mark_stdin_read(what: str) -> None:
    """Note that `what` takes stdin; refused when another argument took it already."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        if ctx.meta.get(_READ_KEY):
            raise BadInput(f"{what}: stdin was read already for {ctx.meta[_READ_KEY]}; only "
                           "one argument can be '-'")
        ctx.meta[_READ_KEY] = what


def read_stdin(what: str) -> str:
    """The whole of stdin as text, for the one argument that named it ``-``."""
    mark_stdin_read(what)
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{STDIN}:1:1: the input is not UTF-8 text; save it as UTF-8") from None


def open_store(create: bool = False, readonly: bool = False) -> Store:
    """The registry named by ``--db`` / ``$CONFIGURATOR_DB`` (created only if `create`),
    with the standard publish gates (validation, lint errors, scenario suites); with
    `readonly`, opened for reading only (commands that only read work on a read-only
    file and never change it)."""
    return environment().store(create=create, gates=STANDARD_GATES, readonly=readonly)
