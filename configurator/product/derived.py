"""Derived values: the order to compute them in, and the loop when there is one."""

from __future__ import annotations

from ..conditions.parser import ConditionSyntaxError
from ..conditions.visitor import names


def derived_order(derived: dict) -> list[str] | str:
    """Derived names in dependency order, or the name of one on a cycle."""
    deps: dict[str, set[str]] = {}
    for name, spec in derived.items():
        try:
            deps[name] = {n.id for n in names(spec.expr.node)} & set(derived)
        except ConditionSyntaxError:
            deps[name] = set()
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> str | None:
        if state.get(name) == 2:
            return None
        if state.get(name) == 1:
            return name
        state[name] = 1
        for dep in sorted(deps[name]):
            cycle = visit(dep)
            if cycle:
                return cycle
        state[name] = 2
        order.append(name)
        return None

    for name in derived:
        cycle = visit(name)
        if cycle:
            return cycle
    return order


def derived_cycle(derived: dict, start: str) -> list[str]:
    """The names on a dependency loop through `start`, ending with `start` again."""

    def deps(name: str) -> list[str]:
        try:
            return sorted({n.id for n in names(derived[name].expr.node)} & set(derived))
        except ConditionSyntaxError:
            return []

    def walk(path: list[str]) -> list[str] | None:
        for dep in deps(path[-1]):
            if dep == start:
                return path + [start]
            if dep not in path:
                found = walk(path + [dep])
                if found:
                    return found
        return None

    return walk([start]) or [start, start]

