"""Batch files of cases: CSV or JSON lines, one case a row.

CSV columns are flat; nested fields use dotted headers (``applicant.age``,
``policy.start``) and a timeline goes in an ``events`` column as a JSON list.
Each row is checked on its own: a bad row (a byte that is not UTF-8, invalid
or hostile JSON, an oversize cell, a value of the wrong kind, anything that
trips the case check) becomes its own positioned error - row number and, for
CSV, column - never the end of the file. What makes the whole file unusable
(not UTF-8 at all, empty, no header, headers that collide, a row too long to
find its end) is one positioned error, raised by `count_rows` before any
work. Row numbers are the line a row starts on (a CSV record may span lines);
blank lines, and CSV records whose cells are all blank, are not rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import orjson

from ..errors import CaseError, ConfigError, Problem, Span
from ..limits import MAX_NODES, MAX_STRING_LENGTH
from ..product.model import Product
from ..product.source import Document, PathKey, format_path
from . import parquet
from .case import Case, case_from_document
from .lines import MAX_ROW, file_error, next_line, open_text, plain_line_count, text_lines
from .plain import MAX_DEPTH, SURROGATE, within_limits

# (row number, data, errors: [(column, path, message)], or None when the data is within
# every limit (`within_limits`), path -> CSV column)
Raw = tuple[int, Any, list[tuple[int, str, str]] | None, dict]

MAX_CELL: Final = 65_536  # characters in one CSV cell other than `events`
# 19 digits in a row: perhaps an integer past what orjson reads as one (found by mapping every
# digit of the UTF-8 bytes to 0 and looking for 19 zeros: ~10x faster than a regex here, and
# 2x than the same with str.translate); "[" becomes "{" too, so one count finds the brackets
_MARKED: Final = bytes.maketrans(b"123456789[", b"000000000{")
_LONG_DIGITS: Final = b"0" * 19
MAX_DIGITS: Final = 4_300  # digits of a whole number in JSON (Python's own conversion limit)
MAX_ROW_PROBLEMS: Final = 10  # problems reported for one row before the rest are left out
_UNDECODED: Final = re.compile(r"[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
# a line this long at most holds no string, key or count of values past a limit
_PLAIN_LINE: Final = min(MAX_STRING_LENGTH, MAX_NODES)


def _kind(path: Path) -> str:
    if path.suffix not in (".csv", ".jsonl", ".parquet"):
        raise file_error(str(path), 1, 1, "batch files must be .csv, .jsonl or .parquet")
    return path.suffix


# ------------------------------------------------------------ JSON lines


def parse_line(number: int, line: str | None) -> Raw:
    """One JSON line as a raw row (parsed in the worker, so the parent only reads text)."""
    if line is None:
        return number, None, [(1, "", f"the line is longer than {MAX_ROW:,} characters")], {}
    bad = None if line.isascii() else _UNDECODED.search(line)
    if bad:
        return number, None, [(bad.start() + 1, "", _not_utf8(bad.group()))], {}
    if within_by_text(line):
        try:
            return number, orjson.loads(line), None, {}
        except orjson.JSONDecodeError:
            pass  # json reads it, and words the error
    data, error = load_json(line)
    if error is not None:
        return number, None, [error], {}
    if within_limits(data):
        return number, data, None, {}
    found = data_problems(data)
    return number, data, [(1, path, message) for path, message in found], {}


def within_by_text(line: str) -> bool:
    """Whether a line's data is within every reading limit (`within_limits`) and read by
    orjson as json reads it (`load_json`), should orjson read it: found from the text, not
    by walking the data (~7 µs a row). Every string, key and value is shorter than the
    line; no more containers are open at once than the line has brackets; no integer has
    19 digits; and what orjson reads is finite, holds no lone surrogate and is only
    dicts, lists, strings, numbers, booleans and nulls."""
    if len(line) > _PLAIN_LINE:
        return False
    marked = _marked(line)
    return marked.count(b"{") <= MAX_DEPTH and _LONG_DIGITS not in marked


def _marked(text: str) -> bytes:
    """The text's UTF-8 bytes (a lone surrogate passed through: orjson refuses it later)
    with each digit 1-9 made 0 and each "[" a "{"."""
    return text.encode("utf-8", "surrogatepass").translate(_MARKED)


def _not_utf8(char: str) -> str:
    return f"byte 0x{ord(char) - 0xDC00:02x} is not UTF-8 text; save the file as UTF-8"


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a whole number with {len(text.lstrip('-')):,} digits "
                         f"(at most {MAX_DIGITS:,})")
    return int(text)


def load_json(text: str) -> tuple[Any, tuple[int, str, str] | None]:
    """JSON text as data, or (column, path, message) saying why it is not usable JSON.

    orjson reads it (~4x faster) when it must read it as json does: it refuses what json
    takes and later reports (NaN, 1e400, a lone surrogate, nesting past 1,024) and writes
    an integer past 64 bits as a float, so text with a run of 19 digits, and text orjson
    refuses, is read by json - which also words the error."""
    if _LONG_DIGITS not in _marked(text):
        try:
            return orjson.loads(text), None
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text, parse_int=_whole_number), None
    except json.JSONDecodeError as exc:
        return None, (exc.colno, "", f"invalid JSON: {exc.msg}")
    except RecursionError:
        return None, (1, "", f"invalid JSON: nested more than {MAX_DEPTH} levels deep")
    except ValueError as exc:  # from `_whole_number`
        return None, (1, "", f"invalid JSON: {exc}")


def data_problems(data: Any) -> list[tuple[str, str]]:
    """(path, message) for what JSON can carry but a case cannot: lone surrogates,
    NaN and infinities, nesting deeper than `MAX_DEPTH` (at most `MAX_ROW_PROBLEMS`)."""
    found: list[tuple[PathKey, str]] = []
    stack: list[tuple[PathKey, Any]] = [((), data)]
    while stack and len(found) < MAX_ROW_PROBLEMS:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            found.append((path[:MAX_DEPTH], f"nested more than {MAX_DEPTH} levels deep"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if SURROGATE.search(key):
                    found.append((path, f"the key {key!r} holds a lone surrogate, "
                                        "not a character"))
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))
        elif isinstance(value, str) and SURROGATE.search(value):
            found.append((path, "holds a lone surrogate (e.g. \\ud800), not a character; "
                                "fix the text's encoding"))
        elif isinstance(value, float) and not math.isfinite(value):
            found.append((path, f"{value} is not a finite number"))
    return [(format_path(path), message) for path, message in sorted(found, key=str)]


def _jsonl(path: Path) -> Iterator[Raw]:
    for number, line in text_lines(path):
        yield parse_line(number, line)


# ------------------------------------------------------------ CSV


class _Lines:
    """The lines csv reads, counted, and refused when one record grows past `MAX_ROW`."""

    def __init__(self, handle: io.TextIOWrapper, file: str):
        self.handle, self.file = handle, file
        self.number = 0  # lines read so far
        self.start = 1  # the line the current record starts on
        self.size = 0  # characters of the current record

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line, cut = next_line(self.handle, self.number == 0)
        if not line and not cut:
            raise StopIteration
        self.number += 1
        self.size += len(line)
        if cut or self.size > MAX_ROW:
            raise file_error(self.file, self.start, 1,
                             f"this row runs past {MAX_ROW:,} characters, so where it ends "
                             "cannot be told", "is a quote left open? close it or split the row")
        return line

    def new_record(self) -> None:
        self.start, self.size = self.number + 1, 0


def csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) of every CSV record with something in it."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW + 1))  # our own limits apply
    with open_text(path) as handle:
        lines = _Lines(handle, str(path))
        reader = csv.reader(lines)
        while True:
            lines.new_record()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise file_error(str(path), lines.start, 1,
                                 f"not readable as CSV: {exc}") from None
            if any(cell.strip() for cell in cells):
                yield lines.start, cells


def header_columns(file: str, header: list[str]) -> dict[PathKey, int]:
    """Dotted headers -> (path -> column); every way they collide is one file-level error."""
    problems, columns = [], {}

    def fail(column: int, message: str, hint: str | None = None) -> None:
        problems.append(Problem(Span(file, 1, column), "", message, hint, "batch"))

    for column, name in enumerate(header, 1):
        parts = tuple(name.split("."))
        if _UNDECODED.search(name):
            fail(column, "the header is not UTF-8 text", "save the file as UTF-8")
        elif not name.strip():
            fail(column, f"column {column} has no header", "name it or remove the column")
        elif "" in parts:
            fail(column, f"header '{name}' has an empty part", "write parts as a.b")
        elif parts[0] == "events" and len(parts) > 1:
            fail(column, f"header '{name}': the events column holds the whole timeline as "
                         "JSON and has no sub-columns")
        elif parts in columns:
            fail(column, f"columns {columns[parts]} and {column} are both '{name}'")
        else:
            columns[parts] = column
    for parts, column in columns.items():
        for cut in range(1, len(parts)):
            if parts[:cut] in columns:
                fail(column, f"columns {columns[parts[:cut]]} '{'.'.join(parts[:cut])}' and "
                             f"{column} '{'.'.join(parts)}' collide: "
                             f"'{'.'.join(parts[:cut])}' cannot be a value and hold fields")
    if problems:
        raise CaseError(problems)
    return columns


def _csv(path: Path) -> Iterator[Raw]:
    (header, columns), records = csv_cells(path)
    for number, cells in records:
        yield csv_row(number, header, cells, columns)


# a CSV file's header and where each dotted name is: what `csv_row` needs besides a record
CsvHeader = tuple[list[str], dict[PathKey, int]]


def csv_cells(path: Path) -> tuple[CsvHeader, Iterator[tuple[int, list[str]]]]:
    """The header (checked) and then (line, cells) of each record: a batch's workers make the
    rows (`csv_row`), so that the process reading the file only splits it."""
    records = csv_records(path)
    first = next(records, None)
    if first is None:
        raise file_error(str(path), 1, 1, "the file is empty", "a CSV batch starts with a "
                         "header row (name,policy.start,as_of,applicant.age,...)")
    header = first[1]
    return (header, header_columns(str(path), header)), records


def csv_row(number: int, header: list[str], cells: list[str], columns: dict) -> Raw:
    """One CSV record as a raw row: each cell checked, then nested by its dotted header."""
    errors: list[tuple[int, str, str]] = []
    if len(cells) != len(header):
        errors.append((min(len(cells), len(header)) + 1, "",
                       f"this row has {len(cells)} cells; the header has {len(header)}"))
    row = {}
    for column, (name, cell) in enumerate(zip(header, cells, strict=False), 1):
        bad = _UNDECODED.search(cell)
        if bad:
            errors.append((column, name, _not_utf8(bad.group())))
        elif len(cell) > MAX_CELL and name != "events":
            errors.append((column, name, f"the cell is {len(cell):,} characters long "
                                         f"(at most {MAX_CELL:,})"))
        else:
            row[name] = cell
    if errors:
        return number, None, errors[:MAX_ROW_PROBLEMS], columns
    try:
        data = nest(row)
    except ValueError as exc:
        return number, None, [(columns[("events",)], "events", str(exc))], columns
    return _checked(number, data, columns)


def _checked(number: int, data: Any, columns: dict) -> Raw:
    if within_limits(data):
        return number, data, None, columns
    found = data_problems(data)
    return number, data, [(_column(columns, p), p, m) for p, m in found], columns


def _column(columns: dict[PathKey, int], path: str) -> int:
    parts = tuple(re.split(r"[.\[]", path))
    while parts and parts not in columns:
        parts = parts[:-1]
    return columns.get(parts, 1)


def events_json(text: str) -> Any:
    """The events column's JSON; ValueError saying where it is not JSON."""
    events, error = load_json(text)
    if error is not None:
        message = error[2].replace("invalid JSON", "the events column is not a JSON list", 1)
        raise ValueError(f"{message} (character {error[0]})")
    return events


def nest(row: dict[str, str | None]) -> dict[str, Any]:
    """Dotted CSV headers to nested data; empty cells are left out; `events` is JSON."""
    data: dict[str, Any] = {}
    for header, value in row.items():
        if header is not None and value is not None and value != "":
            _place(data, header, events_json(value) if header == "events" else value)
    return data


def _place(data: dict[str, Any], header: str, value: Any) -> None:
    target = data
    *parents, leaf = header.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


# ------------------------------------------------------------ Parquet


def _parquet(path: Path) -> Iterator[Raw]:
    names, _ = parquet.header(path)
    columns = header_columns(str(path), names)
    for number, record in parquet.records(path):
        yield parquet_row(number, record, columns)


def parquet_row(number: int, record: dict[str, Any], columns: dict) -> Raw:
    """One Parquet row as a raw row: typed values nested by their dotted column names;
    `events` is JSON text or a list of structs."""
    data: dict[str, Any] = {}
    try:
        for name, value in record.items():
            if value is not None:
                _place(data, name, events_json(value) if name == "events" and
                       isinstance(value, str) else parquet.plain(value))
    except ValueError as exc:
        return number, None, [(columns[("events",)], "events", str(exc))], columns
    return _checked(number, data, columns)


# ------------------------------------------------------------ rows and cases


def read_raw(path: str | Path) -> Iterator[Raw]:
    """(row number, plain data, errors, columns) for each row of a .csv, .jsonl or .parquet
    file."""
    path = Path(path)
    kind = _kind(path)
    if kind == ".jsonl":
        yield from _jsonl(path)
    elif kind == ".parquet":
        yield from _parquet(path)
    else:
        yield from _csv(path)


def read_cases(path: str | Path, product: Product) -> Iterator[tuple[int, Case | CaseError]]:
    """Checked cases (or the error of each bad row) from a batch file."""
    for raw in read_raw(path):
        yield raw[0], to_case(str(path), raw, product)


def to_case(file: str, raw: Raw, product: Product) -> Case | CaseError:
    """The row as a checked case, or its error positioned at the row (and CSV column).

    Never raises: whatever goes wrong below for one row is that row's error.
    """
    number, data, errors, columns = raw  # errors None: the data is within every limit
    if errors:
        return CaseError([Problem(Span(file, number, column), path, message, None, "batch")
                          for column, path, message in errors])
    spans = {(): Span(file, number, 1)}
    spans.update({path: Span(file, number, column) for path, column in columns.items()})
    doc = Document(file, data, spans=spans, within_limits=errors is None)
    text = file.endswith(".csv")
    try:
        return case_from_document(doc, product, text_values=text)
    except ConfigError as exc:
        return exc if isinstance(exc, CaseError) else CaseError(exc.problems)
    except Exception as exc:  # noqa: BLE001 - a bug below must cost this row, not the batch
        return internal_error(file, number, exc, "checking")


def internal_error(file: str, number: int, exc: BaseException, doing: str) -> CaseError:
    """A row that tripped an unexpected exception: reported at the row, never raised."""
    detail = printable(f"{type(exc).__name__}: {exc}", 200)
    return CaseError([Problem(Span(file, number, 1), "",
                              f"internal error while {doing} this row ({detail})",
                              "this is a bug in configurator; please report it with the row",
                              "internal")])


_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, limit: int = 500) -> str:
    """`text` safe for one line of a terminal or log: escapes, no surrogates, bounded."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def count_rows(path: str | Path) -> int:
    """Rows in a batch file, after checking the file as a whole.

    Raises the file-level problems (not .csv/.jsonl, not UTF-8 at all,
    empty, no header or colliding headers, a row too long to find its end) as
    one positioned `CaseError`, so a batch can refuse before any work.
    Counts records, not lines: a quoted cell may hold line breaks.
    """
    path = Path(path)
    rows, undecoded, first = 0, 0, 0
    if _kind(path) == ".parquet":
        names, rows = parquet.header(path)
        header_columns(str(path), names)
        if rows == 0:
            raise file_error(str(path), 1, 1, "the file holds no cases", "write one case a row")
        return rows
    if _kind(path) == ".jsonl":
        rows = plain_line_count(path) or 0  # a plain file's rows, from its bytes alone
        if rows:
            return rows
        texts: Iterator[tuple[int, str | None]] = text_lines(path)
    else:
        records = csv_records(path)
        head = next(records, None)
        if head is None:
            raise file_error(str(path), 1, 1, "the file is empty", "a CSV batch starts with "
                             "a header row (name,policy.start,as_of,applicant.age,...)")
        header_columns(str(path), head[1])
        lines = plain_line_count(path, csv=True) or 0  # a plain file's records, from bytes
        if lines > 1:
            records.close()
            return lines - 1  # the header is one
        texts = _joined(records)
    for number, text in texts:
        rows += 1
        if text and not text.isascii() and _UNDECODED.search(text):
            undecoded += 1
            first = first or number
    if rows == 0:
        raise file_error(str(path), 1, 1, "the file holds no cases", "write one case a row")
    if undecoded == rows:
        raise file_error(str(path), first or 1, 1, "the file is not UTF-8 text (no row reads "
                         "as UTF-8)", "save it as UTF-8")
    return rows


def _joined(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, str]]:
    """Each CSV record's cells joined, one record at a time (a generator, not a generator
    expression: compiled, that would be built as a whole list)."""
    for number, cells in records:
        yield number, "".join(cells)
