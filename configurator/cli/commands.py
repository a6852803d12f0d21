"""The product commands: validate, schema, compile, evaluate, render, test and demo.

Each loads products through the invocation's `Environment` (`options.product_from`)
and compiles, evaluates and renders through it; library errors reach
`configurator.cli.main`, which prints them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..cases.case import loads_case
from ..cases.schema import case_schema, suite_schema
from ..document.readability import report_lines
from ..errors import CaseError, ConfigError
from ..files import write_atomic
from ..product.schema import product_schema
from ..registry.audit import record_document, record_evaluation
from ..registry.db import StoreError
from ..whynot import Words, why_not
from ..whynot import report_lines as why_not_lines
from .batch import evaluate_batch, render_batch
from .group import cli
from .options import (
    EXIT_BAD_INPUT,
    STDIN,
    BadInput,
    db_option,
    environment,
    is_stream,
    open_store,
    product_from,
    read_stdin,
)
from .output import outcome_lines
from .streams import mix_up_hint, write_out

LANGUAGES = click.Choice(["en", "zh-CN"])


@cli.command()
@click.argument("products", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="text: file:line:col: path: message; hint. json: the problem records.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@db_option
def validate(products: tuple[str, ...], output_format: str, as_json: bool) -> None:
    """Load and check products, reporting every problem at once.

    A PRODUCT is a file, - (stdin), or ID@VERSION / ID@YYYY-MM-DD from the
    registry. With --format json (or --json) prints {"ok", "products",
    "problems"}: each problem a record with file, line, column, path,
    message, hint and code (for editor plugins and CI annotations); exit 2
    when there is any problem, as with text.

    \b
    Example:
        configurator validate products/hepatitis_b.yaml hepatitis_b@2026-06-30
        configurator validate --format json - < my_product.yaml
    """
    records, checked = [], []
    for path in products:
        try:
            product = product_from(path)
            environment().compile(product)
            checked.append({"path": path, "id": product.id, "version": product.version,
                            "hash": product.hash})
        except ConfigError as exc:
            records += [p.to_json() for p in exc.problems]
        except StoreError as exc:
            records.append({"file": path, "line": None, "column": None, "path": "",
                            "message": str(exc), "hint": None, "code": "registry",
                            "text": f"{path}: {exc}"})
        except BadInput as exc:  # a case or a suite given as a product
            records.append({"file": path, "line": None, "column": None, "path": "",
                            "message": exc.message.split(": ", 1)[-1], "hint": None,
                            "code": "mix-up", "text": exc.message})
    if as_json or output_format == "json":
        click.echo(json.dumps({"ok": not records, "products": checked, "problems": records},
                              ensure_ascii=False, indent=2))
        if records:
            raise click.exceptions.Exit(EXIT_BAD_INPUT)
        return
    for item in checked:
        click.echo(f"{item['path']}: ok ({item['id']} {item['version']}, {item['hash']})")
    if records:
        raise BadInput("\n".join(r["text"] for r in records))


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write to FILE (- for stdout).")
@click.option("--product", "for_product", metavar="PRODUCT",
              help="A schema for this product: its parameter, input, event and tier names "
                   "become enumerations wherever they are referenced.")
@click.option("--kind", type=click.Choice(["product", "case", "suite"]), default="product",
              show_default=True, help="The file format: a product, a case or a scenario suite.")
@db_option
def schema(output: str | None, for_product: str | None, kind: str) -> None:
    """Print a JSON Schema (for editor completion and checking).

    Without --product, the schema of every product (or case, or suite) file;
    with --product, one fitted to that product, so an editor completes its
    names at each reference and flags a misspelt one. Point a file at it
    with a first line `# yaml-language-server: $schema=PATH`.

    \b
    Example:
        configurator schema -o products/product.schema.json
        configurator schema --product hepatitis_b -o hepatitis_b.schema.json
        configurator schema --kind case --product hepatitis_b -o case.schema.json
    """
    loaded = product_from(for_product) if for_product else None
    build = {"product": product_schema, "case": case_schema, "suite": suite_schema}[kind]
    text = json.dumps(build(loaded), indent=2, ensure_ascii=False) + "\n"
    write_out(output, text, write_atomic)


@cli.command(name="compile")
@click.argument("product", type=click.Path(dir_okay=False))
@db_option
def compile_command(product: str) -> None:
    """Print the durable-rules rulesets a product compiles to, as JSON.

    \b
    Example:
        configurator compile products/hepatitis_b.yaml
    """
    compiled = environment().compile(product_from(product))
    click.echo(json.dumps(compiled.to_data(), indent=2, ensure_ascii=False, default=str))


@cli.command(name="evaluate")
@click.argument("product", type=click.Path(dir_okay=False))
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the Outcome as JSON.")
@click.option("--explain", is_flag=True, help="Show each rule's source, values read and checks.")
@click.option("--lang", default="en", type=LANGUAGES, help="Wording language.")
@click.option("--why-not", "why", is_flag=True,
              help="Say what would change each adverse part: a threshold on one input, "
                   "events by a date, or that nothing can (verified by the engine).")
@click.option("--record", is_flag=True,
              help="Write the decision to the audit trail (the version must be published).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Batch: write one row per case to OUT.csv, OUT.jsonl or OUT.parquet.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Batch: worker processes.")
@click.option("--dask", metavar="ADDRESS",
              help="Batch: evaluate on Dask: local:N (N worker processes started for the "
                   "run) or a scheduler address tcp://host:port.")
@click.option("--batch-id", help="Batch with --record: the id to record (and resume) under; "
                                 "default: the input file's name and content hash.")
@db_option
def evaluate_command(product: str, case: str, as_json: bool, explain: bool, lang: str,
                     why: bool, record: bool, output: str | None, workers: int,
                     batch_id: str | None, dask: str | None) -> None:
    """Decide one case (an applicant and a dated timeline) as of its date.

    PRODUCT is a file, ID@VERSION, or ID@YYYY-MM-DD (the version in force that
    day). A decline is a decision (exit 0); bad input exits 2. With --record
    the decision is added to the audit trail (no personal inputs are stored).
    With --why-not, each adverse part (a decline, refer, loading, exclusion,
    missed check-up, lower cover, bonus not earned, refused claim) gets the
    smallest verified changes that would change it, citing their clause; with
    --json they are the Outcome's "counterfactuals" key.
    Given a .csv, .jsonl or .parquet file of cases, evaluates them all (batch) and writes
    one row per case to -o; bad rows are reported with their row number and
    skipped (exit 2 when any were skipped, after every good row is written).

    \b
    Example:
        configurator evaluate products/hepatitis_b.yaml \\
            products/hepatitis_b/adherent_two_years.yaml --explain
        configurator evaluate hepatitis_b@2026-01-01 case.yaml --record
        configurator evaluate products/copd.yaml \\
            products/copd/very_severe_copd_declined.yaml --why-not --lang zh-CN
        configurator evaluate products/hepatitis_b.yaml cases.csv -o results.csv --workers 2

        configurator evaluate products/hepatitis_b.yaml cases.parquet -o out.parquet --dask local:2
    """
    if Path(case).suffix in (".csv", ".jsonl", ".parquet") or (is_stream(case) and output):
        evaluate_batch(product, case, output, workers, record, batch_id, dask)
        return
    if dask:
        raise BadInput("--dask evaluates a batch file (.csv, .jsonl or .parquet), not one case")
    env = environment()
    loaded = product_from(product)
    env.compile(loaded)
    the_case = _case(env, case, loaded)
    outcome = env.evaluate(loaded, the_case, explain=explain or as_json, locale=lang)
    if record:
        with open_store() as store:
            row = record_evaluation(store, loaded, the_case, outcome)
        click.echo(f"recorded as audit row {row} in {store.path}", err=True)
    found = why_not(env.compile(loaded), the_case, lang) if why else None
    if as_json and found is not None:
        data = {**outcome.to_json(), "counterfactuals": [c.to_json() for c in found]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif as_json:
        click.echo(outcome.dumps())
    else:
        lines = outcome_lines(loaded, outcome, explain, the_case.name, lang)
        if found is not None:
            lines += why_not_lines(found, Words(loaded, lang))
        click.echo("\n".join(lines))


@cli.command(name="render")
@click.argument("product", type=click.Path(dir_okay=False))
@click.option("--case", "case_file", type=click.Path(dir_okay=False),
              help="Personalise the policy for the person in CASE.")
@click.option("--cases", "cases_file", type=click.Path(dir_okay=False),
              help="Batch: one personalised policy per line of a JSONL file (needs -o DIR).")
@click.option("-o", "--output", type=click.Path(), help="Write to OUT (a folder with --cases).")
@click.option("--format", "fmt", default="pdf", type=click.Choice(["pdf", "html"]),
              help="PDF (tagged PDF/UA-1) or HTML.")
@click.option("--lang", default="en", type=LANGUAGES, help="Language.")
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="Batch: worker processes.")
@click.option("--readability", is_flag=True,
              help="Print the readability report (per clause, worst first).")
@click.option("--record", is_flag=True,
              help="Record the issued PDF in the audit trail (the version must be published).")
@db_option
def render_command(product: str, case_file: str | None, cases_file: str | None,
                   output: str | None, fmt: str, lang: str, workers: int,
                   readability: bool, record: bool) -> None:
    """Render the policy document: the specimen, or a personalised policy.

    Without --case, the specimen policy; with --case, the policy for one
    insured from the engine's Outcome (name, policy number, cover, loadings,
    exclusions, check-up dates, adherence status). PDFs are tagged PDF/UA-1
    and byte-identical for identical input; without -o a PDF is written to
    PRODUCT_ID-LANG.pdf. With --cases (JSONL or CSV) and -o DIR, one policy per
    case, rendered by warm worker processes; bad rows are reported (exit 2)
    after every good one is written, declined applications are skipped.

    \b
    Example:
        configurator render products/hepatitis_b.yaml \\
            --case products/hepatitis_b/adherent_two_years.yaml -o policy.pdf
        configurator render products/hepatitis_b.yaml --readability
        configurator render products/hepatitis_b.yaml --cases cases.jsonl -o out/ --workers 2
    """
    loaded = product_from(product)
    if readability:
        illustration = environment().illustration(loaded)
        click.echo("\n".join(report_lines(loaded, lang, illustration)))
        if not (output or case_file or cases_file):
            return
    if record and fmt != "pdf":
        raise BadInput("--record records issued PDFs: leave out --format html")
    if cases_file:
        render_batch(product, cases_file, output, fmt, lang, workers, record)
        return
    _render_one(loaded, case_file, output, fmt, lang, record)


def _case(env, case: str, product):
    """The case in a file or on stdin (`-`); a suite, a product or a batch given as a case
    gets a hint to the command that takes it."""
    try:
        if is_stream(case):
            return loads_case(read_stdin("CASE"), product, STDIN)
        return env.case(case, product)
    except CaseError as exc:
        hint = mix_up_hint(case, exc)
        if hint:
            raise BadInput(hint) from None
        raise


def _render_one(product, case_file: str | None, output: str | None, fmt: str, lang: str,
                record: bool) -> None:
    env = environment()
    the_case = _case(env, case_file, product) if case_file else None
    if fmt == "html":
        write_out(output, env.render_html(product, case=the_case, locale=lang), write_atomic)
        return
    data = env.render_pdf(product, case=the_case, locale=lang)
    if record:  # recorded before it is written: no policy is ever issued off the record
        with open_store() as store:
            row = record_document(store, product, the_case, data)
        click.echo(f"recorded as document {row} in {store.path}", err=True)
    if is_stream(output):
        write_out(output, data, write_atomic)
        return
    target = write_atomic(output or f"{product.id}-{lang}.pdf", data)
    click.echo(f"wrote {target} ({len(data):,} bytes)")
