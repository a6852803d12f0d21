"""`configurator native`: the engine's hot modules compiled to C, or the source as it is."""

from __future__ import annotations

import click

from .. import native
from .group import cli


@cli.command(name="native")
@click.argument("action", type=click.Choice(["status", "build", "clean"]), default="status")
def native_command(action: str) -> None:
    """Tell whether the compiled modules are in use; build them, or remove them.

    `build` compiles the modules that walk a batch row (reading and checking
    it, the engine, the Outcome) with mypyc into configurator/_native/; it
    needs the 'native' extra (pip install -e '.[native]'), a C compiler and
    the Python headers. They are used only while every source file is the one
    they were built from; otherwise the source runs, deciding exactly the
    same. CONFIGURATOR_NATIVE=0 forces the source.

    \b
    Example:
        configurator native build
        configurator native
    """
    if action == "build":
        try:
            out = native.build()
        except native.BuildError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"compiled {len(native.MODULES)} modules into {out}")
    elif action == "clean":
        native.clean()
        click.echo(f"removed {native.OUT}")
    in_use, why = native.mode()
    click.echo(f"in use: {in_use} ({why})")
    if action != "status":
        fresh, now = native.check()
        click.echo(f"next run: {fresh} ({now})")
