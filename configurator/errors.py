"""One error hierarchy. Every user-facing problem carries a position.

A `Problem` is a record (pydantic's habit: type, location, message, context),
and a `ConfigError` carries one or more of them so that every mistake in a
file is reported at once, one line each: ``file:line:col: path: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, columns: int) -> Span:
        return Span(self.file, self.line, self.col + columns)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, where it is and how to fix it."""

    span: Span | None
    path: str
    message: str
    hint: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        where = str(self.span) if self.span else "<input>"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text

    def sort_key(self) -> tuple:
        span = self.span or Span("", 0, 0)
        return (span.file, span.line, span.col, self.path, self.message)


class ConfigError(Exception):
    """Bad input: one or more positioned problems. Never shown as a traceback."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProductError(ConfigError):
    """A product file that does not load or does not check."""


class CaseError(ConfigError):
    """A case (applicant and timeline) that does not fit its product."""


class CompileError(ConfigError):
    """A product that would need durable-rules features outside the safe subset."""


class EngineError(RuntimeError):
    """The rules engine failed; this is a bug in configurator, not bad input."""


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a near miss, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass
class ProblemSink:
    """Collects problems while a stage runs, then raises them together."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, span: Span | None, path: str, message: str, hint: str | None = None,
            code: str = "invalid") -> None:
        self.problems.append(Problem(span, path, message, hint, code))

    def raise_if_any(self, error: type[ConfigError] = ConfigError) -> None:
        if self.problems:
            raise error(self.problems)
