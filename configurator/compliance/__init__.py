"""Floor 5, compliance: what a reviewer asks of a product and of a new version.

`lint` checks a product against regulation and for dead or contradictory
rules; `diff` compares two versions (changes judged for the insured, the
wording redline, the impact on real cases).
"""

from __future__ import annotations

from .diff import diff
from .lint import lint

__all__ = ["diff", "lint"]
