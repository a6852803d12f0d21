"""`registry.db.canonical` (orjson when it writes the same) keeps the hash chains' bytes:
exactly what json.dumps(sort_keys, ensure_ascii=False, compact) writes (issue 14)."""

from __future__ import annotations

import json
import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.registry.db import canonical

_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.sampled_from([1e-5, 1.5e-7, 1e16, 1e21, 0.0001, -0.0, 5e-324])
            | st.text())
_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6) | st.integers(-9, 9), inner,
                                       max_size=4), max_leaves=20)


def _reference(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=400, deadline=None)
@given(_DATA)
def test_canonical_is_byte_for_byte_the_json_module(data):
    try:
        expected = _reference(data)
    except TypeError:  # mixed key types json cannot sort: refused either way
        return
    assert canonical(data) == expected


_DOUBLES = st.integers(0, 2**64 - 1).map(
    lambda bits: struct.unpack("<d", struct.pack("<Q", bits))[0])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_DOUBLES.filter(math.isfinite) | st.floats(allow_nan=False,
                                                         allow_infinity=False), max_size=8))
def test_every_finite_double_is_written_as_json_writes_it(numbers):
    """Any bit pattern of a double (every exponent equally likely, subnormals too): orjson
    writes json's text except below 1e-4, and there the scan sees ".0000" or "e-" after a
    digit and falls back (a large number, "1e+16", is written alike: no "e+" scan)."""
    assert canonical(numbers) == _reference(numbers)


def test_canonical_of_an_outcome_matches_and_numbers_json_writes_otherwise_fall_back():
    data = {"b": [1.5e-7, 1e-05, 0.5], "a": "re-examined 2e-3 \u2028 \x00", "c": None}
    assert canonical(data) == _reference(data)
    assert canonical({1: "x"}) == '{"1":"x"}'


_ROW_VALUES = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text()
               | st.sampled_from(["1e-5 and 2e+3", "0.00001", "\u2028\x00\x7f\ud7ff", "\ud800"])
               | st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _ROW_VALUES, max_size=8))
def test_a_flat_rows_canonical_text_is_byte_for_byte_the_json_module(row):
    """`canonical_row` (the chained rows' digest) skips the odd-number scan only where orjson
    writes json's bytes: text (numbers written in it too), whole numbers, truth values."""
    from configurator.registry.canonical import canonical_row

    assert canonical_row(row) == _reference(row)
