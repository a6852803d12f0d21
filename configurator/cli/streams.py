"""`-` for stdin and stdout, the terminal's width, plurals and progress bars.

Every command that reads a file takes ``-`` for stdin (read once per
invocation: two ``-`` arguments are refused) and every ``-o`` takes ``-``
for stdout. Files that the library wants by name (batch input, batch output)
are spooled through a private temporary folder; problems then name
``<stdin>`` / ``<stdout>``, never the temporary file. Output on stdout is
written only once it is whole.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from .options import is_stream, mark_stdin_read, read_stdin


def write_out(output: str | None, data: str | bytes, write_file) -> None:
    """`data` to stdout when `output` is `-` or missing, else through `write_file(path, data)`."""
    if output is None or is_stream(output):
        if isinstance(data, bytes):
            stream = sys.stdout.buffer
            stream.write(data)
            stream.flush()
        else:
            click.echo(data, nl=False)
    else:
        write_file(output, data)


@contextmanager
def spooled_input(path: str, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """`path`, or stdin saved whole to a temporary file with the suffix its first line
    suggests (``{`` or ``[``: JSON lines, else CSV)."""
    if not is_stream(path):
        yield Path(path)
        return
    text = read_stdin(path)
    suffix = ".jsonl" if text.lstrip()[:1] in ("{", "[") else ".csv"
    if suffix not in suffixes:
        suffix = suffixes[0]
    with tempfile.TemporaryDirectory(prefix="configurator-") as folder:
        spooled = Path(folder, "stdin" + suffix)
        spooled.write_text(text, encoding="utf-8")
        yield spooled


@contextmanager
def spooled_bytes(path: str, suffix: str) -> Iterator[Path]:
    """`path`, or stdin's bytes saved whole to a temporary file ending in `suffix`."""
    if not is_stream(path):
        yield Path(path)
        return
    mark_stdin_read(path)
    with tempfile.TemporaryDirectory(prefix="configurator-") as folder:
        spooled = Path(folder, "stdin" + suffix)
        spooled.write_bytes(sys.stdin.buffer.read())
        yield spooled


@contextmanager
def spooled_output(path: str, suffix: str = ".jsonl") -> Iterator[Path]:
    """`path`, or a temporary file copied to stdout once the block finished without error."""
    if not is_stream(path):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="configurator-") as folder:
        spooled = Path(folder, "stdout" + suffix)
        yield spooled
        if spooled.exists():
            stream = sys.stdout.buffer
            with spooled.open("rb") as handle:
                shutil.copyfileobj(handle, stream)
            stream.flush()


def unspool(text: str, spooled: Path | None, name: str) -> str:
    """A message with the temporary file's path replaced by `name`."""
    return text.replace(str(spooled), name) if spooled is not None else text


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``0 rows`` (`many` for irregular plurals)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def terminal_width() -> int:
    """The terminal's width ($COLUMNS first, as rich reads it; 80 when not a terminal)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size((80, 24)).columns


def console(stderr: bool = False) -> Console:
    """A rich console as wide as the terminal (80 columns when output is not a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=terminal_width(), highlight=False,
                   force_terminal=False if not stream.isatty() else None)


def progress(description: str) -> Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal (so nothing reaches a
    pipe or a log), gone when done."""
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True,
                    disable=not sys.stderr.isatty())


def mix_up_hint(path: str, exc: Exception) -> str | None:
    """A hint for a file given to the wrong command (a suite or a product as a case)."""
    words = " ".join(str(p) for p in getattr(exc, "problems", ()))
    shown = "<stdin>" if is_stream(path) else path
    if "unknown field 'cases'" in words:
        return (f"{shown}: this is a scenario suite, not a case; run `configurator test "
                f"{path if not is_stream(path) else 'SUITE'}`")
    if "unknown field 'inputs'" in words or "unknown field 'effective_from'" in words:
        return f"{shown}: this is a product, not a case; give it as PRODUCT, before the case"
    return None
