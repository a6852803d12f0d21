"""The safe subset of durable-rules 2.0.28, checked on every compiled ruleset.

See `../shared/reference/durable-rules.md` for the bugs behind each limit.
`verify_ruleset` rejects anything a ruleset must not contain: operators
outside the subset, comparisons with another fact, nested boolean groups in
joins, reserved attribute names, too many conditions on one fact kind, rules
without explicit priorities, a fact kind without its catch-all rule, and
attribute names whose FNV-1a hashes collide (the engine matches names by hash).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import Problem

# The release of durable-rules this subset was verified against (recorded with every decision).
ENGINE_VERSION = "durable-rules 2.0.28"
MAX_CONDITIONS_PER_KIND = 40  # engine error 303 past ~45 conditions matching one fact
MAX_RULES_PER_RULESET = 300  # create_ruleset hangs near 1500
MAX_PROPERTIES = 253
FORBIDDEN_ATTRIBUTES = {"id", "sid", "$s"}
LEAF_OPS = {"$lt", "$lte", "$gt", "$gte", "$neq"}

# durable-rules 2.0.28 reads uninitialised memory in delete_state when a
# session's fact matched no rule (valgrind: deleteStateNode; an abort once
# malloc is tuned). A lowest-priority catch-all per fact kind makes every fact
# match something; the engine leaves these firings out of the trace.
SEEN = "_seen."


def fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def verify_ruleset(rules: dict[str, Any], name: str, facts: dict[str, list[str]]
                   ) -> list[Problem]:
    """Problems that would take a ruleset outside the safe subset of durable-rules."""
    problems: list[str] = []
    per_kind: dict[str, int] = {}
    attributes: set[str] = set()
    if len(rules) > MAX_RULES_PER_RULESET:
        problems.append(f"{len(rules)} rules in one ruleset (limit {MAX_RULES_PER_RULESET})")
    for rule_id, rule in rules.items():
        if set(rule) != {"all", "pri"} or not isinstance(rule["pri"], int):
            problems.append(f"{rule_id}: a rule needs exactly 'all' and an explicit 'pri'")
            continue
        joined = len(rule["all"]) > 1
        for alias_condition in rule["all"]:
            (alias, condition), = alias_condition.items()
            kind = _kind_of(condition)
            per_kind[kind] = per_kind.get(kind, 0) + 1
            _verify_condition(condition, rule_id, joined, problems, attributes, top=True)
    for kind in per_kind:
        if f"{SEEN}{kind}" not in rules:
            problems.append(f"no catch-all rule for '{kind}' facts (delete_state would read "
                            "uninitialised memory)")
    for kind, count in per_kind.items():
        if count > MAX_CONDITIONS_PER_KIND + 1:
            problems.append(f"{count} conditions on '{kind}' facts (limit "
                            f"{MAX_CONDITIONS_PER_KIND})")
    for kind, names_ in facts.items():
        attributes |= set(names_)
        if len(names_) > MAX_PROPERTIES:
            problems.append(f"'{kind}' facts need {len(names_)} attributes (limit "
                            f"{MAX_PROPERTIES})")
    problems += _collisions(attributes)
    return [Problem(None, name, f"outside the safe durable-rules subset: {p}", code="unsafe")
            for p in problems]


def _kind_of(condition: dict) -> str:
    for part in condition.get("$and", [condition]):
        if "_kind" in part:
            return part["_kind"]
    return "?"


def _verify_condition(cond: Any, rule_id: str, joined: bool, problems: list[str],
                      attributes: set[str], top: bool = False) -> None:
    if not isinstance(cond, dict) or len(cond) != 1:
        problems.append(f"{rule_id}: malformed condition {json.dumps(cond)}")
        return
    (key, value), = cond.items()
    if key in ("$and", "$or"):
        if joined and not (top and key == "$and"):
            problems.append(f"{rule_id}: nested '{key}' inside a join")
        for part in value:
            _verify_condition(part, rule_id, joined, problems, attributes)
        return
    if key in LEAF_OPS:
        if not isinstance(value, dict) or len(value) != 1:
            problems.append(f"{rule_id}: malformed comparison {json.dumps(cond)}")
            return
        (key, value), = value.items()
        if isinstance(value, (bool, str)) and cond.get("$neq") is None:
            problems.append(f"{rule_id}: ordering comparison on a non-number")
    elif key.startswith("$"):
        problems.append(f"{rule_id}: operator '{key}' is outside the safe subset")
        return
    if key in FORBIDDEN_ATTRIBUTES:
        problems.append(f"{rule_id}: attribute name '{key}' is reserved by the engine")
    if isinstance(value, dict):
        problems.append(f"{rule_id}: '{key}' compares with another fact (only constants allowed)")
    elif not isinstance(value, (bool, int, float, str)):
        problems.append(f"{rule_id}: '{key}' compares with a {type(value).__name__}")
    attributes.add(key)


def _collisions(attributes: set[str]) -> list[str]:
    seen: dict[int, str] = {}
    found = []
    for name in sorted(attributes):
        digest = fnv1a32(name)
        if digest in seen:
            found.append(f"attribute names '{seen[digest]}' and '{name}' share an FNV-1a hash")
        seen[digest] = name
    return found
