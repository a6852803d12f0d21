"""Issue 13's terms compared version to version (part A), each change judged for the insured:
how long an added exclusion lasts, a benefit's yearly deductible and its shares by a claim
field, the events that set a check-up off, what late check-up results do, and the tag a
count reads with the event types that carry it."""

from __future__ import annotations

import math
from typing import Any

from ..product.tags import tagged_types
from .changes import FAVOURABLE, MIXED, NEUTRAL, UNFAVOURABLE, Field, Versions

LONGER = ("lengthened", "shortened")


def exclusion_terms(v: Versions, subject: str, name: str, o: Any, n: Any) -> None:
    """A shorter exclusion favours the insured; one that never lapses lasts for ever."""
    v.number(subject, name, Field("duration of exclusion {name}", "exclusion_lengthened",
                                  "exclusion_shortened", -1, "months", LONGER, none=math.inf),
             o.lapses_after_months, n.lapses_after_months,
             v.spot("old", o, "lapses_after_months"), v.spot("new", n, "lapses_after_months"))


def pays_terms(v: Versions, subject: str, name: str, a: Any, b: Any) -> None:
    """The yearly deductible (higher is worse) and the share paid for each field value."""
    spots = (v.spot("old", a), v.spot("new", b))
    v.number(subject, name, Field("yearly deductible of {name}", "benefit_lowered",
                                  "benefit_raised", -1, "money", none=0),
             a.yearly_deductible, b.yearly_deductible, *spots)
    if a.ratio_by is None and b.ratio_by is None:
        return
    fields = {by.field for by in (a.ratio_by, b.ratio_by) if by is not None}
    if len(fields) > 1:
        v.add("benefit_changed", subject, MIXED, f"{name} now pays by {b.ratio_by.field} "
              f"instead of {a.ratio_by.field}", old_node=a, new_node=b)
        return
    field = fields.pop()
    values = sorted({*(a.ratio_by.percent if a.ratio_by else {}),
                     *(b.ratio_by.percent if b.ratio_by else {})})
    for value in values:
        v.number(subject, name, Field(f"share of expenses paid for {{name}} when {field} is "
                                      f"{value}", "benefit_raised", "benefit_lowered", 1,
                                      "percent"),
                 _share(a, value), _share(b, value), *spots)


def _share(pays: Any, value: str) -> Any:
    if pays.ratio_by is None:
        return pays.ratio_percent
    return pays.ratio_by.percent.get(value, 0)


def trigger_events(v: Versions, subject: str, name: str, a: Any, b: Any) -> bool:
    """Events that set a check-up off, when either version lists several (`on_any`): more
    events mean more check-ups to attend. True when it compared them."""
    if a.on_any is None and b.on_any is None:
        return False
    before, after = set(a.on_any or [a.on]), set(b.on_any or [b.on])
    if after - before:
        v.add("checkup_trigger_changed", subject, UNFAVOURABLE, f"check-up {name} is now also "
              f"set off by {', '.join(sorted(after - before))}", old_node=a, new_node=b)
    if before - after:
        v.add("checkup_trigger_changed", subject, FAVOURABLE, f"check-up {name} is no longer "
              f"set off by {', '.join(sorted(before - after))}", old_node=a, new_node=b)
    return True


def late_results(v: Versions, subject: str, name: str, o: Any, n: Any) -> None:
    """Late results applying can add exclusions or loadings, or lift cover: judged mixed;
    stating the default ('apply') where it was silent changes nothing."""
    a, b = o.late_results or "apply", n.late_results or "apply"
    if a != b:
        v.add("checkup_effect_changed", subject, MIXED, f"results of check-up {name} done "
              f"after its deadline now {'apply' if b == 'apply' else 'do not apply'}",
              old=a, new=b, old_node=o, new_node=n)
    elif o.late_results != n.late_results:
        v.add("wording_only", subject, NEUTRAL, f"check-up {name} now states what late "
              "results do", old_node=o, new_node=n)


def tag_terms(v: Versions, subject: str, key: str, a: Any, b: Any, o: Any, n: Any) -> None:
    """A count of tagged events: its tag, and the event types declaring it (more types
    counted is easier to reach: good when a higher value of the metric favours the insured)."""
    tag_a, tag_b = getattr(a, "tag", None), getattr(b, "tag", None)
    if tag_a is None and tag_b is None:
        return
    v.flag(subject, f"tag counted by metric {key}", tag_a, tag_b, None, "metric_changed", o, n)
    if tag_a != tag_b:
        return
    types_a, types_b = set(tagged_types(v.old, tag_a)), set(tagged_types(v.new, tag_b))
    if types_a == types_b:
        return
    polarity = v.polarity(v.new, key)
    more = FAVOURABLE if polarity > 0 else UNFAVOURABLE if polarity < 0 else MIXED
    less = {FAVOURABLE: UNFAVOURABLE, UNFAVOURABLE: FAVOURABLE}.get(more, MIXED)
    v.add("metric_changed", subject, more if types_b > types_a else less if types_b < types_a
          else MIXED, f"metric {key} now counts events tagged {tag_b} of "
          f"{sorted(types_b) or 'no type'} (was {sorted(types_a) or 'no type'})",
          old=sorted(types_a), new=sorted(types_b), old_node=o, new_node=n)
