"""The users file: accounts, their roles, password hashes and API token hashes.

A TOML file, written whole by ``configurator users`` (mode 0600) and read by
the server, which refuses to start on one that others can read or that holds
no account::

    [users.alice]
    roles = ["designer"]
    password = "$argon2id$v=19$m=65536,t=3,p=4$..."   # argon2id, never the password
    tokens = ["sha256:9f86d0..."]                      # API tokens: only their hashes

Passwords are hashed with argon2id (argon2-cffi) and checked in constant time;
a name that has no account is checked against a dummy hash, so a wrong name
takes as long as a wrong password. API tokens are 256 random bits shown once;
only their sha256 is kept (a hash of that much entropy needs no salt or
stretching). Names are unique without regard to case, like the registry's
four-eyes check.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import secrets
import stat
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ConfiguratorError
from ..files import atomic_file

ROLES = ("designer", "reviewer", "agent", "auditor")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_USERS_FILE = 2**20
TOKEN_PREFIX = "cfg_"
MAX_TOKEN = 200
HEADER = ("# configurator users: written by 'configurator users'; keep it private (mode 0600).\n"
          "# Passwords are argon2id hashes; API tokens are kept only as sha256 hashes.\n")

_HASHER = PasswordHasher()
# argon2 takes 64 MiB and a few hundred ms per check: a few at a time, whatever the load
_CHECKS = threading.BoundedSemaphore(2)


class UsersError(ConfiguratorError):
    """A users file that cannot be read, or that is not safe to serve with."""


@dataclass(frozen=True)
class Account:
    """One person (or system) that may sign in: name, roles, hashes."""

    name: str
    roles: frozenset[str]
    password: str  # the argon2 hash
    tokens: tuple[str, ...] = ()  # "sha256:<hex>" of each API token

    @property
    def fingerprint(self) -> str:
        """Changes when the password does: sessions carry it, so a new password ends them."""
        return hashlib.sha256(self.password.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Users:
    """The accounts of one users file (an immutable value; edits return a new one)."""

    accounts: dict[str, Account] = field(default_factory=dict)  # keyed by name.casefold()

    def find(self, name: str) -> Account | None:
        """The account called `name` (any case), or None."""
        return self.accounts.get(name.casefold())

    def by_token(self, token: str) -> Account | None:
        """The account an API token belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN:
            return None
        digest = token_hash(token)
        for account in self.accounts.values():
            if any(secrets.compare_digest(digest, known) for known in account.tokens):
                return account
        return None

    def add(self, name: str, roles: Iterable[str], password: str) -> Users:
        """These users and a new account (refused if the name is taken)."""
        self.free(name)
        account = Account(name, check_roles(roles, name), hash_password(password))
        return Users({**self.accounts, name.casefold(): account})

    def free(self, name: str) -> str:
        """`name`, if it is a valid user name that no account has (any case)."""
        check_name(name)
        if self.find(name):
            raise UsersError(f"there is already a user called {self.find(name).name}; "
                             f"remove it first with 'configurator users remove {name}'")
        return name

    def remove(self, name: str) -> Users:
        """These users without `name` (and with it, its tokens)."""
        account = self.existing(name)
        return Users({k: v for k, v in self.accounts.items() if k != account.name.casefold()})

    def with_token(self, name: str) -> tuple[Users, str]:
        """These users with a new API token for `name`, and the token (shown once)."""
        account = self.existing(name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        changed = replace(account, tokens=(*account.tokens, token_hash(token)))
        return Users({**self.accounts, name.casefold(): changed}), token

    def without_tokens(self, name: str) -> tuple[Users, int]:
        """These users with every API token of `name` revoked, and how many there were."""
        account = self.existing(name)
        changed = replace(account, tokens=())
        return Users({**self.accounts, name.casefold(): changed}), len(account.tokens)

    def existing(self, name: str) -> Account:
        account = self.find(name)
        if account is None:
            known = ", ".join(sorted(a.name for a in self.accounts.values())) or "none"
            raise UsersError(f"there is no user called {name} (users: {known})")
        return account

    def dumps(self) -> str:
        """The file's text (TOML)."""
        parts = [HEADER]
        for account in sorted(self.accounts.values(), key=lambda a: a.name.casefold()):
            parts.append(f"\n[users.{json.dumps(account.name)}]\n"
                         f"roles = {json.dumps(sorted(account.roles))}\n"
                         f"password = {json.dumps(account.password)}\n"
                         f"tokens = {json.dumps(list(account.tokens))}\n")
        return "".join(parts)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (refused if too short or too long)."""
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsersError(f"a password may have at most {MAX_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(account: Account | None, password: str) -> bool:
    """Whether `password` is `account`'s; as slow for no account as for a wrong password."""
    with _CHECKS:
        try:
            return _HASHER.verify(account.password if account else _dummy_hash(),
                                  password[:MAX_PASSWORD]) and account is not None
        except (VerificationError, InvalidHashError):
            return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsersError(f"'{name[:80]}' is not a user name: 1 to 64 letters, digits and "
                         "_ . @ -, starting with a letter or digit")
    return name


def check_roles(roles: Iterable[str], name: str) -> frozenset[str]:
    roles = frozenset(roles)
    unknown = sorted(roles - set(ROLES))
    if unknown or not roles:
        raise UsersError(f"{name}: roles must be one or more of {', '.join(ROLES)}"
                         + (f", not {', '.join(unknown)}" if unknown else ""))
    return roles


# ------------------------------------------------------------ the file


def private(path: Path) -> None:
    """Refuse a file that is not a regular file or that others may read or write."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise UsersError(f"{path} is not a regular file")
    if info.st_mode & 0o077:
        raise UsersError(f"{path} can be read or written by others (mode "
                         f"{stat.S_IMODE(info.st_mode):04o}): it holds password hashes; "
                         f"run 'chmod 600 {path}'")


def read(path: str | Path, *, must_exist: bool = True) -> Users:
    """The users in `path`, checked (a missing file is no users unless `must_exist`)."""
    path = Path(path)
    try:
        private(path)
        if path.stat().st_size > MAX_USERS_FILE:
            raise UsersError(f"{path} is over {MAX_USERS_FILE} bytes; is it a users file?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if must_exist:
            raise UsersError(f"{path}: no such users file; create it with "
                             f"'configurator users add NAME --role ROLE --users {path}'") from None
        return Users()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersError(f"{path}: cannot read it ({exc})") from None
    return parse(text, str(path))


def parse(text: str, file: str) -> Users:
    """The users in `text` (a users file's content), every entry checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersError(f"{file}: not TOML: {exc}") from None
    if set(data) - {"users"} or not isinstance(data.get("users", {}), dict):
        raise UsersError(f"{file}: expected only [users.NAME] tables")
    accounts: dict[str, Account] = {}
    for name, entry in data.get("users", {}).items():
        account = _account(file, name, entry)
        if name.casefold() in accounts:
            raise UsersError(f"{file}: users.{name}: a second user of that name")
        accounts[name.casefold()] = account
    return Users(accounts)


def _account(file: str, name: str, entry: object) -> Account:
    where = f"{file}: users.{name}"
    try:
        check_name(name)
        if not isinstance(entry, dict) or set(entry) - {"roles", "password", "tokens"}:
            raise UsersError("expected roles, password and tokens")
        roles, password, tokens = entry.get("roles"), entry.get("password"), entry.get("tokens", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise UsersError("roles must be a list of role names")
        if not isinstance(password, str) or not password.startswith("$argon2"):
            raise UsersError("password must be an argon2 hash (set it with 'configurator "
                             "users add')")
        if not isinstance(tokens, list) or not all(
                isinstance(t, str) and re.fullmatch(r"sha256:[0-9a-f]{64}", t) for t in tokens):
            raise UsersError("tokens must be a list of 'sha256:<hex>' hashes")
        return Account(name, check_roles(roles, name), password, tuple(tokens))
    except UsersError as exc:
        raise UsersError(f"{where}: {exc}") from None


def write(path: str | Path, users: Users) -> Path:
    """Write `users` to `path` whole, readable by its owner only (0600) from the start."""
    with atomic_file(path, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(users.dumps())
    return Path(path)


def key_file(users_file: str | Path) -> Path:
    """Where the session key of a users file lives: beside it, ``NAME.key``."""
    users_file = Path(users_file)
    return users_file.with_name(users_file.name + ".key")


class UsersSource:
    """The users of one file as the server sees them, read again whenever the file changes.

    Removing a user, revoking a token or changing a password takes effect on
    the next request, with no restart. A file that turns unreadable or unsafe
    fails closed: `current` raises until it is fixed.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int, int] | None = None
        self._users = read(self.path)
        if not self._users.accounts:
            raise UsersError(f"{self.path} holds no users; add one with 'configurator users "
                             f"add NAME --role ROLE --users {self.path}'")
        self._seen = self._stamp()

    def current(self) -> Users:
        """The users now in the file (read again if it changed since last time)."""
        stamp = self._stamp()
        if stamp != self._seen:
            with self._lock:
                self._users, self._seen = read(self.path), stamp
        return self._users

    def _stamp(self) -> tuple[int, int, int, int]:
        try:
            info = self.path.stat()
        except OSError as exc:
            raise UsersError(f"{self.path}: cannot read it ({exc.strerror})") from None
        return info.st_ino, info.st_mtime_ns, info.st_size, info.st_mode
