"""Whether a batch row's data is within every reading limit, in one walk (`within_limits`).

Most rows are: then `batchfile` skips the walks that build paths and messages
(`batchfile.data_problems`, `product.source.data_problems`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Final

from ..limits import MAX_NODES, MAX_NUMBER_DIGITS, MAX_STRING_LENGTH

MAX_DEPTH: Final = 32  # nesting of JSON data in a row
SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


def within_limits(data: Any) -> bool:
    """Whether `data` passes both `data_problems` and the reading limits
    (`product.source.data_problems`), found in one walk with no paths built: then
    the row's errors are None and its case is checked without walking it again.
    False sends the row through both checks, which say what is wrong.

    A container's plain values are checked where they stand and only containers go
    on the stack; every value still counts, so the answer is the same in any order."""
    if not _plain_value(data):
        return type(data) in (dict, list) and _within(data)
    return True


_BIG_INT_BITS: Final = MAX_NUMBER_DIGITS * 10 // 3
# an int within is one whose bit_length() is at most _BIG_INT_BITS; a float within is finite:
# comparisons, not a method or a function called for each number
_INT_BOUND: Final = 2 ** _BIG_INT_BITS
_INFINITY: Final = math.inf


def _within(data: dict | list) -> bool:
    stack: list[tuple[Any, int]] = [(data, 0)]
    count = 1
    while stack:
        value, depth = stack.pop()
        deeper = depth + 1
        if deeper > MAX_DEPTH and value:
            return False  # values below the deepest level allowed
        if type(value) is dict:
            for key in value:
                if key not in _KEYS_SEEN and not _plain_key(key):
                    return False
            value = value.values()
        count += len(value)
        for item in value:  # `_plain_value`, written out: this loop sees every value of a row
            kind = type(item)
            if kind is str:
                if len(item) > MAX_STRING_LENGTH or not (item.isascii()
                                                         or not SURROGATE.search(item)):
                    return False
            elif kind is int:
                if not -_INT_BOUND < item < _INT_BOUND:
                    return False
            elif kind is float:
                if not -_INFINITY < item < _INFINITY:  # a NaN fails both comparisons
                    return False
            elif kind is dict or kind is list:
                stack.append((item, deeper))
            elif not (kind is bool or kind is dt.date or item is None):
                return False
        if count > MAX_NODES:
            return False
    return True


_KEYS_SEEN: Final[set[str]] = set()  # keys found plain before (rows repeat the same few)


def _plain_key(key: Any) -> bool:
    if type(key) is not str or not _plain_text(key):
        return False
    if len(_KEYS_SEEN) < 4096:
        _KEYS_SEEN.add(key)
    return True


def _plain_value(value: Any) -> bool:
    """Whether `value` is a scalar within every limit (False for a container, too)."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_STRING_LENGTH and (value.isascii()
                                                    or not SURROGATE.search(value))
    if kind is int:
        return value.bit_length() <= _BIG_INT_BITS
    if kind is float:
        return math.isfinite(value)
    return kind is bool or kind is dt.date or value is None


def _plain_text(text: str) -> bool:
    return len(text) <= MAX_STRING_LENGTH and (text.isascii() or not SURROGATE.search(text))
