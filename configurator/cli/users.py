"""`configurator users`: the accounts `configurator serve --users FILE` signs people in with.

The file is written whole and private to its owner (mode 0600); it holds
argon2id password hashes and sha256 hashes of API tokens, never a password
or a token. A running server reads it again when it changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..server import users as accounts
from .group import cli
from .options import BadInput

ENV_USERS = "CONFIGURATOR_USERS"


def users_option(command):
    """The shared ``--users FILE`` option (also ``$CONFIGURATOR_USERS``)."""
    return click.option(
        "--users", "path", type=click.Path(dir_okay=False, path_type=Path), envvar=ENV_USERS,
        default=Path("users.toml"), show_default=True, show_envvar=True,
        help="The users file.")(command)


@cli.group()
def users() -> None:
    """Manage the users file of 'configurator serve --users FILE': accounts, roles, tokens.

    Roles: designer (writes and checks products), reviewer (diffs and approves
    versions; never one they registered), agent (decides cases, issues
    policies), auditor (reads the registry and the audit trail).

    \b
    Example:
        configurator users add alice --role designer --users users.toml
        configurator users list --users users.toml
    """


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(accounts.ROLES),
              help="A role (repeat for several).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
@users_option
def add(name: str, roles: tuple[str, ...], password_stdin: bool, path: Path) -> None:
    """Add a user with roles and a password (asked twice, or read from stdin).

    \b
    Example:
        configurator users add alice --role designer --users users.toml
        configurator users add claims-system --role agent --password-stdin < password.txt
    """
    found = accounts.read(path, must_exist=False)
    found.free(name)  # before asking for a password that would be thrown away
    password = _password(password_stdin)
    accounts.write(path, found.add(name, roles, password))
    click.echo(f"{name}: {', '.join(sorted(roles))} (in {path})")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise BadInput("error: --password-stdin: stdin is empty")
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@users.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every API token of NAME instead.")
@users_option
def token(name: str, revoke: bool, path: Path) -> None:
    """Print a new API token for NAME, once (only its hash is kept); or revoke NAME's tokens.

    A system sends it as 'Authorization: Bearer TOKEN'. It carries NAME's roles.

    \b
    Example:
        configurator users token claims-system --users users.toml
        configurator users token claims-system --revoke --users users.toml
    """
    found = accounts.read(path)
    if revoke:
        changed, count = found.without_tokens(name)
        accounts.write(path, changed)
        click.echo(f"{name}: {count} token(s) revoked")
        return
    changed, new = found.with_token(name)
    accounts.write(path, changed)
    click.echo(new)
    click.echo(f"{name}: a new API token; it is not stored, keep it now", err=True)


@users.command("list")
@users_option
def list_users(path: Path) -> None:
    """List the users: name, roles and how many API tokens each has.

    \b
    Example:
        configurator users list --users users.toml
    """
    found = accounts.read(path)
    for account in sorted(found.accounts.values(), key=lambda a: a.name.casefold()):
        click.echo(f"{account.name}\t{','.join(sorted(account.roles))}\t"
                   f"{len(account.tokens)} token(s)")


@users.command("remove")
@click.argument("name")
@users_option
def remove(name: str, path: Path) -> None:
    """Remove a user, with their API tokens (their sessions end on the next request).

    \b
    Example:
        configurator users remove alice --users users.toml
    """
    accounts.write(path, accounts.read(path).remove(name))
    click.echo(f"{name}: removed")
