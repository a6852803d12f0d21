"""Cover in force over a case's timeline: tier, adherence bonuses, limits, claims.

The engine (`engine.py`) walks the timeline and asks the rules; this module
keeps the state that changes with it — the current tier, each programme's
bonus and adherent years, named limits — and turns a matched benefit into a
judged claim (waiting period, exclusions, then `claims.ClaimBook` arithmetic).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..cases.case import Event
from .claims import ClaimBook
from .outcome import AdherenceOut, ClaimOut, Coverage, Reason, money
from .timeline import ONE_DAY, Timeline, add_years, policy_year, year_number

if TYPE_CHECKING:
    from .evaluate import _Evaluation


class Cover:
    """Cover in force over time: tier, adherence bonuses, limits and claims usage."""

    def __init__(self, run: _Evaluation):
        self.run = run
        product = run.product
        self.product = product
        self.tier = product.coverage.initial_tier
        self.years = self._renewable_years()
        self.end = add_years(run.start, self.years) if self.years is not None else None
        if self.years is None:
            self.years = max(1, year_number(run.start, run.as_of))
        self.bonus: dict[str, float] = {p.id: 0.0 for p in product.adherence}
        self.adherent: dict[str, dict[int, bool]] = {p.id: {} for p in product.adherence}
        self.book = ClaimBook(product)
        self.claim_types = run.plan.claim_types
        self.event_triggers = run.plan.event_triggers
        self.flag_names = run.plan.exclusion_flags
        self._timeline: Timeline | None = None

    @property
    def timeline(self) -> Timeline:
        """Metric computations over the case's events (built on first use)."""
        if self._timeline is None:
            run = self.run
            self._timeline = Timeline(self.product, run.case.events, run.start,
                                      run.period.metric_filters, run.env, run.period.constants)
        return self._timeline

    def _renewable_years(self) -> int | None:
        term = self.product.term
        if not term.renewable:
            return 1
        if term.renewal_max_age is None or "age" not in self.run.case.applicant:
            return None
        last_age = self.run.number(term.renewal_max_age)
        return max(1, int(last_age - self.run.case.applicant["age"]) + 1)

    def in_force(self, day: dt.date) -> bool:
        return self.end is None or day < self.end

    def renewed(self, number: int) -> None:
        """New policy year: metrics use the parameters now in force."""
        self.timeline.constants = self.run.period.constants
        self.timeline.filters = self.run.period.metric_filters

    # -- metrics and adherence

    def consecutive(self, programme: str, before_year: int) -> int:
        years = self.adherent[programme]
        count, year = 0, before_year - 1
        while years.get(year):
            count += 1
            year -= 1
        return count

    def metrics_for(self, kind: str, day: dt.date, year: int | None = None) -> dict[str, Any]:
        names = self.run.plan.fact_names[kind]
        metrics = self.product.metrics
        if year is None:
            year = year_number(self.run.start, day)
        return {name: self.timeline.value(name, metrics[name], day,
                                          lambda p: self.consecutive(p, year))
                for name in names if name in metrics}

    def judge_year(self, number: int) -> None:
        run = self.run
        last_day = policy_year(run.start, number).end - ONE_DAY
        env = {**run.env, **self.metrics_for("year", last_day, number)}
        fired = run.assert_fact("year", run.fact("year", env, _year=number))
        for programme in self.product.adherence:
            rule_id = f"adherence.{programme.id}"
            adherent = rule_id in fired
            self.adherent[programme.id][number] = adherent
            if adherent:
                run.reasons.append(run.reason(rule_id, programme.text, env))
            change = programme.change
            if change is None:
                continue
            if adherent:
                step, cap = run.number(change.step_percent), run.number(change.cap_percent)
                self.bonus[programme.id] = min(self.bonus[programme.id] + step, cap)
            elif change.on_miss == "reset":
                self.bonus[programme.id] = 0.0
        for loading, removed_by in run.loadings:
            if removed_by and self.adherent[removed_by].get(number) and loading.removed is None:
                loading.removed = run.day

    def bonus_for(self, target: str, limit: str | None = None) -> float:
        total = 0.0
        for programme in self.product.adherence:
            change = programme.change
            if change and change.target == target and (limit is None or limit in change.limits):
                total += self.bonus[programme.id]
        return total

    # -- amounts

    def sum_insured(self) -> Decimal:
        period = self.run.period
        base = period.decimal(self.product.coverage.sum_insured)
        tiers = self.product.coverage.tiers
        share = period.decimal(tiers[self.tier].percent) if tiers else Decimal(100)
        bonus = self.bonus_for("sum_insured")
        if bonus:
            return money(base * share / 100 * (1 + Decimal(str(bonus)) / 100))
        return money(base * share / 100)

    def limits(self) -> dict[str, Decimal]:
        out = {}
        period = self.run.period
        for name, limit in self.product.coverage.limits.items():
            bonus = Decimal(str(self.bonus_for("limits", name)))
            out[name] = money(period.decimal(limit.amount) * (1 + bonus / 100))
        return out

    def judge_claim(self, benefit, event: Event, fired: list[str], env: dict) -> ClaimOut:
        run = self.run
        reasons: list[Reason] = []
        if f"waiting.{benefit.id}" in fired:
            days = int(run.number(benefit.waiting_period_days))
            why = (f"claim on day {(event.date - run.start).days + 1} of cover is inside the "
                   f"{days}-day waiting period")
            reasons.append(Reason(f"waiting.{benefit.id}", why,
                                  run.plan.rules[f"waiting.{benefit.id}"].clause,
                                  run.plan.rules[f"waiting.{benefit.id}"].source, event.date))
        for exclusion in self.product.exclusions:
            rule_id = f"exclusion.{exclusion.id}"
            applies = exclusion.applies_to is None or benefit.id in exclusion.applies_to
            if rule_id in fired and applies:
                reasons.append(run.reason(rule_id, exclusion.text, env))
        if reasons:
            return ClaimOut(event.id, benefit.id, event.date, "declined", Decimal(0), reasons)
        year = year_number(run.start, event.date)
        judgement = self.book.judge(benefit, event, year, self.sum_insured(), self.limits(),
                                    run.period.constants)
        reasons.append(run.reason(f"benefit.{benefit.id}", benefit.text, env))
        reasons += [Reason(f"benefit.{benefit.id}", note, date=event.date)
                    for note in judgement.notes]
        return ClaimOut(event.id, benefit.id, event.date, judgement.status, judgement.payable,
                        reasons, judgement.claimed)

    # -- results

    def coverage(self) -> Coverage:
        run = self.run
        in_force = self.in_force(run.as_of)
        loading = sum(x.percent for x, _ in run.loadings if x.removed is None)
        discount = self.bonus_for("premium_discount") + run.rebate
        return Coverage(self.sum_insured() if in_force else Decimal(0),
                        self.limits() if in_force else {}, loading - discount,
                        self.tier, in_force, self.bonus_for("sum_insured"))

    def current_metric(self, name: str, metric, year: int) -> float | int:
        """The metric so far in the policy year containing as_of."""
        if metric.consecutive_years is not None:
            return self.consecutive(metric.consecutive_years.programme, year)
        if metric.lowest is not None:
            return self.timeline.value(name, metric, self.run.as_of, lambda p: 0)
        if not self.run.case.events:
            return 0.0 if metric.pdc is not None else 0
        return self.timeline.value(name, metric, self.run.as_of,
                                   lambda p: self.consecutive(p, year))

    def adherence(self) -> list[AdherenceOut]:
        run = self.run
        year = year_number(run.start, run.as_of)
        current = {name: self.current_metric(name, metric, year)
                   for name, metric in self.product.metrics.items()}
        out = []
        for programme in self.product.adherence:
            change = programme.change
            out.append(AdherenceOut(
                programme.id, change.target if change else "loading_removal",
                self.bonus[programme.id], run.number(change.cap_percent) if change else 0,
                self.consecutive(programme.id, year), dict(self.adherent[programme.id]),
                current, change.on_miss if change else "none"))
        return out
