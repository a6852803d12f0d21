"""Workbench pages for review: check a product, compare two versions, the registry with
its lifecycle moves, the audit trail and `verify`.

A product's YAML sent from the browser is read by the same safe loader as a
file, named by the upload's base name only; it never becomes a path.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..errors import StoreError
from ..product.model import Product
from ..registry.audit_show import AuditFilter
from ..registry.versions import REF
from .auth import Anyone, Designer, User, require
from .errors import BadRequest, TooLarge
from .refs import product_for
from .workbench_pages import PageRoute, locale_of, render, store_status
from .workbench_review_views import (
    LIFECYCLE_ROLES,
    MAX_SHOWN,
    audit_view,
    check_view,
    compare_view,
    lifecycle,
    registry_view,
    report_html,
    verify_view,
    version_of,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Reader = Annotated[User, Depends(require("auditor", "reviewer"))]
Comparer = Annotated[User, Depends(require("designer", "reviewer"))]
FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


# ------------------------------------------------------------ check a product


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request, user: Designer) -> HTMLResponse:
    return render(request, "check.html.j2", "check.title", result=None, text="")


@router.post("/check", response_class=HTMLResponse)
async def check(request: Request, user: Designer) -> HTMLResponse:
    text, file = await _posted_yaml(request, "yaml", "file")
    if not text.strip():
        raise BadRequest("give a product's YAML: paste it or choose a file", None, "yaml")
    result = await run_in_threadpool(check_view, request.app.state.env, text, file)
    return render(request, "check.html.j2", "check.title", status=200 if result["ok"] else 422,
                  result=result, text=text)


async def _posted_yaml(request: Request, text_field: str, file_field: str) -> tuple[str, str]:
    """The YAML a form carries (an uploaded file, else the text box) and the name to show
    in problems: the upload's base name, cleaned, never used as a path."""
    limit = request.app.state.config.max_body_bytes
    posted = await request.form()
    upload = posted.get(file_field)
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(limit + 1)
        name = FILE_NAME.sub("_", upload.filename.replace("\\", "/").rsplit("/", 1)[-1])[:80]
    else:
        data = str(posted.get(text_field) or "").encode("utf-8")
        name = "product.yaml"
    if len(data) > limit:
        raise TooLarge(f"the product is larger than {limit:,} bytes", "a product file is "
                       "a few hundred kilobytes at most", file_field)
    try:
        return data.decode("utf-8"), name or "product.yaml"
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{name} is not UTF-8 text", "save the file as UTF-8",
                         file_field) from exc


# ------------------------------------------------------------ compare two versions


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, user: Comparer, old: str = "", new: str = "") -> HTMLResponse:
    if not (old and new):
        return _compare_page(request, old, new, None, None)
    env = request.app.state.env
    return _compare_page(request, old, new, product_for(env, old), product_for(env, new))


@router.post("/compare", response_class=HTMLResponse)
async def compare_upload(request: Request, user: Comparer) -> HTMLResponse:
    """Compare a version with a new one's YAML, uploaded (not registered)."""
    text, file = await _posted_yaml(request, "yaml", "file")
    posted = await request.form()
    old = str(posted.get("old") or "")
    env = request.app.state.env
    new = await run_in_threadpool(env.loads, text, file)
    return await run_in_threadpool(_compare_page, request, old, "", product_for(env, old), new)


def _compare_page(request: Request, old_ref: str, new_ref: str, old: Product | None,
                  new: Product | None, status: int = 200, done: str = "",
                  refused: list[dict[str, Any]] | None = None) -> HTMLResponse:
    env = request.app.state.env
    view = compare_view(env, old, new, locale_of(request)) if old and new else None
    return render(request, "compare.html.j2", "compare.title", status=status, old=old_ref,
                  move_roles=LIFECYCLE_ROLES,
                  new=new_ref, d=view, version=version_of(env, new_ref) if new_ref else None,
                  done=done, refused=refused or [])


@router.get("/compare/report", response_class=HTMLResponse)
def compare_report(request: Request, user: Comparer, old: str, new: str) -> Response:
    """The compliance report (the redline as one HTML page, as `configurator diff -o`)."""
    env = request.app.state.env
    html = report_html(product_for(env, old), product_for(env, new))
    return HTMLResponse(html, headers={"Content-Security-Policy": "sandbox; default-src 'none'; "
                                       "style-src 'unsafe-inline'",
                                       "X-Content-Type-Options": "nosniff"})


# ------------------------------------------------------------ lifecycle moves


@router.post("/registry/{action}", response_class=HTMLResponse)
async def registry_move(action: Literal["approve", "publish", "retire"],
                        request: Request, user: Anyone) -> Response:
    await require(*LIFECYCLE_ROLES[action])(request)
    posted = await request.form()
    ref, back = str(posted.get("ref") or ""), str(posted.get("old") or "")
    if not REF.match(ref):
        raise BadRequest(f"'{ref[:80]}' is not a registered version", "name it as ID@VERSION",
                         "ref")
    return await run_in_threadpool(_move, request, action, ref, back, user)


def _move(request: Request, action: str, ref: str, back: str, user: User) -> Response:
    env = request.app.state.env
    try:
        lifecycle(env, action, ref, user)
    except StoreError as exc:
        status, problems = store_status(exc)
        refused = [p.to_json() for p in problems]
        if back:
            return _compare_page(request, back, ref, product_for(env, back),
                                 product_for(env, ref), status, action, refused)
        return render(request, "registry.html.j2", "registry.title", status=status,
                      r=registry_view(env), done=action, ref=ref, refused=refused,
                      move_roles=LIFECYCLE_ROLES)
    if back:
        return _compare_page(request, back, ref, product_for(env, back), product_for(env, ref),
                             done=action)
    return RedirectResponse(f"/registry?done={action}&ref={ref}", status_code=303)


@router.get("/registry", response_class=HTMLResponse)
def registry(request: Request, user: Anyone, done: str = "", ref: str = "") -> HTMLResponse:
    view = registry_view(request.app.state.env)
    done = done if done in LIFECYCLE_ROLES else ""
    return render(request, "registry.html.j2", "registry.title", r=view, done=done,
                  ref=ref if REF.match(ref) else "", refused=[], move_roles=LIFECYCLE_ROLES)


# ------------------------------------------------------------ the audit trail


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, user: Reader, product: str = "", version: str = "",
          decision: Literal["", "accept", "decline", "refer"] = "",
          since: dt.date | None = None, until: dt.date | None = None,
          batch: Annotated[str, Query(max_length=256)] = "",
          limit: Annotated[int, Query(ge=1, le=MAX_SHOWN)] = 100) -> HTMLResponse:
    selection = AuditFilter(product or None, version or None, since, until, decision or None,
                            limit, batch or None)
    view = audit_view(request.app.state.env, selection)
    asked = {"product": product, "version": version, "decision": decision,
             "since": since.isoformat() if since else "",
             "until": until.isoformat() if until else "", "batch": batch, "limit": limit}
    return render(request, "audit.html.j2", "audit.title", a=view, asked=asked, verified=None)


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, user: Reader) -> HTMLResponse:
    env = request.app.state.env
    view = audit_view(env, AuditFilter(limit=100))
    asked = {"product": "", "version": "", "decision": "", "since": "", "until": "",
             "batch": "", "limit": 100}
    return render(request, "audit.html.j2", "audit.title", a=view, asked=asked,
                  verified=verify_view(env))
