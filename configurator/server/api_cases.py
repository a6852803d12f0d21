"""Deciding cases over HTTP: ``POST /api/v1/evaluate``.

The body names a product and carries a case as JSON; the answer is the Outcome
exactly as ``configurator evaluate --json`` prints it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from .auth import Decider
from .refs import product_for

router = APIRouter(tags=["cases"])


class EvaluateRequest(BaseModel):
    """A product reference and a case (policy, as_of, applicant, events) as JSON."""

    product: str = Field(examples=["hepatitis_b@1.0.0"],
                         description="ID, ID@VERSION or ID@YYYY-MM-DD")
    case: dict[str, Any] = Field(description="policy, as_of, applicant and events, as in a "
                                             "case file")
    locale: str = Field("en", pattern="^(en|zh-CN)$")


@router.post("/evaluate", summary="Decide one case",
             responses={200: {"description": "the Outcome, as `evaluate --json` prints it"}})
def evaluate(body: EvaluateRequest, request: Request, user: Decider) -> Response:
    env = request.app.state.env
    product = product_for(env, body.product)
    outcome = env.evaluate(product, env.case(body.case, product), explain=True,
                           locale=body.locale)
    return Response(outcome.dumps(), media_type="application/json")
