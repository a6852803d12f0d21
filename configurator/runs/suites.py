"""Scenario suites: cases with expectations, rule coverage, and a runner without pytest.

A suite lives beside its product (``products/<id>/<name>.suite.yaml``) and
holds ``cases:``, each a case (policy, as_of, applicant, events) plus
``expect``: a partial match on the Outcome JSON by dotted path::

    expect:
      decision: accept
      coverage.sum_insured: 110000          # numbers compare as numbers
      exclusions: [alcohol_or_drugs]        # a list of ids: exactly these ids
      claims[liver_cancer_diagnosis-1].status: paid    # [ID] picks items by id/rule
      checkups[monitoring].status: [done, due]         # several matches give a list

Everything else in the Outcome is ignored, so a suite states only what the
underwriter cares about.

`run_suites` finds, loads and runs suites without pytest (`configurator
test`); the pytest plugin (`runs.pytest_plugin`) collects the same items and
runs each case through the same `run_case`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..cases.case import Case, case_from_document
from ..cases.outcome import Outcome
from ..compiler.compile import CompiledProduct
from ..compiler.safe_subset import SEEN
from ..engine.evaluate import evaluate
from ..environment import Environment, default_environment
from ..errors import CaseError, ConfigError, Problem, Span
from ..product.model import Product
from ..product.source import load_file

SUFFIX = ".suite.yaml"
_SELECTOR = re.compile(r"^(?P<key>[A-Za-z_]+)\[(?P<id>[^\]]+)\]$")


@dataclass
class SuiteCase:
    """One scenario: a checked case and what its Outcome must show."""

    name: str
    case: Case
    expect: dict[str, Any]
    span: Span


@dataclass
class Mismatch:
    path: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected!r}, got {self.actual!r}"


def product_for(suite: Path) -> Path:
    """A suite at products/<id>/x.suite.yaml belongs to products/<id>.yaml."""
    return suite.resolve().parent.with_suffix(".yaml")


def load_suite(path: str | Path, product: Product) -> list[SuiteCase]:
    """Every case in a suite file, checked against `product`; all problems at once."""
    doc = load_file(path, CaseError)
    items = doc.data.get("cases") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        raise CaseError([Problem(doc.span(()), "cases", "a suite needs a list under 'cases'",
                                 "see configurator/runs/suites.py for the format")])
    cases, problems = [], []
    for index, item in enumerate(items):
        sub = doc.part(("cases", index))
        try:
            case = case_from_document(sub, product)
        except CaseError as exc:
            problems += exc.problems
            continue
        name = item.get("name") if isinstance(item, dict) else None
        expect = item.get("expect", {}) if isinstance(item, dict) else {}
        if not name or not isinstance(expect, dict):
            problems.append(Problem(doc.span(("cases", index)), f"cases[{index}]",
                                    "each case needs a 'name' and an 'expect' mapping"))
            continue
        cases.append(SuiteCase(str(name), case, expect, doc.span(("cases", index))))
    if problems:
        raise CaseError(problems)
    return cases


# ------------------------------------------------------------ matching


def check(outcome: dict[str, Any], expect: dict[str, Any]) -> list[Mismatch]:
    """Every expectation the Outcome JSON does not meet."""
    found = []
    for path, expected in expect.items():
        actual = lookup(outcome, str(path))
        if not same(expected, actual):
            found.append(Mismatch(str(path), expected, _shown(actual, expected)))
    return found


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path; `key[ID]` picks list items by their id or rule."""
    current = data
    for part in _split(path):
        selector = _SELECTOR.match(part)
        if selector:
            items = current.get(selector["key"], MISSING) if isinstance(current, dict) else MISSING
            if not isinstance(items, list):
                return MISSING
            picked = [i for i in items if _ident(i) == selector["id"]]
            current = picked[0] if len(picked) == 1 else picked if picked else MISSING
        elif isinstance(current, list) and part.isdigit():
            current = current[int(part)] if int(part) < len(current) else MISSING
        elif isinstance(current, list):
            current = [item.get(part, MISSING) if isinstance(item, dict) else MISSING
                       for item in current]
        elif isinstance(current, dict):
            current = current.get(part, MISSING)
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def _split(path: str) -> list[str]:
    """Split on dots outside [...] (ids such as `claim-1.5` may hold dots)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(path):
        depth += char == "["
        depth -= char == "]"
        if char == "." and depth == 0:
            parts.append(path[start:index])
            start = index + 1
    parts.append(path[start:])
    return parts


def _ident(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("id", item.get("rule"))
    return item


def same(expected: Any, actual: Any) -> bool:
    if actual is MISSING:
        return False
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and all(not isinstance(e, (dict, list)) for e in expected) and actual and \
                all(isinstance(a, dict) for a in actual):
            return sorted(map(str, expected)) == sorted({str(_ident(a)) for a in actual})
        if not expected and all(isinstance(a, dict) for a in actual):
            return not actual
        return len(expected) == len(actual) and all(map(same, expected, actual))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            same(value, actual.get(key, MISSING)) for key, value in expected.items())
    number_e, number_a = _number(expected), _number(actual)
    if number_e is not None and number_a is not None:
        return number_e == number_a
    if hasattr(expected, "isoformat"):
        return expected.isoformat() == actual
    return expected == actual


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _shown(actual: Any, expected: Any) -> Any:
    """Lists of objects are shown by their ids when ids were expected."""
    if isinstance(expected, list) and isinstance(actual, list) and all(
            isinstance(a, dict) for a in actual):
        return sorted({str(_ident(a)) for a in actual})
    return actual


# ------------------------------------------------------------ rule coverage


@dataclass
class RuleCoverage:
    """What a set of runs exercised of one product: rules, check-ups, benefits, exclusions."""

    compiled: CompiledProduct
    fired: set[str] = field(default_factory=set)
    checkups: set[str] = field(default_factory=set)

    def record(self, outcome: Outcome) -> None:
        self.fired |= {step.rule for step in outcome.trace}
        self.checkups |= {c.id for c in outcome.checkups}

    def items(self) -> list[str]:
        """Everything a suite should exercise, as labelled ids."""
        product = self.compiled.product
        rules = [r for r in self.compiled.rules if not r.startswith(SEEN)]
        return sorted(set(rules) | {f"checkup {c.id}" for c in product.checkups})

    def missed(self) -> list[str]:
        return [item for item in self.items() if not self._hit(item)]

    def _hit(self, item: str) -> bool:
        if item.startswith("checkup "):
            return item.split(" ", 1)[1] in self.checkups
        return item in self.fired

    @property
    def percent(self) -> float:
        items = self.items()
        return 100.0 if not items else 100.0 * (len(items) - len(self.missed())) / len(items)


# ------------------------------------------------------------ running cases


@dataclass
class CaseResult:
    """One scenario run: its Outcome and every expectation the Outcome did not meet."""

    scenario: SuiteCase
    outcome: Outcome
    mismatches: list[Mismatch]

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def failure_lines(self) -> list[str]:
        """``file:line:col: case name``, then each unmet expectation, indented."""
        return [f"{self.scenario.span}: {self.scenario.name}",
                *(f"  {mismatch}" for mismatch in self.mismatches)]


def run_case(compiled: CompiledProduct, scenario: SuiteCase,
             coverage: RuleCoverage | None = None) -> CaseResult:
    """Evaluate one scenario and check its expectations (the runner, the pytest plugin,
    the demo and the publish gate all run cases through here)."""
    outcome = evaluate(compiled, scenario.case)
    if coverage is not None:
        coverage.record(outcome)
    return CaseResult(scenario, outcome, check(outcome.to_json(), scenario.expect))


def suites_for(product_path: str | Path) -> list[Path]:
    """The suites beside a product: products/<id>/*.suite.yaml for products/<id>.yaml."""
    folder = Path(product_path).with_suffix("")
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def failures(path: str | Path, compiled: CompiledProduct) -> list[str]:
    """Every failing case of one suite, one line each (for gates and scripts)."""
    found = []
    for scenario in load_suite(path, compiled.product):
        result = run_case(compiled, scenario)
        found += [f"{scenario.span}: {scenario.name}: {m}" for m in result.mismatches]
    return found


def coverage_lines(coverage: dict[str, RuleCoverage]) -> list[str]:
    """The rule coverage report: per product, the percentage and what no case exercised."""
    lines = ["rule coverage:"]
    for name in sorted(coverage):
        report = coverage[name]
        missed, items = report.missed(), report.items()
        product = report.compiled.product
        lines.append(f"  {product.id} {product.version}: {report.percent:.1f}% "
                     f"({len(items) - len(missed)} of {len(items)})")
        lines += [f"    not exercised: {item}" for item in missed]
    return lines


def below(coverage: dict[str, RuleCoverage], minimum: float | None) -> list[RuleCoverage]:
    """The products whose suites exercise less than `minimum` percent of their rules."""
    if minimum is None:
        return []
    return [coverage[name] for name in sorted(coverage) if coverage[name].percent < minimum]


# ------------------------------------------------------------ finding and loading suites


def shown_path(path: Path) -> Path:
    """Paths relative to the working directory when below it (as users typed them)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@dataclass
class Suite:
    """A suite file loaded against its product."""

    path: Path
    compiled: CompiledProduct
    cases: list[SuiteCase]


class SuiteLoader:
    """Loads suites, each product loaded and compiled once through an `Environment`."""

    def __init__(self, env: Environment | None = None):
        self.env = env or default_environment()
        self._compiled: dict[Path, CompiledProduct] = {}

    def compiled_for(self, suite: Path) -> CompiledProduct:
        """The compiled product a suite belongs to (see `product_for`)."""
        path = product_for(suite)
        if path not in self._compiled:
            self._compiled[path] = self.env.compile(self.env.load(path))
        return self._compiled[path]

    def load(self, suite: Path) -> Suite:
        """The suite's cases checked against its product; `ConfigError` when it does not load."""
        compiled = self.compiled_for(suite)
        return Suite(suite, compiled, load_suite(shown_path(suite), compiled.product))


_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv"}


def find_suites(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Every ``*.suite.yaml`` under `paths` (files or folders, hidden folders skipped),
    as absolute paths in folder order, plus a problem for each path that is no suite."""
    found: list[Path] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            found += _suites_below(path)
        elif not path.exists():
            problems.append(Problem(Span(str(given), 1, 1), "", "file not found"))
        elif path.name.endswith(SUFFIX):
            found.append(path)
        else:
            problems.append(Problem(Span(str(given), 1, 1), "",
                                    f"not a scenario suite (the name must end in {SUFFIX})"))
    return list(dict.fromkeys(found)), problems


def _suites_below(folder: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f not in _SKIPPED_FOLDERS]
        found += [Path(root, name) for name in files if name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: p.parts)


# ------------------------------------------------------------ running suites without pytest


@dataclass
class SuiteRun:
    """What `run_suites` did: each case's result, coverage per product, suites that failed
    to load (then no case runs, as with pytest's collection errors)."""

    results: list[CaseResult] = field(default_factory=list)
    coverage: dict[str, RuleCoverage] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    def to_json(self) -> dict[str, Any]:
        """The run as plain data (`configurator test --json`)."""
        return {
            "passed": self.passed, "failed": len(self.failed),
            "cases": [{"name": r.scenario.name, "source": str(r.scenario.span),
                       "passed": r.passed,
                       "mismatches": [{"path": m.path, "expected": _plain(m.expected),
                                       "actual": _plain(m.actual)} for m in r.mismatches]}
                      for r in self.results],
            "coverage": [{"product": c.compiled.product.id,
                          "version": c.compiled.product.version,
                          "percent": round(c.percent, 1), "items": len(c.items()),
                          "not_exercised": c.missed()}
                         for _, c in sorted(self.coverage.items())],
            "problems": [p.to_json() for p in self.problems],
        }


def _plain(value: Any) -> Any:
    return None if value is MISSING else value


def junit_xml(run: SuiteRun) -> str:
    """The run as JUnit XML: one testsuite per suite file, one testcase per case, a
    <failure> holding the unmet expectations, an <error> per suite that did not load."""
    root = ElementTree.Element("testsuites", name="configurator test",
                               tests=str(len(run.results)), failures=str(len(run.failed)),
                               errors=str(len(run.problems)))
    by_file: dict[str, list[CaseResult]] = {}
    for result in run.results:
        by_file.setdefault(result.scenario.span.file, []).append(result)
    for file, results in by_file.items():
        suite = ElementTree.SubElement(root, "testsuite", name=file, tests=str(len(results)),
                                       failures=str(sum(not r.passed for r in results)),
                                       errors="0")
        for result in results:
            case = ElementTree.SubElement(suite, "testcase", name=result.scenario.name,
                                          classname=Path(file).name.removesuffix(SUFFIX),
                                          file=file, line=str(result.scenario.span.line))
            if not result.passed:
                failure = ElementTree.SubElement(
                    case, "failure", message=_unmet(len(result.mismatches)))
                failure.text = "\n".join(result.failure_lines())
    if run.problems:
        suite = ElementTree.SubElement(root, "testsuite", name="loading", tests="0",
                                       failures="0", errors=str(len(run.problems)))
        for problem in run.problems:
            case = ElementTree.SubElement(suite, "testcase", name=str(problem.span or "?"))
            ElementTree.SubElement(case, "error", message=problem.message).text = str(problem)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _unmet(count: int) -> str:
    return f"{count} unmet expectation{'' if count == 1 else 's'}"


def selected(scenario: SuiteCase, keyword: str | None) -> bool:
    """`-k`: the case name contains `keyword` (ignoring case)."""
    return keyword is None or keyword.casefold() in scenario.name.casefold()


def run_suites(paths: Iterable[str | Path] = (), keyword: str | None = None,
               env: Environment | None = None,
               on_case: Callable[[int, int], None] | None = None) -> SuiteRun:
    """Run every suite under `paths` (default: `env`'s products folder) without pytest.

    Each suite is checked against its product (``products/<id>/x.suite.yaml``
    belongs to ``products/<id>.yaml``) before any case runs; when one does not
    load, `problems` holds its positioned problems and nothing runs. Cases
    whose name does not contain `keyword` (plain text, ignoring case) are left
    out; coverage counts only the cases that ran. `on_case(done, total)` is
    called before the first case and after each.
    """
    loader, suites = SuiteLoader(env), []
    found, problems = find_suites(list(paths) or [loader.env.products_folder])
    for path in found:
        try:
            suites.append(loader.load(path))
        except ConfigError as exc:
            problems += exc.problems
    run = SuiteRun(problems=problems)
    if problems:
        return run
    chosen = [(suite, scenario) for suite in suites for scenario in suite.cases
              if selected(scenario, keyword)]
    for done, (suite, scenario) in enumerate(chosen):
        if on_case:
            on_case(done, len(chosen))
        coverage = run.coverage.setdefault(suite.compiled.name, RuleCoverage(suite.compiled))
        run.results.append(run_case(suite.compiled, scenario, coverage))
    if on_case:
        on_case(len(chosen), len(chosen))
    return run
