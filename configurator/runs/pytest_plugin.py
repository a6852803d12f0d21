"""pytest plugin: every case in ``*.suite.yaml`` is a test item.

`configurator test` and plain `pytest` run the same items. A failure shows
each unmet expectation (expected vs actual) with the case's file and line.
At the end the plugin reports rule coverage per product — every rule,
check-up, benefit and exclusion no case exercised — and `--min-coverage PCT`
fails the run below that percentage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..compiler.compile import CompiledProduct, compile_product
from ..engine.evaluate import evaluate
from ..errors import ConfigError
from ..product.load import load
from .suites import SUFFIX, Coverage, Mismatch, SuiteCase, check, load_suite, product_for

_COMPILED: dict[Path, CompiledProduct] = {}
COVERAGE_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("configurator", "configurator scenario suites")
    group.addoption("--min-coverage", type=float, default=None, metavar="PCT",
                    help="fail if a product's suites exercise less than PCT%% of its rules")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COVERAGE_KEY] = {}


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.name.endswith(SUFFIX):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


def compiled_for(suite: Path) -> CompiledProduct:
    path = product_for(suite)
    if path not in _COMPILED:
        _COMPILED[path] = compile_product(load(path))
    return _COMPILED[path]


def shown_path(path: Path) -> Path:
    """Paths relative to the working directory when below it (as users typed them)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


class SuiteFile(pytest.File):
    def collect(self):
        try:
            compiled = compiled_for(self.path)
            cases = load_suite(shown_path(self.path), compiled.product)
        except ConfigError as exc:
            raise self.CollectError("\n".join(str(p) for p in exc.problems)) from None
        for case in cases:
            yield SuiteItem.from_parent(self, name=case.name, scenario=case, compiled=compiled)


class SuiteItem(pytest.Item):
    def __init__(self, *, scenario: SuiteCase, compiled: CompiledProduct, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.compiled = compiled

    def runtest(self) -> None:
        outcome = evaluate(self.compiled, self.scenario.case)
        coverage = self.config.stash[COVERAGE_KEY]
        key = self.compiled.name
        coverage.setdefault(key, Coverage(self.compiled)).record(outcome)
        mismatches = check(outcome.to_json(), self.scenario.expect)
        if mismatches:
            raise ScenarioFailure(mismatches)

    def repr_failure(self, excinfo, style=None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            lines = [f"{self.scenario.span}: {self.scenario.name}"]
            lines += [f"  {m}" for m in excinfo.value.mismatches]
            return "\n".join(lines)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.scenario.span.line - 1, f"{self.path.name}: {self.name}"


class ScenarioFailure(Exception):
    def __init__(self, mismatches: list[Mismatch]):
        super().__init__("\n".join(map(str, mismatches)))
        self.mismatches = mismatches


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    coverage: dict[str, Coverage] = config.stash.get(COVERAGE_KEY, {})
    if not coverage:
        return
    write = terminalreporter.write_line
    write("")
    write("rule coverage:")
    for name in sorted(coverage):
        report = coverage[name]
        missed = report.missed()
        write(f"  {report.compiled.product.id} {report.compiled.product.version}: "
              f"{report.percent:.1f}% ({len(report.items()) - len(missed)} of "
              f"{len(report.items())})")
        for item in missed:
            write(f"    not exercised: {item}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    minimum = session.config.getoption("--min-coverage")
    coverage: dict[str, Coverage] = session.config.stash.get(COVERAGE_KEY, {})
    if minimum is not None and any(c.percent < minimum for c in coverage.values()):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
