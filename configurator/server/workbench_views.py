"""What the product page and the case results show, as plain data for the templates.

Built from the library only: the policy's clauses come from
`Environment.document` (the renderer's own numbering), the rules that
implement them from `Environment.compile(...).rules` (`RuleInfo`: clause,
source, condition), values are written by `product.wording.format_value` as
the policy writes them. Nothing here decides anything.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..cases.outcome import Outcome, Reason
from ..document.blocks import Clause, Table
from ..environment import Environment
from ..errors import ConfigError
from ..product.clauses import clause_numbers
from ..product.load import load
from ..product.model import LOCALES, NumberRef, Product, text_in
from ..product.params import parameters_at
from ..product.wording import format_value, number_text

HIDDEN_KINDS = ("_seen",)  # engine plumbing, never shown


def content_locale(product: Product, locale: str) -> str:
    """The language product texts are shown in: the page's, if the product has it."""
    return locale if locale in product.languages else product.languages[0]


def short_source(source: str) -> str:
    """``/long/path/hepatitis_b.yaml:268:5`` -> ``hepatitis_b.yaml:268:5`` (no server paths)."""
    file, sep, rest = source.rpartition(":")
    file, sep2, line = file.rpartition(":")
    if not sep or not sep2:
        return Path(source).name
    return f"{Path(file).name}:{line}:{rest}"


class Writer:
    """Writes a product's numbers, money and names the way its policy does, in a locale."""

    def __init__(self, product: Product, locale: str, day: dt.date | None = None):
        self.product = product
        self.locale = content_locale(product, locale)
        self.constants = parameters_at(product, day or product.effective_from)

    def money(self, amount: Decimal | int | float | str) -> str:
        return format_value(Decimal(str(amount)), "money", self.locale, self.product.currency)

    def value(self, value: Any, unit: str | None) -> str:
        return format_value(value, unit, self.locale, self.product.currency)

    def ref(self, value: NumberRef | None, unit: str | None = None) -> str:
        """A number or the parameter that holds it, written with its unit."""
        if value is None:
            return ""
        if isinstance(value, str) and value in self.product.parameters:
            parameter = self.product.parameters[value]
            return self.value(self.constants[value], parameter.unit or unit)
        return self.value(value, unit)

    def text(self, text: Any) -> str:
        return text_in(text, self.locale) if text is not None else ""

    def name_of(self, kind: str, item_id: str | None) -> str:
        """The product's own name for a check-up, benefit, exclusion, tier or event type."""
        if item_id is None:
            return ""
        product = self.product
        found: Any = {
            "checkup": {c.id: c.name for c in product.checkups},
            "benefit": {b.id: b.name for b in product.benefits},
            "exclusion": {x.id: x.name for x in product.exclusions},
            "programme": {a.id: a.name for a in product.adherence},
            "tier": {k: v.name for k, v in product.coverage.tiers.items()},
            "limit": {k: v.name for k, v in product.coverage.limits.items()},
            "event": {k: v.label for k, v in product.events.items()},
        }[kind].get(item_id)
        return self.text(found) if found is not None else item_id


# ------------------------------------------------------------ the product page


def product_view(env: Environment, product: Product, locale: str) -> dict[str, Any]:
    """The product page: its facts, its clauses beside their rules, its parameters,
    check-ups and adherence programmes."""
    write = Writer(product, locale)
    return {"id": product.id, "version": product.version, "hash": product.hash,
            "name": write.text(product.name), "summary": write.text(product.summary),
            "effective_from": product.effective_from.isoformat(),
            "effective_to": product.effective_to.isoformat() if product.effective_to else "",
            "disease": product.disease if write.locale == "en" else "",
            "jurisdiction": product.jurisdiction, "currency": product.currency,
            "languages": list(product.languages),
            "premium": write.money(product.premium.net),
            "sum_insured": write.ref(product.coverage.sum_insured, "money"),
            "sections": sections(env, product, write.locale),
            "parameters": parameters(product, write),
            "checkups": checkups(product, write),
            "programmes": programmes(product, write)}


def sections(env: Environment, product: Product, locale: str) -> list[dict[str, Any]]:
    """The policy's sections, each clause with the compiled rules that implement it."""
    rules: dict[str, list[dict[str, Any]]] = {}
    for info in env.compile(product).rules.values():
        if info.kind not in HIDDEN_KINDS and not info.id.startswith("_"):
            rules.setdefault(info.clause, []).append(
                {"id": info.id, "kind": info.kind, "condition": info.condition or "",
                 "source": short_source(info.source)})
    document = env.document(product, locale=locale)
    return [{"number": s.number, "title": s.title,
             "clauses": [c for clause in s.clauses for c in _clauses(clause, rules, 0)]}
            for s in document.sections]


def _clauses(clause: Clause, rules: dict[str, list], depth: int) -> list[dict[str, Any]]:
    found = [{"number": clause.number, "title": clause.title, "depth": depth,
              "attention": clause.attention, "blocks": [_block(b) for b in clause.blocks],
              "rules": rules.get(clause.number, [])}]
    for child in clause.clauses:
        found += _clauses(child, rules, depth + 1)
    return found


def _block(block: Any) -> dict[str, Any]:
    if isinstance(block, Table):
        return {"kind": "table", "caption": block.caption, "head": block.head,
                "rows": [[cell.text for cell in row] for row in block.rows]}
    return {"kind": "para", "text": getattr(block, "text", ""),
            "label": getattr(block, "label", None) or "",
            "attention": getattr(block, "attention", False)}


def parameters(product: Product, write: Writer) -> list[dict[str, Any]]:
    """Every parameter with its value, or its dated values and the day each starts."""
    found = []
    for name, parameter in product.parameters.items():
        if parameter.values is None:
            dated = [{"from": product.effective_from.isoformat(),
                      "value": write.value(parameter.value, parameter.unit)}]
        else:
            dated = [{"from": item.from_.isoformat(), "value": write.value(item.value,
                                                                          parameter.unit)}
                     for item in parameter.values]
        found.append({"name": name, "history": dated, "dated": parameter.values is not None,
                      "description": _only(parameter.description, write.locale)})
    return found


def _only(text: Any, locale: str) -> str:
    """A text in `locale` only (a plain string is English): the page keeps one language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text if locale == "en" else ""
    return text.get(locale) or ""


def checkups(product: Product, write: Writer) -> list[dict[str, Any]]:
    numbers = _numbers(product)
    found = []
    for checkup in product.checkups:
        trigger = checkup.trigger
        found.append({
            "id": checkup.id, "name": write.text(checkup.name),
            "clause": numbers.get(f"checkup.{checkup.id}", ""),
            "event": write.name_of("event", checkup.event),
            "on_issue": trigger.on_issue,
            "every": write.ref(trigger.every_months, "months"),
            "when": str(trigger.when) if trigger.when is not None else "",
            "on": trigger.on or "", "repeat_if_missed": trigger.repeat_if_missed,
            "on_any": [write.name_of("event", e) for e in trigger.on_any or ()],
            "each": trigger.each or "",
            "due": write.ref(checkup.due_days, "days"),
            "window": write.ref(checkup.window_days, "days"),
            "extension": write.ref(checkup.extension_days, "days"),
            "tested": list(checkup.items),
            "results": [{"id": r.id, "when": str(r.when),
                         "clause": numbers.get(f"checkup.{checkup.id}.{r.id}", "")}
                        for r in checkup.results],
            "on_done_tier": write.name_of("tier", checkup.on_done.tier)
            if checkup.on_done else "",
            "on_missed_tier": write.name_of("tier", checkup.on_missed.tier)
            if checkup.on_missed else "",
            "on_missed_refer": bool(checkup.on_missed and checkup.on_missed.refer)})
    return found


def programmes(product: Product, write: Writer) -> list[dict[str, Any]]:
    numbers = _numbers(product)
    return [{"id": p.id, "name": write.text(p.name), "when": str(p.when),
             "clause": numbers.get(f"adherence.{p.id}", ""),
             "target": p.change.target if p.change else "",
             "step": write.ref(p.change.step_percent, "percent") if p.change else "",
             "cap": write.ref(p.change.cap_percent, "percent") if p.change else "",
             "on_miss": p.change.on_miss if p.change else ""}
            for p in product.adherence]


def _numbers(product: Product) -> dict[str, str]:
    return clause_numbers(product)


# ------------------------------------------------------------ an Outcome


def outcome_view(product: Product, outcome: Outcome, locale: str) -> dict[str, Any]:
    """An Outcome as the results panel shows it: names, money and dates written out."""
    write = Writer(product, locale, outcome.as_of)
    cover = outcome.coverage
    return {
        "decision": outcome.decision, "as_of": outcome.as_of.isoformat(),
        "reasons": [reason_view(r) for r in outcome.reasons],
        "loadings": [{"rule": x.rule, "percent": number_text(x.percent),
                      "removed": x.removed.isoformat() if x.removed else ""}
                     for x in outcome.loadings],
        "cover": {"in_force": cover.in_force, "sum_insured": write.money(cover.sum_insured),
                  "tier": write.name_of("tier", cover.tier) if cover.tier else "",
                  "bonus": number_text(cover.bonus_percent),
                  "premium": number_text(cover.premium_adjustment_percent),
                  "limits": [{"name": write.name_of("limit", k), "amount": write.money(v)}
                             for k, v in cover.limits.items()]},
        "checkups": [{"id": c.id, "name": write.name_of("checkup", c.id),
                      "due": c.due.isoformat(), "status": c.status, "reason": c.reason,
                      "window": " – ".join(d.isoformat() for d in c.window) if c.window else "",
                      "deadline": c.deadline.isoformat() if c.deadline else "",
                      "done_on": c.done_on.isoformat() if c.done_on else ""}
                     for c in outcome.checkups],
        "exclusions": [{"id": x.id, "name": write.name_of("exclusion", x.id), "text": x.text,
                        "source": x.source, "since": x.since.isoformat() if x.since else ""}
                       for x in outcome.exclusions],
        "claims": [{"id": c.id, "benefit": write.name_of("benefit", c.benefit),
                    "date": c.date.isoformat(), "status": c.status,
                    "payable": write.money(c.payable),
                    "claimed": write.money(c.claimed) if c.claimed is not None else "",
                    "reasons": [reason_view(r) for r in c.reasons]} for c in outcome.claims],
        "adherence": [{"id": a.id, "name": write.name_of("programme", a.id),
                       "bonus": number_text(a.bonus_percent), "cap": number_text(a.cap_percent),
                       "years": a.consecutive_years} for a in outcome.adherence],
        "notes": list(outcome.notes) if write.locale == "en" else []}


def reason_view(reason: Reason) -> dict[str, Any]:
    """A reason with its clause (linked to the product page) and its explanation."""
    return {"rule": reason.rule, "text": reason.text, "clause": reason.clause,
            "source": short_source(reason.source) if reason.source else "",
            "date": reason.date.isoformat() if reason.date else "",
            "inputs": [{"name": k, "value": number_text(v)}
                       for k, v in (reason.values or {}).items()],
            "checks": [{"condition": c.get("condition", ""), "value": c.get("value"),
                        "depth": c.get("depth", 0)} for c in (reason.checks or [])]}


# ------------------------------------------------------------ the home page


@functools.lru_cache(maxsize=8)
def _summaries(files: tuple[tuple[str, int], ...]) -> tuple[dict[str, Any], ...]:
    """What the home page lists of each product file (read again when a file changes)."""
    found = []
    for path, _ in files:
        try:
            product = load(Path(path))
        except ConfigError as exc:
            found.append({"id": Path(path).stem, "problems": [p.to_json() for p in exc.problems]})
            continue
        found.append({"id": product.id, "version": product.version, "problems": [],
                      "names": {loc: text_in(product.name, loc) for loc in LOCALES},
                      "effective_from": product.effective_from.isoformat(),
                      "effective_to": product.effective_to.isoformat()
                      if product.effective_to else "",
                      "languages": list(product.languages)})
    return tuple(found)


def home_view(env: Environment) -> dict[str, Any]:
    """The bundled products, and the versions in the registry (when there is one)."""
    files = tuple((str(p), p.stat().st_mtime_ns) for p in env.product_files())
    registered = []
    if env.db_path.is_file():
        with env.store(readonly=True) as store:
            for pid in store._product_ids():  # the registry's own list of product ids
                registered += [{"ref": r.ref, "status": r.status, "window": r.window}
                               for r in store.history(pid)]
    return {"products": _summaries(files), "registered": registered}
