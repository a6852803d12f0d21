"""The `configurator` command: a thin layer over the library.

Errors become one line per problem (``file:line:col: path: message``) and
exit code 2 in one place (`main`); no traceback for bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from configurator import ConfigError, compile_product, evaluate, json_schema, load, load_case
from configurator.demo import run_demo
from configurator.outcome import money_text
from configurator.report import outcome_lines

EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="configurator")
def cli() -> None:
    """Managed-care single-disease insurance products as YAML, run by durable-rules.

    Product designers write products/*.yaml; underwriters evaluate cases
    against them; agents render policies; compliance reviewers diff versions.
    """


@cli.command()
@click.argument("products", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(products: tuple[str, ...]) -> None:
    """Load and check product files, reporting every problem at once.

    Example:

        configurator validate products/hepatitis_b.yaml
    """
    problems = []
    for path in products:
        try:
            product = load(path)
            compile_product(product)
            click.echo(f"{path}: ok ({product.id} {product.version}, {product.hash})")
        except ConfigError as exc:
            problems += [str(p) for p in exc.problems]
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
def compile_command(product: str) -> None:
    """Print the durable-rules rulesets a product compiles to, as JSON.

    Example:

        configurator compile products/hepatitis_b.yaml
    """
    compiled = compile_product(load(product))
    click.echo(json.dumps(compiled.to_data(), indent=2, ensure_ascii=False, default=str))


@cli.command(name="evaluate")
@click.argument("product", type=click.Path(dir_okay=False))
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the Outcome as JSON.")
@click.option("--explain", is_flag=True, help="Show each rule's source, values read and checks.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh-CN"]), help="Wording language.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Batch: write one row per case to OUT.csv or OUT.jsonl.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Batch: worker processes.")
def evaluate_command(product: str, case: str, as_json: bool, explain: bool, lang: str,
                     output: str | None, workers: int) -> None:
    """Decide one case (an applicant and a dated timeline) as of its date.

    A decline is a decision (exit 0); bad input exits 2. Given a .csv or
    .jsonl file of cases, evaluates them all (batch) and writes one row per
    case to -o; bad rows are reported with their row number and skipped
    (exit 2 when any were skipped, after every good row is written).

    Example:

        configurator evaluate products/hepatitis_b.yaml \\
            products/hepatitis_b/adherent_two_years.yaml --explain

        configurator evaluate products/hepatitis_b.yaml cases.csv -o results.csv --workers 2
    """
    if Path(case).suffix in (".csv", ".jsonl"):
        _batch(product, case, output, workers)
        return
    loaded = load(product)
    compiled = compile_product(loaded)
    the_case = load_case(case, loaded)
    outcome = evaluate(compiled, the_case, explain=explain or as_json, locale=lang)
    if as_json:
        click.echo(outcome.dumps())
    else:
        click.echo("\n".join(outcome_lines(loaded, outcome, explain, the_case.name)))


def _batch(product: str, cases: str, output: str | None, workers: int) -> None:
    from rich.progress import Progress

    from configurator.batch import count_rows, run_batch

    if not output:
        raise BadInput("batch evaluation needs -o OUT.csv or -o OUT.jsonl")
    if not Path(cases).is_file():
        raise BadInput(f"{cases}:1:1: file not found")
    total = count_rows(cases)
    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("evaluating", total=total)
        report = run_batch(product, cases, output, workers,
                           on_progress=lambda _: progress.advance(task))
    for problem in report.problems:
        click.echo(str(problem).removeprefix("<input>: "), err=True)
    skipped = total - report.written
    click.echo(f"{report.written} cases evaluated, {skipped} rows skipped -> {output}", err=True)
    if report.problems:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


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

    from configurator.demo import bundled_products

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
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Write Outcomes to DIR.")
def demo(output: str | None) -> None:
    """Validate every bundled product and evaluate all of its example cases.

    Example:

        configurator demo -o out/
    """
    from rich.console import Console
    from rich.table import Table

    rows = run_demo(out=Path(output) if output else None)
    table = Table(title="configurator demo: bundled products and example cases")
    for column in ("product", "case", "decision", "tier", "sum insured", "payable",
                   "check-ups open"):
        table.add_column(column, justify="right" if column in ("sum insured", "payable") else
                         "left")
    for row in rows:
        table.add_row(row.product, row.case, row.decision, row.tier or "-",
                      money_text(row.sum_insured), money_text(row.payable), str(row.open_checkups))
    Console(width=140).print(table)
    products = len({r.product for r in rows})
    click.echo(f"{len(rows)} cases evaluated across {products} products")


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning bad input into clean messages and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="configurator", standalone_mode=False)
    except ConfigError as exc:
        click.echo("\n".join(str(p) for p in exc.problems), err=True)
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


if __name__ == "__main__":
    sys.exit(main())
