"""Parquet batch files: the one home of pyarrow.

In: one case a row, columns named as CSV headers (``name``, ``policy.start``,
``as_of``, ``applicant.age``...), typed values (a null is an empty cell) and an
``events`` column holding the timeline as JSON text or as a list of structs.
Rows are numbered from 1 (a row, not a line) and read a record batch at a time,
so memory stays flat. Out: `ParquetRows` writes summary rows with a fixed
schema, a row group at a time, into a handle opened by `files.atomic_file`.

pyarrow is imported on first use (`_arrow`): it maps a large library, and every command
that never meets a Parquet file (all but batch runs) should not pay for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CaseError, Problem, Span

BATCH_ROWS = 4096  # rows read at a time
GROUP_ROWS = 16384  # rows written a row group at a time

if TYPE_CHECKING:
    import pyarrow.parquet as pq


@cache
def _arrow() -> tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet), imported once, when a Parquet file is first met."""
    import pyarrow
    import pyarrow.parquet

    return pyarrow, pyarrow.parquet


def _types(pa: Any) -> dict[str, Any]:
    return {"int": pa.int64(), "float": pa.float64(), "text": pa.string(),
            "list": pa.list_(pa.string())}


def _fail(file: str, message: str, hint: str | None = None) -> CaseError:
    return CaseError([Problem(Span(file, 1, 1), "", message, hint, "batch")])


def open_parquet(path: Path) -> pq.ParquetFile:
    """The file, or one positioned error saying why it is not a Parquet file we can read."""
    pa, pq = _arrow()
    try:
        return pq.ParquetFile(path)
    except OSError as exc:
        raise _fail(str(path), f"cannot read the file: {exc.strerror or exc}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise _fail(str(path), f"not a readable Parquet file ({str(exc)[:200]})",
                    "write it with pyarrow, pandas or Spark, or use .csv or .jsonl") from None


def header(path: Path) -> tuple[list[str], int]:
    """The column names (dotted like CSV headers) and the number of rows."""
    file = open_parquet(path)
    return list(file.schema_arrow.names), file.metadata.num_rows


def records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, column -> value) for every row, a record batch at a time."""
    pa, _ = _arrow()
    file = open_parquet(path)
    number = 0
    try:
        for batch in file.iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (pa.ArrowException, ValueError) as exc:
        raise _fail(str(path), f"the Parquet file is damaged after row {number} "
                               f"({str(exc)[:200]})") from None


def plain(value: Any) -> Any:
    """A Parquet value as the plain data a JSON line would hold (dates as dates)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() and value.tzinfo is None else (
            value.isoformat())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class ParquetRows:
    """Summary rows into a Parquet file with the schema `columns` (name -> int, float,
    text or list), a row group at a time."""

    def __init__(self, handle: Any, columns: dict[str, str]):
        pa, pq = _arrow()
        types = _types(pa)
        self.table = pa.Table
        self.schema = pa.schema([(name, types[kind]) for name, kind in columns.items()])
        self.writer = pq.ParquetWriter(handle, self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """A whole Parquet file as rows (for tests and small files)."""
    return _arrow()[1].read_table(path).to_pylist()


def write_table(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Rows (plain values) as a Parquet file, types inferred (for tests and benches)."""
    pa, pq = _arrow()
    pq.write_table(pa.Table.from_pylist(rows), path)
