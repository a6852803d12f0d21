"""Floor 4, the engine: a compiled product and a case -> an Outcome.

`evaluate` walks the case's timeline as of its date, asserting facts into
durable-rules (`durable` is the only module that calls it) and keeping the
clock, the windows and the arithmetic in Python; `illustrate` evaluates a
sample case year by year for the worked example.
"""

from __future__ import annotations

from .evaluate import evaluate
from .illustrate import illustrate

__all__ = ["evaluate", "illustrate"]
