"""For each adverse part of an Outcome, the smallest verified changes that would change it.

`why_not(compiled, case, locale)` evaluates the case, lists its adverse parts
(`adverse.find`, and programmes not on track this policy year), and for each
tries, in order:

* a threshold on one input or on one field of the recorded event a check-up
  result read (`search.thresholds`): the boundary value, found over the
  declared range and verified by the engine on both sides;
* future events (`events`): the next visit of a missed or overdue check-up,
  or the visits and refills a programme still needs this policy year, dated
  after as_of only, verified on the day the outcome is decided;
* otherwise a statement that nothing the member can do changes it (an age
  limit, a fact such as a diagnosis, a date that has passed, a claim whose
  reason applies).

A new construct plugs in by adding an adverse kind to `adverse.find` and a
`SUGGESTERS` entry here. Deterministic: no randomness, no clock, stable order.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cases.case import Case
from ..cases.outcome import Outcome
from ..compiler.compile import CompiledProduct
from ..product.model import Programme, text_in
from ..product.wording import format_value
from . import adverse as adverse_parts
from . import events as future
from .model import EVENT, NOTHING, THRESHOLD, Adverse, Counterfactual, Suggestion
from .search import FIXED_UNITS, Threshold, Trial, changeable, read_inputs, thresholds
from .words import Words


def why_not(compiled: CompiledProduct, case: Case, locale: str = "en") -> list[Counterfactual]:
    """Every adverse part of the case's Outcome with its verified suggestions."""
    trial = Trial(compiled, case, locale)
    words = Words(compiled.product, locale)
    outcome = trial.outcome()
    constants = trial.constants(case.start)
    found = []
    for item in adverse_parts.find(outcome, compiled.product, compiled.rules, constants,
                                  locale):
        suggest = SUGGESTERS.get(item.rule.partition(".")[0], _nothing_for)
        if item.kind == "claim":
            suggest = _claim
        found.append(Counterfactual(item, tuple(suggest(trial, item, words))))
    if outcome.decision == "accept":
        found += _programmes(trial, words, compiled)
    return found


# ------------------------------------------------------------ rules read at a point in time


def _rule_thresholds(trial: Trial, item: Adverse, words: Words) -> list[Suggestion]:
    """Eligibility and check-up result rules: one input's boundary, else why not."""
    node = trial.plan.node(item.rule)
    if node is None:
        return _nothing_for(trial, item, words)
    specs = {n: (s, None) for n, s in trial.product.inputs.items()}
    event = _recorded_event(trial, item)
    if event is not None:
        fields = trial.product.events[event.type].fields
        specs.update({n: (s, event.id) for n, s in fields.items()})
    day = item.date or trial.case.start
    before = trial.outcome()

    def still(outcome: Outcome) -> bool:
        return (adverse_parts.present(item, outcome)
                or not adverse_parts.not_worse(outcome, before))

    out = [_threshold_suggestion(trial, item, words, hit, event)
           for hit in thresholds(trial, node, specs, still, day)]
    if item.kind == "loading":
        out += _removal(trial, item, words)
    return out or [_nothing(item, words, _why_fixed(trial, node, specs, words))]


def _recorded_event(trial: Trial, item: Adverse):
    if not item.rule.startswith("result."):
        return None
    checkup_id = item.rule.split(".")[1]
    checkup = next(c for c in trial.product.checkups if c.id == checkup_id)
    return next((e for e in trial.case.events
                 if e.type == checkup.event and e.date == item.date), None)


def _threshold_suggestion(trial: Trial, item: Adverse, words: Words, hit: Threshold,
                          event) -> Suggestion:
    label = words.label(hit.name, hit.spec)
    comparison = words.ops(hit.op, words.value(hit.shown, hit.spec))
    if event is None:
        change_text = words("threshold", label=label, comparison=comparison)
    else:
        change_text = words("threshold_event", label=label, comparison=comparison,
                            event=words.event(event.type), date=words.date(event.date))
    changed = (trial.with_input(hit.name, hit.applied) if hit.event is None
               else trial.with_field(hit.event, hit.name, hit.applied))
    result = _result(trial.outcome(changed), trial.outcome(), item, words)
    change = {"input": hit.name, "op": hit.op, "value": hit.shown, "unit": hit.spec.unit,
              "current": hit.current, "applied": hit.applied, "back": hit.back,
              "step": hit.step}
    if hit.event is not None:
        change["event"] = hit.event
    return _suggestion(THRESHOLD, item, words, change_text, change, result)


def _result(changed: Outcome, before: Outcome, item: Adverse, words: Words) -> dict:
    """What the changed case's Outcome shows instead, as data and words."""
    if item.kind in ("decline", "refer"):
        key = changed.decision if changed.decision != before.decision else "gone"
        if changed.decision == "decline":
            key = "decline"
        return {"decision": changed.decision, "text": words(f"results.{key}")}
    if item.kind in ("loading", "exclusion"):
        return {"decision": changed.decision, "text": words(f"results.{item.kind}")}
    return {"decision": changed.decision, "text": words("results.gone")}


def _suggestion(kind: str, item: Adverse, words: Words, change_text: str, change: dict,
                result: dict) -> Suggestion:
    text = words("suggestion", change=change_text, result=result["text"])
    return Suggestion(kind, item.rule, item.clause, text + words.cite(item.rule, item.clause),
                      change, result)


def _why_fixed(trial: Trial, node, specs: dict, words: Words) -> tuple[str, str]:
    """Why no single change helps: an age limit, a fact, or no one measurement is enough."""
    read = [n for n in read_inputs(trial.product, node) if n in specs]
    if any((specs[n][0].unit or "") in FIXED_UNITS for n in read):
        return "age", words("why.age")
    if read and not any(changeable(specs[n][0]) for n in read):
        labels = words.join([words.label(n, specs[n][0]) for n in read])
        return "fact", words("why.fact", labels=labels)
    return "single", words("why.single")


def _nothing(item: Adverse, words: Words, why: tuple[str, str]) -> Suggestion:
    """No change found: nothing the member can do, or (`single`) no one measurement alone."""
    said = words("alone") if why[0] == "single" else words("nothing", why=why[1])
    text = said + words.cite(item.rule, item.clause)
    return Suggestion(NOTHING, item.rule, item.clause, text, {"reason": why[0]}, {})


def _nothing_for(trial: Trial, item: Adverse, words: Words) -> list[Suggestion]:
    return [_nothing(item, words, ("past", words("why.past")))]


def _claim(trial: Trial, item: Adverse, words: Words) -> list[Suggestion]:
    return [_nothing(item, words, ("claim", words("why.claim")))]


# ------------------------------------------------------------ future events


def _missed(trial: Trial, item: Adverse, words: Words) -> list[Suggestion]:
    """A missed (or overdue) check-up: a visit for its next occurrence, if there is one."""
    checkup_id = item.subject.partition("@")[0]
    best = adverse_parts.best_tier(trial.product, trial.constants(trial.case.as_of))

    def reached(outcome: Outcome, target) -> bool:
        tier_ok = item.kind != "tier" or outcome.coverage.tier == best
        refer_ok = item.kind != "refer" or outcome.decision == "accept"
        return future.done(outcome, target) and tier_ok and refer_ok

    plan = future.next_visit(trial, checkup_id, reached)
    if plan is None:
        return _nothing_for(trial, item, words)
    if plan.outcome.coverage.tier != plan.baseline.coverage.tier:
        tier = trial.product.coverage.tiers[plan.outcome.coverage.tier]
        result = {"tier": plan.outcome.coverage.tier,
                  "text": words("results.tier", tier=text_in(tier.name, words.locale))}
    else:
        result = {"text": words("results.checkup")}
    return [_event_suggestion(item, words, plan, result, _tomorrow(trial))]


def _event_suggestion(item: Adverse, words: Words, plan: future.Plan, result: dict,
                      tomorrow) -> Suggestion:
    parts = []
    needs = future.required(plan.events)
    for event_type, count in plan.kinds:
        label = words.event(event_type)
        if needs.get(event_type):
            label = words.with_fields(event_type, label, needs[event_type])
        if _is_refill(plan, event_type):
            parts.append(words("refills", label=label, last=words.date(plan.last)))
        elif count == 1:
            parts.append(words("one_event", label=label))
        else:
            parts.append(words("many_events", label=label, count=count))
    events_text = words("and").join(parts)
    key = "events_by" if plan.first <= tomorrow else "events_between"
    change_text = words(key, events=events_text, first=words.date(plan.first),
                        last=words.date(plan.last))
    change = {"events": [{"type": e.type, "date": e.date.isoformat(),
                          **future.strip(e.fields)} for e in plan.events],
              "first": plan.first.isoformat(), "last": plan.last.isoformat(),
              "decided": plan.decided.isoformat()}
    return _suggestion(EVENT, item, words, change_text, change, result)


def _tomorrow(trial: Trial):
    return trial.case.as_of + future.ONE_DAY


def _is_refill(plan: future.Plan, event_type: str) -> bool:
    return sum(1 for e in plan.events if e.type == event_type) > 0 and any(
        k == event_type for k, _ in plan.kinds) and _supplies(plan, event_type)


def _supplies(plan: future.Plan, event_type: str) -> bool:
    return any(isinstance(v, int) and k.endswith("supply") for e in plan.events
               if e.type == event_type for k, v in e.fields.items())


def _removal(trial: Trial, item: Adverse, words: Words) -> list[Suggestion]:
    """A loading a programme removes: what that programme needs this policy year."""
    rule = next((r for r in trial.product.eligibility if f"eligibility.{r.id}" == item.rule),
                None)
    programme = next((p for p in trial.product.adherence
                      if rule is not None and p.id == rule.removed_by), None)
    if programme is None:
        return []
    removed = lambda o: not adverse_parts.present(item, o)  # noqa: E731
    plan = future.programme_plan(trial, programme, removed)
    if plan is None:
        return []
    return [_event_suggestion(item, words, plan, {"text": words("results.loading_removed")},
                              _tomorrow(trial))]


def _programmes(trial: Trial, words: Words, compiled: CompiledProduct) -> list[Counterfactual]:
    """Programmes this policy year is not on track for, and what would still earn them."""
    bounds = future.year_bounds(trial)
    if bounds is None:
        return []
    year, _, last, renewal = bounds
    out = []
    for programme in trial.product.adherence:
        if programme.change is None or not future.attainable(trial, programme):
            continue
        if _adherent_years(trial.outcome(), programme) == []:
            continue  # no policy year missed: nothing lost or frozen
        baseline = trial.outcome(trial.with_events([], renewal))
        if _adherent(baseline, programme, year) is not False:
            continue
        info = compiled.rules.get(f"adherence.{programme.id}")
        name = text_in(programme.name, words.locale)
        text = words(f"bonus_{programme.change.on_miss}", programme=name,
                     date=words.date(last))
        item = Adverse("bonus", f"adherence.{programme.id}", programme.id,
                       info.clause if info else "", info.source if info else "", last, text)
        out.append(Counterfactual(item, tuple(_bonus(trial, item, words, programme, year))))
    return out


def _adherent_years(outcome: Outcome, programme: Programme) -> list[int]:
    """The policy years the Outcome shows as missed for the programme."""
    found = next((a for a in outcome.adherence if a.id == programme.id), None)
    return [] if found is None else [y for y, kept in sorted(found.years.items()) if not kept]


def _adherent(outcome: Outcome, programme: Programme, year: int) -> bool | None:
    found = next((a for a in outcome.adherence if a.id == programme.id), None)
    return None if found is None else found.years.get(year)


def _bonus(trial: Trial, item: Adverse, words: Words, programme: Programme, year: int
           ) -> list[Suggestion]:
    plan = future.programme_plan(trial, programme,
                                 lambda o: _adherent(o, programme, year) is True)
    if plan is None:
        return [_nothing(item, words, ("time", words("why.time")))]
    found = next(a for a in plan.outcome.adherence if a.id == programme.id)
    bonus = format_value(found.bonus_percent, "percent", words.locale)
    result = {"bonus_percent": found.bonus_percent,
              "text": words("results.bonus", programme=text_in(programme.name, words.locale),
                            bonus=bonus)}
    return [_event_suggestion(item, words, plan, result, _tomorrow(trial))]


SUGGESTERS: dict[str, Callable[[Trial, Adverse, Words], list[Suggestion]]] = {
    "eligibility": _rule_thresholds,
    "result": _rule_thresholds,
    "missed": _missed,
    "done": _missed,  # an overdue check-up (cited by its on-done or trigger rule)
    "trigger": _missed,
}
