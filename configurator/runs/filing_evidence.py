"""The evidence in a filing pack: suite results, the traceability matrix, lint, readability.

Each function takes what it needs and returns ``{member name: bytes}``, so
`filing` only puts them together. Nothing here reads the wall clock or an
absolute path, so identical inputs give identical bytes.

The traceability matrix has one row per compiled rule (engine plumbing left
out): its id, kind, the clause the customer reads, where it is in the YAML
(``file:line:col``), its condition, and the suite cases whose trace shows it
fired; a rule no case exercised has an empty cases cell.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..cases.outcome import Illustration
from ..compiler.compile import CompiledProduct
from ..compiler.safe_subset import SEEN
from ..compliance.lint import lint
from ..document.escape import environment
from ..document.readability import clause_scores
from .suites import CaseResult, RuleCoverage, load_suite, run_case, shown_path

Members = dict[str, bytes]


def as_json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def as_csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_html(title: str, columns: list[str], rows: list[list[Any]],
            notes: tuple[str, ...] = ()) -> bytes:
    """A table page through the documents' one jinja2 environment (autoescaped)."""
    template = environment().get_template("filing_table.html.j2")
    cells = [[str(cell) if cell not in (None, "") else "" for cell in row] for row in rows]
    return template.render(title=title, columns=columns, rows=cells,
                           notes=list(notes)).encode("utf-8")


# ------------------------------------------------------------ suites


@dataclass
class SuiteEvidence:
    """The product's suites run against the filed version."""

    files: list[Path]
    results: list[tuple[str, CaseResult]] = field(default_factory=list)  # (suite name, result)
    coverage: RuleCoverage | None = None

    def hits(self) -> dict[str, list[str]]:
        """Rule id (and ``checkup <id>``) -> the cases that exercised it, as ``suite: case``."""
        found: dict[str, set[str]] = {}
        for suite, result in self.results:
            label = f"{suite}: {result.scenario.name}"
            for step in result.outcome.trace:
                found.setdefault(step.rule, set()).add(label)
            for checkup in result.outcome.checkups:
                found.setdefault(f"checkup {checkup.id}", set()).add(label)
        return {rule: sorted(labels) for rule, labels in found.items()}


def suite_files(products_folder: Path, product_id: str) -> list[Path]:
    """The bundled suites of a product id: ``<products>/<id>/*.suite.yaml``, by name."""
    folder = products_folder / product_id
    return sorted(folder.glob("*.suite.yaml")) if folder.is_dir() else []


def run_evidence(compiled: CompiledProduct, files: list[Path]) -> SuiteEvidence:
    """Every case of `files` checked against and run on `compiled`, with rule coverage."""
    evidence = SuiteEvidence(files, coverage=RuleCoverage(compiled))
    for path in files:
        for scenario in load_suite(shown_path(path), compiled.product):
            result = run_case(compiled, scenario, evidence.coverage)
            evidence.results.append((path.name, result))
    return evidence


def suite_members(evidence: SuiteEvidence) -> Members:
    """``suites/results.json``, ``suites/results.html`` and ``suites/coverage.txt``."""
    coverage = evidence.coverage
    cases = [{"suite": suite, "case": result.scenario.name, "passed": result.passed,
              "mismatches": [str(m) for m in result.mismatches],
              "decision": result.outcome.decision,
              "rules": sorted({step.rule for step in result.outcome.trace})}
             for suite, result in evidence.results]
    passed = sum(case["passed"] for case in cases)
    summary = {"cases": len(cases), "passed": passed, "failed": len(cases) - passed,
               "coverage_percent": round(coverage.percent, 1) if coverage else None,
               "not_exercised": coverage.missed() if coverage else []}
    rows = [[c["suite"], c["case"], "pass" if c["passed"] else "FAIL", c["decision"],
             "; ".join(c["mismatches"]) or "-"] for c in cases]
    notes = (f"{passed} of {len(cases)} cases pass; rule coverage "
             f"{summary['coverage_percent']}%",
             "not exercised: " + (", ".join(summary["not_exercised"]) or "nothing"))
    return {
        "suites/results.json": as_json({"summary": summary, "cases": cases}),
        "suites/results.html": as_html("Suite results", ["suite", "case", "result",
                                                         "decision", "unmet"], rows, notes),
        "suites/coverage.txt": ("\n".join(notes) + "\n").encode("utf-8"),
    }


# ------------------------------------------------------------ traceability

TRACE_COLUMNS = ["rule", "kind", "clause", "source", "condition", "cases"]


def traceability_rows(compiled: CompiledProduct, evidence: SuiteEvidence) -> list[list[str]]:
    """One row per compiled rule, in rule-id order (see the module docstring)."""
    hits = evidence.hits()
    return [[rule_id, info.kind, info.clause, info.source, info.condition or "-",
             " | ".join(hits.get(rule_id, []))]
            for rule_id, info in sorted(compiled.rules.items()) if not rule_id.startswith(SEEN)]


def traceability_members(compiled: CompiledProduct, evidence: SuiteEvidence) -> Members:
    rows = traceability_rows(compiled, evidence)
    product = compiled.product
    missed = sum(1 for row in rows if not row[-1])
    notes = (f"{len(rows)} rules; {len(rows) - missed} exercised by at least one suite case, "
             f"{missed} by none",
             f"sources are lines of {product.source_file}, the registered text (in this pack "
             f"under product/)")
    return {"traceability.csv": as_csv(TRACE_COLUMNS, rows),
            "traceability.html": as_html(f"Traceability: {product.id} {product.version}",
                                         TRACE_COLUMNS, rows, notes)}


# ------------------------------------------------------------ lint and readability


def lint_members(compiled: CompiledProduct, profile: str,
                 illustration: Illustration | None) -> Members:
    findings = lint(compiled.product, profile, illustration)
    return {"lint.json": as_json({"profile": profile,
                                  "findings": [f.to_json() for f in findings]})}


READABILITY_COLUMNS = ["language", "clause", "title", "flesch", "grade", "words", "sentences",
                       "chars_per_sentence", "meets_target"]


def readability_members(compiled: CompiledProduct, languages: list[str],
                        illustration: Illustration | None) -> Members:
    """Readability per clause of the specimen in every language, as JSON and CSV."""
    scores = []
    for language in languages:
        for score in clause_scores(compiled.product, language, illustration):
            scores.append({"language": language, **asdict(score),
                           "meets_target": score.meets_target})
    rows = [[s[column] if s[column] is not None else "" for column in READABILITY_COLUMNS]
            for s in scores]
    return {"readability.json": as_json(scores),
            "readability.csv": as_csv(READABILITY_COLUMNS, rows)}
