"""A sample timeline evaluated the way a worked example shows it: year by year.

The policy's adherence section carries a worked example (what the rules do to
the bonus over a few policy years). It must be what the engine decides, so the
sample case is evaluated as of the start, the last day of each whole policy
year and each renewal day. The caller does this once per product (the
`Environment` caches it) and hands the result to the renderer, which never
evaluates anything itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..cases.calendar import ONE_DAY, policy_year, year_number
from ..cases.case import Case
from ..cases.outcome import Illustration
from ..compiler.compile import CompiledProduct
from .evaluate import evaluate


def illustrate(compiled: CompiledProduct, case: Case) -> Illustration | None:
    """Evaluate `case` year by year; None when it covers no whole policy year."""
    years = whole_years(case)
    if years < 1:
        return None
    at_end = tuple(evaluate(compiled, _as_of(case, policy_year(case.start, n).end - ONE_DAY))
                   for n in range(1, years + 1))
    at_renewal = tuple(evaluate(compiled, _as_of(case, policy_year(case.start, n).end))
                       for n in range(1, years + 1))
    return Illustration(case, evaluate(compiled, _as_of(case, case.start)), at_end, at_renewal)


def whole_years(case: Case) -> int:
    """The policy years that end on or before the case's as_of date."""
    number = year_number(case.start, case.as_of)
    return number if case.as_of >= policy_year(case.start, number).end - ONE_DAY else number - 1


def _as_of(case: Case, day: dt.date) -> Case:
    return dataclasses.replace(case, as_of=day)
