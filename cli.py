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
def evaluate_command(product: str, case: str, as_json: bool, explain: bool, lang: str) -> None:
    """Decide one case (an applicant and a dated timeline) as of its date.

    A decline is a decision (exit 0); bad input exits 2.

    Example:

        configurator evaluate products/hepatitis_b.yaml \\
            products/hepatitis_b/adherent_two_years.yaml --explain
    """
    loaded = load(product)
    compiled = compile_product(loaded)
    the_case = load_case(case, loaded)
    outcome = evaluate(compiled, the_case, explain=explain or as_json, locale=lang)
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
def render_command(product: str, case_file: str | None, cases_file: str | None,
                   output: str | None, fmt: str, lang: str, workers: int,
                   readability: bool) -> None:
    """Render the policy document: the specimen, or a personalised policy.

    Without --case, the specimen policy; with --case, the policy for one
    insured from the engine's Outcome (name, policy number, cover, loadings,
    exclusions, check-up dates, adherence status). With --cases and -o DIR,
    one policy per case, rendered by warm worker processes.

    Example:

        configurator render products/hepatitis_b.yaml \\
            --case products/hepatitis_b/adherent_two_years.yaml -o policy.pdf

        configurator render products/hepatitis_b.yaml --readability

        configurator render products/hepatitis_b.yaml --cases cases.jsonl -o out/ --workers 2
    """
    from configurator.readability import report_lines
    from configurator.render import render_html, render_pdf

    loaded = load(product)
    if readability:
        click.echo("\n".join(report_lines(loaded, lang)))
        if not (output or case_file or cases_file):
            return
    if cases_file:
        _render_batch(product, cases_file, output, fmt, lang, workers)
        return
    the_case = load_case(case_file, loaded) if case_file else None
    if fmt == "html":
        text = render_html(loaded, case=the_case, locale=lang)
        if output:
            _write(Path(output), text)
        else:
            click.echo(text, nl=False)
        return
    data = render_pdf(loaded, case=the_case, locale=lang)
    target = Path(output) if output else Path(f"{loaded.id}-{lang}.pdf")
    _write_bytes(target, data)
    click.echo(f"wrote {target} ({len(data):,} bytes)")


def _render_batch(product: str, cases_file: str, output: str | None, fmt: str, lang: str,
                  workers: int) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from configurator.render import render_batch

    if not output:
        raise BadInput("render --cases needs -o DIR for the policies")
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("rendering policies", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = render_batch(product, cases_file, output, workers=workers, locale=lang,
                              fmt=fmt, progress=progress)
    click.echo(f"wrote {len(result.written)} policies to {output}; "
               f"{len(result.skipped)} skipped, {len(result.failed)} failed")
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    if result.failed:
        raise BadInput("\n".join(result.failed))


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
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning bad input into clean messages and exit code 2."""
    try:
        cli.main(args=argv, prog_name="configurator", standalone_mode=False)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
