"""The `configurator` command: a thin layer over the library.

Errors become one line per problem (``file:line:col: path: message``) and
exit code 2 in one place (`main`); no traceback for bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from configurator import ConfigError, Product, compile_product, evaluate, json_schema, load_case
from configurator.cases.outcome import money_text
from configurator.cli.output import outcome_lines
from configurator.registry.db import DEFAULT_DB, ENV_DB, StoreError
from configurator.registry.store import Store, resolve_product
from configurator.runs.demo import run_demo
from configurator.runs.gates import STANDARD_GATES

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class Failed(BadInput):
    """A check that ran and found something wrong (exit 1)."""

    exit_code = 1


class IsoDate(click.ParamType):
    """A YYYY-MM-DD date."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date; write YYYY-MM-DD", param, ctx)


DATE = IsoDate()


def db_option(command):
    """The shared ``--db FILE`` option (also ``$CONFIGURATOR_DB``), read by `product_from`."""
    return click.option(
        "--db", type=click.Path(dir_okay=False), envvar=ENV_DB, default=DEFAULT_DB,
        show_default=True, show_envvar=True, expose_value=False, is_eager=True,
        callback=_remember_db, help="Registry and audit database.")(command)


def _remember_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta["configurator.registry.db"] = value
    return value


def _db() -> str | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("configurator.registry.db") if ctx else None


def product_from(ref: str) -> Product:
    """PRODUCT as a file, ``id@version`` or ``id@YYYY-MM-DD`` (from the ``--db`` registry)."""
    return resolve_product(ref, _db())


def open_store(create: bool = False) -> Store:
    """The database named by ``--db`` / ``$CONFIGURATOR_DB`` (created only if `create`)."""
    return Store(_db(), create=create, gates=STANDARD_GATES)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="configurator")
def cli() -> None:
    """Managed-care single-disease insurance products as YAML, run by durable-rules.

    Product designers write products/*.yaml; underwriters evaluate cases
    against them; agents render policies; compliance reviewers diff versions.
    """


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
            compile_product(product)
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
        _write(Path(output), text)
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
    compiled = compile_product(product_from(product))
    click.echo(json.dumps(compiled.to_data(), indent=2, ensure_ascii=False, default=str))


@cli.command(name="evaluate")
@click.argument("product", type=click.Path(dir_okay=False))
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the Outcome as JSON.")
@click.option("--explain", is_flag=True, help="Show each rule's source, values read and checks.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh-CN"]), help="Wording language.")
@click.option("--record", is_flag=True,
              help="Write the decision to the audit trail (the version must be published).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Batch: write one row per case to OUT.csv or OUT.jsonl.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Batch: worker processes.")
@click.option("--batch-id", help="Batch with --record: the id to record (and resume) under; "
                                 "default: the input file's name and content hash.")
@db_option
def evaluate_command(product: str, case: str, as_json: bool, explain: bool, lang: str,
                     record: bool, output: str | None, workers: int,
                     batch_id: str | None) -> None:
    """Decide one case (an applicant and a dated timeline) as of its date.

    PRODUCT is a file, ID@VERSION, or ID@YYYY-MM-DD (the version in force that
    day). A decline is a decision (exit 0); bad input exits 2. With --record
    the decision is added to the audit trail (no personal inputs are stored).
    Given a .csv or .jsonl file of cases, evaluates them all (batch) and writes
    one row per case to -o; bad rows are reported with their row number and
    skipped (exit 2 when any were skipped, after every good row is written).

    Example:

        configurator evaluate products/hepatitis_b.yaml \\
            products/hepatitis_b/adherent_two_years.yaml --explain

        configurator evaluate hepatitis_b@2026-01-01 case.yaml --record

        configurator evaluate products/hepatitis_b.yaml cases.csv -o results.csv --workers 2
    """
    if Path(case).suffix in (".csv", ".jsonl"):
        _batch(product, case, output, workers, record, batch_id)
        return
    loaded = product_from(product)
    compiled = compile_product(loaded)
    the_case = load_case(case, loaded)
    outcome = evaluate(compiled, the_case, explain=explain or as_json, locale=lang)
    if record:
        from configurator.registry.audit import record_evaluation

        with open_store() as store:
            row = record_evaluation(store, loaded, the_case, outcome)
        click.echo(f"recorded as audit row {row} in {store.path}", err=True)
    if as_json:
        click.echo(outcome.dumps())
    else:
        click.echo("\n".join(outcome_lines(loaded, outcome, explain, the_case.name)))


@cli.command(name="render")
@click.argument("product", type=click.Path(dir_okay=False))
@click.option("--case", "case_file", type=click.Path(dir_okay=False),
              help="Personalise the policy for the person in CASE.")
@click.option("--cases", "cases_file", type=click.Path(dir_okay=False),
              help="Batch: one personalised policy per line of a JSONL file (needs -o DIR).")
@click.option("-o", "--output", type=click.Path(), help="Write to OUT (a folder with --cases).")
@click.option("--format", "fmt", default="pdf", type=click.Choice(["pdf", "html"]),
              help="PDF (tagged PDF/UA-1) or HTML.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh-CN"]), help="Language.")
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
    from configurator.document.readability import report_lines
    from configurator.environment import Environment

    env = Environment(db=_db(), locale=lang)

    loaded = product_from(product)
    if readability:
        click.echo("\n".join(report_lines(loaded, lang, env.illustration(loaded))))
        if not (output or case_file or cases_file):
            return
    if record and fmt != "pdf":
        raise BadInput("--record records issued PDFs: leave out --format html")
    if cases_file:
        _render_batch(product, cases_file, output, fmt, lang, workers, record)
        return
    the_case = load_case(case_file, loaded) if case_file else None
    if fmt == "html":
        text = env.render_html(loaded, the_case)
        if output:
            _write(Path(output), text)
        else:
            click.echo(text, nl=False)
        return
    data = env.render_pdf(loaded, the_case)
    target = Path(output) if output else Path(f"{loaded.id}-{lang}.pdf")
    _write_bytes(target, data)
    click.echo(f"wrote {target} ({len(data):,} bytes)")
    if record:
        from configurator.registry.audit import record_document

        with open_store() as store:
            row = record_document(store, loaded, the_case, data)
        click.echo(f"recorded as document {row} in {store.path}", err=True)


def _render_batch(product: str, cases_file: str, output: str | None, fmt: str, lang: str,
                  workers: int, record: bool = False) -> None:
    from contextlib import ExitStack

    if not output:
        raise BadInput("render --cases needs -o DIR for the policies")
    with ExitStack() as stack:
        on_written = None
        if record:
            from configurator.registry.audit import record_document

            store = stack.enter_context(open_store())

            def on_written(product_, case, path) -> None:
                record_document(store, product_, case, path.read_bytes())

        _render_batch_run(product, cases_file, output, fmt, lang, workers, on_written)


def _render_batch_run(product: str, cases_file: str, output: str, fmt: str, lang: str,
                      workers: int, on_written) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from configurator.runs.batch_render import render_batch

    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("rendering policies", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = render_batch(product, cases_file, output, workers=workers, locale=lang,
                              fmt=fmt, progress=progress, db=_db(), on_written=on_written)
    click.echo(f"wrote {len(result.written)} policies to {output}; "
               f"{len(result.skipped)} skipped, {len(result.failed)} failed")
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    if result.failed:
        raise BadInput("\n".join(result.failed))


@cli.command(name="diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.argument("more_cases", nargs=-1, type=click.Path(), metavar="[PATH]...")
@click.option("--impact", "cases", multiple=True, type=click.Path(), metavar="PATH",
              help="Cases to evaluate under both versions: case files, directories, suites, "
                   ".jsonl/.csv batches. Repeat it, or list more paths after it.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to FILE (.html, .pdf or .json).")
@db_option
def diff_command(old: str, new: str, more_cases: tuple[str, ...], cases: tuple[str, ...],
                 as_json: bool, output: str | None) -> None:
    """Compare two versions of a product for a compliance reviewer.

    OLD and NEW are files, or ID@VERSION / ID@YYYY-MM-DD from the registry.
    Lists every change by stable id, named in domain terms and judged for the
    insured (favourable, unfavourable, neutral, mixed), suggests a version
    bump, redlines the rendered wording in every language and, with
    --impact, reports which cases come out differently and why.

    Example:

        configurator diff products/hepatitis_b.yaml v2.yaml \\
            --impact products/hepatitis_b/ -o review.pdf
    """
    from rich.console import Console

    from configurator.compliance.diff import diff
    from configurator.compliance.report import print_diff, report_bytes

    if more_cases and not cases:
        raise BadInput(f"'{more_cases[0]}': give case paths after --impact")
    result = diff(product_from(old), product_from(new), [*cases, *more_cases] or None)
    if output:
        _write_bytes(Path(output), report_bytes(result, Path(output).suffix.lower()))
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif not output:
        print_diff(result, Console(width=140, highlight=False))
    else:
        click.echo(f"{output}: {len(result.changes)} changes, suggested bump "
                   f"{result.bump.level}")


@cli.command(name="lint")
@click.argument("products", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--profile", type=click.Choice(["CN", "US"]), default=None,
              help="Jurisdiction profile (default: each product's jurisdiction, CN if unset).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="text: file:line:col: CODE: message; json: a list of findings.")
@db_option
def lint_command(products: tuple[str, ...], profile: str | None, output_format: str) -> None:
    """Check products against regulation and for dead or contradictory rules.

    A PRODUCT is a file, or ID@VERSION / ID@YYYY-MM-DD from the registry.
    Prints one finding a line; exits 1 when there is any finding, 2 when a
    product does not load. Codes and their sources: `configurator.compliance.lint.RULES`.

    Example:

        configurator lint products/hepatitis_b.yaml --profile CN
    """
    from configurator.compliance.lint import lint

    loaded = [product_from(path) for path in products]
    findings = [f for product in loaded for f in lint(product, profile or product.jurisdiction)]
    if output_format == "json":
        click.echo(json.dumps([f.to_json() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    if findings:
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _batch(product: str, cases: str, output: str | None, workers: int, record: bool,
           batch_id: str | None) -> None:
    from contextlib import ExitStack

    from rich.progress import Progress

    from configurator.cases.batchfile import count_rows
    from configurator.runs.batch import run_batch

    if not output:
        raise BadInput("batch evaluation needs -o OUT.csv or -o OUT.jsonl")
    if not Path(cases).is_file():
        raise BadInput(f"{cases}:1:1: file not found")
    loaded = product_from(product)
    total = count_rows(cases)
    with ExitStack() as stack:
        recorder = _batch_recorder(stack, loaded, cases, batch_id) if record else None
        with Progress(transient=True, console=_stderr_console()) as progress:
            task = progress.add_task("evaluating", total=total)
            report = run_batch(loaded, cases, output, workers,
                               on_progress=lambda _: progress.advance(task), recorder=recorder)
    for problem in report.problems:
        click.echo(str(problem).removeprefix("<input>: "), err=True)
    skipped = total - report.written
    click.echo(f"{report.written} cases evaluated, {skipped} rows skipped -> {output}", err=True)
    if recorder is not None:
        click.echo(f"batch {recorder.batch_id}: {recorder.recorded} rows recorded, "
                   f"{recorder.skipped} already recorded", err=True)
    if report.problems:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _batch_recorder(stack, product, cases: str, batch_id: str | None):
    import hashlib

    from configurator.registry.audit import BatchRecorder

    store = stack.enter_context(open_store())
    if batch_id is None:
        digest = hashlib.sha256(Path(cases).read_bytes()).hexdigest()[:12]
        batch_id = f"{Path(cases).name}-{digest}"
    return BatchRecorder(store, product, batch_id)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@cli.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--min-coverage", type=float, metavar="PCT",
              help="Fail if a product's suites exercise less than PCT% of its rules.")
@click.option("-k", "keyword", metavar="EXPR", help="Only cases whose name matches EXPR.")
def test_command(paths: tuple[str, ...], min_coverage: float | None, keyword: str | None) -> None:
    """Run scenario suites (*.suite.yaml) and report rule coverage.

    The same items run under plain `pytest`. Ends with the line
    `N passed, N failed`; exit 0 when all pass, 1 on failures, 2 on bad input.

    Example:

        configurator test products/ --min-coverage 100
    """
    import pytest

    from configurator.resources import products_folder as bundled_products

    counter = _Counter()
    args = [*(paths or [str(bundled_products())]), "-q", "--no-header", "-p", "no:cacheprovider",
            "-o", "python_files=__none__", "--rootdir", str(Path.cwd())]
    if min_coverage is not None:
        args += ["--min-coverage", str(min_coverage)]
    if keyword:
        args += ["-k", keyword]
    code = pytest.main(args, plugins=[counter])
    click.echo(f"{counter.passed} passed, {counter.failed} failed")
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR,
                pytest.ExitCode.NO_TESTS_COLLECTED) or counter.errors:
        raise BadInput("no scenario could run: see the errors above" if not counter.passed
                       and not counter.failed else "some suites could not be loaded")
    if code != pytest.ExitCode.OK:
        raise click.exceptions.Exit(1)


class _Counter:
    """Counts scenario results for the closing line."""

    def __init__(self):
        self.passed = self.failed = self.errors = 0

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            self.passed += report.passed
            self.failed += report.failed

    def pytest_collectreport(self, report) -> None:
        self.errors += report.failed


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
    from rich.console import Console
    from rich.table import Table

    result = run_demo(out=Path(output) if output else None)
    table = Table(title="configurator demo: bundled products and example cases")
    for column in ("product", "case", "decision", "tier", "sum insured", "payable",
                   "check-ups open"):
        table.add_column(column, justify="right" if column in ("sum insured", "payable") else
                         "left")
    for row in result.rows:
        table.add_row(row.product, row.case, row.decision, row.tier or "-",
                      money_text(row.sum_insured), money_text(row.payable), str(row.open_checkups))
    Console(width=140).print(table)
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
        raise click.exceptions.Exit(1)

def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning bad input into clean messages and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="configurator", standalone_mode=False)
    except ConfigError as exc:
        click.echo("\n".join(str(p) for p in exc.problems), err=True)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0


import cli_registry  # noqa: E402,F401  (publish, approve, retire, history, audit)

if __name__ == "__main__":
    sys.exit(main())
