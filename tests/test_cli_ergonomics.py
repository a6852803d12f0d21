"""CLI habits (issue 15 item 5): `-` for stdin/stdout, --json, JUnit XML, 80 columns,
verbatim help examples, -k as plain text, hints for mix-ups, plurals."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result

from configurator.cli import cli
from configurator.product.source import load_file

from .paths import CASE, CASES, PRODUCT

SUITE = CASES / "eligibility.suite.yaml"


def invoke(*args, stdin: str | bytes | None = None, columns: int | None = None) -> Result:
    env = {"COLUMNS": str(columns)} if columns else {}
    return CliRunner(env=env).invoke(cli, [str(a) for a in args], input=stdin,
                                     prog_name="configurator", catch_exceptions=False)


def case_line(path=CASE) -> str:
    """A case file as one JSON line (dates as text)."""
    return json.dumps(load_file(path).data, default=str)


# ------------------------------------------------------------ stdin and stdout


def test_product_and_case_from_stdin():
    by_file = invoke("evaluate", PRODUCT, CASE, "--json")
    case_on_stdin = invoke("evaluate", PRODUCT, "-", "--json", stdin=CASE.read_text())
    product_on_stdin = invoke("evaluate", "-", CASE, "--json", stdin=PRODUCT.read_text())
    assert by_file.exit_code == case_on_stdin.exit_code == product_on_stdin.exit_code == 0
    assert json.loads(case_on_stdin.stdout)["decision"] == json.loads(by_file.stdout)["decision"]
    assert json.loads(product_on_stdin.stdout)["coverage"] == \
        json.loads(by_file.stdout)["coverage"]


def test_stdin_is_read_once():
    result = invoke("evaluate", "-", "-", stdin=PRODUCT.read_text())
    assert result.exit_code == 2
    assert "only one argument can be '-'" in result.stderr


def test_problems_on_stdin_name_stdin():
    result = invoke("validate", "-", stdin="id: x\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("<stdin>:")


def test_batch_from_stdin_to_stdout():
    lines = "\n".join([case_line(), "{\"policy\": 1}", case_line()]) + "\n"
    result = invoke("evaluate", PRODUCT, "-", "-o", "-", stdin=lines)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["row"] for row in rows] == [1, 3]
    assert "<stdin>:2" in result.stderr and "configurator-" not in result.stderr
    assert "2 cases evaluated, 1 row skipped -> stdout" in result.stderr
    assert result.exit_code == 2


def test_schema_and_render_to_stdout():
    assert json.loads(invoke("schema", "-o", "-").stdout)["type"] == "object"
    html = invoke("render", PRODUCT, "--format", "html", "-o", "-")
    assert html.exit_code == 0 and html.stdout.lstrip().lower().startswith("<!doctype html")


# ------------------------------------------------------------ --json


def test_validate_json_lists_problem_records(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PRODUCT.read_text().replace("cooling_off_days: 15", "cooling_off_days: -1"))
    result = invoke("validate", "--format", "json", PRODUCT, bad)
    data = json.loads(result.stdout)
    assert result.exit_code == 2 and data["ok"] is False
    assert [p["id"] for p in data["products"]] == ["hepatitis_b"]
    problem = next(p for p in data["problems"] if p["path"] == "cooling_off_days")
    assert problem["file"] == str(bad) and problem["line"] > 1 and problem["column"] >= 1
    assert json.loads(invoke("validate", "--json", PRODUCT).stdout)["ok"] is True


def test_lint_json_is_a_list():
    result = invoke("lint", "--json", PRODUCT)
    assert isinstance(json.loads(result.stdout), list)


def test_test_json_and_junit(tmp_path):
    junit = tmp_path / "results.xml"
    result = invoke("test", SUITE, "--json", "--junit", junit)
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["failed"] == 0
    assert data["passed"] == len(data["cases"]) > 3
    assert data["coverage"][0]["product"] == "hepatitis_b"
    root = ElementTree.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert root.tag == "testsuites" and int(root.get("tests")) == len(cases) == data["passed"]
    assert {c.get("name") for c in cases} == {c["name"] for c in data["cases"]}


def test_junit_records_a_failure(tmp_path):
    suite = tmp_path / "hepatitis_b" / "x.suite.yaml"
    suite.parent.mkdir()
    (tmp_path / "hepatitis_b.yaml").write_text(PRODUCT.read_text())
    text = SUITE.read_text().replace("decision: accept", "decision: refer", 1)
    suite.write_text(text)
    result = invoke("test", suite, "--junit", "-")
    root = ElementTree.fromstring(result.stdout)
    failures = root.findall(".//failure")
    assert result.exit_code == 1 and len(failures) == 1 and root.get("failures") == "1"
    assert "decision: expected 'refer'" in failures[0].text


def test_k_matches_plain_text():
    result = invoke("test", SUITE, "-k", "entry age (", "--json")
    assert result.exit_code == 2 or json.loads(result.stdout)["passed"] >= 0
    spaced = invoke("test", SUITE, "-k", "ENTRY AGE", "--json")
    names = [c["name"] for c in json.loads(spaced.stdout)["cases"]]
    assert names and all("entry age" in n.lower() for n in names)


@pytest.mark.slow
def test_demo_json():
    data = json.loads(invoke("demo", "--json").stdout)
    assert {"hepatitis_b", "copd"} <= {p["id"] for p in data["products"]}
    assert all(c["decision"] in ("accept", "decline", "refer") for c in data["cases"])


# ------------------------------------------------------------ 80 columns and help


def test_test_output_fits_80_columns():
    result = invoke("test", SUITE, columns=80)
    assert result.exit_code == 0
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "rule coverage:" in result.stdout and " passed, 0 failed" in result.stdout


def test_demo_table_fits_80_columns():
    from decimal import Decimal

    from configurator.cli.runs import _demo_text
    from configurator.runs.demo import Demo, DemoRow, ProductReport
    demo = Demo([ProductReport("hepatitis_b", "1.0.0", "abc", scenarios=3)],
                [DemoRow("hepatitis_b", "alt_raised_dna_report_missed_referred", "refer",
                         "reduced", Decimal("200000"), Decimal("1234.50"), 2)])
    runner = CliRunner(env={"COLUMNS": "80"})
    import click

    @click.command()
    def show():
        _demo_text(demo)

    result = runner.invoke(show)
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    text = " ".join(result.stdout.split())
    assert "200000.00" in text and "1234.50" in text and "refer" in text
    at = next(i for i, line in enumerate(lines) if line.startswith("alt_raised"))
    folded = lines[at].split()[0] + lines[at + 1].split()[0]
    assert folded == "alt_raised_dna_report_missed_referred"  # folded, not cut
    assert "3 scenarios pass" in text
    assert "1 example case evaluated across 1 product" in text


def test_help_examples_are_verbatim():
    result = invoke("evaluate", "--help", columns=80)
    assert "      configurator evaluate products/hepatitis_b.yaml \\\n" in result.stdout
    assert "\n      configurator evaluate hepatitis_b@2026-01-01 case.yaml --record\n" in \
        result.stdout


# ------------------------------------------------------------ hints and plurals


def test_a_suite_given_as_a_case_points_to_test():
    result = invoke("evaluate", PRODUCT, SUITE)
    assert result.exit_code == 2
    assert "this is a scenario suite, not a case; run `configurator test" in result.stderr


def test_a_product_given_as_a_case_says_so():
    result = invoke("evaluate", PRODUCT, PRODUCT)
    assert result.exit_code == 2 and "this is a product, not a case" in result.stderr


def test_plurals():
    from configurator.cli.streams import plural
    assert [plural(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]
    assert plural(1, "policy", "policies") == "1 policy"
    result = invoke("evaluate", PRODUCT, "-", "-o", "-", stdin=case_line() + "\n")
    assert "1 case evaluated, 0 rows skipped" in result.stderr


def test_progress_bars_draw_only_on_a_terminal(monkeypatch):
    from configurator.cli import streams
    monkeypatch.setattr(streams.sys.stderr, "isatty", lambda: False)
    assert streams.progress("x").disable
    monkeypatch.setattr(streams.sys.stderr, "isatty", lambda: True)
    assert not streams.progress("x").disable


def test_a_case_or_a_suite_given_as_a_product_says_so():
    result = invoke("evaluate", CASE, PRODUCT)
    assert result.exit_code == 2 and "this is a case, not a product" in result.stderr
    result = invoke("validate", SUITE)
    assert result.exit_code == 2 and "this is a scenario suite, not a product" in result.stderr


def test_render_cases_from_stdin(tmp_path):
    result = invoke("render", PRODUCT, "--cases", "-", "-o", tmp_path, "--format", "html",
                    stdin=case_line() + "\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("wrote 1 policy to ")
    assert [p.suffix for p in tmp_path.iterdir()] == [".html"]


def test_demo_fits_80_columns():
    from configurator.resources import products_folder
    from configurator.runs.demo import example_cases, product_files
    result = invoke("demo", columns=80)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and max(map(len, lines)) <= 80
    for product in product_files(products_folder()):
        assert any(line.startswith(f"{product.stem} ") and "valid" in line for line in lines)
        for case in example_cases(product):  # a long name folds, its start stays on one line
            assert any(line.startswith(case.stem[:25]) for line in lines), case.stem


def _commands(group, prefix=()):
    import click
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, c in _commands(cli) if c.callback and
                                  c.callback.__module__.rsplit(".", 1)[-1] not in
                                  ("registry", "review") or p == ("lint",)],
                         ids=" ".join)
def test_every_example_is_kept_verbatim(path):
    """An Example paragraph starts with click's \\b, so --help prints its lines as written."""
    command = dict(_commands(cli))[path]
    doc = command.callback.__doc__ or ""
    if "Example:" in doc:
        assert "\b\n    Example:" in doc, path
        lines = invoke(*path, "--help", columns=80).stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.strip() == "Example:")
        assert lines[at + 1].startswith("      configurator "), lines[at:at + 3]
