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
from configurator.report import outcome_lines

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class Findings(click.ClickException):
    """Lint found something: exit 1, the findings already printed."""

    exit_code = EXIT_FINDINGS

    def show(self, file=None) -> None:
        pass


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
def diff_command(old: str, new: str, more_cases: tuple[str, ...], cases: tuple[str, ...],
                 as_json: bool, output: str | None) -> None:
    """Compare two versions of a product for a compliance reviewer.

    Lists every change by stable id, named in domain terms and judged for the
    insured (favourable, unfavourable, neutral, mixed), suggests a version
    bump, redlines the rendered wording in every language and, with
    --impact, reports which cases come out differently and why.

    Example:

        configurator diff products/hepatitis_b.yaml v2.yaml \
            --impact products/hepatitis_b/ -o review.pdf
    """
    from rich.console import Console

    from configurator.diff import diff
    from configurator.diff_report import print_diff, report_bytes

    if more_cases and not cases:
        raise BadInput(f"'{more_cases[0]}': give case paths after --impact")
    result = diff(load(old), load(new), [*cases, *more_cases] or None)
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
def lint_command(products: tuple[str, ...], profile: str | None, output_format: str) -> None:
    """Check products against regulation and for dead or contradictory rules.

    Prints one finding a line; exits 1 when there is any finding, 2 when a
    product does not load. Codes and their sources: `configurator.lint.RULES`.

    Example:

        configurator lint products/hepatitis_b.yaml --profile CN
    """
    from configurator.lint import lint

    loaded = [load(path) for path in products]
    findings = [f for product in loaded for f in lint(product, profile or product.jurisdiction)]
    if output_format == "json":
        click.echo(json.dumps([f.to_json() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    if findings:
        raise Findings(f"{len(findings)} finding(s)")


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
                      str(row.sum_insured), str(row.payable), str(row.open_checkups))
    Console(width=140).print(table)
    products = len({r.product for r in rows})
    click.echo(f"{len(rows)} cases evaluated across {products} products")


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
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
