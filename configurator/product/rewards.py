"""Rewards (issue 13): one adherence condition shared by several rewards, and the cap on
a premium's total discount.

A programme may give `same_as: <programme>` instead of `when:`: its years are adherent
exactly when the other's are, so one adherent year can raise the sum insured and take
a discount off the premium without the condition written twice. `share_conditions`
gives such a programme the other's condition (the same parsed `Expression`) once the
product is read, so the compiler, the engine, the diff and lint see an ordinary
programme; `check_rewards` refuses a `same_as` that names no programme, itself or
another `same_as` programme, and a discount cap outside 0..100.
"""

from __future__ import annotations

from typing import Any

from ..errors import did_you_mean
from .model import Product


def share_conditions(product: Product) -> None:
    """Give each `same_as` programme the condition of the programme it names."""
    by_id = {p.id: p for p in product.adherence or ()}
    for programme in product.adherence or ():
        source = by_id.get(programme.same_as) if programme.same_as else None
        if source is not None and source.same_as is None and source is not programme:
            programme.when = source.when


def check_rewards(checker: Any) -> None:
    """The checker's cross-checks of shared conditions and of the total discount cap."""
    product = checker.product
    ids = [p.id for p in product.adherence or ()]
    by_id = {p.id: p for p in product.adherence or ()}
    for programme in product.adherence or ():
        name = programme.same_as
        if name is None:
            continue
        path = programme.path + ("same_as",)
        if name == programme.id:
            checker.fail(path, "a programme cannot share its own condition",
                         "name another programme, or write 'when:'")
        elif name not in by_id:
            checker.fail(path, f"'{name}' is not an adherence programme",
                         did_you_mean(name, [i for i in ids if i != programme.id]))
        elif by_id[name].same_as is not None:
            checker.fail(path, f"'{name}' shares another programme's condition itself",
                         f"name '{by_id[name].same_as}' instead")
    if product.premium is not None:
        checker.numbers(product.premium, "discount_cap_percent")
