"""Policy documents over HTTP: ``POST /api/v1/render``.

Without a case, the specimen policy; with a case, the personalised policy
of that insured. A personalised PDF is an issued document: it is recorded
in the audit trail (its sha256, the product version, the case hash and key,
and the signed-in user) before a byte of it is sent, so no policy leaves the
server off the record; the version must therefore be registered and
published, as for ``render --record``. The specimen and HTML previews are
not issued and not recorded. Issuing needs the role agent; designers and
reviewers may preview. The case is decided in a worker within the time
limit (`limits`); the document is laid out here, one at a time (the renderer
keeps per-process layout caches).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ..registry.audit import record_document
from .auth import Decider
from .errors import Forbidden, documented
from .refs import REF_SCHEMA, product_for

router = APIRouter(tags=["documents"])

CHUNK = 64 * 1024
_RENDERING = threading.Lock()
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class RenderRequest(BaseModel):
    product: str = Field(examples=["hepatitis_b@1.0.0"], max_length=80,
                         description="ID, ID@VERSION or ID@YYYY-MM-DD",
                         json_schema_extra=REF_SCHEMA)
    case: dict[str, Any] | None = Field(None, description="personalise for this case; "
                                                          "none: the specimen")
    locale: Literal["en", "zh-CN"] = "en"
    format: Literal["pdf", "html"] = "pdf"


DOCUMENT = {200: {"description": "the policy: a tagged PDF (attachment) or one HTML page",
                  "content": {"application/pdf": {"schema": {"type": "string",
                                                             "format": "binary"}},
                              "text/html": {"schema": {"type": "string"}}},
                  "headers": {"X-Audit-Document": {
                      "description": "a personalised PDF: its row in the audit trail",
                      "schema": {"type": "integer"}}}}}


@router.post("/render", summary="The policy document: specimen or personalised",
             response_model=None, response_class=Response,
             responses={**DOCUMENT, **documented(404, 409)})
def render(body: RenderRequest, request: Request, user: Decider) -> Response:
    if body.case is not None and body.format == "pdf" and "agent" not in user.roles:
        raise Forbidden(f"{user.name} may preview policies but not issue them: issuing a "
                        f"personalised PDF needs the role agent")
    env = request.app.state.env
    product = product_for(env, body.product)
    case = env.case(body.case, product) if body.case is not None else None
    outcome = None
    if case is not None:
        outcome = request.app.state.evaluations.evaluate(product, case, locale=body.locale)
    with _RENDERING:
        if body.format == "html":
            html = env.render_html(product, case=case, outcome=outcome, locale=body.locale)
            return Response(html, media_type="text/html; charset=utf-8")
        pdf = env.render_pdf(product, case=case, outcome=outcome, locale=body.locale)
    headers = {"Content-Disposition": f'attachment; filename="{_filename(product, case, body)}"'}
    if case is not None:
        with env.store() as store:
            row = record_document(store, product, case, pdf, user=user.name)
        headers["X-Audit-Document"] = str(row)
    return StreamingResponse(_chunks(pdf), media_type="application/pdf", headers=headers)


def _filename(product: Any, case: Any, body: RenderRequest) -> str:
    parts = [product.id, product.version, body.locale]
    if case is not None:
        parts.insert(1, case.policy_number or "policy")
    else:
        parts.insert(1, "specimen")
    return _SAFE.sub("_", "-".join(parts))[:150] + ".pdf"


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]
