"""Batch files of cases: CSV or JSON lines, one case a row.

CSV columns are flat; nested fields use dotted headers (``applicant.age``,
``policy.start``) and a timeline goes in an ``events`` column as a JSON list.
Each row is checked on its own: a bad row becomes its own positioned error
(row number and, for CSV, column), never the end of the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CaseError, Problem, Span
from ..product.model import Product
from ..product.source import Document
from .case import Case, case_from_document

Raw = tuple[int, Any, str | None, dict]  # (row number, data, parse error, path -> column)


def read_raw(path: str | Path) -> Iterator[Raw]:
    """(row number, plain data, parse error) for each row of a .csv or .jsonl file."""
    path = Path(path)
    if path.suffix == ".jsonl":
        yield from _jsonl(path)
    elif path.suffix == ".csv":
        yield from _csv(path)
    else:
        raise CaseError([Problem(Span(str(path), 1, 1), "", "batch files must be .csv or .jsonl")])


def _jsonl(path: Path) -> Iterator[Raw]:
    for number, line in text_lines(path):
        yield parse_line(number, line)


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line with something on it."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def parse_line(number: int, line: str) -> Raw:
    """One JSON line as a raw row (parsed in the worker, so the parent only reads text)."""
    try:
        return number, json.loads(line), None, {}
    except json.JSONDecodeError as exc:
        return number, None, f"{exc.colno}:invalid JSON: {exc.msg}", {}


def _csv(path: Path) -> Iterator[Raw]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {tuple(h.split(".")): i for i, h in enumerate(reader.fieldnames or [], 1)}
        for row in reader:
            number = reader.line_num
            try:
                yield number, nest(row), None, columns
            except ValueError as exc:
                yield number, None, f"{columns.get(('events',), 1)}:{exc}", columns


def nest(row: dict[str, str | None]) -> dict[str, Any]:
    """Dotted CSV headers to nested data; empty cells are left out; `events` is JSON."""
    data: dict[str, Any] = {}
    for header, value in row.items():
        if header is None or value is None or value == "":
            continue
        if header == "events":
            try:
                data["events"] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"the events column is not a JSON list: {exc.msg}") from None
            continue
        target = data
        *parents, leaf = header.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return data


def read_cases(path: str | Path, product: Product) -> Iterator[tuple[int, Case | CaseError]]:
    """Checked cases (or the error of each bad row) from a batch file."""
    for raw in read_raw(path):
        yield raw[0], to_case(str(path), raw, product)


def to_case(file: str, raw: Raw, product: Product) -> Case | CaseError:
    """The row as a checked case, or its error positioned at the row (and CSV column)."""
    number, data, error, columns = raw
    if error is not None:
        column, message = error.split(":", 1)
        return CaseError([Problem(Span(file, number, int(column)), "", message)])
    spans = {(): Span(file, number, 1)}
    spans.update({path: Span(file, number, column) for path, column in columns.items()})
    doc = Document(file, data, spans=spans)
    text = file.endswith(".csv")
    try:
        return case_from_document(doc, product, text_values=text)
    except CaseError as exc:
        return exc


def count_rows(path: str | Path) -> int:
    """Rows in a batch file (for a progress bar's total)."""
    with Path(path).open(encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if Path(path).suffix == ".csv" else lines

