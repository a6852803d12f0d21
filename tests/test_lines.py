"""A JSON-lines file cut into spans reads as the whole file does, and a plain one is counted
from its bytes as the whole file reads (`cases.lines`)."""

from __future__ import annotations

import os
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.cases.batchfile import csv_records
from configurator.cases.lines import MAX_ROW, line_spans, plain_line_count, text_lines

# pieces a line is made of: text, multi-byte text, bytes that are not UTF-8, whitespace
_TEXT = st.sampled_from([b'{"a": 1}', b"x", "é漢".encode(), b"\xff", b"\xc3(", b" ", b"\t", b""])
_END = st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b"\r\r\n"])


@st.composite
def files(draw) -> bytes:
    lines = draw(st.lists(st.tuples(st.lists(_TEXT, max_size=3), _END), max_size=40))
    data = b"".join(b"".join(parts) + end for parts, end in lines)
    if draw(st.booleans()):
        data += draw(_TEXT)  # a last line without an ending
    if draw(st.booleans()):
        data = "\ufeff".encode() + data  # a byte order mark
    return data


def _read(path, lines: int, block_size: int = 1 << 20) -> list:
    spans = line_spans(path, lines, block_size)
    assert spans is not None
    size = os.path.getsize(path)
    if size:
        assert spans[0][0] == 0 and spans[-1][1] == size
        assert all(a[1] == b[0] for a, b in pairwise(spans))  # contiguous, in order
    else:
        assert spans == []
    return [line for span in spans for line in text_lines(path, span)]


@settings(max_examples=400, deadline=None)
@given(data=files(), lines=st.integers(1, 6), block_size=st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_spans_read_the_same_numbered_lines_as_the_whole_file(tmp_path_factory, data, lines,
                                                              block_size):
    """Read in blocks of a few bytes too: a "\\r\\n" split between two blocks ends one line."""
    path = tmp_path_factory.mktemp("spans") / "cases.jsonl"
    path.write_bytes(data)
    assert _read(path, lines, block_size) == list(text_lines(path))


def test_a_span_is_about_the_lines_asked_for_and_ends_after_a_newline(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"".join(b'{"n": %d}\r\n' % n for n in range(10)) + b"\n" * 3 + b"{}\r{}")
    spans = line_spans(path, 4)
    assert [s[2] for s in spans] == [0, 4, 8, 12]  # lines before each
    data = path.read_bytes()
    assert all(data[end - 1:end] == b"\n" for _, end, *_ in spans[:-1])
    assert list(text_lines(path, spans[-1])) == [(14, "{}\r"), (15, "{}")]


def test_a_line_that_may_be_cut_leaves_the_file_to_be_read_whole(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"{}\n" + b"x" * (MAX_ROW + 1) + b"\n{}\n")
    assert line_spans(path, 1) is None
    path.write_bytes(b"{}\n" + b"x" * (MAX_ROW - 1) + b"\n{}\n")  # just within
    assert _read(path, 1) == list(text_lines(path))


def test_a_span_of_a_file_that_changed_since_it_was_cut_is_refused(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"{}\n" * 10)
    spans = line_spans(path, 5)
    path.write_bytes(b"{}\n" * 7)  # shorter: the last span would silently lose rows
    with pytest.raises(OSError, match="changed while it was being evaluated"):
        list(text_lines(path, spans[1]))
    stat = os.stat(path)
    path.write_bytes(b"[]\n" * 7)  # the same size, written again
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(OSError, match="changed"):
        list(text_lines(path, line_spans(path, 5)[0][:3] + (stat.st_size, stat.st_mtime_ns)))


# mostly plain lines, so that most files are counted from their bytes, with now and then
# what makes a file not plain: a blank line, a line starting with whitespace or a control
# byte, a "\r", a byte that is not ASCII, a NUL
_PLAIN = st.sampled_from([b'{"a": 1}', b"{}", b"x y", b"[1,\t2]", b"~"])
_ODD = st.sampled_from([b"", b" {}", b"\t{}", b"\x1c", b"\x00{}", b"{\x00}", b"{}\r",
                        "{\"a\": \"\u00e9\"}".encode(), b"\xff"])


@st.composite
def plain_files(draw) -> bytes:
    lines = draw(st.lists(st.one_of(_PLAIN, _PLAIN, _PLAIN, _PLAIN, _ODD), max_size=30))
    data = b"\n".join(lines)
    return data + b"\n" if draw(st.booleans()) else data


@settings(max_examples=500, deadline=None)
@given(data=st.one_of(plain_files(), files()), block_size=st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_a_file_counted_from_its_bytes_has_as_many_lines_as_it_reads(tmp_path_factory, data,
                                                                     block_size):
    path = tmp_path_factory.mktemp("count") / "cases.jsonl"
    path.write_bytes(data)
    counted = plain_line_count(path, block_size)
    lines = data.removesuffix(b"\n").split(b"\n") if data else []
    plain = (data.isascii() and b"\r" not in data.replace(b"\r\n", b"")
             and b"\x00" not in data[:2] and all(line[:1] > b" " for line in lines))
    assert (counted is not None) == plain
    if counted is not None:
        assert counted == len(list(text_lines(path)))


def test_a_plain_file_is_counted_from_its_bytes_and_a_cut_line_is_one(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"n": 1}\n' * 5 + b"x" * (MAX_ROW + 10) + b"\n{}")
    assert plain_line_count(path) == len(list(text_lines(path))) == 7
    path.write_bytes(b'{"n": 1}\r\n' * 3 + b"{}")  # lines ended as on Windows
    assert plain_line_count(path) == 4
    for odd in (b"{}\n\n{}\n", b"{}\r{}\n", b"{}\r\n\r\n{}\n", b"{}\n {}\n",
                "{}\n\u00e9\n".encode(), b"{\x00}\n", "\ufeff{}\n".encode()):
        path.write_bytes(odd)
        assert plain_line_count(path) is None, odd


# pieces of CSV cells: quoted and not, quotes doubled, literal and left open, a line break
# inside quotes, blanks - so that Python's csv reader sometimes reads lines as records and
# sometimes not
_CELL = st.sampled_from([b"a", b"x y", b"", b" ", b'"', b'""', b'"""', b'"a"', b'"a,b"',
                         b'"a""b"', b'a"b', b'"a"b', b'"a\nb"', b'"a\n', b'b"', b"\x00"])


@st.composite
def csv_files(draw) -> bytes:
    lines = draw(st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=12))
    end = draw(st.sampled_from([b"\n", b"\r\n"]))  # as csv.writer and spreadsheets end them
    data = end.join(b",".join(cells) for cells in lines)
    return data + end if draw(st.booleans()) else data


@settings(max_examples=1000, deadline=None)
@given(data=csv_files(), block_size=st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_a_csv_file_counted_from_its_bytes_has_as_many_records_as_csv_reads(
        tmp_path_factory, data, block_size):
    """Counted from bytes only when every line is one whole record: then the count is what
    `csv_records` (Python's csv reader) gives, and that reader raises nothing."""
    path = tmp_path_factory.mktemp("csv") / "cases.csv"
    path.write_bytes(data)
    counted = plain_line_count(path, block_size, csv=True)
    if counted is not None:
        assert counted == len(list(csv_records(path)))


def test_a_plain_csv_file_is_counted_from_its_bytes(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(b'name,events\n' + b'a,"[{""date"": ""2026-03-01""}]"\n' * 5 + b"b,")
    assert plain_line_count(path, csv=True) == len(list(csv_records(path))) == 7
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # as csv.writer ends lines
    assert plain_line_count(path, csv=True) == len(list(csv_records(path))) == 7
    for odd in (b'name\n"a\nb"\n', b'name\na,"b\nc"\n', b'name\n,a\n', b'name\na,b"c,"d\ne"\n',
                b'name\na,""",b\nc"\n', b'name\na,b"c,"\nx"\n'):
        path.write_bytes(odd)
        assert plain_line_count(path, csv=True) is None, odd
