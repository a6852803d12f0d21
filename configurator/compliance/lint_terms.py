"""Lint rules for issue 13's terms (part A): lapsing exclusions."""

from __future__ import annotations

from collections.abc import Iterator

from ..product.source import PathKey
from .lint_rules import WARNING, Context, rule


@rule("EXCLUSION_OUTLASTS_TERM", WARNING,
      source="consistency: an exclusion that lapses should lapse within the policy term")
def exclusion_outlasts_term(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A lapsing exclusion that lasts longer than the policy term: it outlives the policy it
    was added to and carries into renewals the customer may not expect."""
    months = ctx.product.term.months
    for exclusion in ctx.product.exclusions:
        if exclusion.lapses_after_months is None:
            continue
        longest = max(ctx.values(exclusion.lapses_after_months))
        if longest > months:
            via = f" (parameter {exclusion.lapses_after_months})" if isinstance(
                exclusion.lapses_after_months, str) else ""
            yield exclusion.path + ("lapses_after_months",), (
                f"exclusion {exclusion.id} lasts {longest:g} months{via}, longer than the "
                f"policy term of {months} months")
