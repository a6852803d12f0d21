"""A product's amounts as the engine reads them: a NumberRef (a number, or the name of a
parameter in force) as its number, and as a `Decimal` for money arithmetic."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

_DECIMALS: Final[dict[tuple[type, Any], Decimal]] = {}  # a parameter's number as a Decimal


class Numbers:
    """NumberRefs read under the parameters in force (`constants`; each period's is
    `PeriodPlan.numbers`). A class with a method, not a closure: calling `of` is native when
    compiled, calling a closure is not."""

    def __init__(self, constants: Mapping[str, Any]):
        self.constants = constants

    def value(self, ref: Any) -> Any:
        """A NumberRef's number: a literal, or the parameter it names."""
        return self.constants[ref] if isinstance(ref, str) else ref

    def of(self, ref: Any) -> Decimal:
        """A NumberRef's number as a Decimal (cached: amounts are read on every claim)."""
        raw = self.value(ref)
        key = (type(raw), raw)  # 1, 1.0 and True are equal keys but read differently
        found = _DECIMALS.get(key)
        if found is None:
            found = Decimal(str(raw))
            if len(_DECIMALS) < 4096:
                _DECIMALS[key] = found
        return found
