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
  documents and ``verify``; ``/login`` signing in.

A product is named in a URL as ``ID``, ``ID@VERSION`` or ``ID@YYYY-MM-DD``,
never by a path (`refs.product_for`).
"""

from __future__ import annotations

import functools
import mimetypes

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from . import workbench_cases, workbench_review
from .auth import Anyone
from .errors import Missing
from .workbench_pages import PageRoute, folder, render
from .workbench_views import home_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Anyone) -> HTMLResponse:
    return render(request, "home.html.j2", "home.title", **home_view(request.app.state.env))


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, next: str = "/") -> HTMLResponse:
    # only a path on this server: never an open redirect
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return render(request, "login.html.j2", "login.title", next=target)


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
