"""Lint rules on the logic of a product: dead rules, overlaps, unused parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..conditions.expression import Expression
from ..product.cells import jointly_possible, restricting_names
from ..product.ranges import domains, resolve
from ..product.source import PathKey
from ..product.usage import RULES as IN_RULES
from ..product.usage import WORDING, parameter_uses
from .lint_rules import (
    WARNING,
    Context,
    rule,
)

# ------------------------------------------------------------ logic


@rule("NEVER_FIRES", source="consistency: declared input ranges")
def never_fires(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A condition no case within the declared ranges can meet is dead wording."""
    for path, owner, text, scope in ctx.conditions():
        if ctx.never(text, scope):
            yield path, (f"{owner} can never fire: `{' '.join(text.split())}` cannot hold "
                         "within the declared ranges of the names it reads")


@rule("OVERLAP", severity=WARNING, source="consistency: eligibility outcomes")
def overlap(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A decline and a loading or exclusion that restrict the same values can both hold."""
    rules = ctx.product.eligibility
    declines = [r for r in rules if r.outcome == "decline"]
    terms = [r for r in rules if r.outcome in ("loading", "exclusion")]
    for decline in declines:
        for other in terms:
            shared = _overlap(ctx, decline.when, other.when)
            if shared:
                yield other.path + ("when",), (
                    f"eligibility rules {decline.id} (decline) and {other.id} ({other.outcome}) "
                    f"can both hold for the same {', '.join(shared)}: the {other.outcome} never "
                    f"applies to those declined; narrow {other.id} to the cases it is for")


def _overlap(ctx: Context, a: Expression, b: Expression) -> list[str]:
    found: list[str] = []
    for constants in ctx.periods:
        doms = domains(ctx.product, constants, metrics=False)
        x, y = resolve(a.node, constants), resolve(b.node, constants)
        if jointly_possible(x, y, doms):
            found += [n for n in restricting_names(x, y, doms) if n not in found]
    return found


@rule("UNUSED_PARAMETER", severity=WARNING, source="consistency")
def unused_parameter(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A parameter neither a rule nor the wording reads."""
    for name, uses in parameter_uses(ctx.product).items():
        if not uses[IN_RULES] and not uses[WORDING]:
            yield ("parameters", name), f"parameter {name} is never used"


@rule("DEAD_BENEFIT", source="consistency: a benefit must be payable by some claim")
def dead_benefit(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A benefit no claim event can make payable."""
    for benefit in ctx.product.benefits:
        why = _why_dead(ctx, benefit)
        if why:
            yield benefit.path, f"benefit {benefit.id} can never pay: {why}"


def _why_dead(ctx: Context, benefit) -> str | None:
    scope = {"event": benefit.event, "metrics": False}
    if benefit.when and ctx.never(benefit.when, scope):
        return f"its condition `{' '.join(benefit.when.split())}` cannot hold"
    for name, value in _amounts(benefit):
        if max(ctx.values(value)) <= 0:
            return f"{name} is 0"
    term = ctx.product.term
    if not term.renewable and max(ctx.values(benefit.waiting_period_days)) >= term.months * 31:
        return "the waiting period outlasts the whole term"
    for exclusion in ctx.product.exclusions:
        applies = exclusion.applies_to is None or benefit.id in exclusion.applies_to
        scope = {"event": ctx.exclusion_event(exclusion), "metrics": False}
        if applies and not exclusion.added_by_underwriting and exclusion.when and \
                ctx.always(exclusion.when, scope):
            return f"exclusion {exclusion.id} refuses every claim"
    return None


def _amounts(benefit) -> Iterator[tuple[str, Any]]:
    pays, limits, frequency = benefit.pays, benefit.limits, benefit.frequency
    for name, value in (("the amount paid", pays.percent_of_sum_insured), ("the amount paid",
                        pays.amount), ("the daily amount", pays.per_day),
                        ("the share paid", pays.ratio_percent),
                        ("the limit per claim", limits.per_claim),
                        ("the yearly limit", limits.per_year),
                        ("the lifetime limit", limits.lifetime),
                        ("the yearly limit", limits.per_year_percent_of_sum_insured),
                        ("the claims allowed per year", frequency.per_policy_year),
                        ("the claims allowed in a lifetime", frequency.lifetime)):
        if value is not None:
            yield name, value


@rule("MISSES_UNREACHABLE", severity=WARNING, source="consistency: check-up deadlines")
def misses_unreachable(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A check-up due only once that waits for several misses in a row: what a miss does
    can never apply (it needs a periodic trigger, a condition that can recur, or
    repeat_if_missed)."""
    for checkup in ctx.product.checkups:
        trigger = checkup.trigger
        once = trigger.on_issue and not trigger.repeat_if_missed
        counts = ctx.values(checkup.missed_in_a_row)
        if once and max(counts) > 1:
            yield checkup.path + ("missed_in_a_row",), (
                f"check-up {checkup.id} is due once, at issue, but on_missed waits for "
                f"{max(counts):g} misses in a row: it can never apply; set repeat_if_missed "
                "or remove missed_in_a_row")
