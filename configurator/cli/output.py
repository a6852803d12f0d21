"""Outcomes in words for a terminal: the decision, why, and (with explain) the evidence."""

from __future__ import annotations

from decimal import Decimal

from ..cases.outcome import Outcome, Reason
from ..conditions.evaluate import show_value
from ..product.model import Product, text_in
from ..product.wording import number_text


def money_words(product: Product, value: Decimal) -> str:
    return f"{product.currency} {number_text(value)}"


def outcome_lines(product: Product, outcome: Outcome, explain: bool = False,
                  case_name: str | None = None) -> list[str]:
    """A plain-text report of an Outcome (what `configurator evaluate` prints)."""
    cover = outcome.coverage
    title = f"{text_in(product.name)} {product.version} ({product.id}, {product.hash})"
    lines = [title]
    if case_name:
        lines.append(f"case: {case_name}")
    lines += [f"as of: {outcome.as_of.isoformat()}", "", f"decision: {outcome.decision.upper()}"]
    if cover.in_force:
        bonus = f", bonus +{number_text(cover.bonus_percent)}%" if cover.bonus_percent else ""
        tier = f"tier {cover.tier}, " if cover.tier else ""
        lines.append(f"cover: {tier}sum insured {money_words(product, cover.sum_insured)}{bonus}")
        for name, amount in cover.limits.items():
            lines.append(f"  limit {name}: {money_words(product, amount)}")
        lines.append(f"premium adjustment: {cover.premium_adjustment_percent:+g}% of the "
                     "standard premium")
    else:
        lines.append("cover: none in force")
    lines += _section("reasons", [_reason(r, explain) for r in outcome.reasons])
    lines += _section("loadings", [f"{x.rule}: +{number_text(x.percent)}%"
                                   + (f" (removed {x.removed})" if x.removed else "")
                                   for x in outcome.loadings])
    lines += _section("check-ups", [
        f"{c.id:<24} due {c.due}  {c.status:<8}"
        + (f" done {c.done_on}" if c.done_on else f" deadline {c.deadline}")
        + f"  ({c.reason})" for c in outcome.checkups])
    lines += _section("exclusions", [f"{x.id} [{x.source}]: {x.text}" for x in outcome.exclusions])
    lines += _section("claims", [_claim(product, c, explain) for c in outcome.claims])
    lines += _section("adherence", [
        f"{a.id}: +{number_text(a.bonus_percent)}% {a.target.replace('_', ' ')} (cap "
        f"{number_text(a.cap_percent)}%, {a.on_miss} on a missed year), "
        f"{a.consecutive_years} adherent year(s) in a row"
        for a in outcome.adherence])
    lines += _section("notes", list(outcome.notes))
    return lines


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", f"{title}:"] + [f"  {item}" for item in items]


def _reason(reason: Reason, explain: bool) -> str:
    date = f"{reason.date} " if reason.date else ""
    text = f"{date}{reason.rule}: {reason.text}"
    if not explain:
        return text
    extra = [f"    rule {reason.rule} at {reason.source or '-'}, policy clause "
             f"{reason.clause or '-'}"]
    if reason.values:
        read = ", ".join(f"{k}={show_value(v)}" for k, v in reason.values.items())
        extra.append(f"    read: {read}")
    for check in reason.checks or ():
        mark = "yes" if check["value"] else "no "
        extra.append(f"    {'  ' * check['depth']}[{mark}] {check['condition']}")
    return "\n".join([text, *extra])


def _claim(product: Product, claim, explain: bool) -> str:
    head = (f"{claim.id} {claim.date} {claim.benefit or '-'}: {claim.status}, payable "
            f"{money_words(product, claim.payable)}")
    details = [f"    {_reason(r, explain)}".replace("\n", "\n    ") for r in claim.reasons]
    return "\n".join([head, *details])
