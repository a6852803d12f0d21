"""The only module that calls durable-rules.

It drives the C module (`durable_rules_engine`) directly: no `Host`, no
background thread. Each evaluation opens its own sessions (a fresh sid per
ruleset), asserts facts, drains the agenda synchronously — every action names
the rule that fired and the facts it matched, which is the trace — and deletes
the sessions in `finally`, so the engine's 1024-live-session cap is never
reached and nothing leaks from one case into the next. A fact whose cells the
ruleset's `memo.Memo` has seen is answered from it, with the same firings the
engine gave (see `Session`); a session the memo answered throughout never
creates engine state. The C calls never
release the GIL and are not thread-safe: one evaluation at a time per
process, guarded by a lock; parallelism means processes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import math
import re
import threading
from collections.abc import Callable
from typing import Any, Final

import durable_rules_engine as _engine
import orjson

from ..errors import EngineError
from .memo import Memo

_LOCK: Final = threading.RLock()
_HANDLES: Final[dict[str, int]] = {}
_LIVE: Final[dict[tuple[int, str], int]] = {}
_SIDS: Final = itertools.count(1)
_MEMOS: Final[dict[int, Memo]] = {}
_REMEMBER = True


# durable-rules' JSON reader cannot read a number in exponent form without a
# decimal point (`1e-7`, `1e+16`, as orjson writes them): the assert fails and a
# later call segfaults. Such numbers get one (`1.0e-7`); strings are skipped.
_BARE_EXPONENT: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|(?<![\d.])(-?\d+)(e[+-]\d+)')


# The engine must never see a value it would silently misread: orjson writes NaN
# and infinities as `null` (a missing value: the rule quietly does not fire), and
# an integer past 2**53 would lose its last digits as a double. orjson refuses
# such integers itself (OPT_STRICT_INTEGER); a `null` in the text is checked
# value by value. Either is refused as an engine error, never asserted.
_OPTIONS: Final = orjson.OPT_STRICT_INTEGER


def _encode_facts(facts: Any) -> str:
    """Facts (or rules) as JSON the engine reads; orjson is ~6x faster than json here.

    Raises `EngineError` for a value the engine would misread: a non-finite
    number, a missing value (None) or an integer beyond 2**53.
    """
    try:
        text = orjson.dumps(facts, option=_OPTIONS)
    except TypeError as exc:  # orjson.JSONEncodeError: an integer past 2**53, or no JSON form
        raise EngineError(f"refusing to give the rules engine a value it would misread: {exc} "
                          "(a bug: the product or case check should have refused it)") from None
    if b"null" in text:
        _refuse_missing(facts, "")
    if b"e-" in text or b"e+" in text:  # orjson always signs an exponent
        text = _BARE_EXPONENT.sub(_point, text)
    return text.decode()


def _refuse_missing(value: Any, where: str) -> None:
    """Raise `EngineError` naming the first value orjson wrote as `null`."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_missing(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_missing(item, f"{where}[{index}]")
    elif value is None or (isinstance(value, float) and not math.isfinite(value)):
        raise EngineError(f"refusing to give the rules engine {where} = {value!r}: it would read "
                          "it as a missing value and silently skip the rules that read it (a bug: "
                          "the product or case check should have refused it)")


def _point(match: re.Match) -> bytes:
    return match[0] if match[1] is None else match[1] + b".0" + match[2]


OnAction = Callable[[str, dict[str, Any]], None]  # rule, alias -> _ref of its fact


def _tune_malloc() -> None:
    """Stop glibc returning and re-fetching memory on every session (~60 us per case)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 4 * 1024 * 1024)
    mallopt(m_trim_threshold, 256 * 1024 * 1024)


_tune_malloc()


def ruleset(name: str, rules: dict[str, Any]) -> int:
    """The engine handle for a ruleset, created once per process (with its `Memo`).

    Names carry the product's content hash, so a name is never redefined with
    different rules; handles are never deleted (sessions may still use them).
    """
    handle = _HANDLES.get(name)
    if handle is None:
        with _LOCK:
            handle = _HANDLES.get(name)
            if handle is None:
                handle = _engine.create_ruleset(name, _encode_facts(rules))
                _MEMOS[handle] = Memo(rules)
                _HANDLES[name] = handle
    return handle


def remember(on: bool) -> bool:
    """Turn the remembered firings on or off (tests and benchmarks compare); the old setting."""
    global _REMEMBER
    old, _REMEMBER = _REMEMBER, on
    return old


def _fired(action: str) -> tuple[str, dict[str, Any]]:
    """The rule an action names and the facts it matched, by alias."""
    (rule, facts), = orjson.loads(action).items()
    return rule, facts


class Session:
    """One case's state in one ruleset; always closed by `Sessions`.

    A fact whose cells the ruleset's `Memo` knows is not asserted: its remembered
    firings are handed on and it waits in `pending`; the engine session catches up
    (those facts asserted, their firings discarded) before the next fact the memo
    does not know, when the ruleset has joins that could pair it with them.
    """

    __slots__ = ("handle", "sid", "offset", "on_action", "memo", "pending", "held", "traced")

    def __init__(self, handle: int, on_action: OnAction, traced: bool = True):
        self.traced = traced  # False: the facts each rule matched are not wanted (no trace)
        self.handle = handle
        self.sid = str(next(_SIDS))
        self.offset = -1
        self.on_action = on_action
        self.memo = _MEMOS.get(handle) if _REMEMBER else None
        self.pending: list[dict[str, Any]] = []
        self.held: dict[str, list[tuple[tuple, Any]]] = {}  # kind -> (key, _ref) for joins

    def assert_facts(self, facts: list[dict[str, Any]]) -> None:
        """Assert facts one by one (each gets this session's sid), handing on what fires."""
        for fact in facts:
            self.assert_fact(fact)

    def assert_fact(self, fact: dict[str, Any]) -> None:
        memo = self.memo
        key = memo.key(fact) if memo is not None else None
        if key is None:
            if memo is not None and memo.joins:
                self.memo = None  # a partner it cannot key: the engine decides the rest
            self._catch_up()
            for rule, facts in self._assert(fact):
                self.on_action(rule, {alias: f.get("_ref") for alias, f in facts.items()})
            return
        kind = fact.get("_kind")
        partners: list[tuple[tuple, Any]] = []
        if memo.joins:
            for other in memo.partners.get(kind, ()):
                partners += self.held.get(other, ())
            key = (key, *[k for k, _ in partners])
        refs = (fact["_ref"], *[ref for _, ref in partners])
        firings = memo.get(key)
        if firings is None:
            self._catch_up()
            handed = self._learn(key, fact, refs)
        else:
            if memo.joins:
                self.pending.append(fact)
            handed = [(rule, {alias: refs[place] for alias, place in aliases}
                       if self.traced else _UNTRACED) for rule, aliases in firings]
        if kind in memo.joined:
            self.held.setdefault(kind, []).append((key[0] if memo.joins else key, refs[0]))
        for rule, facts in handed:
            self.on_action(rule, facts)

    def _learn(self, key: tuple, fact: dict[str, Any], refs: tuple
               ) -> list[tuple[str, dict[str, Any]]]:
        """Assert a fact the memo does not know; keep what fired, each fact by position."""
        handed = [(rule, {alias: f.get("_ref") for alias, f in facts.items()})
                  for rule, facts in self._assert(fact)]
        place = {ref: index for index, ref in enumerate(refs)}
        firings = tuple((rule, tuple((alias, place.get(ref, -1)) for alias, ref in facts.items()))
                        for rule, facts in handed)
        if all(p >= 0 for _, aliases in firings for _, p in aliases):
            self.memo.keep(key, firings)
        else:  # it matched a fact the memo did not count as a partner: trust only the engine
            self.memo = None
        return handed

    def _catch_up(self) -> None:
        """Assert the facts the memo answered for, discarding their (known) firings."""
        pending, self.pending = self.pending, []
        for fact in pending:
            self._assert(fact)

    def _assert(self, fact: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Assert one fact and drain the agenda: the rules that fired, in order."""
        fact["sid"] = sid = self.sid
        _LIVE[(self.handle, sid)] = self.offset
        code, offset = _engine.assert_facts(self.handle, _encode_facts([fact]))
        if code == 2:
            raise EngineError("a fact was asserted twice; facts need a unique _ref")
        self.offset = offset
        started = _engine.start_action_for_state(self.handle, offset)
        fired = []
        if started:
            action = started[1]
            try:
                while action:
                    fired.append(_fired(action))
                    action = _engine.complete_and_start_action(self.handle, offset)
            except BaseException:
                _engine.abandon_action(self.handle, offset)
                raise
        return fired

    def close(self) -> None:
        if _LIVE.pop((self.handle, self.sid), None) is None:
            return
        try:
            _engine.delete_state(self.handle, self.sid)
        except _engine.error:
            pass  # the engine never created state (the assert itself failed)


class Sessions:
    """The sessions of one evaluation, opened lazily, all deleted on exit. Untraced, a
    rule the memo answers for is handed on with no facts (`_UNTRACED`), not its matches."""

    def __init__(self, on_action: OnAction, traced: bool = True):
        self.on_action = on_action
        self.traced = traced
        self.open: dict[int, Session] = {}

    def get(self, handle: int) -> Session:
        session = self.open.get(handle)
        if session is None:
            session = self.open[handle] = Session(handle, self.on_action, self.traced)
        return session

    def __enter__(self) -> Sessions:
        _LOCK.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            for session in self.open.values():
                session.close()
        finally:
            self.open.clear()
            self.on_action = _closed  # the evaluation it called back holds this: no cycle
            _LOCK.release()


_UNTRACED: Final[dict[str, Any]] = {}  # the facts handed on untraced (never written to)


def _closed(rule: str, facts: dict[str, Any]) -> None:
    raise EngineError(f"rule {rule} fired in a closed session")


def live_sessions() -> int:
    """How many engine sessions are open right now (0 between evaluations)."""
    return len(_LIVE)


def session_exists(handle: int, sid: str) -> bool:
    """Whether the engine still holds state for `sid` (used by the leak tests)."""
    try:
        _engine.get_state(handle, sid)
    except _engine.error:
        return False
    return True


def raw_run(handle: int, fact_json: str) -> int:
    """durable-rules' own cost for one fact: assert, drain, delete. For `bench/engine.py`.

    `fact_json` is one encoded fact object without a sid. Returns the number
    of actions drained.
    """
    sid = str(next(_SIDS))
    _, offset = _engine.assert_facts(handle, f'[{{"sid":"{sid}",{fact_json[1:]}]')
    fired = 0
    try:
        started = _engine.start_action_for_state(handle, offset)
        action = started[1] if started else None
        while action:
            fired += 1
            action = _engine.complete_and_start_action(handle, offset)
    finally:
        _engine.delete_state(handle, sid)
    return fired
