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
from typing import Any, Final

from ..cases.calendar import ONE_DAY, add_years, policy_year, year_number
from ..cases.case import Case, Event, case_from_data
from ..cases.outcome import (
    AdherenceOut,
    ClaimOut,
    CoverOut,
    ExclusionOut,
    Loading,
    Outcome,
    Reason,
    TraceStep,
)
from ..compiler.compile import CompiledProduct, exclusion_flag
from ..compiler.safe_subset import SEEN
from ..conditions.evaluate import explain as explain_checks
from ..conditions.evaluate import values_read
from ..product.model import Benefit, Checkup, Effect, Product
from . import lapse
from .adherence import adherence_out
from .checkups import CheckupBook, Occurrence
from .cover import CoverState
from .durable import Sessions
from .notes import Notes
from .plan import PeriodPlan, Plan, plan_for
from .timeline import Timeline

RENEWAL: Final = 0  # the same day's order: renewal, missed deadlines, then events
DEADLINE: Final = 1
EVENT: Final = 2


def evaluate(compiled: CompiledProduct, case: Case | dict, *, explain: bool = False,
             locale: str = "en", summary: bool = False) -> Outcome:
    """Decide one case. A decline is a decision, not an error.

    `case` is a checked `Case` or plain data (checked here). With `explain`,
    each reason also carries the values it read and every sub-condition. With
    `summary` (batch summary rows), the same decisions without the parts a summary
    row does not read: the trace and the adherence records are left empty.
    """
    if not isinstance(case, Case):
        case = case_from_data(case, compiled.product)
    evaluation = _Evaluation(plan_for(compiled), case, explain, locale)
    evaluation.summary = summary
    return evaluation.run()


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
        self.say = Notes(locale)
        self.checkups = CheckupBook(plan.checkup_events, self.say)
        self.cover: CoverState | None = None
        self._timeline: Timeline | None = None
        self.claims: list[ClaimOut] = []
        self.notes: list[str] = []
        self.decision = "accept"
        self.rebate = 0.0
        self.agenda: list[tuple] = []
        self.seq = 0
        self.summary = False
        self.set_period(plan.period_at(case.start))

    # -------------------------------------------------------------- plumbing

    def set_period(self, period: PeriodPlan) -> None:
        self.period = period
        env = dict(self.case.applicant)
        for name, fn in period.derived:
            env[name] = fn(env)
        self.env = env

    def on_action(self, rule: str, facts: dict[str, Any]) -> None:
        if rule.startswith(SEEN):
            return
        if not self.summary:
            self.trace.append(TraceStep(len(self.trace) + 1, self.day, rule, facts))
        if rule not in self.step:  # an $or fires once per true branch
            self.step.append(rule)

    def fact(self, kind: str, env: dict[str, Any], system: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        """A fact of `kind` carrying every attribute its rules read (and nothing else), and
        the `system` attributes (`_checkup`...). A dict, not `**system`: a call with keywords
        to be gathered is not native."""
        self.refs += 1
        fact = {"_kind": kind, "_ref": self.refs}
        if system is not None:
            fact.update(system)
        for name in self.plan.fact_names[kind]:
            if name in env:
                fact[name] = env[name]
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
                decision = self.fact("decision", {}, {"_decision": self.decision})
                self.sessions.get(handle).assert_fact(decision)

    def assert_fact(self, kind: str, fact: dict[str, Any]) -> list[str]:
        """Assert into every ruleset with rules on `kind`; the rules that fired, in order."""
        self.step = []
        for handle in self.period.route.get(kind, ()):
            self.sessions.get(handle).assert_fact(fact)
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
        with Sessions(self.on_action, traced=not self.summary) as sessions:
            self.sessions = sessions
            self.decided: set[int] = set()
            self.underwrite()
            if self.decision == "accept":
                self.cover = CoverState.issued(self.product, self.case, self.period)
                self.walk()
            else:
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

    def number(self, value: Any) -> float | int:
        return self.period.number(value)

    def add_exclusion(self, exclusion_id: str, rule: str) -> None:
        if lapse.keeps(self.added.get(exclusion_id), self.day):
            return
        exclusion = self.plan.exclusions[exclusion_id]
        text = self.plan.text(f"exclusion.{exclusion_id}", exclusion.text, self.period,
                              self.locale)
        self.added[exclusion_id] = ExclusionOut(exclusion_id, text, rule, self.day,
                                                lapse.until(exclusion, self.day, self.period))

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
                self.notes.append(self.say.of("after_as_of", event=event.id, date=event.date))
            elif event.date < self.start:
                self.before_cover(event)
            elif event.type in self.plan.event_readers:  # others do nothing on their day
                self.push(event.date, EVENT, event)
        self.track(self.checkups.at_issue(self.start, self.as_of, self.cover.end,
                                          self.period.schedules))
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

    def schedule(self, checkup_id: str, day: dt.date, why: str) -> None:
        self.track(self.checkups.schedule(checkup_id, day, why, self.period.schedules))

    def track(self, occurrences: list[Occurrence]) -> None:
        """Put the day each new occurrence is finally missed on the agenda."""
        for occurrence in occurrences:
            missed_on = occurrence.final + ONE_DAY
            if missed_on <= self.as_of:
                self.push(missed_on, DEADLINE, occurrence)

    def deadline(self, occurrence: Occurrence) -> None:
        if occurrence.status != "open":
            return
        occurrence.status = "missed"
        checkup = occurrence.checkup
        self.decide_first("missed")
        streak = self.checkups.streak(occurrence)
        fired = self.assert_fact("missed", self.fact("missed", {}, {"_checkup": checkup.id,
                                                                "_streak": streak}))
        if f"missed.{checkup.id}" in fired and checkup.on_missed is not None:
            self.apply(checkup.on_missed, f"missed.{checkup.id}", checkup, None)
        elif streak < self.number(checkup.missed_in_a_row):
            self.notes.append(self.say.of("missed_in_a_row", checkup=checkup.id, count=streak,
                                          due=occurrence.due.isoformat(),
                                          n=int(self.number(checkup.missed_in_a_row))))

    def event(self, event: Event) -> None:
        if not self.cover.in_force(event.date):
            if event.type in self.plan.claim_types:
                self.refuse_claim(event, "declined", self.say.of("lapsed"))
            return
        matched = self.checkups.matching(event.type, event.date)
        plan = self.plan
        if not (matched or event.type in plan.visit_readers or event.type in plan.event_triggers
                or event.type in plan.claim_types):
            return  # nothing reads this event here (e.g. a visit outside every window)
        env = {**self.env, **event.fields}
        for occurrence in matched:
            self.visit(occurrence, event, env)
        done = {o.checkup.id for o in matched}
        for checkup in self.plan.visit_readers.get(event.type, ()):
            if checkup.id not in done:
                self.unscheduled_visit(checkup, event, env)
        if event.type in self.plan.event_triggers:
            # the trigger's reason is explained from what it read: the metrics too
            measured = {**env, **self.metrics_for("event", event.date)}
            fired = self.assert_fact("event", self.fact("event", measured, {"_type": event.type}))
            self.triggers(fired, measured)
        if event.type in self.plan.claim_types:
            self.claim(event, env)

    def visit(self, occurrence: Occurrence, event: Event, env: dict[str, Any]) -> None:
        occurrence.status = "done"
        occurrence.done_on = event.date
        checkup = occurrence.checkup
        env = {**env, **self.metrics_for("visit", event.date)}
        self.decide_first("visit")
        fired = self.assert_fact("visit", self.fact("visit", env, {"_checkup": checkup.id,
                                                                   "_scheduled": True}))
        if f"done.{checkup.id}" in fired and checkup.on_done is not None:
            self.apply(checkup.on_done, f"done.{checkup.id}", checkup, None)
        self.results(checkup, fired, env)

    def unscheduled_visit(self, checkup: Checkup, event: Event, env: dict[str, Any]) -> None:
        """A visit outside every window completes nothing, but its results still count
        (unless it came after the check-up was missed and the product says they do not)."""
        if checkup.late_results == "ignore" and self.checkups.late(checkup, event.date):
            self.notes.append(self.say.of("late_results", checkup=checkup.id, date=event.date))
            return
        env = {**env, **self.metrics_for("visit", event.date)}
        fired = self.assert_fact("visit", self.fact("visit", env, {"_checkup": checkup.id,
                                                                   "_scheduled": False}))
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
        self.judge_year(number - 1)
        if not self.cover.in_force(self.day):
            self.notes.append(self.say.of("not_renewed", number=number))
            return
        period = self.plan.period_at(self.day)
        if period is not self.period:
            self.set_period(period)
        timeline = self.timeline  # metrics use the parameters now in force
        timeline.constants, timeline.filters = period.constants, period.metric_filters
        for checkup in self.product.checkups:
            if checkup.trigger.repeat_if_missed and self.checkups.last_missed(checkup):
                self.schedule(checkup.id, self.day, self.say.of("renewal", number=number))

    # -------------------------------------------------------------- claims

    def before_cover(self, event: Event) -> None:
        if event.type in self.plan.claim_types:
            self.refuse_claim(event, "declined", self.say.of("before_cover"))

    def refuse_claim(self, event: Event, status: str, why: str) -> None:
        self.claims.append(ClaimOut(event.id, None, event.date, status, Decimal(0),
                                    [Reason("claim", why, date=event.date)]))

    def unissued_claims(self) -> None:
        claim_types = {b.event for b in self.product.benefits}
        why = self.say.of("declined" if self.decision == "decline" else "pending")
        status = "declined" if self.decision == "decline" else "pending"
        for event in self.case.events:
            if event.type in claim_types and event.date <= self.as_of:
                self.refuse_claim(event, status, why)

    def claim(self, event: Event, env: dict[str, Any]) -> None:
        flags = {name: False for name in self.plan.exclusion_flags}
        flags.update({exclusion_flag(x): True for x, added in self.added.items()
                      if lapse.applies(added, event.date)})
        days = (event.date - self.start).days
        fact = self.fact("claim", env, {"_type": event.type, "_days": days, **flags})
        fired = self.assert_fact("claim", fact)
        matched = [(b, rule_id) for b, rule_id in self.plan.benefit_rules if rule_id in fired]
        if not matched:
            self.refuse_claim(event, "declined", self.say.of("no_benefit"))
            return
        for benefit, rule_id in matched:
            self.claims.append(self.judge_claim(benefit, rule_id, event, fired, env))

    # -------------------------------------------------------------- outcome

    def outcome(self) -> Outcome:
        general = self.plan.general_exclusions(self.period, self.locale)
        added = [x for x in self.added.values() if lapse.applies(x, self.as_of)]
        self.notes += [self.say.of("lapsed_exclusion", exclusion=x.id, date=x.until + ONE_DAY)
                       for x in self.added.values() if not lapse.applies(x, self.as_of)]
        exclusions = general + added if self.decision != "decline" else []
        issued = self.cover is not None
        return Outcome(
            product=dict(self.plan.identity),
            as_of=self.as_of, decision=self.decision, reasons=self.reasons,
            loadings=[loading for loading, _ in self.loadings] if issued else [],
            exclusions=exclusions if issued else [],
            checkups=[o.out(self.as_of) for o in self.checkups.occurrences],
            coverage=self.coverage() if issued else CoverOut(Decimal(0), {}, 0.0, None, False),
            claims=self.claims,
            adherence=self.adherence() if issued and not self.summary else [],
            trace=self.trace, notes=self.notes)

    def adherence(self) -> list[AdherenceOut]:
        """The adherence section (issued cover only)."""
        return adherence_out(self.product, self.plan.metric_specs.values(), self.period,
                             self.cover, self.timeline, self.start, self.as_of,
                             bool(self.case.events))

    # -------------------------------------------------------------- cover over time

    @property
    def timeline(self) -> Timeline:
        """Metric computations over the case's events (built on first use)."""
        if self._timeline is None:
            self._timeline = Timeline(self.case.events, self.start,
                                      self.period.metric_filters, self.env,
                                      self.period.constants, self.plan.metric_specs)
        return self._timeline

    def metrics_for(self, kind: str, day: dt.date, year: int | None = None) -> dict[str, Any]:
        """The metrics facts of `kind` read, measured on `day`."""
        year = year_number(self.start, day) if year is None else year
        timeline = self.timeline
        return {spec.name: timeline.value(spec, day, lambda p: self.cover.consecutive(p, year))
                for spec in self.plan.metrics_read[kind]}

    def judge_year(self, number: int) -> None:
        """Policy year `number` has ended: which programmes it kept, and what that moves."""
        last_day = policy_year(self.start, number).end - ONE_DAY
        env = {**self.env, **self.metrics_for("year", last_day, number)}
        fired = self.assert_fact("year", self.fact("year", env, {"_year": number}))
        adherent = {p.id: f"adherence.{p.id}" in fired for p in self.product.adherence}
        for programme in self.product.adherence:
            if adherent[programme.id]:
                self.reasons.append(self.reason(f"adherence.{programme.id}", programme.text,
                                                env))
        self.cover.record_year(self.product, self.period, number, adherent)
        for loading, removed_by in self.loadings:
            if removed_by and adherent.get(removed_by) and loading.removed is None:
                loading.removed = self.day

    def judge_claim(self, benefit: Benefit, rule: str, event: Event, fired: list[str],
                    env: dict) -> ClaimOut:
        """A claim a benefit covers: refused in waiting or by an exclusion, else paid."""
        reasons: list[Reason] = []
        waiting, exclusions = self.plan.claim_rules[benefit.id]
        if waiting in fired:
            days = int(self.number(benefit.waiting_period_days))
            why = self.say.of("waiting", day=(event.date - self.start).days + 1, days=days)
            info = self.plan.rules[waiting]
            reasons.append(Reason(waiting, why, info.clause, info.source, event.date))
        for exclusion, rule_id in exclusions:  # those that apply to this benefit
            if rule_id in fired:
                reasons.append(self.reason(rule_id, exclusion.text, env))
                reasons += lapse.until_reasons(self.added.get(exclusion.id), rule_id, event.date,
                                               self.say)
        if reasons:
            return ClaimOut(event.id, benefit.id, event.date, "declined", Decimal(0), reasons)
        cover, period, terms = self.cover, self.period, self.plan.benefit_terms[benefit.id]
        judgement = cover.book.judge(terms, event, year_number(self.start, event.date),
                                     cover.sum_insured(self.product, period),
                                     # only a shared cap reads the limits
                                     cover.limits(self.product, period)
                                     if terms.shared is not None else {},
                                     period.numbers, self.say)
        reasons.append(self.reason(rule, benefit.text, env))
        reasons += [Reason(rule, note, date=event.date) for note in judgement.notes]
        return ClaimOut(event.id, benefit.id, event.date, judgement.status, judgement.payable,
                        reasons, judgement.claimed)

    def coverage(self) -> CoverOut:
        """Cover on `as_of`: amounts (none once it has ended), tier, premium adjustment."""
        cover, product = self.cover, self.product
        in_force = cover.in_force(self.as_of)
        loading = sum(x.percent for x, _ in self.loadings if x.removed is None)
        discount = cover.bonus_for(product, "premium_discount") + self.rebate
        if product.premium.discount_cap_percent is not None:  # the cap on the total discount
            discount = min(discount, self.number(product.premium.discount_cap_percent))
        return CoverOut(cover.sum_insured(product, self.period) if in_force else Decimal(0),
                        cover.limits(product, self.period) if in_force else {},
                        loading - discount, cover.tier, in_force,
                        cover.bonus_for(product, "sum_insured"))
