"""Which cases come out differently under the new version, and which change moved them.

Method:

1. Every case (single case files, directories of them, scenario suites,
   ``.jsonl``/``.csv`` batch files) is loaded against each version and
   evaluated by the engine of record (`compile_product` + `evaluate`).
2. A case is *changed* when the two Outcomes differ in decision, whether
   cover is in force, sum insured, cover tier, adherence bonus, premium
   adjustment, exclusions, or any claim's status or payable amount. A
   changed decision is reported alone (its consequences go without saying).
3. Attribution by single changes: the changes of the diff are grouped by
   their causes (the smallest edit that makes them: a parameter, or one
   rule, benefit, check-up... by id). For each group a hybrid product is
   built - the old version with only that edit from the new one applied (and,
   if it would not load alone, the names the new version adds) - and every
   changed case is evaluated under it. Each *difference* of the case (the
   decision, an exclusion, one claim's payment...) is attributed to every
   group whose hybrid alone makes exactly that difference.
4. Differences no single group makes (changes that only act together, or a
   hybrid that cannot be built) are attributed through the trace instead:
   the rules that fired under one version and not the other are mapped to
   the rule, check-up, programme, benefit or exclusion they belong to, and
   to the groups whose changes touch those. Anything left is reported under
   "changes acting together".

Cases that do not load under one of the versions (a new required input, say)
are reported as errors, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..cases.batchfile import read_raw, to_case
from ..cases.case import Case, case_from_document
from ..cases.outcome import Outcome
from ..compiler.compile import compile_product
from ..engine.evaluate import evaluate
from ..errors import CaseError, ConfigError, Problem, ProductError, Span
from ..product.load import load_document
from ..product.model import Product
from ..product.source import Document, load_file
from .changes import FAVOURABLE, NEUTRAL, UNFAVOURABLE, Change, combine
from .diff_sections import PATCH_KINDS

CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".csv")
DECISION_RANK = {"accept": 0, "refer": 1, "decline": 2}


# ------------------------------------------------------------ reading cases


@dataclass
class CaseSource:
    """One case, loadable against any version of the product."""

    name: str
    where: str
    load: Callable[[Product], Case]


def collect_cases(paths: list[str | Path]) -> list[CaseSource]:
    """Every case in the given files and directories, in path order."""
    found: list[CaseSource] = []
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES):
                found += _from_file(child, quiet=True)
        elif path.exists():
            found += _from_file(path, quiet=False)
        else:
            raise CaseError([Problem(Span(str(path), 1, 1), "", "file not found")])
    return found


def _from_file(path: Path, quiet: bool) -> list[CaseSource]:
    if path.suffix in (".jsonl", ".csv"):
        return _batch(path)
    doc = load_file(path, CaseError)
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("cases"), list):
        return _suite(path, doc)
    if isinstance(data, dict) and "applicant" in data:
        name = str(data.get("name") or path.stem)
        return [CaseSource(name, str(path), lambda product, d=doc: case_from_document(d, product))]
    if quiet:
        return []  # a product file or notes beside the cases
    raise CaseError([Problem(doc.span(()), "", "not a case, a suite or a batch file",
                             "a case has 'applicant:', a suite has 'cases:'")])


def _suite(path: Path, doc: Document) -> list[CaseSource]:
    """Suite cases, each checked on its own (as `suite.load_suite` checks them), so one bad
    case does not hide the others."""
    out = []
    for index, item in enumerate(doc.data["cases"]):
        name = item.get("name") if isinstance(item, dict) else None
        sub = doc.part(("cases", index))
        out.append(CaseSource(str(name or f"{path.stem}[{index}]"),
                              str(doc.span(("cases", index))),
                              lambda product, d=sub: case_from_document(d, product)))
    return out


def _batch(path: Path) -> list[CaseSource]:
    """Batch rows (`batch.read_raw`), each checked per version by `batch.to_case`."""
    out = []
    for raw in read_raw(path):
        number, data = raw[0], raw[1]
        name = data.get("name") if isinstance(data, dict) else None
        out.append(CaseSource(str(name or f"{path.name} row {number}"), f"{path}:{number}",
                              lambda product, r=raw: _row_case(path, r, product)))
    return out


def _row_case(path: Path, raw: tuple, product: Product) -> Case:
    found = to_case(str(path), raw, product)
    if isinstance(found, CaseError):
        raise found
    return found


# ------------------------------------------------------------ comparing outcomes


@dataclass
class Difference:
    """One way a case's Outcome moved, judged for the insured."""

    aspect: str
    old: Any
    new: Any
    effect: str
    text: str
    headline: str  # what the group summary counts: "now declined", "are paid less"
    item: str = ""  # the claim or exclusion id it is about
    words: str = field(default="", compare=False)  # plain words (`impact_words`)

    def to_json(self) -> dict[str, Any]:
        return {"aspect": self.aspect, "old": _plain(self.old), "new": _plain(self.new),
                "effect": self.effect, "text": self.text, "words": self.words or self.text}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def facts(outcome: Outcome) -> dict[str, Any]:
    """What the impact report compares between two Outcomes."""
    cover = outcome.coverage
    return {"decision": outcome.decision, "in_force": cover.in_force,
            "sum_insured": cover.sum_insured, "tier": cover.tier,
            "bonus_percent": cover.bonus_percent,
            "premium_adjustment_percent": cover.premium_adjustment_percent,
            "exclusions": tuple(sorted(x.id for x in outcome.exclusions)),
            "claims": {c.id: (c.status, c.payable) for c in outcome.claims},
            "claimed": {c.id: (c.benefit, c.date) for c in outcome.claims}}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[Difference]:
    """How `new` differs from `old`. A changed decision is reported alone: what follows
    from it (no policy, so no cover, exclusions or claims paid) goes without saying."""
    out: list[Difference] = []
    if old["decision"] != new["decision"]:
        worse = DECISION_RANK[new["decision"]] > DECISION_RANK[old["decision"]]
        return [Difference("decision", old["decision"], new["decision"],
                           UNFAVOURABLE if worse else FAVOURABLE,
                           f"decision {old['decision']} -> {new['decision']}",
                           f"now {_past(new['decision'])}")]
    if old["in_force"] != new["in_force"]:
        out.append(_moved("in_force", old, new, "cover in force", "keep cover", "lose cover"))
    for aspect, label, up, down, better in (
            ("sum_insured", "sum insured", "get a higher sum insured",
             "get a lower sum insured", 1),
            ("bonus_percent", "adherence bonus %", "gain adherence bonus", "lose adherence bonus",
             1),
            ("premium_adjustment_percent", "premium adjustment %", "pay more",
             "pay less", -1)):
        if old[aspect] != new[aspect]:
            out.append(_moved(aspect, old, new, label, up, down, better))
    if old["tier"] != new["tier"]:
        out.append(Difference("tier", old["tier"], new["tier"], NEUTRAL,
                              f"cover tier {old['tier']} -> {new['tier']}",
                              f"move to cover tier {new['tier']}"))
    out += _exclusion_differences(old["exclusions"], new["exclusions"])
    out += _claim_differences(old["claims"], new["claims"])
    return out


def _past(decision: str) -> str:
    return {"accept": "accepted", "decline": "declined", "refer": "referred"}[decision]


def _moved(aspect: str, old: dict, new: dict, label: str, up: str, down: str,
           better: int = 1) -> Difference:
    a, b = old[aspect], new[aspect]
    rise = b > a
    effect = FAVOURABLE if rise == (better > 0) else UNFAVOURABLE
    return Difference(aspect, a, b, effect, f"{label} {_show(a)} -> {_show(b)}",
                      up if rise else down)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _exclusion_differences(old: tuple, new: tuple) -> list[Difference]:
    out = []
    for gained in sorted(set(new) - set(old)):
        out.append(Difference("exclusions", None, gained, UNFAVOURABLE,
                              f"exclusion {gained} now applies", f"gain exclusion {gained}",
                              gained))
    for lost in sorted(set(old) - set(new)):
        out.append(Difference("exclusions", lost, None, FAVOURABLE,
                              f"exclusion {lost} no longer applies", f"lose exclusion {lost}",
                              lost))
    return out


def _claim_differences(old: dict, new: dict) -> list[Difference]:
    out = []
    for claim in sorted(set(old) | set(new)):
        a, b = old.get(claim, ("none", Decimal(0))), new.get(claim, ("none", Decimal(0)))
        if a == b:
            continue
        more = b[1] > a[1]
        effect = FAVOURABLE if more else UNFAVOURABLE if b[1] < a[1] else NEUTRAL
        headline = "are paid more" if more else "are paid less" if b[1] < a[1] else \
            "see a claim status change"
        out.append(Difference("payable", a, b, effect, f"claim {claim}: {a[0]} {a[1]} -> "
                              f"{b[0]} {b[1]}", headline, claim))
    return out


# ------------------------------------------------------------ attribution

ALONE, TRACE, TOGETHER = ("re-evaluated with this change alone", "trace",
                          "changes acting together")


@dataclass
class CaseImpact:
    name: str
    where: str
    differences: list[Difference]
    groups: list[int] = field(default_factory=list)
    claimed: dict[str, tuple] = field(default_factory=dict)  # claim id -> (benefit, date)

    @property
    def effect(self) -> str:
        return combine(d.effect for d in self.differences)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "where": self.where, "effect": self.effect,
                "differences": [d.to_json() for d in self.differences], "groups": self.groups}


@dataclass
class Attributed:
    """The part of one case's differences a group accounts for, and how that was found."""

    case: CaseImpact
    differences: list[Difference]
    method: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.case.name, "where": self.case.where, "method": self.method,
                "differences": [d.text for d in self.differences]}


@dataclass
class ImpactGroup:
    """Cases moved by one cause (or by several acting together)."""

    causes: tuple[str, ...]
    changes: list[int]  # indices into the diff's changes
    cases: list[Attributed] = field(default_factory=list)

    def headline(self) -> str:
        counts: dict[str, int] = {}
        for entry in self.cases:
            for text in dict.fromkeys(d.headline for d in entry.differences):
                counts[text] = counts.get(text, 0) + 1
        return "; ".join(_count(n, text) for text, n in counts.items())

    def to_json(self) -> dict[str, Any]:
        return {"causes": list(self.causes), "changes": self.changes,
                "headline": self.headline(), "cases": [c.to_json() for c in self.cases]}


_SINGULAR = {"are": "is", "get": "gets", "lose": "loses", "gain": "gains", "pay": "pays",
             "move": "moves", "keep": "keeps", "see": "sees"}


def _count(n: int, text: str) -> str:
    """`3 cases are paid less`, `1 case is paid less`."""
    if n == 1:
        verb, _, rest = text.partition(" ")
        return f"1 case {_SINGULAR.get(verb, verb)} {rest}".rstrip()
    return f"{n} cases {text}"


@dataclass
class Impact:
    evaluated: int = 0
    changed: list[CaseImpact] = field(default_factory=list)
    groups: list[ImpactGroup] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"evaluated": self.evaluated, "changed": len(self.changed),
                "unchanged": self.evaluated - len(self.changed),
                "cases": [c.to_json() for c in self.changed],
                "groups": [g.to_json() for g in self.groups], "errors": self.errors}


def impact(old: Product, new: Product, changes: list[Change], cases: list[CaseSource]
           ) -> Impact:
    """Evaluate every case under both versions and attribute each changed one."""
    result = Impact()
    compiled = {"old": compile_product(old), "new": compile_product(new)}
    before: list[tuple[CaseSource, dict]] = []
    for source in cases:
        found = {}
        for side, product in (("old", old), ("new", new)):
            try:
                found[side] = facts(evaluate(compiled[side], source.load(product)))
            except ConfigError as exc:
                result.errors.append(f"{source.where}: {source.name}: does not load under the "
                                     f"{side} version: {exc.problems[0].message}")
        if len(found) < 2:
            continue
        result.evaluated += 1
        moved = differences(found["old"], found["new"])
        if moved:
            result.changed.append(CaseImpact(source.name, source.where, moved, [],
                                             found["old"]["claimed"] | found["new"]["claimed"]))
            before.append((source, found["old"]))
    if result.changed:
        _attribute(result, old, new, changes, before, compiled)
    return result


def _attribute(result: Impact, old: Product, new: Product, changes: list[Change],
               before: list[tuple[CaseSource, dict]], compiled: dict) -> None:
    """Each difference of each changed case to the groups that make it (see the docstring)."""
    groups: dict[tuple[str, ...], ImpactGroup] = {}
    for index, change in enumerate(changes):
        if change.kind not in PATCH_KINDS:  # a patch moves no case
            groups.setdefault(change.causes, ImpactGroup(change.causes, [])).changes.append(index)
    ordered = list(groups.values())
    built = [_build(old, new, group.causes) for group in ordered]
    together = ImpactGroup(("together",), [])
    for case, (source, old_facts) in zip(result.changed, before, strict=True):
        remaining = list(case.differences)
        for group, hybrid_product in zip(ordered, built, strict=True):
            made = _made_by(hybrid_product, source, old_facts)
            mine = [d for d in case.differences if d in made]
            if mine:
                group.cases.append(Attributed(case, mine, ALONE))
                remaining = [d for d in remaining if d not in mine]
        if remaining:
            traced = _by_trace(source, ordered, changes, compiled, old, new)
            for group in traced or [together]:
                group.cases.append(Attributed(case, remaining, TRACE if traced else TOGETHER))
    result.groups = [g for g in ordered if g.cases] + ([together] if together.cases else [])
    for number, group in enumerate(result.groups):
        for entry in group.cases:
            if number not in entry.case.groups:
                entry.case.groups.append(number)


def _build(old: Product, new: Product, causes: tuple[str, ...]) -> tuple | None:
    product = hybrid(old, new, causes)
    return (product, compile_product(product)) if product is not None else None


def _made_by(built: tuple | None, source: CaseSource, old_facts: dict) -> list[Difference]:
    """The differences a hybrid alone makes to a case (none if it cannot run it)."""
    if built is None:
        return []
    product, compiled = built
    try:
        outcome = evaluate(compiled, source.load(product))
    except ConfigError:
        return []
    return differences(old_facts, facts(outcome))


def _by_trace(source: CaseSource, ordered: list[ImpactGroup], changes: list[Change],
              compiled: dict, old: Product, new: Product) -> list[ImpactGroup]:
    """Groups whose changes touch a rule that fired under one version and not the other."""
    fired = {}
    for side, product in (("old", old), ("new", new)):
        outcome = evaluate(compiled[side], source.load(product))
        fired[side] = {owner(step.rule) for step in outcome.trace}
    moved = fired["old"] ^ fired["new"]
    return [group for group in ordered if any(changes[i].subject in moved for i in group.changes)]


def owner(rule_id: str) -> str:
    """The YAML item a compiled rule belongs to: `waiting.x` -> `benefit.x`."""
    kind, _, rest = rule_id.partition(".")
    if kind in ("trigger", "result", "done", "missed"):
        return f"checkup.{rest.split('.')[0]}"
    if kind == "waiting":
        return f"benefit.{rest}"
    return rule_id


# ------------------------------------------------------------ hybrids: old + one change


_LISTS = {"eligibility": "eligibility", "checkup": "checkups", "adherence": "adherence",
          "benefit": "benefits", "exclusion": "exclusions", "definition": "definitions"}
_MAPS = {"parameter": "parameters", "input": "inputs", "derived": "derived", "event": "events",
         "metric": "metrics"}
_TOP = {"term": ("term", "cooling_off_days"), "premium": ("premium",), "coverage": ("coverage",),
        "cooling_off_days": ("cooling_off_days",),
        "metadata": ("effective_from", "effective_to", "disease", "jurisdiction", "currency",
                     "languages", "name", "summary")}


def hybrid(old: Product, new: Product, causes: tuple[str, ...]) -> Product | None:
    """The old version with only `causes` taken from the new one (None if it cannot load)."""
    data, source = _data(old), _data(new)
    for cause in causes:
        _apply(data, source, cause)
    for attempt in (data, _with_new_names(data, source)):
        try:
            return load_document(Document("<old + " + ", ".join(causes) + ">", attempt))
        except ProductError:
            continue
    return None


def _data(product: Product) -> dict[str, Any]:
    """The product as its YAML would say it: a `same_as` programme's condition, filled in
    on load, is left out again (a programme gives 'when' or 'same_as', not both)."""
    data = product.model_dump(by_alias=True, exclude_none=True)
    for programme in data.get("adherence", ()):
        if programme.get("same_as"):
            programme.pop("when", None)
    return data


def _apply(data: dict, source: dict, cause: str) -> None:
    kind, _, key = cause.partition(".")
    if kind in _LISTS:
        section = _LISTS[kind]
        items = [i for i in data.get(section, []) if i["id"] != key]
        position = next((n for n, i in enumerate(data.get(section, [])) if i["id"] == key),
                        len(items))
        replacement = [i for i in source.get(section, []) if i["id"] == key]
        data[section] = items[:position] + replacement + items[position:]
    elif kind in _MAPS:
        section = data.setdefault(_MAPS[kind], {})
        if key in source.get(_MAPS[kind], {}):
            section[key] = source[_MAPS[kind]][key]
        else:
            section.pop(key, None)
    else:
        for name in _TOP.get(kind, ()):
            if name in source:
                data[name] = source[name]
            else:
                data.pop(name, None)


def _with_new_names(data: dict, source: dict) -> dict:
    """Also take every name the new version adds (unused by the old rules, so harmless)."""
    out = dict(data)
    for section in _MAPS.values():
        merged = dict(source.get(section, {}))
        merged.update(data.get(section, {}))
        out[section] = merged
    have = {i["id"] for i in data.get("exclusions", [])}
    out["exclusions"] = data.get("exclusions", []) + [
        i for i in source.get("exclusions", [])
        if i["id"] not in have and i.get("added_by_underwriting")]
    return out
