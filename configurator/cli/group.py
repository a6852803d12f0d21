"""The `configurator` click group, and the one place library errors become exit codes.

The command modules register on `cli`. The library raises typed errors and
never imports click; `CommandGroup.invoke` turns them into a clean message on
stderr and exit 2: a `ConfigError` as one ``file:line:col: path: message``
line per problem, any other `ConfiguratorError` (the registry refusing, the
engine failing) as ``error: ...``, and a file the command could not read or
write (a full disk, a read-only folder) as ``error: <file>: <reason>``; never
a traceback. The same happens under `configurator.cli.main` and click's
`CliRunner`.
"""

from __future__ import annotations

import click

from ..errors import ConfigError, ConfiguratorError, EngineError
from .options import BadInput


class CommandGroup(click.Group):
    """A click group whose commands' library errors become `BadInput` (exit 2)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise BadInput("\n".join(str(problem) for problem in exc.problems)) from None
        except EngineError as exc:
            raise BadInput(f"error: the rules engine failed ({exc}); this is a bug in "
                           "configurator, please report it with the input") from None
        except ConfiguratorError as exc:
            raise BadInput(f"error: {exc}") from None
        except OSError as exc:  # the library writes whole files or nothing: say which failed
            where = f"{exc.filename}: " if exc.filename else ""
            raise BadInput(f"error: {where}{exc.strerror or exc}; nothing was written "
                           "there") from None


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="configurator")
def cli() -> None:
    """Managed-care single-disease insurance products as YAML, run by durable-rules.

    Product designers write products/*.yaml; underwriters evaluate cases
    against them; agents render policies; compliance reviewers diff versions.
    """
