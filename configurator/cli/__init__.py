"""The `configurator` command: a thin face over the library.

`cli` is the click group (`group`, where library errors become messages and
exit codes); the commands live in `commands` (validate, schema, compile,
evaluate, render, test, demo), `review` (diff, lint) and `registry`
(publish, approve, retire, history, audit). `main` runs the group for the
console script, ``python -m configurator`` and the top-level ``cli.py``.
"""

from __future__ import annotations

import click

from . import commands, filing, native, registry, review, runs, serve, users  # noqa: F401  (they register the commands)
from .group import cli

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with `argv` (default: the process arguments); return the exit code.

    Bad input of any kind (library errors, click usage errors) has been turned
    into a message on stderr by then; this only maps click's outcomes to codes.
    """
    try:
        code = cli.main(args=argv, prog_name="configurator", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0
