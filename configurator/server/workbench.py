"""The workbench: server-rendered pages for those who do not live in a terminal.

In English and Chinese (``?lang=zh-CN``, kept in a cookie), every asset
served from here (``/static/``), nothing from a CDN:

- ``/`` the products; ``/products/{ref}`` a product: clauses beside the rules
  that implement them, parameters with their dates, check-ups, programmes;
- ``/products/{ref}/case`` the case builder (from an example case or blank),
  the decision with its reasons, clauses and explanation;
  ``/products/{ref}/what-if`` one change and what it moves; ``.../issue`` the
  personalised policy to preview and download (recorded when published);
- ``/check`` a product's YAML checked, each problem at its line;
  ``/compare`` two versions: changes, redline, impact on the suites, approve;
- ``/registry`` versions and lifecycle moves; ``/audit`` decisions, issued
  documents and ``verify``; ``/login`` signing in (a plain form calling
  `auth.sign_in`), ``/logout`` signing out.

A product is named in a URL as ``ID``, ``ID@VERSION`` or ``ID@YYYY-MM-DD``,
never by a path (`refs.product_for`).
"""

from __future__ import annotations

import functools
import mimetypes
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from . import workbench_cases, workbench_review
from .auth import Anyone, sign_in, sign_out
from .errors import ApiError, Missing
from .workbench_pages import PageRoute, folder, locale_of, render, strings
from .workbench_views import home_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Anyone) -> HTMLResponse:
    return render(request, "home.html.j2", "home.title", **home_view(request.app.state.env))


def _target(next: str) -> str:
    """Where to go after signing in: only a path on this server, never an open redirect."""
    return next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html.j2", "login.title", next=_target(next), refused=[],
                  name="")


@router.post("/login", response_class=HTMLResponse)
def login_post(request: Request, name: Annotated[str, Form(max_length=64)] = "",
               password: Annotated[str, Form(max_length=1024)] = "",
               next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Sign in from the form (a plain ``def``: the password check takes a while and must
    not hold up the event loop); refused, the form again with the reason."""
    target = _target(next)
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, name, password)
    except ApiError as exc:
        refused = exc.problem.to_json()
        if exc.status == 401:  # worded by the page, in its language
            refused["message"] = strings(locale_of(request))("login.wrong")
        return render(request, "login.html.j2", "login.title", status=exc.status,
                      next=target, refused=[refused], name=name)
    return response


@router.post("/logout")
def logout(request: Request, user: Anyone) -> Response:
    """Sign out (the form carries the CSRF token, like every form) and go to the login."""
    response = RedirectResponse("/login", status_code=303)
    sign_out(request, response)
    return response


@functools.cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """The workbench's assets by name: the only files ``/static/`` serves."""
    found = {}
    for path in sorted((folder() / "static").iterdir()):
        if path.is_file():
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            found[path.name] = (path.read_bytes(), kind)
    return found


@router.get("/static/{name}")
def static(name: str) -> Response:
    found = static_files().get(name)
    if found is None:
        raise Missing(f"no asset '{name[:60]}'", None, "static")
    data, kind = found
    return Response(data, media_type=kind, headers={"Cache-Control": "max-age=3600",
                                                    "X-Content-Type-Options": "nosniff"})


router.include_router(workbench_cases.router)
router.include_router(workbench_review.router)
