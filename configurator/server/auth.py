"""Who is asking: users, roles and the checks every route declares.

Roles: ``designer`` (writes and checks products), ``reviewer`` (diffs and
approves versions), ``agent`` (decides cases and issues policies) and
``auditor`` (reads the registry and the audit trail). A route declares what
it needs with ``Depends(require("agent"))``; the user is then recorded with
every write and every issued document.

Without a users file the server runs for one person on this machine: every
request is the local user with every role (the server refuses to listen
beyond loopback then, see `ServerConfig.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .errors import Forbidden

ROLES = ("designer", "reviewer", "agent", "auditor")


@dataclass(frozen=True)
class User:
    """A signed-in person (or a system with an API token) and what they may do."""

    name: str
    roles: frozenset[str]


LOCAL = User("local", frozenset(ROLES))


def current_user(request: Request) -> User:
    """The user making `request`."""
    return LOCAL


def require(*roles: str) -> Callable[[Request], User]:
    """A dependency: the current user, who must hold one of `roles` (any role if none)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def check(request: Request) -> User:
        user = current_user(request)
        if roles and not user.roles & set(roles):
            raise Forbidden(f"{user.name} may not do this: it needs the role "
                            f"{' or '.join(roles)}")
        return user

    return check


# What a route declares it needs: `def route(user: Agent)` (FastAPI's Annotated style).
Anyone = Annotated[User, Depends(require())]
Designer = Annotated[User, Depends(require("designer"))]
Reviewer = Annotated[User, Depends(require("reviewer"))]
Agent = Annotated[User, Depends(require("agent"))]
Auditor = Annotated[User, Depends(require("auditor"))]
Decider = Annotated[User, Depends(require("agent", "designer", "reviewer"))]


def csrf_token(request: Request) -> str:
    """The token a workbench form carries back (checked on every form post)."""
    return ""
