"""A person's schedule, from the engine's Outcome.

`personal_schedule` turns one Outcome (and the case's personal data) into
the policy schedule: cover level (with its share of the full sum insured when
it cuts cover), sum insured, limits, the premium (standard, loadings,
discounts, what the person pays and the health-services share in it),
exclusions added for this person, check-up dates and the adherence status
with what would raise it. (The worked example is laid out from Outcomes in
`example.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cases.calendar import ONE_DAY, policy_year, year_number
from ..cases.case import Case
from ..cases.outcome import Outcome, money
from ..conditions.evaluate import OPS, compile_fn, fold
from ..conditions.nodes import BoolOp, Compare, Name, Node, Not
from ..conditions.visitor import names
from ..product.clauses import clause_numbers
from ..product.model import Product, Programme, text_in
from .blocks import Cell, Para, Table
from .keyfacts import clause_key, premium_terms, share
from .phrases import Values, phrases
from .titles import rule_title


@dataclass
class Row:
    label: str
    value: str
    attention: bool = False


@dataclass
class ProgrammeStatus:
    title: str
    clause: str
    paras: list[Para] = field(default_factory=list)
    progress_intro: str = ""
    progress: list[Para] = field(default_factory=list)
    closing: str = ""


@dataclass
class Schedule:
    """A person's cover, in words, as the engine decided it on `as_of`."""

    intro: str
    rows: list[Row]
    loadings: list[Para]
    exclusions: list[Para]
    checkups: Table
    programmes: list[ProgrammeStatus]


def personal_schedule(product: Product, outcome: Outcome, case: Case | None,
                      constants: dict[str, Any], locale: str = "en") -> Schedule:
    """The schedule page of a personalised policy."""
    return _ScheduleBuilder(product, outcome, case, constants, locale).schedule()


class _ScheduleBuilder:
    def __init__(self, product: Product, outcome: Outcome, case: Case | None,
                 constants: dict[str, Any], locale: str):
        self.product = product
        self.outcome = outcome
        self.case = case
        self.constants = constants
        self.locale = locale
        self.words = phrases(locale)
        self.values = Values(product, constants, locale)
        self.numbers = clause_numbers(product)

    def name(self, text: Any) -> str:
        return text_in(text, self.locale)

    def clause_of(self, rule: str) -> str:
        """The clause a rule id (``eligibility.x``, ``result.c.r``) belongs to."""
        return self.numbers.get(clause_key(rule), "")

    def schedule(self) -> Schedule:
        w, v, out = self.words, self.values, self.outcome
        loadings, exclusions = self.loadings(), self.exclusions()
        rows = self.rows() + self.premium_rows(loadings)
        rows.append(Row(w("sched_exclusions"), " ".join(p.text for p in exclusions)
                        or w("sched_none"), bool(exclusions)))
        return Schedule(w("schedule_intro", date=v.date(out.as_of)), rows, loadings, exclusions,
                        self.checkups(), self.programmes())

    def rows(self) -> list[Row]:
        """Who and when, then the cover on the as-of date: level, sum insured, limits, bonus."""
        w, v, out, case = self.words, self.values, self.outcome, self.case
        cover = out.coverage
        rows = []
        if case is not None:
            holder = case.personal.get("holder") or case.personal.get("name")
            if holder:
                rows.append(Row(w("sched_holder"), str(holder)))
            if case.policy_number:
                rows.append(Row(w("sched_number"), case.policy_number))
            rows.append(Row(w("sched_start"), v.date(case.start)))
        rows.append(Row(w("sched_as_of"), v.date(out.as_of)))
        tiers = self.product.coverage.tiers
        if cover.tier and cover.tier in tiers:
            tier = tiers[cover.tier]
            reduced = v.number(tier.percent) < 100
            value = (w("sched_tier_reduced", tier=self.name(tier.name),
                       percent=v.ref(tier.percent, "percent")) if reduced
                     else self.name(tier.name))
            rows.append(Row(w("sched_tier"), value, reduced))
        rows.append(Row(w("sched_sum_insured"), v.money(cover.sum_insured)))
        for limit_id, amount in cover.limits.items():
            rows.append(Row(self.name(self.product.coverage.limits[limit_id].name),
                            v.money(amount)))
        if cover.bonus_percent:
            rows.append(Row(w("sched_bonus"), v.percent(cover.bonus_percent)))
        return rows

    def premium_rows(self, loadings: list[Para]) -> list[Row]:
        """The standard premium, the person's loadings and discounts, and what they pay."""
        w, v = self.words, self.values
        terms = premium_terms(self.product, self.outcome, self.locale)
        discounts = [w("sched_discount_item", percent=v.percent(c.percent),
                       amount=v.money(c.amount), title=c.title or w("kf_discount"),
                       clause=c.ref) for c in terms.discounts]
        rows = [Row(w("sched_standard"), w("sched_a_year", amount=v.money(terms.standard))),
                Row(w("sched_loadings"), " ".join(p.text for p in loadings) or w("sched_none"),
                    any(p.attention for p in loadings)),
                Row(w("sched_discounts"), " ".join(discounts) or w("sched_none")),
                Row(w("sched_total"), w("sched_a_year", amount=v.money(terms.total)))]
        if terms.services:
            label = "sched_services_separate" if terms.separate else "sched_services"
            rows.append(Row(w(label), w("sched_a_year", amount=v.money(terms.services))))
        return rows

    def loadings(self) -> list[Para]:
        w, v = self.words, self.values
        rules = {f"eligibility.{r.id}": r for r in self.product.eligibility}
        standard = money(self.product.premium.net)
        out = []
        for loading in self.outcome.loadings:
            rule = rules.get(loading.rule)
            title = rule_title(self.product, loading.rule, rule, self.locale, self.constants,
                               self.numbers) if rule else self.result_title(loading.rule)
            clause = self.clause_of(loading.rule)
            if loading.removed is not None:
                text = w("sched_loading_removed", percent=v.percent(loading.percent),
                         date=v.date(loading.removed), clause=clause)
            else:
                amount = share(standard, loading.percent)
                text = w("sched_loading_item", percent=v.percent(loading.percent), title=title,
                         amount=v.money(amount), clause=clause)
            out.append(Para(text, loading.removed is None))
        return out

    def result_title(self, rule: str) -> str:
        """The check-up a result rule (``result.c.r``) belongs to, by name."""
        checkup = rule.split(".")[1] if rule.count(".") >= 2 else ""
        found = next((c for c in self.product.checkups if c.id == checkup), None)
        return self.name(found.name) if found else rule

    def exclusions(self) -> list[Para]:
        w, v = self.words, self.values
        by_id = {x.id: x for x in self.product.exclusions}
        out = []
        for item in self.outcome.exclusions:
            if item.source == "product":
                continue
            since = item.since or self.outcome.as_of
            until = {"until": v.date(item.until)} if item.until is not None else {}
            out.append(Para(w("sched_exclusion_until" if until else "sched_exclusion_item",
                              name=self.name(by_id[item.id].name),
                              clause=self.numbers[f"exclusion.{item.id}"],
                              date=v.date(since), **until), True))
        return out

    def checkups(self) -> Table:
        w, v = self.words, self.values
        names_of = {c.id: self.name(c.name) for c in self.product.checkups}
        rows = []
        for item in sorted(self.outcome.checkups, key=lambda c: (c.due, c.id)):
            window = (f"{v.date(item.window[0])} – {v.date(item.deadline or item.window[1])}"
                      if item.window else "")
            status = (w("status_done", date=v.date(item.done_on)) if item.done_on
                      else w(f"status_{item.status}"))
            rows.append([Cell(f"{self.numbers[f'checkup.{item.id}']}{w.gap or ' '}"
                              f"{names_of[item.id]}"),
                         Cell(v.date(item.due)), Cell(window),
                         Cell(status, item.status in ("missed", "overdue"))])
        head = [w(k) for k in ("col_checkup", "col_due", "col_window", "col_status")]
        return Table(w("sched_checkup_caption"), head, rows)

    def programmes(self) -> list[ProgrammeStatus]:
        statuses = {a.id: a for a in self.outcome.adherence}
        out = []
        for programme in self.product.adherence:
            status = statuses.get(programme.id)
            if status is not None:
                out.append(self.programme(programme, status))
        return out

    def programme(self, programme: Programme, status: Any) -> ProgrammeStatus:
        w, v = self.words, self.values
        name = self.name(programme.name)
        result = ProgrammeStatus(name, self.numbers[f"adherence.{programme.id}"])
        if programme.change is None:  # it removes a loading: say how far along the year is
            return self.progress(programme, status, result)
        years = status.consecutive_years
        key = "adh_status" if status.bonus_percent or years else "adh_status_none"
        result.paras.append(Para(w(key, bonus=v.percent(status.bonus_percent), programme=name,
                                   cap=v.percent(status.cap_percent),
                                   years=w("policy_years_one" if years == 1 else
                                           "policy_years_many", count=v.plain(years)))))
        if status.bonus_percent >= status.cap_percent:
            result.closing = w("adh_capped")
            return result
        return self.progress(programme, status, result)

    def progress(self, programme: Programme, status: Any, result: ProgrammeStatus
                 ) -> ProgrammeStatus:
        """This year's requirements, where the person stands, and by when."""
        w, v = self.words, self.values
        start = self.case.start if self.case else self.product.effective_from
        year_end = policy_year(start, year_number(start, self.outcome.as_of)).end - ONE_DAY
        env = {**(self.case.applicant if self.case else {}), **status.current}
        needs = requirements(programme.when.node, env, self.product, self.constants)
        lines = [self.need_line(node, env) for node in needs]
        result.progress_intro = w("adh_progress", date=v.date(self.outcome.as_of))
        result.progress = [para for para, _ in lines]
        all_met = all(met for _, met in lines)
        raise_key = "adh_raise" if programme.change is not None else "adh_remove_loading"
        result.closing = w("adh_on_track" if all_met else raise_key, date=v.date(year_end))
        return result

    def need_line(self, node: Compare, env: dict[str, Any]) -> tuple[Para, bool]:
        """One requirement of a programme: where the person is and what is needed."""
        w = self.words
        metric, op, target = _metric_side(node, self.product)
        kind = self.product.metrics[metric].kind
        value = env.get(metric, 0)
        met = bool(OPS[op](value, fold(target, self.constants)))
        shown = self.show(kind, value, None)
        needed = self.show(kind, fold(target, self.constants), target)
        wording = {">=": "adh_need_at_least", "<=": "adh_need_at_most",
                   ">": "adh_need_more_than", "<": "adh_need_less_than"}.get(op,
                                                                            "adh_need_at_least")
        label = _label(self.product, metric, self.locale)
        text = w("adh_row_met" if met else "adh_row_short", metric=label[:1].upper() + label[1:],
                 value=shown, target=w(wording, value=needed))
        return Para(text), met

    def show(self, kind: str, value: Any, node: Node | None) -> str:
        """A metric's value; a target with its unit (a bare count target as '1' / '1次')."""
        if kind == "pdc":
            return self.values.ratio_percent(float(value))
        if isinstance(node, Name) and node.id in self.product.parameters:
            return self.values.ref(node.id)
        if node is not None and kind in ("count", "on_time"):
            return self.words("adh_count", count=self.values.plain(value))
        return self.values.plain(value)


def _label(product: Product, name: str, locale: str) -> str:
    spec = product.metrics.get(name) or product.inputs.get(name) or product.derived.get(name)
    if spec is not None and spec.label is not None:
        return text_in(spec.label, locale)
    return name.replace("_", " ")


def _metric_side(node: Compare, product: Product) -> tuple[str, str, Node]:
    """(metric, operator with the metric on the left, the other side)."""
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
    if isinstance(node.left, Name) and node.left.id in product.metrics:
        return node.left.id, node.op, node.right
    return node.right.id, flip[node.op], node.left


def _reads_metric(node: Node, product: Product) -> bool:
    return any(n.id in product.metrics for n in names(node))


def requirements(node: Node, env: dict[str, Any], product: Product,
                 constants: dict[str, Any]) -> list[Compare]:
    """The metric comparisons a person must meet for `node` to hold.

    A branch of an ``or`` that already holds without any metric (``not
    on_antivirals`` for someone not on antivirals) makes the others moot.
    """
    if isinstance(node, Compare) and _reads_metric(node, product):
        side = node.left if isinstance(node.left, Name) else node.right
        return [node] if isinstance(side, Name) and side.id in product.metrics else []
    if isinstance(node, BoolOp) and node.op == "and":
        return [c for item in node.items for c in requirements(item, env, product, constants)]
    if isinstance(node, BoolOp):
        for item in node.items:
            if not _reads_metric(item, product) and _holds(item, env, constants):
                return []
        return [c for item in node.items for c in requirements(item, env, product, constants)]
    if isinstance(node, Not):
        return []
    return []


def _holds(node: Node, env: dict[str, Any], constants: dict[str, Any]) -> bool:
    try:
        return bool(compile_fn(node, constants)(env))
    except ValueError:
        return False



