"""Read YAML defensively and remember where every value came from.

ruamel.yaml in round-trip mode gives YAML 1.2 (``no`` stays a string),
rejects duplicate keys and keeps line and column for every key and item. The
result is plain Python data plus a map from document path to `Span`, so later
stages can validate plain data and still point at the exact spot in the file.

Every document is held to `configurator.limits` while it is read, each
refusal positioned: the file's size before it is read (and its encoding), then,
as ruamel composes it, depth, size (aliases counted as copies), strings,
digits, keys and tags (`yaml_limits`). Comments are skipped by the plain
scanner: ruamel's round-trip scanner gathers consecutive comment lines in
quadratic time, and positions need no comments. Data that does not come through
YAML (JSON lines, CSV rows) is held to the same limits by `data_problems`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.scanner import Scanner

from ..errors import ConfigError, Problem, Span
from ..limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, MAX_NUMBER_DIGITS
from .yaml_limits import LimitedComposer, Refused, text_problem

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """Plain data loaded from one file, with the position of every node."""

    file: str
    data: Any
    spans: dict[PathKey, Span] = field(default_factory=dict)
    key_spans: dict[PathKey, Span] = field(default_factory=dict)
    text_offsets: dict[PathKey, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list, repr=False)
    within_limits: bool = False  # read through YAML here, so already held to the limits

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

    def part(self, prefix: PathKey) -> Document:
        """The part of this document under `prefix`, positions kept, paths made relative."""
        data: Any = self.data
        for key in prefix:
            data = data[key]
        cut = len(prefix)
        part = Document(self.file, data, within_limits=self.within_limits)
        for table, target in ((self.spans, part.spans), (self.key_spans, part.key_spans),
                              (self.text_offsets, part.text_offsets)):
            for path, value in table.items():
                if path[:cut] == tuple(prefix):
                    target[path[cut:]] = value
        part.spans.setdefault((), self.span(prefix))
        return part

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


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps an impossible date (2026-02-30) as text.

    ruamel raises a bare ValueError, without a position, for a date-shaped
    scalar that is not a real date; kept as text, it reaches the validator,
    which reports it at its place in the file like any other bad date.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(node.value)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # other bare ValueErrors (`!!int text`) get the position of their node
        try:
            return super().construct_object(node, deep)
        except ValueError as exc:
            raise ConstructorError(None, None, f"cannot read this value: {exc}",
                                   node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Scanner = Scanner  # the round-trip scanner's comment handling is quadratic
    yaml.Composer = LimitedComposer
    yaml.Constructor = _Constructor
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    return yaml


def load_text(text: str, file: str, error: type[ConfigError] = ConfigError) -> Document:
    """Parse YAML (or JSON) text; raise `error` with a position on bad syntax or a limit."""
    if len(text) > MAX_FILE_BYTES:
        raise error([_too_large(file)])
    try:
        root = _yaml().load(text)
    except Refused as exc:
        raise error([exc.problem(file)]) from None
    except MarkedYAMLError as exc:
        raise error([_syntax_problem(exc, file, text)]) from None
    except ReaderError as exc:
        line, col = _line_col(text, exc.position)
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise error([Problem(Span(file, line, col), "", f"invalid YAML: the character "
                             f"{char!r} is not allowed in YAML", "remove it", "yaml")]
                    ) from None
    except YAMLError as exc:
        raise error([Problem(Span(file, 1, 1), "", f"invalid YAML: {exc}")]) from None
    doc = Document(file, None, lines=text.splitlines(), within_limits=True)
    doc.data = _plain(root, (), doc)
    if isinstance(root, (CommentedMap, CommentedSeq)):  # where the content starts, past comments
        doc.spans[()] = Span(file, root.lc.line + 1, root.lc.col + 1)
    if () not in doc.spans:
        doc.spans[()] = Span(file, 1, 1)
    return doc


def load_file(path: str | Path, error: type[ConfigError] = ConfigError) -> Document:
    """Read and parse a file; a missing, oversized or non-UTF-8 file is a positioned error too.

    At most `MAX_FILE_BYTES` (and one more) are read, so the size is checked
    before any parsing, whatever the file is (a pipe, a device).
    """
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise error([Problem(Span(name, 1, 1), "", "file not found")]) from None
    except OSError as exc:
        raise error([Problem(Span(name, 1, 1), "", f"cannot read file: {exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise error([_too_large(name)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([_encoding_problem(name, data, exc)]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as universal newlines read it
    return load_text(text, name, error)


def _too_large(file: str) -> Problem:
    return Problem(Span(file, 1, 1), "", f"the file is larger than {MAX_FILE_BYTES // 2**20} MB, "
                   "the most configurator reads", "split it into smaller files", "limit")


def _encoding_problem(file: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    col = len(data[start:exc.start].decode("utf-8", "replace")) + 1
    return Problem(Span(file, line, col), "", f"the file is not UTF-8 text: byte "
                   f"0x{data[exc.start]:02x} cannot be read here", "save the file as UTF-8",
                   "encoding")


def _line_col(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


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
        key = re.search(r'duplicate key "(.*?)" with value', problem)
        first = _first_definition(text, key.group(1), exc) if key else None
        where = f" (first defined at line {first})" if first else ""
        problem = f"duplicate key '{key.group(1)}'{where}" if key else problem
        hint = "remove or rename one of the two entries"
    return Problem(Span(file, line, col), "", f"invalid YAML: {problem}", hint, "yaml")


def _first_definition(text: str, key: str, exc: MarkedYAMLError) -> int | None:
    """The line where a duplicated key first appears in its mapping.

    ruamel's context mark is the start of the mapping, not the first key, so
    scan from there: in a block mapping the keys share the duplicate's column.
    """
    start, dup = exc.context_mark, exc.problem_mark
    if start is None or dup is None:
        return None
    lines = text.splitlines()
    block = lines[start.line][start.column:start.column + 1] != "{"
    # the key, preceded by the start of the line, a space, '{' or ',' (quotes allowed)
    pattern = re.compile(rf"""(?<![^\s{{,])(["']?){re.escape(key)}\1\s*:""")
    for number in range(start.line, dup.line + 1):
        line = lines[number]
        first_col = start.column if number == start.line else 0
        last_col = dup.column if number == dup.line else len(line)
        for match in pattern.finditer(line):
            col = match.start()
            if first_col <= col < last_col and (not block or col == dup.column):
                return number + 1
    return None


def _plain(node: Any, path: PathKey, doc: Document) -> Any:
    """Convert ruamel nodes to plain Python, recording spans as we go."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key in node:
            kpath = path + (str(key),)
            try:
                kline, kcol = node.lc.key(key)
                vline, vcol = node.lc.value(key)
            except KeyError:  # merged in with `<<: *anchor`: point at this mapping
                kline, kcol = vline, vcol = node.lc.line, node.lc.col
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
    if not isinstance(value, str) or isinstance(value, (LiteralScalarString,
                                                         FoldedScalarString)):
        return  # block scalars: point at the indicator, not inside
    extra = 1 if isinstance(value, (DoubleQuotedScalarString, SingleQuotedScalarString)) else 0
    span = doc.spans[path]
    line = doc.lines[span.line - 1] if 0 < span.line <= len(doc.lines) else ""
    start = span.col - 1 + extra
    # only when the text stands on one line exactly as written (no folding, no escapes),
    # so that offsets in the value are columns in the file
    if line[start:start + len(value)] == value:
        doc.text_offsets[path] = extra


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


def data_problems(doc: Document) -> list[Problem]:
    """The limits YAML reading enforces, for data that did not come through it.

    JSON lines, CSV rows and plain Python data skip `load_text`; this walks them
    (without recursion) for depth, size, string length, lone surrogates, keys
    that are not text and integers too long to be numbers anyone meant.
    """
    if doc.within_limits:
        return []
    problems: list[Problem] = []
    stack: list[tuple[PathKey, Any]] = [((), doc.data)]
    seen = 0
    while stack:
        path, value = stack.pop()
        seen += 1
        message = _value_problem(path, value, seen)
        if message:
            problems.append(Problem(doc.span(path), format_path(path), message, None, "limit"))
            if len(path) > MAX_DEPTH or seen > MAX_NODES:
                break
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or text_problem(key):
                    shown = text_problem(key) if isinstance(key, str) else (
                        f"a key must be text, not {type(key).__name__}")
                    problems.append(Problem(doc.span(path), format_path(path), shown, None,
                                            "limit"))
                else:
                    stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))
    return problems


def _value_problem(path: PathKey, value: Any, seen: int) -> str | None:
    if len(path) > MAX_DEPTH:
        return f"nested too deeply (more than {MAX_DEPTH} levels of mappings and lists)"
    if seen > MAX_NODES:
        return f"the data holds more than {MAX_NODES:,} values"
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, int) and not isinstance(value, bool) and (
            value.bit_length() > MAX_NUMBER_DIGITS * 10 // 3):
        return f"a whole number of more than {MAX_NUMBER_DIGITS} digits is too long"
    return None
