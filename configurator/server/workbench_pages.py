"""How the workbench draws a page: templates, wording per language, headers and errors.

Pages are jinja2 templates in ``templates/workbench/`` (autoescaped), worded
from ``templates/workbench/strings/<locale>.yaml``: a template holds no
words of its own, only ``t("key")``. The language is ``?lang=`` (kept in a
cookie), else the cookie, else English. Every page carries the CSRF token
(a hidden field in each form, and ``<meta name="csrf-token">`` for scripts)
and a Content-Security-Policy that lets the browser load nothing from
anywhere but this server.

Errors raised while a page is built are shown as a page, never as JSON or a
trace: the positioned problem records with the status the API would give
(`PageRoute`); a request from someone not signed in goes to the login page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from ..document.blocks import clause_anchor
from ..document.escape import page_environment
from ..document.phrases import Phrases
from ..errors import ConfigError, ConfiguratorError, Problem, StoreError
from ..product.source import load_file
from ..registry.store import LifecycleError, PublishRefused
from ..registry.versions import NotFound
from ..resources import templates_folder
from .auth import ROLES, User, csrf_token, security, user_or_none
from .errors import ApiError, Unauthorized

LOGGER = logging.getLogger("configurator.server")
LOCALES = ("en", "zh-CN")
LANG_COOKIE = "lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
# the navigation: each page and the roles that may open it (none: anyone signed in)
NAV = (("/", "nav.products", ()), ("/check", "nav.check", ("designer",)),
       ("/compare", "nav.compare", ("designer", "reviewer")), ("/registry", "nav.registry", ()),
       ("/audit", "nav.audit", ("auditor", "reviewer")))


def folder() -> Any:
    return templates_folder() / "workbench"


class Strings(Phrases):
    """The workbench's wording in one language: ``t("case.title")``, ``t("x", n=3)``; a
    missing key is a bug in a template and fails loudly (the document's `Phrases`)."""

    def has(self, key: str) -> bool:
        found: Any = self.data
        for part in key.split("."):
            if not isinstance(found, dict) or part not in found:
                return False
            found = found[part]
        return True

    def maybe(self, key: str, fallback: str) -> str:
        """The wording for `key` when there is one (a status, an effect), else `fallback`."""
        return self(key) if self.has(key) else fallback


@functools.cache
def strings(locale: str) -> Strings:
    """The wording for `locale`, read once per process."""
    return Strings(locale, load_file(folder() / "strings" / f"{locale}.yaml").data)


@functools.cache
def environment() -> Any:
    """The workbench's jinja2 environment (`document.escape.page_environment`: autoescaped,
    undefined names are errors) with its one helper."""
    env = page_environment(str(folder()))
    env.globals["anchor"] = clause_anchor
    return env


def locale_of(request: Request) -> str:
    """The language the page is shown in: ?lang=, else the cookie, else English."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LOCALES else "en"


def user_of(request: Request) -> User | None:
    """Who is signed in, or None (the login page and error pages draw without one; a
    revoked API token is "not signed in" for a page)."""
    try:
        return user_or_none(request)
    except ApiError:
        return None


def holds(user: User | None, *roles: str) -> bool:
    """Whether `user` holds one of `roles` (any signed-in user if none are named): what a
    page shows a button or a link for. The route checks again; this only hides."""
    return user is not None and (not roles or bool(user.roles & set(roles)))


def _switch(request: Request, locale: str) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", locale)])


def render(request: Request, template: str, title_key: str, status: int = 200,
           title: str | None = None, **data: Any) -> HTMLResponse:
    """The page `template` for `request`, in its language, with the workbench's headers."""
    locale = locale_of(request)
    t = strings(locale)
    user = user_of(request)
    context = {"t": t, "lang": locale, "user": user, "roles": ROLES, "csrf": _csrf(request),
               "can": lambda *roles: holds(user, *roles),
               "local": security(request).local,
               "title": title or t(title_key), "path": request.url.path,
               "nav": [(href, key) for href, key, roles in NAV if holds(user, *roles)],
               "switch": {code: _switch(request, code) for code in LOCALES}, **data}
    html = environment().get_template(template).render(context)
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, httponly=True, samesite="lax",
                            max_age=365 * 86400)
    return response


def _csrf(request: Request) -> str:
    try:
        return csrf_token(request)
    except ApiError:
        return ""


def problem_page(request: Request, status: int, problems: list[Problem],
                 heading_key: str = "error.title") -> HTMLResponse:
    """The error page: each problem record where it is and what to do."""
    return render(request, "error.html.j2", heading_key, status=status,
                  problems=[record(p) for p in problems])


def record(problem: Problem) -> dict[str, Any]:
    """A problem as the pages show it (the API's record, the line to show it on)."""
    return problem.to_json()


def store_status(exc: StoreError) -> tuple[int, list[Problem]]:
    """The status and records the API gives for a refused registry or audit operation."""
    status = 404 if isinstance(exc, NotFound) else 409
    reasons = exc.reasons if isinstance(exc, PublishRefused) else [str(exc)]
    code = "lifecycle" if isinstance(exc, LifecycleError | PublishRefused) else "store"
    return status, [Problem(None, "", r, None, code) for r in reasons]


def _validation_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    problems = [Problem(None, ".".join(str(p) for p in e.get("loc", ())),
                        str(e.get("msg", "invalid")), None, str(e.get("type", "invalid")))
                for e in exc.errors()]
    return problem_page(request, 422, problems)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A workbench route: whatever goes wrong is shown as a page with its status."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                query = request.url.query
                back = request.url.path + ("?" + query if query else "")
                return RedirectResponse("/login?next=" + quote(back), 303)
            except ApiError as exc:
                return problem_page(request, exc.status, [exc.problem])
            except ConfigError as exc:
                return problem_page(request, 422, exc.problems)
            except StoreError as exc:
                return problem_page(request, *store_status(exc))
            except RequestValidationError as exc:
                return _validation_page(request, exc)
            except ConfiguratorError:
                LOGGER.exception("workbench error on %s %s", request.method, request.url.path)
                return problem_page(request, 500, [_internal()])
            except Exception:  # a bug: logged, never shown
                LOGGER.exception("unexpected error on %s %s", request.method, request.url.path)
                return problem_page(request, 500, [_internal()])

        return page


def _internal() -> Problem:
    return Problem(None, "", "internal error; the server's log has the details", None,
                   "internal")
