"""One error hierarchy. Every user-facing problem carries a position.

`ConfiguratorError` is the root of everything configurator raises on purpose:

- `ConfigError` (bad input: `ProductError`, `CaseError`, `CompileError`)
  carries one or more `Problem` records (pydantic's habit: type, location,
  message, context), so every mistake in a file is reported at once, one line
  each: ``file:line:col: path: message``;
- `StoreError`: a registry or audit operation that cannot be done (the
  message says why and what to do);
- `EngineError`: the rules engine failed - a bug in configurator, not in
  the input.

The faces (CLI, HTTP server) turn the root into a message and a status in one
place each; nothing below them prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


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

    def to_json(self) -> dict[str, object]:
        """The problem as a record (the HTTP API's error body holds a list of these)."""
        return {"file": self.span.file if self.span else None,
                "line": self.span.line if self.span else None,
                "column": self.span.col if self.span else None,
                "path": self.path, "message": self.message, "hint": self.hint,
                "code": self.code, "text": str(self)}


class ConfiguratorError(Exception):
    """The root of every error configurator raises on purpose (never shown as a traceback)."""


class ConfigError(ConfiguratorError):
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


class StoreError(ConfiguratorError):
    """A registry or audit operation that cannot be done; the message says why."""


class EngineError(ConfiguratorError, RuntimeError):
    """The rules engine failed; this is a bug in configurator, not bad input."""


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a near miss, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
