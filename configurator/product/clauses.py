"""Clause numbers: where each rule, benefit and exclusion stands in the policy wording.

The decline rules are one clause: it stands where the first decline rule
stands, says once that we cannot cover you, and lists each decline as an
item numbered under it (``2.1.1``, ``2.1.2`` ...). The other eligibility
rules keep a clause each, in file order.
"""

from __future__ import annotations

from typing import Any

from .model import EligibilityRule, Product

# The key of the one clause that lists every decline rule (not ``eligibility.<id>``,
# so it can never be a rule's own key).
DECLINES = "declines"


def declines(product: Product) -> list[EligibilityRule]:
    """The decline rules, in file order: the items of the declines clause."""
    return [rule for rule in product.eligibility if rule.outcome == "decline"]


def eligibility_clauses(product: Product) -> list[EligibilityRule | list[EligibilityRule]]:
    """The eligibility section's clauses in order: a rule, or the list of declines."""
    group = declines(product)
    out: list[EligibilityRule | list[EligibilityRule]] = []
    for rule in product.eligibility:
        if rule.outcome != "decline":
            out.append(rule)
        elif rule is group[0]:
            out.append(group)
    return out


def clause_numbers(product: Product) -> dict[str, str]:
    """Clause number of every numbered part of the policy wording, by YAML owner id.

    Keys: ``definition.<id>``, ``declines`` (the clause listing the declines),
    ``eligibility.<id>`` (a decline rule: its item in that clause), ``benefit.<id>``,
    ``checkup.<id>`` (results ``checkup.<id>.<result>``), ``adherence.<id>``,
    ``exclusion.<id>``. The renderer numbers its sections the same way.
    """
    numbers: dict[str, str] = {}
    sections: list[tuple[str, list[Any]]] = [
        ("definition", product.definitions), ("eligibility", eligibility_clauses(product)),
        ("benefit", product.benefits), ("checkup", product.checkups),
        ("adherence", product.adherence), ("exclusion", product.exclusions)]
    for section_no, (prefix, items) in enumerate(sections, start=1):
        for item_no, item in enumerate(items, start=1):
            number = f"{section_no}.{item_no}"
            if isinstance(item, list):  # the declines clause and its items
                numbers[DECLINES] = number
                for sub_no, rule in enumerate(item, start=1):
                    numbers[f"{prefix}.{rule.id}"] = f"{number}.{sub_no}"
                continue
            numbers[f"{prefix}.{item.id}"] = number
            for result_no, result in enumerate(getattr(item, "results", []), start=1):
                numbers[f"{prefix}.{item.id}.{result.id}"] = f"{number}.{result_no}"
    return numbers
