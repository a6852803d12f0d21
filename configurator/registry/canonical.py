"""Canonical JSON and its sha256: the byte format of the registry's and the audit
trail's hash chains (sorted keys, no spaces, UTF-8 kept as is). Written by orjson where its
bytes are json's, by json otherwise (`tests/test_canonical.py`)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import orjson


def canonical(data: Any, numbers: bool = True) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept as is - the bytes of
    ``json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``, the
    chains' format, written by orjson (~10x faster) unless it may write them apart: a
    number below 1e-4, a key that is not text, a lone surrogate, an integer past 64 bits.
    Data here never holds NaN (checked upstream): orjson writes null.
    `numbers=False` says the data holds no float, so orjson's text is not scanned for them.
    """
    try:
        text = orjson.dumps(data, option=_CANONICAL)
    except TypeError:  # orjson.JSONEncodeError
        return _canonical_json(data)
    return _canonical_json(data) if numbers and _odd_number(text) else text.decode("utf-8")


def canonical_row(row: dict[str, Any]) -> str:
    """`canonical` of a flat row (a chained table's columns): when every value is text, a
    whole number, a truth value or null, orjson writes json's bytes, so the scan for odd
    numbers - 40 µs an audit row, whose Outcome text is ~7 KB - is left out."""
    plain = all(type(v) in (str, int, bool) or v is None for v in row.values())
    return canonical(row, numbers=not plain)


_CANONICAL: Final = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                     | orjson.OPT_PASSTHROUGH_DATACLASS)


def _odd_number(text: bytes) -> bool:
    """``e-`` or ``.0000`` after a digit (in a string too: json then decides). orjson writes
    a double as json does except below 1e-4 ("0.00001" for json's "1e-05", "1e-7" for
    "1e-07"); a large one is alike ("1e+16"), so ``e+`` is not looked for
    (tests/test_canonical.py: every bit pattern of a double)."""
    for needle in (b"e-", b".0000"):
        at = text.find(needle)
        while at > 0:
            if 48 <= text[at - 1] <= 57:  # an ASCII digit
                return True
            at = text.find(needle, at + 1)
    return False


def _canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()
