"""Pickling frozen dataclasses by their fields.

Compiled by mypyc (configurator/native.py), a frozen dataclass has no `__dict__`, and
pickle's default sets its state attribute by attribute - which a frozen class refuses. Cases,
events and Outcomes cross process boundaries (batch and server workers), so the frozen
ones say how to rebuild themselves: `__reduce__` returns `by_fields(self)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def by_fields(self: Any) -> tuple:
    """`__reduce__` for a frozen dataclass: its class called with every field's value."""
    return type(self), tuple(getattr(self, field.name) for field in dataclasses.fields(self))
