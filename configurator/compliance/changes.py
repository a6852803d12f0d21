"""Semantic changes between two versions of a product, named and judged for the insured.

Items are matched by stable id (list sections) or by name (map sections),
never by position: reordering is no change, and a clause whose id changed is
one removal plus one addition. Every number is compared as the rules use it:
a parameter name is resolved to its dated history (`params`), so a benefit
whose waiting period points at a parameter that moved from 180 to 200 days
"lengthened from 180 days to 200 days", and a history whose values stayed
but whose dates moved is a "parameter_dates_changed". Conditions are compared
after parameters are folded in (`ranges.resolve`): the direction of
a change (the set of cases that satisfy it widened or narrowed) comes from
the polarity of each moved constant in the AST (``age > 60`` -> ``age > 55``
widens), and where the shapes differ, from evaluating both conditions over
the declared input ranges (`cells.cells`).

Each `Change` records its `causes`: the smallest edits (``parameter.<name>``
or ``<section>.<id>``) that, applied to the old version alone, make it; the
impact report uses them to say which change moved which case.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..conditions.expression import Expression
from ..conditions.parser import tokenize
from ..conditions.visitor import names as names_in
from ..errors import Span
from ..product.model import Product, text_in, text_variants
from ..product.params import parameter_periods, parameters_at
from ..product.ranges import Domain, domains, resolve
from ..product.wording import format_value
from .polarity import compare_conditions, name_polarity

FAVOURABLE, UNFAVOURABLE, NEUTRAL, MIXED = "favourable", "unfavourable", "neutral", "mixed"
EFFECTS = (FAVOURABLE, UNFAVOURABLE, NEUTRAL, MIXED)
START = dt.date.min
History = tuple[tuple[dt.date, Any], ...]


@dataclass
class Change:
    """One change, named in domain terms and judged for the insured."""

    kind: str
    subject: str  # the stable key of what changed: "benefit.liver_cancer", "term", ...
    effect: str
    reason: str  # one line, ending in ": <effect>"
    causes: tuple[str, ...] = ()
    old: Any = None
    new: Any = None
    old_source: str | None = None
    new_source: str | None = None
    existing: bool = True  # False for something the new version adds
    clause: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "effect": self.effect,
                "reason": self.reason, "causes": list(self.causes), "old": _plain(self.old),
                "new": _plain(self.new), "old_source": self.old_source,
                "new_source": self.new_source, "existing": self.existing, "clause": self.clause}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def combine(effects: Iterable[str]) -> str:
    """The effect of several effects together."""
    found = {e for e in effects if e != NEUTRAL}
    if not found:
        return NEUTRAL
    return found.pop() if len(found) == 1 else MIXED


def judged(direction: int, better: int | None) -> str:
    """A +1/-1 move of a value whose rise is `better` (+1 good, -1 bad, 0 neither, None: varies)."""
    if better is None:
        return MIXED
    if direction == 0 or better == 0:
        return NEUTRAL
    return FAVOURABLE if direction * better > 0 else UNFAVOURABLE


# ------------------------------------------------------------ numbers and their histories


@dataclass(frozen=True)
class Field:
    """How to name and judge a numeric field."""

    label: str  # "waiting period for {name}"
    up: str  # kind when the value rises
    down: str  # kind when it falls
    better: int | None  # +1: higher is better for the insured, -1 worse, 0 neither, None: depends
    unit: str | None = None
    verbs: tuple[str, str] = ("raised", "lowered")
    none: float | None = None  # what an absent value means (inf for "no limit")


class Versions:
    """The two products, their parameters and the helpers every section comparer uses."""

    def __init__(self, old: Product, new: Product):
        self.old, self.new = old, new
        self.dates = sorted({START, *(d for d, _ in parameter_periods(old)),
                             *(d for d, _ in parameter_periods(new))})
        self.at = {(side, day): parameters_at(product, day) for day in self.dates
                   for side, product in (("old", old), ("new", new))}
        self.changes: list[Change] = []

    # -- values

    def history(self, product: Product, ref: Any) -> History:
        """A NumberRef (or any value) as (from, value) pairs; a literal has one pair."""
        if isinstance(ref, str) and ref in product.parameters:
            parameter = product.parameters[ref]
            if parameter.values is None:
                return ((START, parameter.value),)
            pairs = [(START if i == 0 else v.from_, v.value) for i, v in
                     enumerate(parameter.values)]
            return _squeeze(pairs)
        return ((START, ref),)

    def show(self, product: Product, ref: Any, value: Any, unit: str | None) -> str:
        """A value in words, in the unit of the parameter it came from (or the field's)."""
        if value is None:
            return "none"
        if isinstance(value, float) and math.isinf(value):
            return "no limit"
        if isinstance(ref, str) and ref in product.parameters and product.parameters[ref].unit:
            unit = product.parameters[ref].unit
        if unit == "money":
            unit = product.currency
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return str(value)
        return format_value(value, unit, "en", product.currency)

    def causes(self, subject: str, old_ref: Any, new_ref: Any) -> tuple[str, ...]:
        """The edit that makes a value change: the parameter both versions name, or the item."""
        if isinstance(old_ref, str) and old_ref == new_ref and old_ref in self.new.parameters:
            return (f"parameter.{old_ref}",)
        return (subject,)

    # -- recording

    def add(self, kind: str, subject: str, effect: str, text: str, causes: tuple[str, ...] = (),
            old: Any = None, new: Any = None, old_node: Any = None, new_node: Any = None,
            existing: bool = True) -> Change:
        change = Change(kind, subject, effect, f"{text}: {effect}", causes or (subject,), old, new,
                        _where(old_node), _where(new_node), existing)
        self.changes.append(change)
        return change

    def membership(self, subject: str, what: str, old: dict, new: dict,
                   kinds: tuple[str, str], effects: tuple[str, str]) -> list[str]:
        """Report the items `new` removes and adds (`subject` and `what` are formats of the
        key and the item's name: ``benefit.{}``, ``benefit {}``); the keys both keep."""
        removed, kept, added = matched(old, new)
        for key in removed:
            self.add(kinds[0], subject.format(key), effects[0],
                     f"{what.format(label_of(old[key], key))} removed", old_node=old[key])
        for key in added:
            self.add(kinds[1], subject.format(key), effects[1],
                     f"{what.format(label_of(new[key], key))} added", new_node=new[key],
                     existing=False)
        return kept

    def number(self, subject: str, name: str, spec: Field, old_ref: Any, new_ref: Any,
               old_node: Any = None, new_node: Any = None) -> None:
        """Compare a numeric field as the rules read it, at every date either version changes."""
        old_h = self.history(self.old, old_ref)
        new_h = self.history(self.new, new_ref)
        if old_h == new_h:
            return
        label = spec.label.format(name=name)
        effects, moves = [], []
        for day in _breaks(old_h, new_h):
            a, b = _value_at(old_h, day, spec.none), _value_at(new_h, day, spec.none)
            if a != b:
                effects.append(judged(_direction(a, b), spec.better))
                moves.append((day, a, b))
        if not moves:
            return
        dates_only = [v for _, v in old_h] == [v for _, v in new_h]
        if dates_only:
            kind = "parameter_dates_changed"
            text = f"{label}: {self._dates_text(old_h, new_h, old_ref, new_ref, spec)}"
        else:
            _, a, b = moves[0]
            kind = spec.up if _direction(a, b) > 0 else spec.down
            parts = [self._move(spec, old_ref, new_ref, move) for move in moves]
            text = f"{label} {'; '.join(parts)}"
        self.add(kind, subject, combine(effects), text, self.causes(subject, old_ref, new_ref),
                 _history_data(old_h), _history_data(new_h), old_node, new_node)

    def _dates_text(self, old_h: History, new_h: History, old_ref, new_ref, spec: Field) -> str:
        parts = []
        for (d1, v), (d2, _) in zip(old_h, new_h, strict=True):
            if d1 != d2:
                shown = self.show(self.new, new_ref, v, spec.unit)
                parts.append(f"{shown} now applies from {_day(d2)} instead of {_day(d1)}")
        return "; ".join(parts)

    def _move(self, spec: Field, old_ref: Any, new_ref: Any, move: tuple) -> str:
        """`lengthened from 120 days to 150 days (from 2027-01-01)`."""
        day, a, b = move
        verb = spec.verbs[0] if _direction(a, b) > 0 else spec.verbs[1] if _direction(
            a, b) < 0 else "changed"
        when = "" if day == START else f" (from {day.isoformat()})"
        return (f"{verb} from {self.show(self.old, old_ref, a, spec.unit)} to "
                f"{self.show(self.new, new_ref, b, spec.unit)}{when}")

    def wording(self, subject: str, label: str, old_text: Any, new_text: Any,
                old_node: Any = None, new_node: Any = None) -> None:
        """A change in the words of a text field (parameters not injected: templates)."""
        old_v, new_v = dict(text_variants(old_text)), dict(text_variants(new_text))
        if old_v == new_v:
            return
        locales = [loc for loc in ("en", "zh-CN") if old_v.get(loc) != new_v.get(loc)]
        self.add("wording_only", subject, NEUTRAL,
                 f"wording of {label} changed ({', '.join(locales)})", (subject,),
                 old_v, new_v, old_node, new_node)

    def flag(self, subject: str, label: str, old: Any, new: Any, good: Any, kind: str,
             old_node: Any = None, new_node: Any = None) -> None:
        """A yes/no or categorical field: `good` is the value that favours the insured."""
        if old == new:
            return
        effect = NEUTRAL if good is None else FAVOURABLE if new == good else UNFAVOURABLE
        self.add(kind, subject, effect, f"{label} changed from {_word(old)} to {_word(new)}",
                 (subject,), old, new, old_node, new_node)

    # -- conditions

    def condition(self, subject: str, label: str, old_text: Expression | None,
                  new_text: Expression | None, meaning: tuple[str, str, str], scope: dict,
                  old_node: Any = None, new_node: Any = None) -> None:
        """Compare two conditions; `meaning` = (kind, effect if widened, what it governs)."""
        if old_text is None and new_text is None:
            return
        kind, widened_effect, governs = meaning
        directions = []
        for day in self.dates:
            old_c = self._resolved(old_text, self.at[("old", day)])
            new_c = self._resolved(new_text, self.at[("new", day)])
            if old_c == new_c:
                continue
            doms = self._domains(scope, day)
            directions.append(compare_conditions(old_c, new_c, doms))
        if not directions:
            return
        direction = _merge_directions(directions)
        effect = _condition_effect(direction, widened_effect)
        moved = self.moved_parameters(old_text, new_text)
        same_text = old_text is not None and new_text is not None and \
            " ".join(old_text.split()) == " ".join(new_text.split())
        if kind == "threshold_moved" and not (same_text or _only_numbers(old_text, new_text)):
            kind = "condition_changed"
        text = self._condition_text(label, governs, direction, old_text, new_text, same_text, moved)
        causes = tuple(f"parameter.{n}" for n in moved) if same_text else (subject,)
        self.add(_condition_kind(kind, direction), subject, effect, text, causes,
                 old_text, new_text, old_node, new_node)

    def _condition_text(self, label, governs, direction, old_text, new_text, same_text, moved):
        says = {"widened": f"now applies to more {governs}",
                "narrowed": f"now applies to fewer {governs}",
                "mixed": f"now applies to some {governs} it did not and not to others it did",
                "unknown": "changed in a way that could not be judged automatically; review it",
                "same": "rewritten with the same meaning"}[direction]
        text = f"{label} {says}"
        if same_text and moved:
            text += " (" + "; ".join(self.move_text(n) for n in moved) + ")"
        else:
            text += f" (`{_clean(old_text)}` -> `{_clean(new_text)}`)"
        return text

    def move_text(self, name: str) -> str:
        """How a parameter moved: `max_age moved from 60 years to 55 years`."""
        old_h, new_h = self.history(self.old, name), self.history(self.new, name)
        if [v for _, v in old_h] == [v for _, v in new_h]:
            return f"{name} {self._dates_text(old_h, new_h, name, name, Field('', '', '', 0))}"
        return (f"{name} moved from {self._history_text(self.old, name, old_h)} to "
                f"{self._history_text(self.new, name, new_h)}")

    def _history_text(self, product: Product, name: str, history: History) -> str:
        """`90 days` or `90 days, 120 days from 2027-01-01`."""
        return ", ".join(self.show(product, name, value, None) + (
            "" if day == START else f" from {day.isoformat()}") for day, value in history)

    def moved_parameters(self, old_text: Expression | None, new_text: Expression | None
                         ) -> list[str]:
        """Parameters an expression reads whose values (or dates) differ between versions."""
        names: list[str] = []
        for text in (old_text, new_text):
            for name in _names(text):
                if name in self.old.parameters and name in self.new.parameters and \
                        name not in names and \
                        self.history(self.old, name) != self.history(self.new, name):
                    names.append(name)
        return names

    def _resolved(self, text: Expression | None, constants: dict):
        if text is None:
            return None
        return resolve(text.node, constants)

    def _domains(self, scope: dict, day: dt.date) -> dict[str, Domain]:
        """Domains from the new version (the old one's for names only it has)."""
        doms = domains(self.old, self.at[("old", day)], **scope)
        doms.update(domains(self.new, self.at[("new", day)], **scope))
        return doms

    def polarity(self, product: Product, name: str) -> int:
        return name_polarity(product, name)

    def spot(self, side: str, node: Any, *fields: str) -> str | None:
        """`file:line:col` of a node (or one of its fields) in the old or new file."""
        product = self.old if side == "old" else self.new
        if node is None or product.source is None:
            return None
        return str(product.source.span(tuple(node.path) + fields))


def _squeeze(pairs: list[tuple[dt.date, Any]]) -> History:
    out: list[tuple[dt.date, Any]] = []
    for day, value in pairs:
        if not out or out[-1][1] != value:
            out.append((day, value))
    return tuple(out)


def _breaks(a: History, b: History) -> list[dt.date]:
    return sorted({d for d, _ in a} | {d for d, _ in b})


def _value_at(history: History, day: dt.date, none: float | None) -> Any:
    found = history[0][1]
    for start, value in history:
        if start <= day:
            found = value
    return none if found is None and none is not None else found


def _direction(a: Any, b: Any) -> int:
    numbers = (int, float, Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return (b > a) - (b < a)
    return 0


def _history_data(history: History) -> Any:
    if len(history) == 1:
        return history[0][1]
    return [[_day(d), v] for d, v in history]


def _day(day: dt.date) -> str:
    return "the start" if day == START else day.isoformat()


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple, set)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _where(node: Any) -> str | None:
    if isinstance(node, str) or node is None:
        return node
    if isinstance(node, Span):
        return str(node)
    span = getattr(node, "span", None)
    return str(span) if span is not None else None


def _names(text: Expression | None) -> list[str]:
    if text is None:
        return []
    return [n.id for n in names_in(text.node)]


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else "none"


def _only_numbers(old_text: str | None, new_text: str | None) -> bool:
    """Whether two conditions differ only in their number literals."""
    if old_text is None or new_text is None:
        return False
    a, b = tokenize(old_text), tokenize(new_text)
    if len(a) != len(b):
        return False
    return all(x.text == y.text or x.kind == y.kind == "number" for x, y in zip(a, b, strict=True))


def _merge_directions(directions: list[str]) -> str:
    found = set(directions) - {"same"}
    if not found:
        return "same"
    if "unknown" in found:
        return "unknown"
    return found.pop() if len(found) == 1 else "mixed"


def _condition_effect(direction: str, widened_effect: str) -> str:
    if direction == "same":
        return NEUTRAL
    if direction in ("mixed", "unknown"):
        return MIXED if widened_effect != NEUTRAL else NEUTRAL
    if widened_effect in (NEUTRAL, MIXED):
        return widened_effect
    flipped = UNFAVOURABLE if widened_effect == FAVOURABLE else FAVOURABLE
    return widened_effect if direction == "widened" else flipped


def _condition_kind(kind: str, direction: str) -> str:
    """`eligibility` kinds name the direction (a wider decline narrows eligibility)."""
    if direction == "same":
        return "condition_rewritten"
    if kind == "eligibility":
        return {"widened": "eligibility_narrowed", "narrowed": "eligibility_widened"}.get(
            direction, "eligibility_changed")
    return kind


def label_of(item: Any, fallback: str) -> str:
    name = getattr(item, "name", None) or getattr(item, "term", None)
    return text_in(name, "en") if name is not None else fallback


def by_key(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


def matched(old: dict, new: dict) -> tuple[list[str], list[str], list[str]]:
    """(removed, kept, added) keys, kept in the new version's order."""
    removed = [k for k in old if k not in new]
    kept = [k for k in new if k in old]
    added = [k for k in new if k not in old]
    return removed, kept, added

