"""Batch runs for a terminal: many cases evaluated or rendered, with a progress bar.

`evaluate PRODUCT cases.csv -o OUT` and `render PRODUCT --cases FILE -o DIR`
call these; the work itself is `configurator.runs.batch` and
`configurator.runs.batch_render`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click

from ..cases.batchfile import count_rows
from ..errors import ConfigError
from ..product.model import Product
from ..registry.audit import BatchRecorder, default_batch_id, record_document
from ..runs.batch import run_batch
from ..runs.batch_render import render_batch as render_all
from .options import (
    EXIT_BAD_INPUT,
    STDIN,
    BadInput,
    environment,
    is_stream,
    open_store,
    product_from,
)
from .streams import plural, progress, spooled_input, spooled_output, unspool

BATCH_SUFFIXES = (".jsonl", ".csv", ".parquet")


def evaluate_batch(product: str, cases: str, output: str | None, workers: int, record: bool,
                   batch_id: str | None, dask: str | None = None) -> None:
    """Every row of a .csv/.jsonl/.parquet file (or stdin: `-`, CSV or JSON lines) decided
    and summarised to `output` (a .csv/.jsonl/.parquet file, or `-`: JSON lines on stdout
    once all are done); exit 2 on bad rows. With `dask`, on a Dask cluster (``local:N`` or
    a scheduler address)."""
    if not output:
        raise BadInput("batch evaluation needs -o OUT.csv, -o OUT.jsonl, -o OUT.parquet "
                       "or -o - (stdout)")
    if dask and workers > 1:
        raise BadInput("give --dask or --workers, not both: with --dask the cluster's "
                       "workers evaluate")
    source = None
    if dask:  # distributed takes ~0.2 s and ~100 MB to import: only for --dask
        from ..runs.dask_batch import dask_source
        source = dask_source(dask)
    if not is_stream(cases) and not Path(cases).is_file():
        raise BadInput(f"{cases}:1:1: file not found")
    loaded = product_from(product)
    with spooled_input(cases, BATCH_SUFFIXES) as path, \
            spooled_output(output) as target:
        name = STDIN if is_stream(cases) else cases
        try:
            report, recorder = _evaluate_rows(loaded, path, target, workers, record, batch_id,
                                              source)
        except ConfigError as exc:
            raise BadInput("\n".join(unspool(str(p), path, name) for p in exc.problems)) from None
        for problem in report.problems:
            click.echo(unspool(str(problem).removeprefix("<input>: "), path, name), err=True)
    shown = "stdout" if is_stream(output) else output
    click.echo(f"{plural(report.written, 'case')} evaluated, "
               f"{plural(report.skipped, 'row')} skipped -> {shown}", err=True)
    if recorder is not None:
        click.echo(f"batch {recorder.batch_id}: {plural(recorder.recorded, 'row')} recorded, "
                   f"{recorder.skipped} already recorded", err=True)
    if report.problems:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _evaluate_rows(loaded: Product, cases: Path, output: Path, workers: int, record: bool,
                   batch_id: str | None, source=None):
    total = count_rows(cases)  # the file as a whole: one clean error before the audit trail
    with ExitStack() as stack:
        recorder = _batch_recorder(stack, loaded, str(cases), batch_id) if record else None
        with progress("evaluating") as bar:
            task = bar.add_task("evaluating", total=None)
            report = run_batch(loaded, cases, output, workers, env=environment(),
                               on_progress=lambda _: bar.advance(task), recorder=recorder,
                               on_total=lambda rows: bar.update(task, total=rows),
                               source=source, total=total)
    return report, recorder


def _batch_recorder(stack: ExitStack, product: Product, cases: str,
                    batch_id: str | None) -> BatchRecorder:
    store = stack.enter_context(open_store())
    return BatchRecorder(store, product, batch_id or default_batch_id(cases))


def render_batch(product: str, cases_file: str, output: str | None, fmt: str, lang: str,
                 workers: int, record: bool = False) -> None:
    """One personalised policy per case (`cases_file`, or stdin: `-`) into the folder
    `output` (exit 2 on failed rows)."""
    if not output:
        raise BadInput("render --cases needs -o DIR for the policies")
    with ExitStack() as stack:
        on_written = None
        if record:
            store = stack.enter_context(open_store())

            def on_written(product_, case, path) -> None:
                record_document(store, product_, case, path.read_bytes())

        cases = stack.enter_context(spooled_input(cases_file, (".jsonl", ".csv")))
        _render_batch_run(product, str(cases), output, fmt, lang, workers, on_written)


def _render_batch_run(product: str, cases_file: str, output: str, fmt: str, lang: str,
                      workers: int, on_written) -> None:
    with progress("rendering policies") as bar:
        task = bar.add_task("rendering policies", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = render_all(product, cases_file, output, workers, lang, fmt, advance,
                            environment().db, on_written)
    click.echo(f"wrote {plural(len(result.written), 'policy', 'policies')} to {output}; "
               f"{len(result.skipped)} skipped, {len(result.failed)} failed")
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    if result.failed:
        raise BadInput("\n".join(result.failed))
