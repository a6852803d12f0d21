"""Who is asking: users, roles and the checks every route declares.

Roles: ``designer`` (writes and checks products), ``reviewer`` (diffs and
approves versions), ``agent`` (decides cases and issues policies) and
``auditor`` (reads the registry and the audit trail). A route declares what
it needs with ``Depends(require("agent"))`` (or an alias: ``user: Agent``);
the user is then recorded with every write and every issued document: pass
``by=user.name`` / ``user=user.name`` to the registry and the audit trail,
never a name taken from the request, so the registry's four-eyes check sees
who really signed in.

Without a users file the server runs for one person on this machine: every
request is the local user with every role (the server refuses to listen
beyond loopback then, see `ServerConfig.check`, and answers only to a
loopback host name, so a web page cannot rebind its own name to it). With a
users file (`users`), a request is signed in by

- ``Authorization: Bearer <token>`` (an API token, for systems: no CSRF
  token needed, a browser never sends one on its own), or
- the session cookie from ``POST /api/v1/session`` (name and password); a
  state-changing request so signed in must carry the session's CSRF token
  (``X-CSRF-Token`` header, or a ``csrf_token`` form field), which
  `csrf_token` gives the workbench for its forms and its ``<meta>``;

and anything else is 401. Whatever the mode, a state-changing request that a
browser marks as coming from another origin (``Sec-Fetch-Site``, ``Origin``)
is refused, so no other site can post to this one, even a login.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..errors import Problem
from .errors import ApiError, Forbidden, Unauthorized, problems
from .sessions import COOKIE, SAME_SITE, SESSION_SECONDS, Security, Session
from .users import MAX_PASSWORD, ROLES, UsersError, verify_password

__all__ = ["ROLES", "Agent", "Anyone", "Auditor", "Decider", "Designer", "Reviewer", "User",
           "csrf_token", "current_user", "install", "require", "router", "sign_in",
           "sign_out", "user_or_none"]

ACCESS = logging.getLogger("configurator.server.access")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})  # + TestClient's
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class User:
    """A signed-in person (or a system with an API token) and what they may do."""

    name: str
    roles: frozenset[str]


LOCAL = User("local", frozenset(ROLES))


class Unavailable(ApiError):
    status = 503


class NoUsers(ApiError):
    status = 409


class TooManyAttempts(ApiError):
    status = 429

    def __init__(self, name: str, seconds: float):
        self.retry_after = max(1, round(seconds))
        super().__init__(f"too many failed sign-ins for {name[:64]}: wait "
                         f"{self.retry_after} s before trying again", path="name")


# ------------------------------------------------------------ who is asking


def security(request: Request) -> Security:
    """The application's `Security` (made by `install`)."""
    return request.app.state.security


def current_user(request: Request) -> User:
    """The user making `request` (401 if it is not signed in and the server has users)."""
    user = user_or_none(request)
    if user is None:
        raise Unauthorized("sign in first: POST /api/v1/session with your name and password, "
                           "or send 'Authorization: Bearer <token>'", path="authorization")
    return user


def user_or_none(request: Request) -> User | None:
    """The user making `request`, or None if it is not signed in (the workbench's login test).

    A bearer token that is not valid is a 401, not "signed out": a system must
    learn its token was revoked.
    """
    state = request.state
    if not hasattr(state, "configurator_user"):
        state.configurator_user, state.configurator_session = _identify(request)
    return state.configurator_user


def _identify(request: Request) -> tuple[User | None, Session | None]:
    guard = security(request)
    if guard.local:
        return LOCAL, None
    try:
        users = guard.users.current()
    except UsersError as exc:
        logging.getLogger("configurator.server").error("users file: %s", exc)
        raise Unavailable("the server cannot read its users file; ask its administrator") \
            from None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme:
        account = users.by_token(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise Unauthorized("this API token is not valid (revoked, or not a token)",
                               path="authorization")
        return User(account.name, account.roles), None
    session = guard.sessions.read(request.cookies.get(COOKIE, ""))
    account = users.find(session.name) if session else None
    if account is None or account.fingerprint != session.fingerprint:
        return None, None
    return User(account.name, account.roles), session


def require(*roles: str) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the current user, who must hold one of `roles` (any role if none).

    A state-changing request signed in by the session cookie must carry its
    CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``).
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def check(request: Request) -> User:
        user = current_user(request)
        session = request.state.configurator_session
        if session is not None and request.method not in SAFE_METHODS:
            token = request.headers.get(CSRF_HEADER) or await _form_token(request)
            if not security(request).sessions.csrf_ok(session.sid, token):
                raise Forbidden("this form or request lacks its CSRF token (reload the page)",
                                path=CSRF_FIELD)
        if roles and not user.roles & set(roles):
            raise Forbidden(f"{user.name} may not do this: it needs the role "
                            f"{' or '.join(roles)}")
        return user

    return check


async def _form_token(request: Request) -> str | None:
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


# What a route declares it needs: `def route(user: Agent)` (FastAPI's Annotated style).
Anyone = Annotated[User, Depends(require())]
Designer = Annotated[User, Depends(require("designer"))]
Reviewer = Annotated[User, Depends(require("reviewer"))]
Agent = Annotated[User, Depends(require("agent"))]
Auditor = Annotated[User, Depends(require("auditor"))]
Decider = Annotated[User, Depends(require("agent", "designer", "reviewer"))]


def csrf_token(request: Request) -> str:
    """The token a workbench form carries back (checked on every form post).

    The session's token when signed in by cookie; on a server without users a
    per-process token (not needed there: cross-origin posts are refused).
    "" when not signed in.
    """
    user = user_or_none(request)
    session = request.state.configurator_session
    if session is not None:
        return security(request).sessions.csrf(session.sid)
    return security(request).sessions.csrf("local") if user == LOCAL else ""


# ------------------------------------------------------------ signing in and out


def sign_in(request: Request, response: Response, name: str, password: str) -> User:
    """Check `name` and `password` and set the session cookie on `response`.

    Refused (401) for a wrong name or password alike, (429) while the name is
    held back after repeated failures, (409) on a server without users. The
    workbench's login form calls this too, from a plain ``def`` route: the
    argon2 check takes a few hundred ms and must not block the event loop.
    """
    guard = security(request)
    if guard.local:
        raise NoUsers("this server has no users file: everyone on this machine is the "
                      "local user, there is nothing to sign in to")
    wait = guard.throttle.wait(name)
    if wait > 0:
        raise TooManyAttempts(name, wait)
    account = guard.users.current().find(name)
    if not verify_password(account, password):
        guard.throttle.failed(name)
        raise Unauthorized("wrong name or password", path="password")
    guard.throttle.succeeded(name)
    session, cookie = guard.sessions.issue(account.name, account.fingerprint)
    response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                        samesite=SAME_SITE, secure=request.url.scheme == "https")
    request.state.configurator_user = User(account.name, account.roles)
    request.state.configurator_session = session
    return request.state.configurator_user


def sign_out(request: Request, response: Response) -> None:
    """End the request's session (if any) on this server and clear its cookie."""
    user_or_none(request)
    session = request.state.configurator_session
    if session is not None:
        security(request).sessions.revoke(session)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite=SAME_SITE,
                           secure=request.url.scheme == "https")


router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    """A name and password, sent as JSON (a form from another site cannot send JSON)."""

    name: str = Field(min_length=1, max_length=64, examples=["alice"])
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class Whoami(BaseModel):
    """Who is signed in, what they may do, and the CSRF token their forms send back."""

    name: str
    roles: list[str]
    csrf_token: str = Field(description="send as X-CSRF-Token with state-changing requests "
                                        "made with the session cookie")


PROBLEMS = {"description": "problem records", "content": {"application/json": {}}}


def _whoami(request: Request, user: User) -> Whoami:
    return Whoami(name=user.name, roles=sorted(user.roles), csrf_token=csrf_token(request))


@router.post("/session", summary="Sign in (sets the session cookie)", response_model=Whoami,
             responses={400: PROBLEMS, 401: PROBLEMS, 409: PROBLEMS, 429: PROBLEMS},
             openapi_extra={"security": []})
def create_session(body: Credentials, request: Request, response: Response) -> Any:
    try:
        return _whoami(request, sign_in(request, response, body.name, body.password))
    except TooManyAttempts as exc:
        refused = problems(exc.status, [exc.problem])
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused


@router.get("/session", summary="Who am I: name, roles and CSRF token", response_model=Whoami,
            responses={401: PROBLEMS})
def read_session(request: Request, user: Anyone) -> Whoami:
    return _whoami(request, user)


@router.delete("/session", summary="Sign out (ends the session, clears the cookie)",
               status_code=204, response_class=Response, openapi_extra={"security": []})
def delete_session(request: Request) -> Response:
    response = Response(status_code=204)
    sign_out(request, response)
    return response


# ------------------------------------------------------------ the application


def install(app: FastAPI) -> None:
    """Give `app` its `Security` (users file, session key) and its guard middleware."""
    config = app.state.config
    app.state.security = Security.for_config(config)
    app.add_middleware(Guard, local=app.state.security.local,
                       hosts=LOOPBACK_NAMES | {config.host})
    if not app.state.security.local:
        _declare_security(app)


def _declare_security(app: FastAPI) -> None:
    """Say in the OpenAPI document that every operation needs a token or a session cookie."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = plain()
        if fresh:
            schema.setdefault("components", {})["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer",
                          "description": "an API token from 'configurator users token NAME'"},
                "session": {"type": "apiKey", "in": "cookie", "name": COOKIE,
                            "description": "from POST /api/v1/session; state-changing "
                                           "requests also send X-CSRF-Token"}}
            schema["security"] = [{"token": []}, {"session": []}]
        return schema

    app.openapi = openapi


class Guard:
    """ASGI middleware before every route: host names, cross-origin writes, the access log.

    The access log names the method, the path (never the query or the body:
    personal inputs stay out of logs), the status, the time taken and the user.
    """

    def __init__(self, app: Any, local: bool, hosts: frozenset[str]):
        self.app, self.local, self.hosts = app, local, hosts

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await refusal(scope, receive, send)
        started, status = time.perf_counter(), [0]

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            user = scope.get("state", {}).get("configurator_user")
            ACCESS.info("%s %s %s %.1fms %s", scope["method"], scope["path"], status[0] or 500,
                        1000 * (time.perf_counter() - started), user.name if user else "-")

    def _refusal(self, scope: dict, headers: dict[str, str]) -> JSONResponse | None:
        host = _netloc(headers.get("host", ""))
        if self.local and _hostname(host) not in self.hosts:
            return _refuse(400, "this server has no users file and answers only to a loopback "
                                "name (localhost, 127.0.0.1)", "host")
        if scope["method"] in SAFE_METHODS:
            return None
        site = headers.get("sec-fetch-site", "")
        origin = headers.get("origin")
        if site in ("cross-site", "same-site") or (
                origin is not None and _netloc(origin, "") != host):
            return _refuse(403, "a request from another site may not change anything here",
                           "origin")
        return None


def _netloc(value: str, prefix: str = "//") -> str:
    """The host[:port] of a Host header (`prefix` "//") or an Origin (""), lower case;
    "?" for anything malformed, which then matches nothing."""
    try:
        parts = urlsplit(prefix + value)
    except ValueError:
        return "?"
    odd = parts.path or parts.query or parts.fragment or "@" in parts.netloc
    return "?" if odd or not parts.netloc else parts.netloc.lower()


def _hostname(netloc: str) -> str:
    try:
        return urlsplit("//" + netloc).hostname or "?"
    except ValueError:
        return "?"


def _refuse(status: int, text: str, code: str) -> JSONResponse:
    return problems(status, [Problem(None, "", text, None, code)])
