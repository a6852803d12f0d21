"""Claims terms beyond a fixed share: the share paid chosen by a claim attribute.

`RatioBy` lets a benefit that pays expenses pay a different share by the value of
one enum field of the claim event (in-network 90%, out-of-network 60%). The
yearly deductible is a plain `NumberRef` on `Pays` (`yearly_deductible`).
"""

from __future__ import annotations

from pydantic import Field

from .fields import Ident, Model, NumberRef

LATE_RESULTS = ("apply", "ignore")


class RatioBy(Model):
    """The share of expenses paid, by the value of one enum field of the claim event."""

    field: Ident = Field(
        description="An enum field of the benefit's event (e.g. 'network').",
        examples=["network"])
    percent: dict[str, NumberRef] = Field(
        description="The share paid in percent for each value of the field; every value the "
                    "field allows must be listed.",
        examples=[{"in_network": 90, "out_of_network": "out_of_network_percent"}])
