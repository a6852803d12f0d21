"""The CLI: commands in-process through click's `CliRunner`; a few real runs of the
console script (exit codes, stderr without a traceback); the three launchers agree."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from configurator.cli import cli, main

from .paths import CASE, PRODUCT, ROOT


def invoke(*args: str | Path) -> Result:
    """Run a command in-process, as `configurator` would (library errors included)."""
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="configurator",
                              catch_exceptions=False)


def console_script() -> str:
    return shutil.which("configurator", path=str(Path(sys.executable).parent)) or "configurator"


def run(*args: str) -> subprocess.CompletedProcess:
    """Run the installed console script, as a user would."""
    return subprocess.run([console_script(), *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "160"}, timeout=300)


# ------------------------------------------------------------ in-process


def test_validate_reports_ok_and_exit_zero():
    result = invoke("validate", PRODUCT)
    assert result.exit_code == 0, result.stderr
    assert f"{PRODUCT}: ok (hepatitis_b 1.0.0," in result.stdout


def test_evaluate_json_follows_the_contract():
    result = invoke("evaluate", PRODUCT, CASE, "--json")
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    for key in ("product", "as_of", "decision", "reasons", "loadings", "exclusions", "checkups",
                "coverage", "claims", "trace"):
        assert key in outcome
    assert outcome["decision"] == "accept"
    assert set(outcome["product"]) == {"id", "version", "hash"}
    assert isinstance(outcome["coverage"]["sum_insured"], str)


def test_evaluate_explain_cites_rule_line_values_and_clause(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke("evaluate", "products/hepatitis_b.yaml",
                    "products/hepatitis_b/adherent_two_years.yaml", "--explain")
    assert result.exit_code == 0, result.stderr
    assert "decision: ACCEPT" in result.stdout
    assert "rule trigger.flare_review at products/hepatitis_b.yaml:" in result.stdout
    assert "policy clause 4." in result.stdout
    assert "read: alt=110" in result.stdout
    assert "[yes] alt > flare_alt_ratio * alt_uln" in result.stdout


def test_compile_prints_plain_json_rulesets():
    result = invoke("compile", PRODUCT)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"].startswith("hepatitis_b-1.0.0-")
    rules = data["periods"][0]["rulesets"][0]["rules"]
    assert "eligibility.age_outside_range" in rules


def test_schema_writes_the_json_schema(tmp_path):
    target = tmp_path / "schema.json"
    result = invoke("schema", "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    schema = json.loads(target.read_text())
    assert "title" not in schema  # an editor repeats a title on every hover
    assert "eligibility" in schema["properties"]
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temporary left behind


def test_render_html_goes_to_a_file_whole(tmp_path):
    target = tmp_path / "policy.html"
    result = invoke("render", PRODUCT, "--case", CASE, "--format", "html", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["policy.html"]


DEMO_PRODUCT_LINE = re.compile(r"^(\S+) \S+ \([0-9a-f]{12}\): valid, ", re.M)


def test_demo_runs_the_whole_pipeline_on_every_bundled_product(tmp_path):
    from configurator.resources import products_folder as bundled_products
    from configurator.runs.demo import example_cases, product_files

    result = invoke("demo", "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    products = product_files(bundled_products())
    # every product file in the folder, however many there are, and nothing else
    assert [p.name for p in products] == sorted(p.name for p in bundled_products().iterdir()
                                                if p.suffix == ".yaml")
    assert DEMO_PRODUCT_LINE.findall(out) == [p.stem for p in products]
    lines = out.splitlines()
    for path in products:
        at = next(i for i, x in enumerate(lines) if x.startswith(f"{path.stem} "))
        assert "valid, lint clean" in lines[at] and "rule coverage 100%" in lines[at + 1]
        assert len(list((tmp_path / path.stem).glob("*.json"))) == len(example_cases(path))
        for pdf in (tmp_path / path.stem).glob("policy.*.pdf"):
            assert pdf.read_bytes().startswith(b"%PDF")
        assert sorted(p.name for p in (tmp_path / path.stem).glob("policy.*.pdf")) == [
            "policy.en.pdf", "policy.zh-CN.pdf"]
    assert "adherent_two_years" in out
    total = sum(len(example_cases(p)) for p in products)
    assert out.strip().splitlines()[-1] == (f"{total} example cases evaluated across "
                                            f"{len(products)} products")


def test_a_library_error_is_one_positioned_line_and_exit_two(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = invoke("evaluate", missing, CASE)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{missing}:1:1: file not found\n"


def test_a_registry_error_is_an_error_line_and_exit_two(tmp_path):
    result = invoke("history", "hepatitis_b", "--db", tmp_path / "none.db")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: no configurator database at {tmp_path}")
    assert not (tmp_path / "none.db").exists()


def test_usage_errors_exit_two(capsys):
    assert main(["evaluate", str(PRODUCT)]) == 2
    assert "Missing argument" in capsys.readouterr().err


def test_main_returns_the_exit_code_of_a_check(capsys):
    assert main(["lint", str(ROOT / "tests" / "fixtures" / "lint" / "OVERLAP_bad.yaml")]) == 1
    assert "OVERLAP" in capsys.readouterr().out


# ------------------------------------------------------------ the console script


def test_validate_bad_product_exits_two_with_positions_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = PRODUCT.read_text().replace("when: age < min_entry_age", "when: agee < min_entry_age")
    bad.write_text(text.replace("cooling_off_days: 15", "cooling_off_days: fifteen"))
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("cooling_off_days: expected a whole number" in line for line in lines)
    assert any("unknown name 'agee'" in line and "did you mean 'age'?" in line for line in lines)
    assert all(line.startswith(str(bad) + ":") for line in lines)


def test_evaluate_bad_case_exits_two(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(CASE.read_text().replace("type: antiviral_refill", "type: antiviral_refil", 1)
                    .replace("as_of: 2028-06-30", "as_of: 2025-06-30"))
    result = run("evaluate", str(PRODUCT), str(case))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown event type 'antiviral_refil'; did you mean 'antiviral_refill'?" in \
        result.stderr
    assert "as_of 2025-06-30 is before the policy start 2026-01-01" in result.stderr


def test_missing_file_is_a_clean_error():
    result = run("evaluate", "products/nope.yaml", str(CASE))
    assert result.returncode == 2
    assert result.stderr.strip() == "products/nope.yaml:1:1: file not found"


def listed_commands(help_text: str) -> list[str]:
    """The command names in the 'Commands:' part of a --help."""
    part = help_text.split("Commands:", 1)[1]
    return [m[1] for m in re.finditer(r"^  (\S+)", part, re.M)]


LAUNCHERS = {
    "cli.py": [sys.executable, "cli.py"],
    "python -m configurator": [sys.executable, "-m", "configurator"],
    "console script": [console_script()],
}


def test_every_launcher_lists_the_same_commands():
    expected = sorted(cli.commands)
    assert {"publish", "audit", "test", "evaluate"} <= set(expected)
    for name, launcher in LAUNCHERS.items():
        result = subprocess.run([*launcher, "--help"], capture_output=True, text=True, cwd=ROOT,
                                timeout=120)
        assert result.returncode == 0, (name, result.stderr)
        assert listed_commands(result.stdout) == expected, name


@pytest.mark.parametrize("name", sorted(LAUNCHERS))
def test_registry_commands_work_through_every_launcher(name):
    result = subprocess.run([*LAUNCHERS[name], "publish", "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: configurator publish [OPTIONS] PRODUCT")


# ------------------------------------------------------------ documentation


def every_command(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    """(words after `configurator`, command) for every command and subcommand."""
    for name, command in sorted(group.commands.items()):
        yield " ".join((*prefix, name)), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*prefix, name))


COMMANDS = dict(every_command())


def test_the_subcommands_of_audit_are_checked_too():
    assert {"audit verify", "audit show"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name):
    command = COMMANDS[name]
    assert command.help and "Example:" in command.help, f"{name} needs a docstring with Example:"
    result = invoke(*name.split(), "--help")
    assert result.exit_code == 0
    assert f"configurator {name}" in result.stdout.split("Example:", 1)[1]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name):
    readme = (ROOT / "README.md").read_text()
    assert f"configurator {name}" in readme, f"README.md does not show `configurator {name}`"


# ------------------------------------------------------------ layering


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_cli_imports_click_or_rich():
    package = ROOT / "configurator"
    offenders = [str(path.relative_to(ROOT)) for path in sorted(package.rglob("*.py"))
                 if "cli" not in path.relative_to(package).parts[:1]
                 and imported_modules(path) & {"click", "rich"}]
    assert offenders == []
    assert "click" in imported_modules(package / "cli" / "group.py")


def test_a_file_that_cannot_be_written_is_a_clean_error(capsys, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    code = main(["render", str(PRODUCT), "--format", "html", "-o", str(blocked / "p.html")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith("error: ") and "not-a-folder" in err and "nothing was written" in err


def test_an_issued_policy_is_recorded_before_it_is_written(capsys, tmp_path, monkeypatch):
    """render --record with no registry: refused, and no policy left on disk off the record."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "policy.pdf"
    code = main(["render", str(PRODUCT), "--case", str(CASE), "-o", str(target), "--record",
                 "--db", str(tmp_path / "none.db")])
    assert code == 2 and "Traceback" not in capsys.readouterr().err
    assert not target.exists()
