"""Clause numbers: where each rule, benefit and exclusion stands in the policy wording."""

from __future__ import annotations

from .model import Product


def clause_numbers(product: Product) -> dict[str, str]:
    """Clause number of every numbered part of the policy wording, by YAML owner id.

    Keys: ``definition.<id>``, ``eligibility.<id>``, ``benefit.<id>``,
    ``checkup.<id>`` (results ``checkup.<id>.<result>``), ``adherence.<id>``,
    ``exclusion.<id>``. The renderer numbers its sections the same way.
    """
    numbers: dict[str, str] = {}
    sections = [("definition", product.definitions), ("eligibility", product.eligibility),
                ("benefit", product.benefits), ("checkup", product.checkups),
                ("adherence", product.adherence), ("exclusion", product.exclusions)]
    for section_no, (prefix, items) in enumerate(sections, start=1):
        for item_no, item in enumerate(items, start=1):
            numbers[f"{prefix}.{item.id}"] = f"{section_no}.{item_no}"
            for result_no, result in enumerate(getattr(item, "results", []), start=1):
                numbers[f"{prefix}.{item.id}.{result.id}"] = f"{section_no}.{item_no}.{result_no}"
    return numbers

