"""The product commands: validate, schema, compile, evaluate, render, test and demo.

Each loads products through the invocation's `Environment` (`options.product_from`)
and compiles, evaluates and renders through it; library errors reach
`configurator.cli.main`, which prints them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..cases.outcome import money_text
from ..document.readability import report_lines
from ..errors import ConfigError
from ..files import write_atomic
from ..product.model import json_schema
from ..registry.audit import record_document, record_evaluation
from ..registry.db import StoreError
from ..runs.demo import Demo, run_demo
from ..runs.suites import SUFFIX, below, coverage_lines, run_suites
from ..whynot import Words, why_not
from ..whynot import report_lines as why_not_lines
from .batch import evaluate_batch, render_batch
from .group import cli
from .options import (
    EXIT_FINDINGS,
    BadInput,
    Failed,
    db_option,
    environment,
    open_store,
    product_from,
)
from .output import outcome_lines

LANGUAGES = click.Choice(["en", "zh-CN"])


@cli.command()
@click.argument("products", nargs=-1, required=True, type=click.Path(dir_okay=False))
@db_option
def validate(products: tuple[str, ...]) -> None:
    """Load and check products, reporting every problem at once.

    A PRODUCT is a file, or ID@VERSION / ID@YYYY-MM-DD from the registry.

    Example:

        configurator validate products/hepatitis_b.yaml hepatitis_b@2026-06-30
    """
    problems = []
    for path in products:
        try:
            product = product_from(path)
            environment().compile(product)
            click.echo(f"{path}: ok ({product.id} {product.version}, {product.hash})")
        except ConfigError as exc:
            problems += [str(p) for p in exc.problems]
        except StoreError as exc:
            problems.append(f"{path}: {exc}")
    if problems:
        raise BadInput("\n".join(problems))


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the product format (for editor completion).

    Example:

        configurator schema -o products/product.schema.json
    """
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@cli.command(name="compile")
@click.argument("product", type=click.Path(dir_okay=False))
@db_option
def compile_command(product: str) -> None:
    """Print the durable-rules rulesets a product compiles to, as JSON.

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

    Example:

        configurator evaluate products/hepatitis_b.yaml \\
            products/hepatitis_b/adherent_two_years.yaml --explain

        configurator evaluate hepatitis_b@2026-01-01 case.yaml --record

        configurator evaluate products/copd.yaml \\
            products/copd/very_severe_copd_declined.yaml --why-not --lang zh-CN

        configurator evaluate products/hepatitis_b.yaml cases.csv -o results.csv --workers 2

        configurator evaluate products/hepatitis_b.yaml cases.parquet -o out.parquet --dask local:2
    """
    if Path(case).suffix in (".csv", ".jsonl", ".parquet"):
        evaluate_batch(product, case, output, workers, record, batch_id, dask)
        return
    if dask:
        raise BadInput("--dask evaluates a batch file (.csv, .jsonl or .parquet), not one case")
    env = environment()
    loaded = product_from(product)
    env.compile(loaded)
    the_case = env.case(case, loaded)
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


def _render_one(product, case_file: str | None, output: str | None, fmt: str, lang: str,
                record: bool) -> None:
    env = environment()
    the_case = env.case(case_file, product) if case_file else None
    if fmt == "html":
        text = env.render_html(product, case=the_case, locale=lang)
        if output:
            write_atomic(output, text)
        else:
            click.echo(text, nl=False)
        return
    data = env.render_pdf(product, case=the_case, locale=lang)
    if record:  # recorded before it is written: no policy is ever issued off the record
        with open_store() as store:
            row = record_document(store, product, the_case, data)
        click.echo(f"recorded as document {row} in {store.path}", err=True)
    target = write_atomic(output or f"{product.id}-{lang}.pdf", data)
    click.echo(f"wrote {target} ({len(data):,} bytes)")


@cli.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--min-coverage", type=float, metavar="PCT",
              help="Fail if a product's suites exercise less than PCT% of its rules.")
@click.option("-k", "keyword", metavar="TEXT",
              help="Only cases whose name contains TEXT (ignoring case).")
def test_command(paths: tuple[str, ...], min_coverage: float | None, keyword: str | None) -> None:
    """Run scenario suites (*.suite.yaml) and report rule coverage.

    A PATH is a suite or a folder searched for suites (default: the bundled
    products); products/ID/NAME.suite.yaml belongs to products/ID.yaml.
    Prints each failing case (file:line:col: name, then expected vs actual),
    the rule coverage of each product and ends with the line
    `N passed, N failed`; exit 0 when all pass, 1 on failures or coverage
    below --min-coverage, 2 on bad input (a suite that does not load). Needs
    no pytest; plain `pytest` runs the same items through the bundled plugin.

    Example:

        configurator test products/ --min-coverage 100

        configurator test products/hepatitis_b/ -k "grace days"
    """
    run = run_suites(paths, keyword, environment())
    for result in run.failed:
        click.echo("\n".join(result.failure_lines()))
    if run.coverage:
        click.echo("\n".join(([""] if run.failed else []) + coverage_lines(run.coverage)))
    click.echo(f"{run.passed} passed, {len(run.failed)} failed")
    if run.problems:
        raise BadInput("\n".join(str(problem) for problem in run.problems))
    if not run.results:
        where = ", ".join(paths) or str(environment().products_folder)
        raise BadInput(f"no case name contains '{keyword}'" if keyword else
                       f"no scenario suites (*{SUFFIX}) under {where}")
    low = below(run.coverage, min_coverage)
    if low:
        raise Failed("\n".join(
            f"rule coverage of {c.compiled.product.id} {c.compiled.product.version} is "
            f"{c.percent:.1f}%, below --min-coverage {min_coverage:g}%" for c in low))
    if run.failed:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Write each Outcome (JSON) and each product's specimen policy (PDF) to DIR.")
def demo(output: str | None) -> None:
    """The main job on every bundled product, end to end.

    Validates and compiles each product, lints it, runs its scenario suites
    (with rule coverage) and evaluates every example case; with -o it also
    writes the Outcomes and the specimen policy PDFs. Exit 1 if a suite fails
    or a product has lint findings.

    Example:

        configurator demo -o out/
    """
    result = run_demo(out=Path(output) if output else None, env=environment())
    Console(width=140).print(_demo_table(result))
    for report in result.products:
        lint_words = "lint clean" if not report.lint_findings else \
            f"{len(report.lint_findings)} lint findings"
        click.echo(f"{report.id} {report.version} ({report.hash}): valid, {lint_words}, "
                   f"{report.scenarios - len(report.failed)} of {report.scenarios} scenarios "
                   f"pass, rule coverage {report.coverage:.0f}%")
        for line in report.lint_findings + report.failed:
            click.echo(f"  {line}")
        for document in report.documents:
            click.echo(f"  wrote {document}")
    click.echo(f"{len(result.rows)} example cases evaluated across {len(result.products)} "
               "products")
    if any(r.failed or r.lint_findings for r in result.products):
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _demo_table(result: Demo) -> Table:
    table = Table(title="configurator demo: bundled products and example cases")
    for column in ("product", "case", "decision", "tier", "sum insured", "payable",
                   "check-ups open"):
        table.add_column(column, justify="right" if column in ("sum insured", "payable") else
                         "left")
    for row in result.rows:
        table.add_row(row.product, row.case, row.decision, row.tier or "-",
                      money_text(row.sum_insured), money_text(row.payable), str(row.open_checkups))
    return table
