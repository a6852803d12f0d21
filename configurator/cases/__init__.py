"""Floor 3, the case and its Outcome: what goes into the engine and what comes out.

A `Case` is one applicant, a policy start, a dated timeline and an as-of
date, checked against its product (`load_case`, `case_from_data`; batch files
in `batchfile`, the product's own sample case in `illustration`). The
`Outcome` is the record of what was decided - the JSON contract of
DESIGN.md - and the policy calendar (`calendar`) is how both count time.
"""

from __future__ import annotations

from .case import Case, Event, case_from_data, load_case, loads_case
from .outcome import Illustration, Outcome

__all__ = ["Case", "Event", "Illustration", "Outcome", "case_from_data", "load_case", "loads_case"]
