"""Evaluate a case against a compiled product, as of a date.

The timeline is walked in date order; at each step the relevant fact is
asserted into durable-rules, the agenda is drained, and the rules that fired
(in priority order) drive what happens: the underwriting decision, check-up
effects, adherence years, claim judgements. Python keeps the clock (event
dates and `as_of`, never the wall clock), the windows and the arithmetic.

Same-day order is fixed — renewal, then missed deadlines, then events in the
case's canonical order — so the Outcome never depends on how a case was
written down.
"""

from __future__ import annotations

import datetime as dt
import heapq
from decimal import Decimal
from typing import Any

from ..cases.case import Case, Event, case_from_data
from ..compiler.compile import CompiledProduct, exclusion_flag
from ..compiler.safe_subset import SEEN
from ..conditions.evaluate import explain as explain_checks
from ..conditions.evaluate import values_read
from ..product.model import Checkup, Effect, Product
from .cover import Cover
from .durable import Sessions
from .outcome import (
    CheckupOut,
    ClaimOut,
    Coverage,
    ExclusionOut,
    Loading,
    Outcome,
    Reason,
    TraceStep,
)
from .plan import PeriodPlan, Plan, plan_for
from .timeline import ONE_DAY, add_months, add_years

RENEWAL, DEADLINE, EVENT = 0, 1, 2


class Occurrence:
    """One due instance of a check-up."""

    __slots__ = ("checkup", "seq", "due", "opens", "closes", "final", "status", "done_on",
                 "reason")

    def __init__(self, checkup: Checkup, seq: int, due: dt.date, opens: dt.date,
                 closes: dt.date, extension: int, reason: str):
        self.checkup = checkup
        self.seq = seq
        self.due = due
        self.opens = opens
        self.closes = closes
        self.final = closes + dt.timedelta(days=extension)
        self.status = "open"
        self.done_on: dt.date | None = None
        self.reason = reason


def evaluate(compiled: CompiledProduct, case: Case | dict, *, explain: bool = False,
             locale: str = "en") -> Outcome:
    """Decide one case. A decline is a decision, not an error.

    `case` is a checked `Case` or plain data (checked here). With `explain`,
    each reason also carries the values it read and every sub-condition.
    """
    if not isinstance(case, Case):
        case = case_from_data(case, compiled.product)
    return _Evaluation(plan_for(compiled), case, explain, locale).run()


class _Evaluation:
    def __init__(self, plan: Plan, case: Case, explain: bool, locale: str):
        self.plan = plan
        self.product: Product = plan.product
        self.case = case
        self.explain = explain
        self.locale = locale
        self.start, self.as_of = case.start, case.as_of
        self.day = case.start
        self.refs = 0
        self.trace: list[TraceStep] = []
        self.step: list[str] = []
        self.reasons: list[Reason] = []
        self.loadings: list[tuple[Loading, str | None]] = []
        self.added: dict[str, ExclusionOut] = {}
        self.occurrences: list[Occurrence] = []
        self.claims: list[ClaimOut] = []
        self.notes: list[str] = []
        self.decision = "accept"
        self.rebate = 0.0
        self.agenda: list[tuple] = []
        self.seq = 0
        self.set_period(plan.period_at(case.start))

    # -------------------------------------------------------------- plumbing

    def set_period(self, period: PeriodPlan) -> None:
        self.period = period
        env = dict(self.case.applicant)
        for name, fn in period.derived:
            env[name] = fn(env)
        self.env = env

    def on_action(self, rule: str, action: str) -> None:
        if rule.startswith(SEEN):
            return
        self.trace.append(TraceStep(len(self.trace) + 1, self.day, rule, action))
        if rule not in self.step:  # an $or fires once per true branch
            self.step.append(rule)

    def fact(self, kind: str, env: dict[str, Any], **system: Any) -> dict[str, Any]:
        """A fact of `kind` carrying every attribute its rules read (and nothing else)."""
        self.refs += 1
        fact = {"_kind": kind, "_ref": self.refs, **system}
        fact.update({name: env[name] for name in self.plan.fact_names[kind] if name in env})
        for name, fn in self.period.lifted.get(kind, ()):
            value = fn(env)
            if value is not None:
                fact[name] = value
        return fact

    def decide_first(self, kind: str) -> None:
        """Chained rules join the underwriting decision: assert it once per session."""
        for handle in self.period.route.get(kind, ()):
            if handle not in self.decided and handle in self.period.route.get("decision", ()):
                self.decided.add(handle)
                decision = self.fact("decision", {}, _decision=self.decision)
                self.sessions.get(handle).assert_facts([decision])

    def assert_fact(self, kind: str, fact: dict[str, Any]) -> list[str]:
        """Assert into every ruleset with rules on `kind`; the rules that fired, in order."""
        self.step = []
        for handle in self.period.route.get(kind, ()):
            self.sessions.get(handle).assert_facts([fact])
        return self.step

    def reason(self, rule: str, text: Any, env: dict[str, Any] | None = None) -> Reason:
        """A reason citing `rule`, its clause and source; with explain, what it read."""
        info = self.plan.rules.get(rule)
        reason = Reason(rule, self.plan.text(rule, text, self.period, self.locale),
                        info.clause if info else "", info.source if info else "", self.day)
        node = self.plan.node(rule) if self.explain and env is not None else None
        if node is not None:
            constants = self.period.constants
            reason.values = values_read(node, env, constants)
            reason.checks = [{"condition": c.text, "value": c.value, "depth": c.depth}
                             for c in explain_checks(node, env, constants)]
        return reason

    # -------------------------------------------------------------- the run

    def run(self) -> Outcome:
        with Sessions(self.on_action) as sessions:
            self.sessions = sessions
            self.decided: set[int] = set()
            self.underwrite()
            if self.decision == "accept":
                self.cover = Cover(self)
                self.walk()
            else:
                self.cover = None
                self.unissued_claims()
        return self.outcome()

    def underwrite(self) -> None:
        fired = self.assert_fact("applicant", self.fact("applicant", self.env))
        rules = self.plan.eligibility
        outcomes = set()
        for rule_id in fired:
            rule = rules.get(rule_id)
            if rule is None:
                continue
            outcomes.add(rule.outcome)
            self.reasons.append(self.reason(rule_id, rule.text, self.env))
            if rule.outcome == "loading":
                percent = self.number(rule.percent)
                self.loadings.append((Loading(rule_id, percent, self.start), rule.removed_by))
            elif rule.outcome == "exclusion":
                self.add_exclusion(rule.exclusion, rule_id)
        self.decision = ("decline" if "decline" in outcomes else
                         "refer" if "refer" in outcomes else "accept")
        if self.decision == "accept":
            self.triggers(fired, self.env)

    def number(self, value: Any) -> float:
        return self.period.number(value)

    def add_exclusion(self, exclusion_id: str, rule: str) -> None:
        if exclusion_id in self.added:
            return
        exclusion = self.plan.exclusions[exclusion_id]
        text = self.plan.text(f"exclusion.{exclusion_id}", exclusion.text, self.period,
                              self.locale)
        self.added[exclusion_id] = ExclusionOut(exclusion_id, text, rule, self.day)

    # -------------------------------------------------------------- timeline

    def walk(self) -> None:
        years = self.cover.years
        for number in range(2, years + 2):
            renewal = add_years(self.start, number - 1)
            if renewal > self.as_of:
                break
            self.push(renewal, RENEWAL, number)
        for event in self.case.events:
            if event.date > self.as_of:
                self.notes.append(f"{event.id} on {event.date} is after as_of and was ignored")
            elif event.date < self.start:
                self.before_cover(event)
            else:
                self.push(event.date, EVENT, event)
        self.initial_checkups()
        while self.agenda:
            day, order, _, payload = heapq.heappop(self.agenda)
            self.day = day
            if order == RENEWAL:
                self.renew(payload)
            elif order == DEADLINE:
                self.deadline(payload)
            else:
                self.event(payload)
        self.day = self.as_of

    def push(self, day: dt.date, order: int, payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.agenda, (day, order, self.seq, payload))

    def initial_checkups(self) -> None:
        for checkup in self.product.checkups:
            if checkup.trigger.on_issue:
                self.schedule(checkup.id, self.start, "at issue")
            elif checkup.trigger.every_months is not None:
                self.periodic(checkup)

    def periodic(self, checkup: Checkup) -> None:
        every = int(self.number(checkup.trigger.every_months))
        window = int(self.number(checkup.window_days))
        extension = int(self.number(checkup.extension_days))
        k = 1
        while True:
            due = add_months(self.start, k * every)
            if self.cover.end is not None and due >= self.cover.end:
                break
            opens = due - dt.timedelta(days=window)
            closes = due + dt.timedelta(days=window)
            self.add_occurrence(Occurrence(checkup, k, due, opens, closes, extension,
                                           f"every {every} months"))
            if due > self.as_of:
                break  # the next one due is shown; later ones are not yet scheduled
            k += 1

    def schedule(self, checkup_id: str, day: dt.date, why: str) -> None:
        checkup = self.plan.checkups[checkup_id]
        if any(o.checkup is checkup and o.status == "open" for o in self.occurrences):
            return  # already due: one open occurrence at a time
        due = day + dt.timedelta(days=int(self.number(checkup.due_days)))
        closes = due + dt.timedelta(days=int(self.number(checkup.window_days)))
        reason = why if why == "at issue" else f"triggered by {why} on {day.isoformat()}"
        seq = sum(1 for o in self.occurrences if o.checkup is checkup) + 1
        self.add_occurrence(Occurrence(checkup, seq, due, day, closes,
                                       int(self.number(checkup.extension_days)), reason))

    def add_occurrence(self, occurrence: Occurrence) -> None:
        self.occurrences.append(occurrence)
        missed_on = occurrence.final + ONE_DAY
        if missed_on <= self.as_of:
            self.push(missed_on, DEADLINE, occurrence)

    def deadline(self, occurrence: Occurrence) -> None:
        if occurrence.status != "open":
            return
        occurrence.status = "missed"
        checkup = occurrence.checkup
        self.decide_first("missed")
        fired = self.assert_fact("missed", self.fact("missed", {}, _checkup=checkup.id))
        if f"missed.{checkup.id}" in fired and checkup.on_missed is not None:
            self.apply(checkup.on_missed, f"missed.{checkup.id}", checkup, None)

    def event(self, event: Event) -> None:
        if not self.cover.in_force(event.date):
            if event.type in self.cover.claim_types:
                self.refuse_claim(event, "declined", "the policy was not in force on this date")
            return
        env = {**self.env, **event.fields}
        matched = self.matching(event)
        for occurrence in matched:
            self.visit(occurrence, event, env)
        done = {o.checkup.id for o in matched}
        for checkup in self.plan.visit_readers.get(event.type, ()):
            if checkup.id not in done:
                self.unscheduled_visit(checkup, event, env)
        if event.type in self.cover.event_triggers:
            # the trigger's reason is explained from what it read: the metrics too
            measured = {**env, **self.cover.metrics_for("event", event.date)}
            fired = self.assert_fact("event", self.fact("event", measured, _type=event.type))
            self.triggers(fired, measured)
        if event.type in self.cover.claim_types:
            self.claim(event, env)

    def matching(self, event: Event) -> list[Occurrence]:
        found: dict[str, Occurrence] = {}
        for occurrence in self.occurrences:
            checkup = occurrence.checkup
            if (checkup.event == event.type and occurrence.status == "open"
                    and occurrence.opens <= event.date <= occurrence.final
                    and checkup.id not in found):
                found[checkup.id] = occurrence
        return list(found.values())

    def visit(self, occurrence: Occurrence, event: Event, env: dict[str, Any]) -> None:
        occurrence.status = "done"
        occurrence.done_on = event.date
        checkup = occurrence.checkup
        env = {**env, **self.cover.metrics_for("visit", event.date)}
        self.decide_first("visit")
        fired = self.assert_fact("visit", self.fact("visit", env, _checkup=checkup.id,
                                                    _scheduled=True))
        if f"done.{checkup.id}" in fired and checkup.on_done is not None:
            self.apply(checkup.on_done, f"done.{checkup.id}", checkup, None)
        self.results(checkup, fired, env)

    def unscheduled_visit(self, checkup: Checkup, event: Event, env: dict[str, Any]) -> None:
        """A visit outside every window completes nothing, but its results still count."""
        env = {**env, **self.cover.metrics_for("visit", event.date)}
        fired = self.assert_fact("visit", self.fact("visit", env, _checkup=checkup.id,
                                                    _scheduled=False))
        self.results(checkup, fired, env)

    def results(self, checkup: Checkup, fired: list[str], env: dict[str, Any]) -> None:
        for result in checkup.results:
            rule_id = f"result.{checkup.id}.{result.id}"
            if rule_id in fired:
                self.apply(result, rule_id, checkup, env)
        self.triggers(fired, env)

    def triggers(self, fired: list[str], env: dict[str, Any]) -> None:
        for rule_id in fired:
            if rule_id.startswith("trigger."):
                checkup_id = rule_id.split(".", 1)[1]
                checkup = self.plan.checkups[checkup_id]
                self.reasons.append(self.reason(rule_id, checkup.text, env))
                self.schedule(checkup_id, self.day, rule_id)

    def apply(self, effect: Effect, rule_id: str, checkup: Checkup, env: dict | None) -> None:
        text = effect.text if effect.text is not None else checkup.text
        self.reasons.append(self.reason(rule_id, text, env))
        if effect.tier is not None:
            self.cover.tier = effect.tier
        for exclusion_id in effect.exclude:
            self.add_exclusion(exclusion_id, rule_id)
        if effect.refer:
            self.decision = "refer"
        if effect.loading is not None:
            self.loadings.append((Loading(rule_id, self.number(effect.loading), self.day), None))
        if effect.premium_rebate_percent is not None:
            self.rebate = max(self.rebate, self.number(effect.premium_rebate_percent))
        if effect.schedule is not None:
            self.schedule(effect.schedule, self.day, rule_id)

    def renew(self, number: int) -> None:
        ended = number - 1
        self.cover.judge_year(ended)
        if not self.cover.in_force(self.day):
            self.notes.append(f"the policy was not renewed for year {number}")
            return
        period = self.plan.period_at(self.day)
        if period is not self.period:
            self.set_period(period)
        self.cover.renewed(number)
        for checkup in self.product.checkups:
            if checkup.trigger.repeat_if_missed and self.last_missed(checkup):
                self.schedule(checkup.id, self.day, f"renewal of year {number}")

    def last_missed(self, checkup: Checkup) -> bool:
        mine = [o for o in self.occurrences if o.checkup is checkup]
        return bool(mine) and mine[-1].status == "missed"

    # -------------------------------------------------------------- claims

    def before_cover(self, event: Event) -> None:
        if event.type in self.cover.claim_types:
            self.refuse_claim(event, "declined", "the event happened before cover started")

    def refuse_claim(self, event: Event, status: str, why: str) -> None:
        self.claims.append(ClaimOut(event.id, None, event.date, status, Decimal(0),
                                    [Reason("claim", why, date=event.date)]))

    def unissued_claims(self) -> None:
        claim_types = {b.event for b in self.product.benefits}
        why = ("the application was declined" if self.decision == "decline"
               else "the application awaits manual underwriting")
        status = "declined" if self.decision == "decline" else "pending"
        for event in self.case.events:
            if event.type in claim_types and event.date <= self.as_of:
                self.refuse_claim(event, status, why)

    def claim(self, event: Event, env: dict[str, Any]) -> None:
        flags = {name: False for name in self.cover.flag_names}
        flags.update({exclusion_flag(x): True for x in self.added})
        days = (event.date - self.start).days
        fact = self.fact("claim", env, _type=event.type, _days=days, **flags)
        fired = self.assert_fact("claim", fact)
        matched = [b for b in self.product.benefits if f"benefit.{b.id}" in fired]
        if not matched:
            self.refuse_claim(event, "declined", "no benefit covers this claim")
            return
        for benefit in matched:
            self.claims.append(self.cover.judge_claim(benefit, event, fired, env))

    # -------------------------------------------------------------- outcome

    def outcome(self) -> Outcome:
        general = self.plan.general_exclusions(self.period, self.locale)
        exclusions = general + list(self.added.values()) if self.decision != "decline" else []
        return Outcome(
            product=dict(self.plan.identity),
            as_of=self.as_of, decision=self.decision, reasons=self.reasons,
            loadings=[loading for loading, _ in self.loadings] if self.cover else [],
            exclusions=exclusions if self.cover else [],
            checkups=[self.checkup_out(o) for o in self.occurrences],
            coverage=self.cover.coverage() if self.cover else Coverage(
                Decimal(0), {}, 0.0, None, False),
            claims=self.claims, adherence=self.cover.adherence() if self.cover else [],
            trace=self.trace, notes=self.notes)

    def checkup_out(self, occurrence: Occurrence) -> CheckupOut:
        status = occurrence.status
        if status == "open":
            status = "overdue" if self.as_of > occurrence.due else "due"
        return CheckupOut(occurrence.checkup.id, occurrence.due, status, occurrence.reason,
                          (occurrence.opens, occurrence.closes), occurrence.final,
                          occurrence.done_on)
