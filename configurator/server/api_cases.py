"""Deciding cases over HTTP: ``POST /api/v1/evaluate`` and ``POST /api/v1/what-if``.

`evaluate` answers with the Outcome exactly as ``configurator evaluate --json``
prints it (explained unless ``explain`` is false). With ``record`` the
decision also goes into the audit trail under the signed-in user (the
version must be registered and published, as for ``evaluate --record``); the
row number comes back in the ``X-Audit-Row`` header, so the body stays the
Outcome. `what-if` decides one case and variations of it (an input or an
event field changed, events added or removed) and says what changed for the
insured between the case and each variation (`compliance.impact.differences`).
Every evaluation runs in a worker within the server's time limit (`limits`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..compliance.impact import differences, facts
from ..registry.audit import record_evaluation
from ..runs.gates import STANDARD_GATES
from .api_variations import MAX_VARIATIONS, Variation, varied
from .auth import Decider
from .errors import documented
from .refs import REF_SCHEMA, product_for

router = APIRouter(tags=["cases"])

Locale = Literal["en", "zh-CN"]


class EvaluateRequest(BaseModel):
    """A product reference and a case (policy, as_of, applicant, events) as JSON."""

    product: str = Field(examples=["hepatitis_b@1.0.0"], max_length=80,
                         description="ID, ID@VERSION or ID@YYYY-MM-DD",
                         json_schema_extra=REF_SCHEMA)
    case: dict[str, Any] = Field(description="policy, as_of, applicant and events, as in a "
                                             "case file")
    locale: Locale = "en"
    explain: bool = Field(True, description="each reason with the values it read and every "
                                            "sub-condition (as evaluate --json)")
    record: bool = Field(False, description="add the decision to the audit trail under the "
                                            "signed-in user (the version must be published)")


# ------------------------------------------------------------ the Outcome, documented


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReasonDoc(_Open):
    rule: str
    text: str
    clause: str
    source: str


class CoverDoc(_Open):
    sum_insured: str = Field(description="money as a decimal string")
    limits: dict[str, str]
    premium_adjustment_percent: float
    tier: str | None
    in_force: bool
    bonus_percent: float


class OutcomeDoc(_Open):
    """The Outcome contract of DESIGN.md (what ``evaluate --json`` prints)."""

    product: dict[str, str] = Field(description="id, version, hash")
    as_of: str
    decision: Literal["accept", "decline", "refer"]
    reasons: list[ReasonDoc]
    loadings: list[dict[str, Any]]
    exclusions: list[dict[str, Any]]
    checkups: list[dict[str, Any]]
    coverage: CoverDoc
    claims: list[dict[str, Any]]
    adherence: list[dict[str, Any]]
    notes: list[str]
    trace: list[dict[str, Any]]


OUTCOME = {200: {"model": OutcomeDoc,
                 "description": "the Outcome, byte for byte as `evaluate --json` prints it",
                 "headers": {"X-Audit-Row": {"description": "with record: the audit row",
                                             "schema": {"type": "integer"}}}}}


@router.post("/evaluate", summary="Decide one case", response_model=None,
             responses={**OUTCOME, **documented(404, 409)})
def evaluate(body: EvaluateRequest, request: Request, user: Decider) -> Response:
    env = request.app.state.env
    product = product_for(env, body.product)
    case = env.case(body.case, product)
    outcome = request.app.state.evaluations.evaluate(product, case, explain=body.explain,
                                                     locale=body.locale)
    headers = {}
    if body.record:
        with env.store(gates=STANDARD_GATES) as store:
            headers["X-Audit-Row"] = str(record_evaluation(store, product, case, outcome,
                                                           user=user.name))
    return Response(outcome.dumps(), media_type="application/json", headers=headers)


# ------------------------------------------------------------ what-if


class WhatIfRequest(BaseModel):
    product: str = Field(examples=["hepatitis_b"], max_length=80,
                         description="ID, ID@VERSION or ID@YYYY-MM-DD",
                         json_schema_extra=REF_SCHEMA)
    case: dict[str, Any] = Field(description="the case the variations start from")
    variations: list[Variation] = Field(min_length=1, max_length=MAX_VARIATIONS)
    locale: Locale = "en"
    explain: bool = False


class DifferenceDoc(BaseModel):
    aspect: str = Field(description="decision, in_force, sum_insured, tier, bonus_percent, "
                                    "premium_adjustment_percent, exclusions or payable")
    old: Any = None
    new: Any = None
    effect: str = Field(description="favourable, unfavourable, neutral or mixed for the insured")
    text: str


class VariationResult(BaseModel):
    name: str
    outcome: OutcomeDoc
    changed: bool = Field(description="whether anything the insured cares about moved")
    differences: list[DifferenceDoc]
    reasons_added: list[ReasonDoc] = Field(description="reasons the variation has and the "
                                                       "case has not: why it moved")
    reasons_removed: list[ReasonDoc]


class WhatIfResult(BaseModel):
    base: OutcomeDoc
    variations: list[VariationResult]


@router.post("/what-if", summary="Decide a case and variations of it, and what changed",
             response_model=WhatIfResult, responses=documented(404))
def what_if(body: WhatIfRequest, request: Request, user: Decider) -> WhatIfResult:
    env = request.app.state.env
    evaluations = request.app.state.evaluations
    product = product_for(env, body.product)
    base_case = env.case(body.case, product)
    options = {"explain": body.explain, "locale": body.locale}
    base = evaluations.evaluate(product, base_case, **options)
    results = []
    for number, variation in enumerate(body.variations, start=1):
        case = env.case(varied(base_case, variation, number), product)
        outcome = evaluations.evaluate(product, case, **options)
        moved = differences(facts(base), facts(outcome))
        results.append(VariationResult.model_validate({
            "name": variation.name or f"variation {number}", "outcome": _plain(outcome),
            "changed": bool(moved), "differences": [d.to_json() for d in moved],
            "reasons_added": _reasons(outcome, base), "reasons_removed": _reasons(base, outcome)}))
    return WhatIfResult.model_validate({"base": _plain(base), "variations": results})


def _plain(outcome: Any) -> dict[str, Any]:
    return json.loads(outcome.dumps())


def _reasons(outcome: Any, other: Any) -> list[dict[str, Any]]:
    """Reasons of `outcome` whose rule `other` does not give."""
    theirs = {reason.rule for reason in other.reasons}
    return [reason.to_json() for reason in outcome.reasons if reason.rule not in theirs]
