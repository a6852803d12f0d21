"""Read YAML defensively and remember where every value came from.

ruamel.yaml in round-trip mode gives YAML 1.2 (``no`` stays a string),
rejects duplicate keys and keeps line and column for every key and item. The
result is plain Python data plus a map from document path to `Span`, so later
stages can validate plain data and still point at the exact spot in the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from .errors import ConfigError, Problem, Span

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """Plain data loaded from one file, with the position of every node."""

    file: str
    data: Any
    spans: dict[PathKey, Span] = field(default_factory=dict)
    key_spans: dict[PathKey, Span] = field(default_factory=dict)
    text_offsets: dict[PathKey, int] = field(default_factory=dict)

    def span(self, path: PathKey) -> Span:
        """The span of the value at `path`, or of its nearest ancestor."""
        path = tuple(path)
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get((), Span(self.file, 1, 1))

    def key_span(self, path: PathKey) -> Span:
        """The span of the key that names `path` (falls back to the value)."""
        return self.key_spans.get(tuple(path)) or self.span(path)

    def text_span(self, path: PathKey, offset: int) -> Span:
        """The span of character `offset` inside a single-line string value."""
        start = self.span(path)
        extra = self.text_offsets.get(tuple(path))
        if extra is None:
            return start
        return start.shifted(extra + offset)


def format_path(path: PathKey) -> str:
    """`('eligibility', 2, 'when')` -> `eligibility[2].when`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    return yaml


def load_text(text: str, file: str, error: type[ConfigError] = ConfigError) -> Document:
    """Parse YAML (or JSON) text; raise `error` with a position on bad syntax."""
    try:
        root = _yaml().load(text)
    except MarkedYAMLError as exc:
        raise error([_syntax_problem(exc, file, text)]) from None
    except YAMLError as exc:
        raise error([Problem(Span(file, 1, 1), "", f"invalid YAML: {exc}")]) from None
    doc = Document(file, None)
    doc.data = _plain(root, (), doc)
    if () not in doc.spans:
        doc.spans[()] = Span(file, 1, 1)
    return doc


def load_file(path: str | Path, error: type[ConfigError] = ConfigError) -> Document:
    """Read and parse a file; a missing or unreadable file is a positioned error too."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([Problem(Span(name, 1, 1), "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error([Problem(Span(name, 1, 1), "", f"cannot read file: {exc}")]) from None
    return load_text(text, name, error)


def _syntax_problem(exc: MarkedYAMLError, file: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    hint = None
    lines = text.splitlines()
    bad_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in problem or "'\\t'" in problem or "\t" in bad_line[: col]:
        problem = "a tab character is not allowed here"
        hint = "indent with spaces, not tabs"
    elif "duplicate key" in problem:
        first = exc.context_mark
        where = f" (first defined at line {first.line + 1})" if first else ""
        problem = problem.replace("found duplicate key", "duplicate key") + where
        hint = "remove or rename one of the two entries"
    return Problem(Span(file, line, col), "", f"invalid YAML: {problem}", hint, "yaml")


def _plain(node: Any, path: PathKey, doc: Document) -> Any:
    """Convert ruamel nodes to plain Python, recording spans as we go."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key in node:
            kpath = path + (str(key),)
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            doc.key_spans[kpath] = Span(doc.file, kline + 1, kcol + 1)
            doc.spans[kpath] = Span(doc.file, vline + 1, vcol + 1)
            _note_text_offset(node[key], kpath, doc)
            out[_key(key)] = _plain(node[key], kpath, doc)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            line, col = node.lc.item(index)
            doc.spans[path + (index,)] = Span(doc.file, line + 1, col + 1)
            _note_text_offset(item, path + (index,), doc)
            items.append(_plain(item, path + (index,), doc))
        return items
    return _scalar(node)


def _key(key: Any) -> Any:
    if isinstance(key, (str, int, float, bool)) or key is None:
        return str(key) if isinstance(key, str) else key
    return str(key)


def _note_text_offset(value: Any, path: PathKey, doc: Document) -> None:
    """Where the text of a string value starts relative to its node column."""
    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return  # block scalars: point at the indicator, not inside
    if isinstance(value, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        doc.text_offsets[path] = 1
    elif isinstance(value, str) and "\n" not in value:
        doc.text_offsets[path] = 0


def _scalar(node: Any) -> Any:
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime(node.year, node.month, node.day, node.hour, node.minute, node.second)
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    return node


def walk(data: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, Any]]:
    """Every (path, value) in plain data, depth first, in document order."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, path + (index,))
