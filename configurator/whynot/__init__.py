"""Counterfactual explanations: what would change each adverse part of an Outcome.

`why_not(compiled, case, locale)` -> a list of `Counterfactual` (the adverse
part and its verified `Suggestion`s); `report_lines` words them for the
terminal. The CLI's ``evaluate --why-not`` and the API's ``"why_not": true``
call it; its JSON is the ``counterfactuals`` key of the Outcome JSON.
"""

from __future__ import annotations

from .counterfactuals import why_not
from .model import Adverse, Counterfactual, Suggestion
from .words import Words, report_lines

__all__ = ["Adverse", "Counterfactual", "Suggestion", "Words", "report_lines", "why_not"]
