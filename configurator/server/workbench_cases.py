"""Workbench pages for one product: the product page, the case builder, what-if, issuing.

Routes only read the request, call the library through the app's
`Environment` and the view builders, and draw a page. Forms post back here
(``csrf_token`` in every form); bodies are parsed by starlette in the request
and the work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ..product.model import Product
from .auth import Agent, Anyone, Decider, User
from .errors import BadRequest
from .refs import product_for
from .workbench_cases_views import (
    case_form_view,
    decide,
    example_form,
    example_names,
    issue_view,
    issued_pdf,
    whatif_view,
)
from .workbench_forms import FormCase, blank, edit
from .workbench_pages import PageRoute, locale_of, render
from .workbench_views import content_locale, outcome_view, product_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def urls(ref: str) -> dict[str, str]:
    base = "/products/" + quote(ref, safe="@")
    return {"product_url": base, "case_url": base + "/case", "whatif_url": base + "/what-if",
            "issue_url": base + "/issue", "pdf_url": base + "/policy.pdf"}


def _product(request: Request, ref: str) -> Product:
    return product_for(request.app.state.env, ref)


@router.get("/products/{ref}", response_class=HTMLResponse)
def product_page(ref: str, request: Request, user: Anyone) -> HTMLResponse:
    env = request.app.state.env
    product = _product(request, ref)
    view = product_view(env, product, locale_of(request))
    return render(request, "product.html.j2", "product.title", title=view["name"], p=view,
                  ref=ref, examples=example_names(env, product), **urls(ref))


@router.get("/products/{ref}/case", response_class=HTMLResponse)
def case_builder(ref: str, request: Request, user: Anyone,
                 example: str | None = None) -> HTMLResponse:
    env = request.app.state.env
    product = _product(request, ref)
    form = example_form(env, product, example) if example else blank(product)
    return _case_page(request, ref, product, form, example=example)


@router.post("/products/{ref}/case", response_class=HTMLResponse)
async def case_decide(ref: str, request: Request, user: Decider) -> HTMLResponse:
    posted = await request.form()
    return await run_in_threadpool(_decided, request, ref, posted)


def _decided(request: Request, ref: str, posted: Any) -> HTMLResponse:
    env = request.app.state.env
    product = _product(request, ref)
    form = FormCase.from_form(posted, product)
    example = str(posted.get("example") or "")  # the example started from, still selected
    example = example if example in example_names(env, product) else None
    if edit(form, str(posted.get("op") or ""), str(posted.get("add_type") or ""), product):
        return _case_page(request, ref, product, form, example=example)
    outcome, problems = decide(env, product, form, locale_of(request))
    return _case_page(request, ref, product, form, outcome=outcome, problems=problems,
                      status=422 if problems else 200, example=example)


def _case_page(request: Request, ref: str, product: Product, form: FormCase,
               outcome: Any = None, problems: Any = (), example: str | None = None,
               status: int = 200) -> HTMLResponse:
    env = request.app.state.env
    locale = locale_of(request)
    view = case_form_view(product, form, locale, list(problems))
    result = outcome_view(product, outcome, locale) if outcome is not None else None
    return render(request, "case.html.j2", "case.title", status=status, ref=ref, form=view,
                  product_name=view.product_name, result=result,
                  case_problems=[p.to_json() for p in problems],
                  examples=example_names(env, product), example=example, **urls(ref))


# ------------------------------------------------------------ what-if


@router.get("/products/{ref}/what-if", response_class=HTMLResponse)
def what_if_start(ref: str, request: Request, user: Decider,
                  example: str | None = None) -> HTMLResponse:
    env = request.app.state.env
    product = _product(request, ref)
    if not example:  # no case to start from yet: the form, whose first post sets the base
        return _whatif_page(request, ref, product, None, blank(product), compare=False)
    form = example_form(env, product, example)
    return _whatif_page(request, ref, product, form, form, compare=False)


@router.post("/products/{ref}/what-if", response_class=HTMLResponse)
async def what_if(ref: str, request: Request, user: Decider) -> HTMLResponse:
    posted = await request.form()
    return await run_in_threadpool(_whatif, request, ref, posted)


def _whatif(request: Request, ref: str, posted: Any) -> HTMLResponse:
    product = _product(request, ref)
    variant = FormCase.from_form(posted, product)
    base_text = str(posted.get("base") or "")
    base = _base(base_text, product) if base_text else FormCase.from_data(
        variant.to_data(), product)
    edited = edit(variant, str(posted.get("op") or ""), str(posted.get("add_type") or ""),
                  product)
    return _whatif_page(request, ref, product, base, variant,
                        compare=bool(base_text) and not edited)


def _base(text: str, product: Product) -> FormCase:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("the case to compare with is not JSON", "start the what-if again "
                         "from the case builder", "base") from exc
    if not isinstance(data, dict):
        raise BadRequest("the case to compare with is not a case", None, "base")
    return FormCase.from_data(data, product)


def _whatif_page(request: Request, ref: str, product: Product, base: FormCase | None,
                 variant: FormCase, compare: bool) -> HTMLResponse:
    env = request.app.state.env
    locale = locale_of(request)
    view = whatif_view(env, product, base, variant, locale, compare)
    form = case_form_view(product, variant, locale, view["variant_problems"])
    status = 422 if view["base_records"] or view["variant_records"] else 200
    return render(request, "whatif.html.j2", "whatif.title", status=status, ref=ref, form=form,
                  w=view, base_json=base.dumps() if base else "",
                  product_name=form.product_name,
                  **urls(ref))


# ------------------------------------------------------------ issuing the policy


@router.post("/products/{ref}/issue", response_class=HTMLResponse)
async def issue(ref: str, request: Request, user: Agent) -> HTMLResponse:
    posted = await request.form()
    return await run_in_threadpool(_issue, request, ref, posted)


def _issue(request: Request, ref: str, posted: Any) -> HTMLResponse:
    env = request.app.state.env
    product = _product(request, ref)
    form = _posted_case(posted, product)
    locale = content_locale(product, locale_of(request))
    view = issue_view(env, ref, product, form, locale)
    return render(request, "issue.html.j2", "issue.title", ref=ref, v=view,
                  case_json=form.dumps(), product_name=view["product_name"], **urls(ref))


def _posted_case(posted: Any, product: Product) -> FormCase:
    """The case a page posts: its JSON in ``case`` (from the preview), else its fields."""
    text = str(posted.get("case") or "")
    return _base(text, product) if text else FormCase.from_form(posted, product)


@router.post("/products/{ref}/policy.pdf")
async def policy_pdf(ref: str, request: Request, user: Agent) -> Response:
    posted = await request.form()
    return await run_in_threadpool(_pdf, request, ref, posted, user)


def _pdf(request: Request, ref: str, posted: Any, user: User) -> Response:
    env = request.app.state.env
    product = _product(request, ref)
    form = _posted_case(posted, product)
    case = form.case(product)
    locale = content_locale(product, locale_of(request))
    pdf, recorded = issued_pdf(env, ref, product, case, locale, user)
    name = re.sub(r"[^A-Za-z0-9_-]", "", case.policy_number or "") or "specimen"
    kind = "policy" if recorded else "preview"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{kind}-{name}.pdf"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "X-Configurator-Recorded": "yes" if recorded else "no"})
