"""Batch runs for a terminal: many cases evaluated or rendered, with a progress bar.

`evaluate PRODUCT cases.csv -o OUT` and `render PRODUCT --cases FILE -o DIR`
call these; the work itself is `configurator.runs.batch` and
`configurator.runs.batch_render`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from ..cases.batchfile import count_rows
from ..product.model import Product
from ..registry.audit import BatchRecorder, default_batch_id, record_document
from ..runs.batch import run_batch
from ..runs.batch_render import render_batch as render_all
from ..runs.dask_batch import dask_source
from .options import EXIT_BAD_INPUT, BadInput, environment, open_store, product_from


def evaluate_batch(product: str, cases: str, output: str | None, workers: int, record: bool,
                   batch_id: str | None, dask: str | None = None) -> None:
    """Every row of a .csv/.jsonl/.parquet file decided and summarised to `output` (exit 2
    on bad rows); with `dask`, on a Dask cluster (``local:N`` or a scheduler address)."""
    if not output:
        raise BadInput("batch evaluation needs -o OUT.csv, -o OUT.jsonl or -o OUT.parquet")
    if dask and workers > 1:
        raise BadInput("give --dask or --workers, not both: with --dask the cluster's "
                       "workers evaluate")
    source = dask_source(dask) if dask else None
    if not Path(cases).is_file():
        raise BadInput(f"{cases}:1:1: file not found")
    loaded = product_from(product)
    count_rows(cases)  # the file as a whole: one clean error before the audit trail is opened
    with ExitStack() as stack:
        recorder = _batch_recorder(stack, loaded, cases, batch_id) if record else None
        with Progress(transient=True, console=Console(stderr=True)) as progress:
            task = progress.add_task("evaluating", total=None)
            report = run_batch(loaded, cases, output, workers, env=environment(),
                               on_progress=lambda _: progress.advance(task), recorder=recorder,
                               on_total=lambda total: progress.update(task, total=total),
                               source=source)
    for problem in report.problems:
        click.echo(str(problem).removeprefix("<input>: "), err=True)
    click.echo(f"{report.written} cases evaluated, {report.skipped} rows skipped -> {output}",
               err=True)
    if recorder is not None:
        click.echo(f"batch {recorder.batch_id}: {recorder.recorded} rows recorded, "
                   f"{recorder.skipped} already recorded", err=True)
    if report.problems:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _batch_recorder(stack: ExitStack, product: Product, cases: str,
                    batch_id: str | None) -> BatchRecorder:
    store = stack.enter_context(open_store())
    return BatchRecorder(store, product, batch_id or default_batch_id(cases))


def render_batch(product: str, cases_file: str, output: str | None, fmt: str, lang: str,
                 workers: int, record: bool = False) -> None:
    """One personalised policy per case into the folder `output` (exit 2 on failed rows)."""
    if not output:
        raise BadInput("render --cases needs -o DIR for the policies")
    with ExitStack() as stack:
        on_written = None
        if record:
            store = stack.enter_context(open_store())

            def on_written(product_, case, path) -> None:
                record_document(store, product_, case, path.read_bytes())

        _render_batch_run(product, cases_file, output, fmt, lang, workers, on_written)


def _render_batch_run(product: str, cases_file: str, output: str, fmt: str, lang: str,
                      workers: int, on_written) -> None:
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("rendering policies", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = render_all(product, cases_file, output, workers, lang, fmt, progress,
                            environment().db, on_written)
    click.echo(f"wrote {len(result.written)} policies to {output}; "
               f"{len(result.skipped)} skipped, {len(result.failed)} failed")
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    if result.failed:
        raise BadInput("\n".join(result.failed))
