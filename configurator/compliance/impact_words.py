"""The impact report in plain words: clause titles, claims by what and when, money totals.

`impact` compares Outcomes by id (``claim monitoring_visit-2: paid 420.00 ->
partly_paid 380.00``); a reviewer reads clauses. This module gives each
difference its `words` (``claim of 18 Jun 2026 (Liver check-up costs, 3.4): paid
RMB 420 -> partly paid RMB 380``) and each group of the
report a `GroupSummary`: the changes behind it named by clause number and
title (the headings the policy prints: `document.policy.build_policy`, which
takes them from the rules' ``title:`` or `document.titles.rule_title`, numbered
by `product.clauses.clause_numbers`), the payable amounts of the claims it
moved before and after, and whether it moved every case evaluated (or most of
them, all alike) - such a group is one line in the report, not a list of
every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..document.blocks import Clause
from ..document.policy import build_policy
from ..product.model import Product
from ..product.wording import format_value
from .impact import Difference, Impact, ImpactGroup, _count

STATUS = {"paid": "paid", "partly_paid": "partly paid", "declined": "refused",
          "pending": "pending", "none": "no claim"}
DECISION = {"accept": "accepted", "decline": "declined", "refer": "referred"}
ALIKE = 3  # at least this many cases moved alike, and most cases, are one line


@dataclass
class GroupSummary:
    """One group of the impact report, for a reader."""

    because: list[str]  # the changes, each "3.4 Liver check-up costs: <what changed>"
    cases: int
    evaluated: int
    headline: str
    claims: int = 0  # claims whose payment moved
    payable_before: Decimal = Decimal(0)
    payable_after: Decimal = Decimal(0)
    common: list[str] = field(default_factory=list)  # differences every case shares
    currency: str = ""

    alike: bool = False  # every case of the group moved in exactly the same ways

    @property
    def every_case(self) -> bool:
        return self.evaluated > 1 and self.cases == self.evaluated

    @property
    def one_line(self) -> bool:
        """Shown as one line: it moved every case, or most cases all alike (listing
        them would say nothing more; a minority moved alike is listed - which cases
        is the news)."""
        return self.every_case or (self.alike and self.cases >= ALIKE
                                   and 2 * self.cases > self.evaluated)

    def money(self, amount: Decimal) -> str:
        return format_value(amount.normalize(), self.currency, "en", self.currency)

    def totals(self) -> str:
        """``payable over 12 claims: RMB 5,400 before, RMB 4,800 after (RMB 600 less)``."""
        if not self.claims:
            return ""
        change = self.payable_after - self.payable_before
        way = "more" if change > 0 else "less"
        moved = f"{self.money(abs(change))} {way}" if change else "the same total"
        claims = "1 claim" if self.claims == 1 else f"{self.claims} claims"
        return (f"payable over {claims}: {self.money(self.payable_before)} before, "
                f"{self.money(self.payable_after)} after ({moved})")

    def line(self) -> str:
        """The group as one line when it moved every case."""
        what = "; ".join(self.common) or self.headline
        which = (f"every case ({self.cases} of {self.evaluated})" if self.every_case else
                 f"{self.cases} of {self.evaluated} cases, all alike")
        return f"{which}: {what}"

    def to_json(self) -> dict[str, Any]:
        return {"because": self.because, "cases": self.cases, "evaluated": self.evaluated,
                "every_case": self.every_case, "one_line": self.one_line,
                "headline": self.headline,
                "common": self.common, "claims": self.claims,
                "payable_before": str(self.payable_before),
                "payable_after": str(self.payable_after), "totals": self.totals()}


def clause_titles(product: Product) -> dict[str, tuple[str, str]]:
    """YAML owner key -> (clause number, heading) as the English policy prints them."""
    found: dict[str, tuple[str, str]] = {}

    def walk(clauses: list[Clause]) -> None:
        for clause in clauses:
            found[clause.key] = (clause.number, clause.title)
            walk(clause.clauses)

    for section in build_policy(product, "en").sections:
        walk(section.clauses)
    return found


class Words:
    """Plain words for the differences of one diff (titles of both versions; new wins)."""

    def __init__(self, old: Product, new: Product):
        self.titles = clause_titles(old) | clause_titles(new)
        self.currency = new.currency
        self.by_number = {number: title for number, title in self.titles.values()}

    def clause(self, key: str) -> str:
        number, title = self.titles.get(key, ("", ""))
        return f"{title} (clause {number})" if title else key.partition(".")[2] or key

    def money(self, amount: Decimal) -> str:
        return format_value(Decimal(amount).normalize(), self.currency, "en", self.currency)

    def difference(self, d: Difference, claimed: dict[str, tuple]) -> str:
        if d.aspect == "decision":
            return f"was {DECISION[d.old]}, now {DECISION[d.new]}"
        if d.aspect == "exclusions":
            what = self.clause(f"exclusion.{d.item}")
            return f"the exclusion {what} " + ("now applies" if d.new else "no longer applies")
        if d.aspect == "payable":
            return f"{self.claim(d.item, claimed)}: {self.payment(d.old)} -> {self.payment(d.new)}"
        return d.text

    def claim(self, claim_id: str, claimed: dict[str, tuple]) -> str:
        benefit, day = claimed.get(claim_id, (None, None))
        number, title = self.titles.get(f"benefit.{benefit}", ("", ""))
        what = f" ({title}, {number})" if title else ""
        return f"claim of {day:%d %b %Y}{what}" if day else f"a claim{what}"

    def payment(self, value: tuple) -> str:
        status, amount = value
        if status in ("declined", "none"):
            return STATUS.get(status, status)
        return f"{STATUS.get(status, status)} {self.money(amount)}"

    def headline(self, d: Difference) -> str:
        if d.aspect == "exclusions":
            way = "gain" if d.new else "lose"
            return f"{way} the exclusion {self.titles.get(f'exclusion.{d.item}', ('', d.item))[1]}"
        return d.headline

    def because(self, result: Any, group: ImpactGroup) -> list[str]:
        out = []
        for index in group.changes:
            change = result.changes[index]
            title = self.by_number.get(change.clause, "")
            where = f"{change.clause} {title}: " if title else ""
            out.append(where + change.reason.rsplit(": ", 1)[0])
        return out or ["several changes acting together"]


def word_impact(result: Any, old: Product, new: Product) -> list[GroupSummary]:
    """Give every difference its words; one `GroupSummary` per group of the impact."""
    impact: Impact | None = result.impact
    if impact is None:
        return []
    words = Words(old, new)
    for case in impact.changed:
        for difference in case.differences:
            difference.words = words.difference(difference, case.claimed)
    return [_summary(result, group, words) for group in impact.groups]


def _summary(result: Any, group: ImpactGroup, words: Words) -> GroupSummary:
    impact = result.impact
    counts: dict[str, int] = {}
    for entry in group.cases:
        for text in dict.fromkeys(words.headline(d) for d in entry.differences):
            counts[text] = counts.get(text, 0) + 1
    headline = "; ".join(_count(n, text) for text, n in counts.items())
    summary = GroupSummary(words.because(result, group), len(group.cases), impact.evaluated,
                           headline, currency=words.currency)
    for entry in group.cases:
        for d in entry.differences:
            if d.aspect == "payable":
                summary.claims += 1
                summary.payable_before += d.old[1]
                summary.payable_after += d.new[1]
    shared = [{d.words for d in entry.differences} for entry in group.cases]
    if shared:
        common = set.intersection(*shared)
        summary.common = [d.words for d in group.cases[0].differences if d.words in common]
        summary.alike = all(len(found) == len(common) for found in shared)
    return summary
