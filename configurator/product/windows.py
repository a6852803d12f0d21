"""Sub-year windows aligned to the policy year: quarters and halves (issue 13).

A policy year is cut into `PART_MONTHS[part]`-month parts counted from the
policy start (a 31 January start: quarters from 31 January, 30 April, 31
July and 31 October, as `calendar.add_months` clamps). A metric may measure
over the part so far (`window: quarter`), count the parts in which another
metric reached a threshold (`parts:`), and a check-up may fall due once in
each part (`trigger: {each: quarter}`): a visit anywhere inside the part
completes it, and its deadline is the part's last day.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .fields import Ident, Model, NumberRef

Part = Literal["quarter", "half"]
PART_MONTHS = {"quarter": 3, "half": 6}
PART_DOC = ("A part of the policy year counted from the policy start: 'quarter' (3 months) "
            "or 'half' (6 months).")


class PartsMetric(Model):
    """How many quarters or halves of the current policy year (so far) met a threshold on
    another metric: 'PDC at least 0.80 in each half' (`parts >= 2`), 'a reading in 3 of
    the 4 quarters' (`parts >= 3`)."""

    of: Part = Field(description=PART_DOC, examples=["quarter", "half"])
    metric: Ident = Field(
        description="The metric measured over each part: a count, pdc or on_time metric. Its "
                    "own window is replaced by the part; its event filter still applies.",
        examples=["hba1c_tests", "antiviral_pdc"])
    at_least: NumberRef = Field(
        1, description="A part counts when the metric measured over it is at least this.",
        examples=[1, "pdc_min"])
