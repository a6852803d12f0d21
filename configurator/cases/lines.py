"""Lines of a batch file's text, numbered as the file has them; and pieces a worker reads.

A batch file is read as UTF-8 whatever it holds: bytes that are not UTF-8 become lone
surrogates, found and reported per row (`batchfile`). "\\n", "\\r\\n" and a lone "\\r"
each end a line; a line longer than `MAX_ROW` characters is cut there, the rest skipped.

`line_spans` cuts a JSON-lines file into pieces of whole lines by reading its bytes only,
and `text_lines(path, span)` reads one piece: the lines, numbers and texts that
`text_lines(path)` gives for those bytes. So a worker that sees the file reads its own
rows, and the rows need not travel from the process that splits the work
(`runs.dask_batch`).
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from ..errors import CaseError, Problem, Span

MAX_ROW: Final = 8 * 1024 * 1024  # characters in one JSON line or CSV record (events included)
_BLOCK: Final = 1 << 20  # bytes read at a time while cutting spans
_MAX_SPAN: Final = 64 << 20  # bytes in one span at most
_BOMS: Final = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))

# (first byte, the byte after the last, lines before it, the file's size and mtime_ns when
# it was cut): a piece of whole lines, cut by `line_spans`
LineSpan = tuple[int, int, int, int, int]


def file_error(file: str, line: int, column: int, message: str,
               hint: str | None = None) -> CaseError:
    """A problem with a batch file, at a line and column."""
    return CaseError([Problem(Span(file, line, column), "", message, hint, "batch")])


def open_text(path: Path) -> io.TextIOWrapper:
    """The file as text; bytes that are not UTF-8 become lone surrogates, found per row."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise file_error(str(path), 1, 1, f"cannot read the file: {exc.strerror or exc}"
                         ) from None
    head = handle.peek(4)[:4] if hasattr(handle, "peek") else b""
    for bom, name in _BOMS:
        if head.startswith(bom):
            handle.close()
            raise file_error(str(path), 1, 1, f"the file is {name} text, not UTF-8",
                             "save it as UTF-8")
    if b"\x00" in head[:2]:
        handle.close()
        raise file_error(str(path), 1, 1, "the file holds NUL bytes: it is not UTF-8 text "
                         "(UTF-16?)", "save it as UTF-8")
    return _as_text(handle)


def _as_text(handle: io.BufferedIOBase) -> io.TextIOWrapper:
    return io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline="")


def next_line(handle: io.TextIOWrapper, first: bool) -> tuple[str, bool]:
    """The next line (with its ending) and whether it was cut at `MAX_ROW` characters."""
    line = handle.readline(MAX_ROW + 1)
    if first and line.startswith("\ufeff"):
        line = line[1:]  # a UTF-8 byte order mark, as spreadsheets write it
    if len(line) <= MAX_ROW or line.endswith(("\n", "\r")):
        return line, False
    while line and not line.endswith(("\n", "\r")):  # skip the rest, a piece at a time
        line = handle.readline(1 << 20)
    return "", True


def text_lines(path: str | Path, span: LineSpan | None = None
               ) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of every line with something on it; None for an oversize line.
    With `span` (from `line_spans`), only that piece's lines, numbered as in the file."""
    if span is None:
        handle, number = open_text(Path(path)), 0
    else:
        handle, number = _as_text(io.BytesIO(_piece(Path(path), span))), span[2]
    with handle:
        first = number == 0
        while True:
            line, cut = next_line(handle, first)
            first = False
            if not line and not cut:
                return
            number += 1
            if cut:
                yield number, None
            elif line.strip():
                yield number, line


def _piece(path: Path, span: LineSpan) -> bytes:
    """A span's bytes, refused when the file is not the one that was cut."""
    start, end, _, size, modified = span
    with path.open("rb") as handle:
        found = os.fstat(handle.fileno())
        handle.seek(start)
        data = handle.read(end - start)
    if (found.st_size, found.st_mtime_ns) != (size, modified) or len(data) != end - start:
        raise OSError(f"{path} changed while it was being evaluated; run the batch again")
    return data


def line_spans(path: str | Path, lines: int, block_size: int = _BLOCK
               ) -> list[LineSpan] | None:
    """The file cut into pieces of about `lines` lines, each ending just after a "\\n" (or
    at the end), with the lines before each counted as `text_lines` counts them.

    None when the file is better read whole, by one process: a line that may be cut at
    `MAX_ROW` characters (one of more than `MAX_ROW` bytes: where `text_lines` resumes after
    a cut is decided in characters), or a piece past `_MAX_SPAN` bytes (lines ended by a
    lone "\\r" only, which are never cut here).
    """
    spans: list[LineSpan] = []
    with Path(path).open("rb") as handle:
        stat = os.fstat(handle.fileno())
        cut = (stat.st_size, stat.st_mtime_ns)
        start = before = count = offset = newlines = 0
        run = 0  # bytes since the last "\n"
        after_cr = False  # the last block ended with "\r": a "\n" first ends no new line
        while block := handle.read(block_size):
            first = block.find(b"\n")  # a line of more than MAX_ROW bytes may be cut:
            if (run + len(block) if first < 0 else run + first + 1) > MAX_ROW:
                return None
            run = run + len(block) if first < 0 else len(block) - block.rfind(b"\n") - 1
            at = 0
            while True:
                end = at
                while newlines < lines:  # the end of the span's last line, if in this block
                    end = block.find(b"\n", end) + 1
                    if end == 0:
                        break
                    newlines += 1
                if newlines < lines:
                    count += _ends(block, at, len(block), after_cr)
                    break
                count += _ends(block, at, end, after_cr)
                spans.append((start, offset + end, before, *cut))
                start, before, count, newlines, at = offset + end, before + count, 0, 0, end
            offset += len(block)
            after_cr = block.endswith(b"\r")
            if offset - start > _MAX_SPAN:
                return None
        if offset > start:
            spans.append((start, offset, before, *cut))
    return spans


def _ends(block: bytes, start: int, end: int, after_cr: bool) -> int:
    """Lines ended in block[start:end]: "\\n", "\\r\\n" and a lone "\\r" (one a "\\r\\n" split
    between two blocks ended already)."""
    ends = block.count(b"\n", start, end)
    if block.find(b"\r", start, end) >= 0:  # rare, and a search for "\r\n" is slow
        ends += block.count(b"\r", start, end) - block.count(b"\r\n", start, end)
    return ends - 1 if start == 0 and after_cr and block.startswith(b"\n") else ends


def plain_line_count(path: str | Path, block_size: int = _BLOCK, csv: bool = False
                     ) -> int | None:
    """How many lines `text_lines(path)` gives, counted from the file's bytes alone, when
    that is certain: all ASCII, no "\\r" but in "\\r\\n", and no line starting with a byte
    up to " " (so no blank line - the ones `text_lines` skips - and no NUL or byte order
    mark). None for any other file, to be counted line by line (and a file that cannot be
    read: that reading reports it). ~5 times faster than reading the text.

    A line cut at `MAX_ROW` characters is still one line here, as it is one row there.

    With `csv`, the lines of a CSV file when each is one whole, non-blank record as
    `batchfile.csv_records` reads them: besides the above, no NUL, no line of `MAX_ROW`
    characters or more, none starting with "," or a quote (its first cell might be
    empty), and in each line, once every pair of adjacent quotes is taken out, the quotes
    left open a cell just after a "," and close it just before one or the line's end, in
    turn - so no quoted cell runs onto the next line (`_whole_record`).
    """
    try:
        with Path(path).open("rb") as handle:
            return _plain_lines(handle, block_size, csv)
    except OSError:
        return None


def _plain_lines(handle: io.BufferedReader, block_size: int, csv: bool) -> int | None:
    lines = 0
    block = handle.read(max(block_size, 2))
    if block[:2].find(b"\x00") >= 0:
        return None  # `open_text` refuses it, with its reason
    starts = True  # the next byte begins a line
    line = b""  # a CSV line's part in blocks read before
    while block:
        if block.endswith(b"\r"):
            block += handle.read(1)  # a "\r\n" cut between two blocks
        if not block.isascii() or starts and _odd_start(block[0], csv):
            return None
        if block.find(b"\r") >= 0 and block.replace(b"\r\n", b"").find(b"\r") >= 0:
            return None  # a lone "\r" ends a line there
        if csv and block.find(b"\x00") >= 0:
            return None
        end = len(block) - 1
        start = 0
        at = block.find(b"\n")
        while at >= 0:
            lines += 1
            if csv and not _whole_record(line + block[start:at]):
                return None
            line = b""
            if at < end and _odd_start(block[at + 1], csv):
                return None
            start = at + 1
            at = block.find(b"\n", start)
        starts = block[end] == 10
        if csv and not starts:
            line += block[start:]
            if len(line) >= MAX_ROW:
                return None
        more = handle.read(block_size)
        if not more and not starts:
            lines += 1  # the last line, with no "\n"
            if csv and not _whole_record(line):
                return None
        block = more
    return lines


def _odd_start(byte: int, csv: bool) -> bool:
    """A line starting with this byte may be blank (or, in CSV, start with an empty cell)."""
    return byte <= 32 or csv and (byte == 44 or byte == 34)  # "," or a quote


def _whole_record(line: bytes) -> bool:
    """Whether `line`, a line of CSV without its "\\n", is one whole record for Python's csv
    reader: shorter than `MAX_ROW` and, once adjacent quotes are taken out in pairs, each
    quote left opens a cell (after a "," or at the start) or closes the one opened (before
    a "," or at the end), in turn. A doubt is a no."""
    if len(line) >= MAX_ROW:
        return False
    if line.find(b'"') < 0:
        return True
    line = line.removesuffix(b"\r").replace(b'""', b"")  # "\r" of a "\r\n" ending
    last = len(line) - 1
    opened = False
    at = line.find(b'"')
    while at >= 0:
        if opened:
            if at < last and line[at + 1] != 44:
                return False
        elif at > 0 and line[at - 1] != 44:
            return False
        opened = not opened
        at = line.find(b'"', at + 1)
    return not opened
