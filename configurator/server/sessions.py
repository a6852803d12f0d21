"""Signed session cookies, CSRF tokens, the secret key and the brake on password guessing.

A session cookie holds the user's name, a random session id and the
fingerprint of the user's password hash, signed with itsdangerous under a
secret key kept beside the users file (``users.toml.key``, created 0600).
It expires after `SESSION_SECONDS`; signing out revokes its id on this
server; a new password or a removed account ends every session of that user
(the fingerprint or the account no longer matches). Deleting the key file
and restarting ends every session.

The CSRF token of a session is an HMAC of its id: the workbench puts it in
every form (``csrf_token``) and in a ``<meta>`` its JavaScript sends back as
``X-CSRF-Token``; nothing has to be stored to check it.

`Throttle` slows guessing: after `FREE_FAILURES` wrong passwords for one
name, each further attempt must wait twice as long as the last (capped), and
while it waits the password is not even checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadData, URLSafeTimedSerializer

from ..files import create_private
from .config import ServerConfig
from .users import UsersError, UsersSource, key_file

COOKIE = "configurator_session"
SESSION_SECONDS = 8 * 3600  # a working day; then sign in again
SAME_SITE = "strict"  # the workbench is one origin; links from elsewhere arrive signed out
FREE_FAILURES = 5
MAX_DELAY = 15 * 60
MAX_TRACKED = 10_000  # names the throttle remembers (requests choose them: bounded)
KEY_BYTES = 32


@dataclass(frozen=True)
class Session:
    """What a valid session cookie says: who, which session, which password."""

    name: str
    sid: str
    fingerprint: str


class Sessions:
    """Issues and reads session cookies and their CSRF tokens, under one secret key."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time):
        self._key = key
        self._signer = URLSafeTimedSerializer(key, salt="configurator.session")
        self._revoked: dict[str, float] = {}  # sid -> when its cookie would expire anyway
        self._lock = threading.Lock()
        self.clock = clock

    def issue(self, name: str, fingerprint: str) -> tuple[Session, str]:
        """A new session for `name` and its cookie value."""
        session = Session(name, secrets.token_urlsafe(18), fingerprint)
        return session, self._signer.dumps([session.name, session.sid, session.fingerprint])

    def read(self, cookie: str) -> Session | None:
        """The session a cookie holds, or None (forged, expired, revoked, malformed)."""
        if not cookie or len(cookie) > 1024:
            return None
        try:
            payload, signed_at = self._signer.loads(cookie, max_age=SESSION_SECONDS,
                                                    return_timestamp=True)
        except BadData:  # a bad signature, an expired one, a payload that is not ours
            return None
        if signed_at.timestamp() > self.clock() + 60 or \
                self.clock() - signed_at.timestamp() > SESSION_SECONDS:
            return None
        if not (isinstance(payload, list) and len(payload) == 3
                and all(isinstance(p, str) for p in payload)):
            return None
        session = Session(*payload)
        with self._lock:
            return None if session.sid in self._revoked else session

    def revoke(self, session: Session) -> None:
        """End `session` on this server (its cookie stops working at once)."""
        now = self.clock()
        with self._lock:
            self._revoked = {sid: end for sid, end in self._revoked.items() if end > now}
            self._revoked[session.sid] = now + SESSION_SECONDS

    def csrf(self, sid: str) -> str:
        """The CSRF token of the session `sid`."""
        return hmac.new(self._key, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(sid), str(token))


class Throttle:
    """Failed sign-ins per name, in memory: after a few, an exponentially growing wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # name -> n, until
        self._lock = threading.Lock()

    def wait(self, name: str) -> float:
        """Seconds `name` must wait before the next attempt (0: go ahead)."""
        with self._lock:
            _, until = self._failures.get(name.casefold(), (0, 0.0))
        return max(0.0, until - self.clock())

    def failed(self, name: str) -> None:
        key = name.casefold()
        with self._lock:
            count, until = self._failures.pop(key, (0, 0.0))
            if until < self.clock() - MAX_DELAY:  # long since the last failure: start afresh
                count = 0
            count += 1
            delay = 0 if count < FREE_FAILURES else min(2.0 ** (count - FREE_FAILURES), MAX_DELAY)
            self._failures[key] = (count, self.clock() + delay)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.casefold(), None)


@dataclass
class Security:
    """Everything a server needs to tell who is asking (one per application).

    `users` is None when the server has no users file: then every request is
    the local user (the configuration guarantees loopback).
    """

    users: UsersSource | None
    sessions: Sessions
    throttle: Throttle = field(default_factory=Throttle)

    @property
    def local(self) -> bool:
        return self.users is None

    @classmethod
    def for_config(cls, config: ServerConfig) -> Security:
        if config.users is None:  # nothing is signed to outlive the process
            return cls(None, Sessions(secrets.token_bytes(KEY_BYTES)))
        users = UsersSource(config.users)
        return cls(users, Sessions(secret_key(key_file(config.users))))


def secret_key(path: Path) -> bytes:
    """The secret key in `path`, created (0600, all at once) if there is none yet."""
    if not path.exists():
        create_private(path, (secrets.token_hex(KEY_BYTES) + "\n").encode())
    info = path.stat()
    if info.st_mode & 0o077:
        raise UsersError(f"{path} can be read by others (mode {info.st_mode & 0o777:04o}): it "
                         f"signs sessions; run 'chmod 600 {path}'")
    key = path.read_bytes().strip()
    if len(key) < 2 * KEY_BYTES:
        raise UsersError(f"{path} is not a session key (too short); delete it to make a new one")
    return key
