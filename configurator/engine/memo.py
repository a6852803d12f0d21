"""Remembered firings: what a ruleset does with a fact, keyed by the cells its values fall in.

Every rule of the safe subset (see `compiler.safe_subset`) compares one attribute of one
fact with constants, and a join is an unconditioned pairing of facts of two kinds. So which
rules fire when a fact is asserted, and in which order, depends only on where each value a
rule reads falls among the constants that attribute is compared with - its *cell*: below
the smallest, equal to one, between two, above the largest (a truth value or a text is
keyed by itself) - and on the cells of the facts already in the session that it could
pair with. A `Memo` keys a fact by those cells (`Memo.key`), keeps
the firings the engine produced for the first fact of a key (each rule with the fact each
of its aliases matched, as a position: 0 the fact itself, 1.. its partners in the order
they were asserted) and hands them back for every later fact with the same key.

What the analysis does not understand keys on the exact value (an operator outside the
subset, a comparison across types); a ruleset whose conditions it cannot read at all is
never remembered (`Memo.usable` is false). A value the engine would refuse (a missing
value, a non-finite number, an integer past 2**53, a list) gives no key, so it still goes
to the engine and is refused there. `durable.Session` uses this; it never changes a
decision, only how often the engine is asked (tests/test_memo.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any, Final

from ..compiler.safe_subset import LEAF_OPS

MAX_ENTRIES: Final = 20_000  # per ruleset (~10 MB at most); past it nothing new is kept (correct)
_SAFE_INT: Final = 2 ** 53
_LEAST_INT: Final = -2 ** 53

Firing = tuple[str, tuple[tuple[str, int], ...]]  # rule, (alias, position of its fact)


class Unreadable(Exception):
    """A ruleset condition outside what the analysis reads."""


class Memo:
    """The remembered firings of one ruleset (one engine handle)."""

    def __init__(self, rules: dict[str, Any]):
        self.entries: dict[tuple, tuple[Firing, ...]] = {}
        self.usable = True
        self.partners: dict[str, tuple[str, ...]] = {}
        try:
            cells, self.partners = _analyse(rules)
        except Unreadable:
            self.usable, cells = False, {}
        self.kinds = {kind: _Kind(found) for kind, found in cells.items()}
        self.joins = any(self.partners.values())
        self.joined = frozenset(self.partners)  # kinds some join pairs

    def key(self, fact: dict[str, Any]) -> tuple | None:
        """The fact's key (its kind, the types and cells of what is read), or None when it
        must go to the engine."""
        kind = self.kinds.get(fact.get("_kind")) or self.kinds.get(None)
        return kind.key(fact) if kind is not None else None

    def get(self, key: tuple) -> tuple[Firing, ...] | None:
        return self.entries.get(key)

    def keep(self, key: tuple, firings: tuple[Firing, ...]) -> None:
        if len(self.entries) < MAX_ENTRIES:
            self.entries[key] = firings


class _Absent:
    """An attribute a fact does not carry (it matches nothing in the engine)."""

    __slots__ = ()


ABSENT: Final = _Absent()
_KINDS_OF_VALUE: Final = frozenset({bool, str, int, float, _Absent})


class _Kind:
    """How the facts of one kind are keyed: exact values, and numbers by their cell.

    A key is (the types of the values read - int and float one type where the value is
    compared as a number -, then every value read, a number compared as one replaced by its
    cell); what to do for a given tuple of types is worked out once (`_plan`).
    """

    def __init__(self, found: dict[str, list[tuple[str, Any]]]):
        numbers = {name: sorted({c for _, c in leaves}) for name, leaves in found.items()
                   if leaves and all(_number(c) for _, c in leaves)}
        exact = sorted(name for name in found if name not in numbers and name != "_kind")
        self.names = ("_kind", *exact, *sorted(numbers))
        self.read = frozenset(self.names) | {"_ref"}
        self.exact_count = 1 + len(exact)
        self.thresholds = [(numbers[name], frozenset(numbers[name])) for name in sorted(numbers)]
        self.plans: dict[tuple, Any] = {}  # the types of the values read -> how to key them
        self.unread: dict[tuple, tuple[str, ...]] = {}  # a fact's attribute names -> unread

    def key(self, fact: dict[str, Any]) -> tuple | None:
        values = [fact.get(name, ABSENT) for name in self.names]
        types = tuple([type(value) for value in values])
        plan = self.plans.get(types)
        if plan is None:
            plan = self._plan(types)
        if plan is False:
            return None
        signature, numeric, cells, present = plan
        for at in numeric:  # finite and an exact double (a NaN fails both comparisons)
            if not _LEAST_INT <= values[at] <= _SAFE_INT:
                return None
        if len(fact) != present + ("_ref" in fact):  # it has attributes no rule here reads
            shape = tuple(fact)
            unread = self.unread.get(shape)
            if unread is None:
                unread = tuple(name for name in shape if name not in self.read)
                if len(self.unread) < 64:
                    self.unread[shape] = unread
            for name in unread:  # read by no rule here, but still a value the engine must take
                if not _plain(fact[name]):
                    return None
        for at, thresholds, equal in cells:  # each number compared as one by its cell instead
            value = values[at]
            values[at] = 2 * bisect_left(thresholds, value) + (value in equal)
        values.insert(0, signature)
        return tuple(values)

    def _plan(self, types: tuple) -> Any:
        """For values of these types: which to check are finite (the engine reads numbers as
        doubles or int64: each within 2**53), which to key by cell, and how many the fact
        carries (with its `_ref`, all it has when no rule here leaves one unread)."""
        plan: Any = False
        if _KINDS_OF_VALUE.issuperset(types):
            numeric = [at for at, kind in enumerate(types) if kind is int or kind is float]
            cells = []
            signature = list(types)
            for at, (thresholds, equal) in enumerate(self.thresholds, start=self.exact_count):
                if types[at] in (int, float):  # the engine compares these as numbers
                    cells.append((at, thresholds, equal))
                    signature[at] = float
                # else a truth value, a text or nothing: keyed exactly (its type is in the key)
            present = sum(1 for kind in types if kind is not _Absent)
            plan = (tuple(signature), tuple(numeric), cells, present)
        if len(self.plans) < 256:
            self.plans[types] = plan
        return plan


def _plain(value: Any) -> bool:
    """A value the engine reads exactly as Python compares it."""
    kind = type(value)
    if kind is bool or kind is str or kind is _Absent:
        return True
    if kind is int:
        return _LEAST_INT <= value <= _SAFE_INT
    if kind is float:
        return math.isfinite(value)
    return False


def _analyse(rules: dict[str, Any]) -> tuple[dict[Any, dict[str, list[tuple[str, Any]]]],
                                             dict[str, tuple[str, ...]]]:
    """Per fact kind, the comparisons made on each attribute; the kinds each kind joins."""
    leaves: dict[Any, dict[str, list[tuple[str, Any]]]] = {}
    partners: dict[str, set[str]] = {}
    for rule in rules.values():
        patterns = rule.get("all") if isinstance(rule, dict) else None
        if not isinstance(patterns, list) or not patterns:
            raise Unreadable("a rule without patterns")
        kinds = []
        for pattern in patterns:
            if not isinstance(pattern, dict) or len(pattern) != 1:
                raise Unreadable("a pattern is not one alias")
            (condition,) = pattern.values()
            kind = _kind_of(condition)
            kinds.append(kind)
            _leaves(condition, leaves.setdefault(kind, {}))
        if len(kinds) > 1:
            if None in kinds:
                raise Unreadable("a join on an unscoped pattern")
            for kind in kinds:
                partners.setdefault(kind, set()).update(k for k in kinds if k != kind)
    unscoped = leaves.pop(None, {})
    merged: dict[Any, dict[str, list[tuple[str, Any]]]] = {}
    for kind, by_name in leaves.items():
        merged[kind] = {name: list(found) for name, found in by_name.items()}
        for name, found in unscoped.items():
            merged[kind].setdefault(name, []).extend(found)
    if unscoped:
        merged[None] = unscoped
    return merged, {kind: tuple(sorted(found)) for kind, found in partners.items()}


def _kind_of(condition: Any) -> str | None:
    """The kind a pattern is scoped to (`_kind` equality at its top), or None."""
    if isinstance(condition, dict):
        if isinstance(condition.get("_kind"), str) and len(condition) == 1:
            return condition["_kind"]
        for part in condition.get("$and", ()) if len(condition) == 1 else ():
            if isinstance(part, dict) and len(part) == 1 and isinstance(part.get("_kind"), str):
                return part["_kind"]
    return None


def _leaves(condition: Any, out: dict[str, list[tuple[str, Any]]]) -> None:
    """Collect (operator, constant) per attribute; anything else raises `Unreadable`."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise Unreadable("a condition is not one operator")
    ((key, value),) = condition.items()
    if key in ("$and", "$or"):
        if not isinstance(value, list):
            raise Unreadable(f"{key} without a list")
        for part in value:
            _leaves(part, out)
        return
    if key in LEAF_OPS:
        if not isinstance(value, dict) or len(value) != 1:
            raise Unreadable("a comparison is not one attribute")
        ((name, constant),) = value.items()
        out.setdefault(name, []).append((key, constant))
        return
    if key.startswith("$"):
        raise Unreadable(f"operator {key}")
    out.setdefault(key, []).append(("$eq", value))


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)
