"""The filing commands: ``file REF -o pack.zip`` (short for ``file pack``), ``file verify``
and ``file key`` (the public key reviewers check packs with)."""

from __future__ import annotations

from pathlib import Path

import click

from ..compliance.lint import PROFILES
from ..files import write_atomic
from ..runs.filing import build_pack
from ..runs.filing_sign import fingerprint, key_path, public_pem, signing_key
from ..runs.filing_verify import verify_pack
from .group import cli
from .options import Failed, db_option, environment, is_stream
from .streams import spooled_bytes, write_out


class PackByDefault(click.Group):
    """A group whose first argument, when it is no subcommand, is the REF of ``pack``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["pack", *args]
        return super().parse_args(ctx, args)


@cli.group(name="file", cls=PackByDefault)
def file_group() -> None:
    """A signed, reproducible filing pack for a registered version, and checking one.

    "configurator file REF -o pack.zip" is short for "configurator file pack REF
    -o pack.zip".

    \b
    Example:
        configurator file hepatitis_b@1.0.0 -o pack.zip
        configurator file key -o filing-public.pem
        configurator file verify pack.zip --key filing-public.pem
    """


@file_group.command(name="pack")
@click.argument("ref")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,  # or -
              help="The zip to write.")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="CN",
              show_default=True, help="The lint profile.")
@db_option
def file_pack(ref: str, output: str, profile: str) -> None:
    """Write the filing pack of a registered version (ID@VERSION or ID@YYYY-MM-DD).

    The zip holds the specimen policy PDFs in every language, the
    traceability matrix (rule, clause, YAML line, the suite cases that
    exercise it) as CSV and HTML, suite results with rule coverage, the diff,
    redline and impact against the predecessor version (if any), the lint
    report, readability per clause, and manifest.json with the sha256 of every
    file, signed with Ed25519 (manifest.sig; public_key.pem beside it). The
    signing key is made on first use beside the registry (<db>.filing-key,
    mode 0600). The same inputs give the same bytes.

    \b
    Example:
        configurator file pack hepatitis_b@1.0.0 -o pack.zip --profile CN
    """
    pack = build_pack(environment(), ref, profile)
    write_out(output, pack.data, write_atomic)
    manifest = pack.manifest
    say = is_stream(output)  # with -o -, the zip is stdout and the summary goes to stderr
    click.echo(f"{'stdout' if say else output}: {len(manifest['files']) + 2} files, "
               f"{len(pack.data)} bytes, "
               f"{manifest['product']['id']}@{manifest['product']['version']} "
               f"hash {manifest['product']['hash']}", err=say)
    click.echo(f"  {manifest['predecessor_note']}", err=say)
    click.echo(f"  signed with key {manifest['public_key_fingerprint']}", err=say)


@file_group.command(name="verify")
@click.argument("pack", type=click.Path(dir_okay=False))  # or - (stdin)
@click.option("--key", "key_file", type=click.Path(dir_okay=False),
              help="A public key (PEM) you trust; without it only the pack's own key is used.")
def file_verify(pack: str, key_file: str | None) -> None:
    """Check a filing pack: every file's sha256, no file missing or extra, the signature.

    Exit 0 when everything holds, 1 when the pack was altered (each altered,
    missing or extra file is named), 2 when it is no filing pack or the key
    cannot be read.

    \b
    Example:
        configurator file verify pack.zip --key trusted.pem
    """
    trusted = Path(key_file).read_bytes() if key_file else None
    with spooled_bytes(pack, ".zip") as path:
        result = verify_pack(path, trusted, f"--key {key_file}")
    for line in result.checked:
        click.echo(f"checked: {line}")
    if not result.ok:
        raise Failed("\n".join(f"TAMPERED: {problem}" for problem in result.problems))
    click.echo(f"ok: {pack} is intact and its manifest's signature holds")


@file_group.command(name="key")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the PEM here [default: print it].")
@db_option
def file_key(output: str | None) -> None:
    """Print the public half of the registry's filing key, to give reviewers for --key.

    The key pair is made on first use, beside the registry (<db>.filing-key).

    \b
    Example:
        configurator file key -o filing-public.pem
    """
    key = signing_key(key_path(environment().db_path))
    if output:
        write_atomic(output, public_pem(key))
        click.echo(f"{output}: public key {fingerprint(key.public_key())}")
    else:
        click.echo(public_pem(key).decode("ascii"), nl=False)
