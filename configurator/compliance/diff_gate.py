"""``diff`` as a gate: the lint findings a new version introduces, and ``--fail-on``.

A finding is *new* when the new version has more findings with its code and
message than the old version has (positions are left out: the same finding
moves when lines are added above it). ``--fail-on`` names what makes the diff
fail (exit 1): ``unfavourable`` (any change unfavourable or mixed for the
insured), ``major`` (the changes call for a major version bump) and ``lint``
(any new lint finding, warnings included). Comparing two different products is
refused unless forced: their diff is every item of both.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..cases.outcome import Illustration
from ..product.model import Product
from .changes import MIXED, UNFAVOURABLE
from .lint import lint
from .lint_rules import Finding

FAIL_ON = ("unfavourable", "major", "lint")


def new_findings(old: Product, new: Product, profile: str,
                 illustrations: tuple[Illustration | None, Illustration | None]
                 ) -> list[Finding]:
    """The findings of `new` under `profile` beyond those `old` already had."""
    before = Counter((f.code, f.message) for f in lint(old, profile, illustrations[0]))
    found = []
    for finding in lint(new, profile, illustrations[1]):
        key = (finding.code, finding.message)
        if before[key]:
            before[key] -= 1
        else:
            found.append(finding)
    return found


def failures(result: Any, fail_on: tuple[str, ...]) -> list[str]:
    """Why the diff fails the gates in `fail_on` (empty: it passes)."""
    reasons = []
    if "unfavourable" in fail_on:
        worse = [c for c in result.changes if c.effect in (UNFAVOURABLE, MIXED)]
        if worse:
            reasons.append(f"--fail-on unfavourable: {_count(len(worse), 'change')} "
                           f"unfavourable or mixed for the insured")
    if "major" in fail_on and result.bump.level == "major":
        reasons.append("--fail-on major: the changes call for a major version bump")
    if "lint" in fail_on and result.lint:
        reasons.append(f"--fail-on lint: {_count(len(result.lint), 'new lint finding')}")
    return reasons


def other_product(old: Product, new: Product) -> str | None:
    """Why two products should not be compared (None when they are one product)."""
    if old.id == new.id:
        return None
    return (f"{old.source_file} is product '{old.id}' but {new.source_file} is product "
            f"'{new.id}': diff compares two versions of one product (--force compares them "
            f"anyway)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
