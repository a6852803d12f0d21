"""pytest plugin: every case in ``*.suite.yaml`` is a test item.

`configurator test` (`suites.run_suites`, which needs no pytest) and plain
`pytest` run the same items: both load suites with `suites.SuiteLoader` and
run each case through `suites.run_case`. A failure shows each unmet
expectation (expected vs actual) with the case's file and line. At the end
the plugin reports rule coverage per product — every rule, check-up,
benefit and exclusion no case exercised — and `--min-coverage PCT` fails the
run below that percentage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..compiler.compile import CompiledProduct
from ..errors import ConfigError
from .suites import (
    SUFFIX,
    CaseResult,
    RuleCoverage,
    SuiteCase,
    SuiteLoader,
    below,
    coverage_lines,
    run_case,
)

COVERAGE_KEY = pytest.StashKey[dict]()
LOADER_KEY = pytest.StashKey[SuiteLoader]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("configurator", "configurator scenario suites")
    group.addoption("--min-coverage", type=float, default=None, metavar="PCT",
                    help="fail if a product's suites exercise less than PCT%% of its rules")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COVERAGE_KEY] = {}
    config.stash[LOADER_KEY] = SuiteLoader()


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.name.endswith(SUFFIX):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


class SuiteFile(pytest.File):
    def collect(self):
        try:
            suite = self.config.stash[LOADER_KEY].load(self.path)
        except ConfigError as exc:
            raise self.CollectError("\n".join(str(p) for p in exc.problems)) from None
        for case in suite.cases:
            yield SuiteItem.from_parent(self, name=case.name, scenario=case,
                                        compiled=suite.compiled)


class SuiteItem(pytest.Item):
    def __init__(self, *, scenario: SuiteCase, compiled: CompiledProduct, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.compiled = compiled

    def runtest(self) -> None:
        coverage = self.config.stash[COVERAGE_KEY]
        report = coverage.setdefault(self.compiled.name, RuleCoverage(self.compiled))
        result = run_case(self.compiled, self.scenario, report)
        if not result.passed:
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo, style=None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return "\n".join(excinfo.value.result.failure_lines())
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.scenario.span.line - 1, f"{self.path.name}: {self.name}"


class ScenarioFailure(Exception):
    def __init__(self, result: CaseResult):
        super().__init__("\n".join(map(str, result.mismatches)))
        self.result = result
        self.mismatches = result.mismatches


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    coverage: dict[str, RuleCoverage] = config.stash.get(COVERAGE_KEY, {})
    if not coverage:
        return
    terminalreporter.write_line("")
    for line in coverage_lines(coverage):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    minimum = session.config.getoption("--min-coverage")
    coverage: dict[str, RuleCoverage] = session.config.stash.get(COVERAGE_KEY, {})
    if below(coverage, minimum):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
