"""Compile a checked product into durable-rules rulesets, as plain data.

The output is JSON-able and deterministic: rulesets per stage (`underwriting`
for the applicant, `timeline` for visits, missed check-ups, policy years and
claims), one set per period of effective-dated parameters, named from product
id + version + content hash, plus an index from every rule id to its YAML
span, policy clause and condition text.

Only the safe subset of durable-rules is emitted (see
`../shared/reference/durable-rules.md`, checked again by `verify_ruleset`):
single-fact conditions scoped by `_kind`, comparisons of one attribute with a
constant, joins only as an unconditioned pairing with the decision fact, no
`none`, no regex, explicit priorities, dates as integer days. A comparison
between two fact attributes (``alt > 2 * alt_uln``) is "lifted": computed in
Python by the direct evaluator and asserted as a boolean attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..conditions.expression import Expression, as_expression
from ..conditions.nodes import Node
from ..conditions.visitor import names, unparse
from ..errors import CompileError
from ..product.clauses import clause_numbers
from ..product.model import NumberRef, Product
from ..product.params import in_force, parameter_periods
from ..product.source import format_path
from .safe_subset import (
    MAX_CONDITIONS_PER_KIND,
    MAX_RULES_PER_RULESET,
    SEEN,
    verify_ruleset,
)
from .translate import Translator, leaf, lifted_name, scoped

# Fact kinds and the system attributes each carries (all begin with "_", which
# product names cannot, so they never collide with inputs or fields).
FACT_KINDS = ("applicant", "decision", "visit", "missed", "event", "year", "claim")
SYSTEM_ATTRIBUTES = {
    "applicant": ("_kind", "_ref"),
    "decision": ("_kind", "_ref", "_decision"),
    "visit": ("_kind", "_ref", "_checkup", "_scheduled"),
    "missed": ("_kind", "_ref", "_checkup", "_streak"),
    "event": ("_kind", "_ref", "_type"),
    "year": ("_kind", "_ref", "_year"),
    "claim": ("_kind", "_ref", "_type", "_days"),
}
STAGE_OF = {"applicant": "underwriting"}


@dataclass
class RuleInfo:
    """Where a compiled rule came from and what it means."""

    id: str
    kind: str  # eligibility, trigger, result, done, missed, adherence, benefit, waiting, exclusion
    owner: str  # the id of the rule, check-up, programme, benefit or exclusion in the YAML
    fact: str
    stage: str
    path: str
    source: str  # file:line:col
    line: int
    clause: str
    condition: str | None = None


@dataclass
class Ruleset:
    name: str
    stage: str
    kinds: list[str]
    rules: dict[str, Any]


@dataclass
class Period:
    """Rulesets for the parameter values in force from `start`."""

    start: dt.date
    parameters: dict[str, Any]
    rulesets: list[Ruleset]


@dataclass
class Lifted:
    """A comparison the engine cannot make, computed in Python and asserted as `attribute`.

    `node` is the part of a rule's tree that was lifted (`expression` is its
    canonical text), kept so the engine never parses the text again; it is
    left out of `to_data`, where the text says the same.
    """

    attribute: str
    expression: str
    kinds: list[str]
    node: Node = field(repr=False, compare=False)

    def to_data(self) -> dict[str, Any]:
        """The entry as `configurator compile` prints it (the text, not the tree)."""
        return {"attribute": self.attribute, "expression": self.expression,
                "kinds": list(self.kinds)}


@dataclass
class CompiledProduct:
    """A product compiled to plain data; the engine runs it, `compile` prints it."""

    product: Product
    name: str
    periods: list[Period]
    rules: dict[str, RuleInfo]
    lifted: dict[str, Lifted]
    facts: dict[str, list[str]]
    conditions: dict[str, Expression] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return self.product.hash

    def period_at(self, day: dt.date) -> Period:
        """The period whose parameters are in force on `day`."""
        return in_force(self.periods, day, lambda period: period.start)

    def to_data(self) -> dict[str, Any]:
        """Everything compiled, as JSON-able data (what `configurator compile` prints)."""
        p = self.product
        return {
            "name": self.name,
            "product": {"id": p.id, "version": p.version, "hash": p.hash},
            "periods": [{"from": period.start.isoformat(), "parameters": period.parameters,
                         "rulesets": [asdict(r) for r in period.rulesets]}
                        for period in self.periods],
            "rules": {rule_id: asdict(info) for rule_id, info in self.rules.items()},
            "lifted": {name: info.to_data() for name, info in self.lifted.items()},
            "facts": self.facts,
        }


def compile_product(product: Product) -> CompiledProduct:
    """Compile a checked product; raise `CompileError` if it leaves the safe subset."""
    compiler = _Compiler(product)
    periods = []
    for index, (start, constants) in enumerate(parameter_periods(product)):
        specs = compiler.rules(constants)
        rulesets = compiler.rulesets(specs, index)
        periods.append(Period(start, dict(constants), rulesets))
    compiled = CompiledProduct(product, ruleset_base_name(product), periods, compiler.info,
                               compiler.lifted_info(), compiler.fact_attributes(),
                               compiler.condition_text)
    problems = [problem for period in periods for ruleset in period.rulesets
                for problem in verify_ruleset(ruleset.rules, ruleset.name, compiled.facts)]
    if problems:
        raise CompileError(problems)
    return compiled


def ruleset_base_name(product: Product) -> str:
    return f"{product.id}-{product.version}-{product.hash}"


# ------------------------------------------------------------ the compiler


@dataclass
class _Spec:
    id: str
    stage: str
    kinds: list[str]
    all: list[dict]


class _Compiler:
    def __init__(self, product: Product):
        self.product = product
        self.info: dict[str, RuleInfo] = {}
        self.clauses = clause_numbers(product)
        self.lifted: dict[str, tuple[str, set[str], Node]] = {}
        self.reads: dict[str, set[str]] = {kind: set() for kind in FACT_KINDS}
        self.condition_text: dict[str, Expression] = {}

    # -- helpers

    def translate(self, text: Expression | None, kind: str, constants: Mapping[str, Any]
                  ) -> dict | bool:
        if text is None:
            return True
        node = text.node
        self.reads[kind] |= {n.id for n in names(node) if n.id not in constants}

        def lift(sub: Node) -> str:
            name = lifted_name(sub)
            _, kinds, _ = self.lifted.setdefault(name, (unparse(sub), set(), sub))
            kinds.add(kind)
            return name

        return Translator(constants, lift)(node)

    def number(self, value: NumberRef, constants: Mapping[str, Any]) -> float:
        return constants[value] if isinstance(value, str) else value

    def register(self, rule_id: str, kind: str, owner: str, fact: str, path: tuple,
                 clause_key: str, condition: str | None) -> None:
        # model conditions already are Expressions; the waiting rules' `_days < n` becomes one
        text = as_expression(condition) if condition is not None else None
        doc = self.product.source
        span = doc.span(path) if doc is not None else None
        self.info[rule_id] = RuleInfo(
            rule_id, kind, owner, fact, STAGE_OF.get(fact, "timeline"), format_path(path),
            str(span) if span else "<product>", span.line if span else 0,
            self.clauses.get(clause_key, ""), text)
        if text is not None:
            self.condition_text[rule_id] = text

    # -- rules

    def rules(self, constants: Mapping[str, Any]) -> list[_Spec]:
        specs: list[_Spec] = []
        for build in (self.eligibility, self.checkups, self.adherence, self.claims):
            specs += build(constants)
        return specs

    def single(self, rule_id: str, fact: str, extra: list[dict], condition: dict | bool) -> _Spec:
        return _Spec(rule_id, STAGE_OF.get(fact, "timeline"), [fact],
                     [{"m": scoped(fact, extra, condition)}])

    def conditional(self, rule_id: str, kind: str, owner: str, fact: str, path: tuple,
                    clause_key: str, when: Any, constants: Mapping[str, Any],
                    extra: list[dict] | None = None) -> _Spec:
        """A rule that fires when one condition holds on one fact of `fact` kind."""
        self.register(rule_id, kind, owner, fact, path, clause_key, when)
        return self.single(rule_id, fact, extra or [], self.translate(when, fact, constants))

    def eligibility(self, constants) -> list[_Spec]:
        return [self.conditional(f"eligibility.{rule.id}", "eligibility", rule.id, "applicant",
                                 rule.path, f"eligibility.{rule.id}", rule.when, constants)
                for rule in self.product.eligibility]

    def checkups(self, constants) -> list[_Spec]:
        out: list[_Spec] = []
        by_id = {c.id: c for c in self.product.checkups}
        for checkup in self.product.checkups:
            out += self.trigger(checkup, by_id, constants)
            clause = f"checkup.{checkup.id}"
            out += [self.conditional(f"result.{checkup.id}.{result.id}", "result", checkup.id,
                                     "visit", result.path, f"{clause}.{result.id}",
                                     result.when, constants, [{"_checkup": checkup.id}])
                    for result in checkup.results]
            for kind, fact in (("done", "visit"), ("missed", "missed")):
                rule_id = f"{kind}.{checkup.id}"
                effect = checkup.on_done if kind == "done" else checkup.on_missed
                path = effect.path if effect is not None else checkup.path
                streak = self.streak(checkup, constants) if kind == "missed" else 1
                self.register(rule_id, kind, checkup.id, fact, path, clause,
                              f"missed_in_a_row >= {streak:g}" if streak > 1 else None)
                out.append(self.joined(rule_id, fact, checkup.id, streak))
        return out

    def streak(self, checkup, constants: Mapping[str, Any]) -> float:
        """How many misses in a row the missed rule waits for (the engine counts them)."""
        return self.number(checkup.missed_in_a_row, constants)

    def joined(self, rule_id: str, fact: str, checkup: str, streak: float = 1) -> _Spec:
        """The chained rule: an accepted policy plus a check-up outcome."""
        decision = {"$and": [{"_kind": "decision"}, {"_decision": "accept"}]}
        outcome = {"$and": [{"_kind": fact}, {"_checkup": checkup}]}
        if fact == "visit":  # only a visit inside the check-up's window completes it
            outcome["$and"].append({"_scheduled": True})
        if streak > 1:  # on_missed waits for this many misses in a row
            outcome["$and"].append(leaf(">=", "_streak", streak))
        return _Spec(rule_id, "timeline", ["decision", fact], [{"d": decision}, {"c": outcome}])

    def trigger(self, checkup, by_id, constants) -> list[_Spec]:
        trigger = checkup.trigger
        if trigger.when is None:
            return []
        on = trigger.on or "applicant"
        rule_id = f"trigger.{checkup.id}"
        if trigger.on_any is not None:  # any of several event types
            fact, extra = "event", [Translator.boolean("or", [{"_type": t}
                                                              for t in trigger.on_any])]
        elif on == "applicant":
            fact, extra = "applicant", []
        elif on in by_id:
            fact, extra = "visit", [{"_checkup": on}]
        else:
            fact, extra = "event", [{"_type": on}]
        return [self.conditional(rule_id, "trigger", checkup.id, fact, trigger.path + ("when",),
                                 f"checkup.{checkup.id}", trigger.when, constants, extra)]

    def adherence(self, constants) -> list[_Spec]:
        return [self.conditional(f"adherence.{p.id}", "adherence", p.id, "year", p.path,
                                 f"adherence.{p.id}", p.when, constants)
                for p in self.product.adherence]

    def claims(self, constants) -> list[_Spec]:
        out = []
        scopes = {b.id: self.benefit_scope(b, constants) for b in self.product.benefits}
        for benefit in self.product.benefits:
            rule_id = f"benefit.{benefit.id}"
            self.register(rule_id, "benefit", benefit.id, "claim", benefit.path,
                          rule_id, benefit.when)
            out.append(self.single(rule_id, "claim", [], scopes[benefit.id]))
            days = self.number(benefit.waiting_period_days, constants)
            if days > 0:
                wait_id = f"waiting.{benefit.id}"
                self.register(wait_id, "waiting", benefit.id, "claim",
                              benefit.path + ("waiting_period_days",), rule_id,
                              f"_days < {days:g}")
                waiting = Translator.boolean("and", [scopes[benefit.id],
                                                     leaf("<", "_days", days)])
                out.append(self.single(wait_id, "claim", [], waiting))
        for exclusion in self.product.exclusions:
            out.append(self.exclusion(exclusion, scopes, constants))
        return out

    def benefit_scope(self, benefit, constants) -> dict | bool:
        """A claim this benefit covers: its event type and its own condition."""
        own = self.translate(benefit.when, "claim", constants)
        return Translator.boolean("and", [{"_type": benefit.event}, own])

    def exclusion(self, exclusion, scopes: dict[str, dict | bool], constants) -> _Spec:
        """An exclusion fires only on claims some benefit it applies to would cover."""
        rule_id = f"exclusion.{exclusion.id}"
        self.register(rule_id, "exclusion", exclusion.id, "claim", exclusion.path, rule_id,
                      exclusion.when)
        applies = exclusion.applies_to if exclusion.applies_to is not None else list(scopes)
        covered = Translator.boolean("or", [scopes[b] for b in applies if b in scopes])
        parts = [covered, self.translate(exclusion.when, "claim", constants)]
        if exclusion.added_by_underwriting:
            parts.append({exclusion_flag(exclusion.id): True})
        return self.single(rule_id, "claim", [], Translator.boolean("and", parts))

    # -- rulesets

    def rulesets(self, specs: list[_Spec], period: int) -> list[Ruleset]:
        out: list[Ruleset] = []
        base = ruleset_base_name(self.product)
        for stage in ("underwriting", "timeline"):
            chunks = _chunks([s for s in specs if s.stage == stage])
            for number, chunk in enumerate(chunks):
                rules = {}
                for priority, spec in enumerate(chunk, start=1):
                    rules[spec.id] = {"all": spec.all, "pri": priority}
                kinds = sorted({k for spec in chunk for k in spec.kinds})
                for kind in kinds:  # every fact must match some rule: see SEEN
                    rules[f"{SEEN}{kind}"] = {"all": [{"m": {"_kind": kind}}],
                                              "pri": MAX_RULES_PER_RULESET + 1}
                out.append(Ruleset(f"{base}-p{period}-{stage}-{number}", stage, kinds, rules))
        return out

    def lifted_info(self) -> dict[str, Lifted]:
        return {name: Lifted(name, expr, sorted(kinds), node)
                for name, (expr, kinds, node) in sorted(self.lifted.items())}

    def fact_attributes(self) -> dict[str, list[str]]:
        """Attributes each fact kind must carry so every rule can read them."""
        out = {}
        flags = [exclusion_flag(x.id) for x in self.product.exclusions if x.added_by_underwriting]
        for kind in FACT_KINDS:
            attributes = set(SYSTEM_ATTRIBUTES[kind]) | self.reads[kind]
            attributes |= {name for name, (_, kinds, _) in self.lifted.items() if kind in kinds}
            if kind == "claim":
                attributes |= set(flags)
            out[kind] = sorted(attributes)
        return out


def exclusion_flag(exclusion_id: str) -> str:
    return f"_x_{exclusion_id}"


def _chunks(specs: list[_Spec]) -> list[list[_Spec]]:
    """Split rules so no fact kind meets more than MAX_CONDITIONS_PER_KIND conditions."""
    chunks: list[list[_Spec]] = []
    counts: list[dict[str, int]] = []
    for spec in specs:
        for chunk, count in zip(chunks, counts, strict=True):
            fits = len(chunk) < MAX_RULES_PER_RULESET and all(
                count.get(k, 0) < MAX_CONDITIONS_PER_KIND for k in spec.kinds)
            if fits:
                chunk.append(spec)
                for k in spec.kinds:
                    count[k] = count.get(k, 0) + 1
                break
        else:
            chunks.append([spec])
            counts.append({k: 1 for k in spec.kinds})
    return chunks
