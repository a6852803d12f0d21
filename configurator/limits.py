"""How big, deep, long and far every input may be: each limit named once, here.

Products, cases, suites and batch rows come from people and programs that
make mistakes or mean harm. Every reader checks its input against these
limits before doing work that grows with it, and refuses what is over a
limit with a positioned error that names the limit; nothing is truncated
silently. The values are far above anything a real product or case needs
(the bundled products use a tenth or less of each), and low enough that the
worst input within them loads in seconds and a few hundred MB at most.
"""

from __future__ import annotations

import datetime as dt
from typing import Final  # compiled (native.py), a Final is a constant, not a lookup

# ------------------------------------------------------------ files and YAML documents

MAX_FILE_BYTES: Final = 4 * 1024 * 1024
"""A product, case or suite file (the bundled products are under 40 KB)."""

MAX_NODES: Final = 250_000
"""Values in one document, counting every alias as a copy of what it names.

A 20,000-event case holds about 160,000; this bounds "billion laughs" (nine
aliases of nine aliases...), which is refused as soon as its copies pass it."""

MAX_DEPTH: Final = 32
"""Nesting of mappings and lists (the bundled products nest 6 deep)."""

MAX_STRING_LENGTH: Final = 10_000
"""Characters in one string or key (the longest bundled clause has under 500)."""

MAX_NUMBER_DIGITS: Final = 24
"""Digits in one number as written (a guard on parsing cost; MAX_NUMBER bounds the value)."""

# ------------------------------------------------------------ values

MAX_NUMBER: Final = 1e15
"""The largest magnitude of any number in a product or case (money in minor units fits)."""

MIN_DATE: Final = dt.date(1900, 1, 1)
MAX_DATE: Final = dt.date(2200, 12, 31)
"""Every date in a product or case; date arithmetic (renewals, due dates) stays valid far
beyond it, since periods are at most MAX_DAYS or MAX_MONTHS."""

MAX_DAYS: Final = 36_600
"""A number of days in a product (due dates, windows, grace, waiting periods): 100 years."""

MAX_MONTHS: Final = 1_200
"""A number of months in a product (monitoring intervals, tolerances): 100 years."""

MAX_EVENTS: Final = 20_000
"""Events in one case: fifty years of daily refills is under 20,000."""

# ------------------------------------------------------------ conditions

MAX_CONDITION_LENGTH: Final = 1_000
"""Characters in one condition or derived formula (the longest bundled one has 202)."""

MAX_CONDITION_DEPTH: Final = 32
"""Nesting of one condition's tree: brackets, `not`, `if`, and chains of + - * / (bundled: 6).
Every stage walks the tree recursively, so this bounds their recursion too."""


def date_problem(day: dt.date) -> str | None:
    """Why `day` is outside the dates configurator accepts, or None."""
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return f"{day.isoformat()} is outside the dates accepted ({MIN_DATE} to {MAX_DATE})"


def number_problem(value: float | int) -> str | None:
    """Why `value` (an int or float, not a bool) is not a usable number, or None."""
    if -MAX_NUMBER <= value <= MAX_NUMBER:  # the usual case (NaN and infinities fail it)
        return None
    if value != value:
        return "expected a finite number, got nan (not a number)"
    if value in (float("inf"), float("-inf")):
        return (f"expected a finite number, got {value!r} (a number too large to hold, or "
                f"infinity; numbers may be at most {MAX_NUMBER:,.0f} in size)")
    if abs(value) > MAX_NUMBER:
        return (f"{show_number(value)} is too large (numbers may be at most "
                f"{MAX_NUMBER:,.0f} in size)")
    return None


def show_number(value: float | int) -> str:
    """A number for a message: as written, or its size when it is too long to show."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 30:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    return repr(value)
