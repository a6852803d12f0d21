"""Splitting the declared ranges into cells, and the questions lint and diff ask of them.

Each name compared with a constant is split at those constants into a few
representative values (``age > 60`` splits age at 60), and a resolved
condition (`ranges.resolve`) is evaluated three-valued (`ranges.truth`) in
every combination of them. "Never" and "always" are only claimed when
certain; names are treated as independent, which can only make more
outcomes look possible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..conditions.nodes import Compare, Name, Node, Num
from ..conditions.visitor import NodeVisitor, names
from .ranges import ANY, BOTH, INF, Domain, truth

MAX_CELLS = 4096



def split_points(nodes: list[Node]) -> dict[str, set[float]]:
    """Constants each name is compared with (``age > 60`` splits age at 60)."""
    points: dict[str, set[float]] = {}
    for node in nodes:
        for compare in _compares(node):
            for side, other in ((compare.left, compare.right), (compare.right, compare.left)):
                if isinstance(side, Name) and isinstance(other, Num):
                    points.setdefault(side.id, set()).add(other.value)
    return points


class _Compares(NodeVisitor):
    def visit_Compare(self, node: Compare, found: list[Compare]) -> None:
        found.append(node)
        self.generic_visit(node, found)


_COMPARES = _Compares()


def _compares(node: Node) -> list[Compare]:
    """Every comparison in `node`, outermost first."""
    found: list[Compare] = []
    _COMPARES.visit(node, found)
    return found


def read_names(nodes: list[Node]) -> list[str]:
    """The names `nodes` read, each once, in source order."""
    seen: list[str] = []
    for node in nodes:
        for name in names(node):
            if name.id not in seen:
                seen.append(name.id)
    return seen


def representatives(domain: Domain, points: set[float]) -> list[Any] | None:
    """A value from each region the split points cut the domain into (None: keep whole)."""
    if domain.finite:
        return list(domain.values)
    inside = sorted(p for p in points if domain.lo <= p <= domain.hi)
    if not inside:
        return None
    lo = domain.lo if domain.lo > -INF else inside[0] - 1
    hi = domain.hi if domain.hi < INF else inside[-1] + 1
    edges = sorted({lo, *inside, hi})
    out: list[Any] = []
    for a, b in itertools.pairwise(edges):
        out.append(a)
        middle = _between(a, b, domain.integer)
        if middle is not None:
            out.append(middle)
    out.append(edges[-1])
    if domain.integer:
        out = [v for v in out if float(v).is_integer()]
    return sorted(set(out))


def _between(a: float, b: float, integer: bool) -> float | None:
    if not integer:
        return (a + b) / 2
    low = math.floor(a) + 1
    return low if low < b else None


@dataclass
class Cells:
    """Every combination of representative values for the names a set of conditions split."""

    names: list[str]
    choices: list[list[Any]]
    base: dict[str, Any]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for combo in itertools.product(*self.choices):
            env = dict(self.base)
            env.update(zip(self.names, combo, strict=True))
            yield env


def cells(nodes: list[Node], doms: Mapping[str, Domain]) -> Cells:
    """Cells for `nodes` (already resolved); too many cells: keep the widest names whole."""
    points = split_points(nodes)
    picked: list[tuple[str, list[Any]]] = []
    for name in read_names(nodes):
        domain = doms.get(name, ANY)
        reps = representatives(domain, points.get(name, set()))
        if reps:
            picked.append((name, reps))
    while picked and math.prod(len(r) for _, r in picked) > MAX_CELLS:
        picked.remove(max(picked, key=lambda item: len(item[1])))
    return Cells([n for n, _ in picked], [r for _, r in picked], dict(doms))


def possible(node: Node, doms: Mapping[str, Domain]) -> frozenset:
    """Every truth value a resolved condition can take over the domains."""
    out: set = set()
    for env in cells([node], doms):
        out |= truth(node, env)
        if out == BOTH:
            break
    return frozenset(out)


def jointly_possible(a: Node, b: Node, doms: Mapping[str, Domain]) -> bool:
    """Whether two resolved conditions can hold at once."""
    return any(True in truth(a, env) and True in truth(b, env) for env in cells([a, b], doms))


def restricting_names(a: Node, b: Node, doms: Mapping[str, Domain]) -> list[str]:
    """Names both conditions restrict, on values where both can hold.

    A name is restricted by a condition when some of its values make the
    condition false whatever the other names are. Two rules that restrict the
    same name over the same values overlap by design, not by accident.
    """
    space = cells([a, b], doms)
    shared = [n for n in read_names([a]) if n in read_names([b]) and n in space.names]
    found = []
    for name in shared:
        may_a: dict[Any, bool] = {}
        may_b: dict[Any, bool] = {}
        both: set = set()
        for env in space:
            value = env[name]
            ta, tb = True in truth(a, env), True in truth(b, env)
            may_a[value] = may_a.get(value, False) or ta
            may_b[value] = may_b.get(value, False) or tb
            if ta and tb:
                both.add(value)
        if both and not all(may_a.values()) and not all(may_b.values()):
            found.append(name)
    return found
