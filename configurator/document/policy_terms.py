"""The policy's wording for issue 13's terms, generated from the rules so it cannot drift.

A lapsing exclusion states the day it still applies and the day it stops; a
benefit with a yearly deductible or a share by a claim field says so in the
benefits table; a check-up whose product chose what late results do says which; a
programme reading a count of tagged events says which events count.
Every number is formatted from the product's parameters (`phrases.Values`).
"""

from __future__ import annotations

from typing import Any

from ..conditions.visitor import names
from ..product.model import Benefit, Checkup, Exclusion, text_in
from ..product.tags import tagged_types
from .blocks import Para
from .titles import label


def lapse_paras(builder: Any, exclusion: Exclusion) -> list[Para]:
    """'It lasts 12 months ... up to and including the day before ...' (both days stated)."""
    if exclusion.lapses_after_months is None:
        return []
    months = builder.values.ref(exclusion.lapses_after_months, "months")
    return [Para(builder.words("exclusion_lapses", months=months), True)]


def late_paras(builder: Any, checkup: Checkup) -> list[Para]:
    """What the results of a visit after the check-up was missed do, when the product says."""
    if checkup.late_results is None:
        return []
    ignored = checkup.late_results == "ignore"
    return [Para(builder.words(f"late_results_{checkup.late_results}"), ignored)]


def yearly_deductible_words(builder: Any, benefit: Benefit) -> str:
    pays = benefit.pays
    if pays.yearly_deductible is None:
        return ""
    amount = builder.values.ref(pays.yearly_deductible, builder.product.currency)
    return builder.words("pays_yearly_deductible", amount=amount)


def ratio_words(builder: Any, benefit: Benefit, key: str = "ratio_by") -> tuple[str, bool]:
    """The share paid, as the benefits table prints it (`key`: the sentence for a share by
    a claim field), and whether it is under 100%."""
    pays, v = benefit.pays, builder.values
    by = pays.ratio_by
    if by is None:
        return v.ref(pays.ratio_percent, "percent"), v.number(pays.ratio_percent) < 100
    field = builder.product.events[benefit.event].fields[by.field]
    shares = [by.percent[value] for value in (field.values or ()) if value in by.percent]
    text = builder.words(key, shares=builder.words("ratio_sep").join(
        v.ref(s, "percent") for s in shares), field=label(builder.product, by.field,
                                                          builder.locale))
    return text, any(v.number(s) < 100 for s in shares)


def pays_expenses_words(builder: Any, benefit: Benefit) -> str:
    """What a benefit paying expenses pays, before deductibles ('80% of the cost')."""
    if benefit.pays.ratio_by is None:
        return builder.words("pays_expenses", ratio=ratio_words(builder, benefit)[0])
    return ratio_words(builder, benefit, "pays_expenses_by")[0]


def guide_terms(builder: Any, benefit: Benefit) -> list[str]:
    """The reading guide's 'limits and your share' parts for these terms."""
    out = []
    if benefit.pays.ratio_by is not None:
        text, reduced = ratio_words(builder, benefit, "by_ratio_by")
        if reduced:
            out.append(text)
    if benefit.pays.yearly_deductible is not None and builder.values.number(
            benefit.pays.yearly_deductible):
        out.append(builder.words("by_yearly_deductible", amount=builder.values.ref(
            benefit.pays.yearly_deductible, builder.product.currency)))
    return out


def restricted(builder: Any, benefit: Benefit) -> bool:
    """A yearly deductible or a share under 100% by a claim field restricts a benefit."""
    pays = benefit.pays
    return bool((pays.yearly_deductible is not None and builder.values.number(
        pays.yearly_deductible)) or (pays.ratio_by is not None and ratio_words(
            builder, benefit)[1]))


def tag_words(builder: Any, programme: Any) -> str:
    """'For <metric>, we count every <type> or <type> that your care team marks for it.',
    once for each count of tagged events the programme's condition reads (directly or
    through quarters and halves)."""
    product, w, out = builder.product, builder.words, ""
    read = [n.id for n in names(programme.when.node)] if programme.when is not None else []
    for name in dict.fromkeys(read):
        metric = product.metrics.get(name)
        if metric is not None and metric.parts is not None:
            name, metric = metric.parts.metric, product.metrics.get(metric.parts.metric)
        if metric is None or metric.count is None or metric.count.tag is None:
            continue
        events = [text_in(product.events[t].label, builder.locale) if product.events[t].label
                  else t.replace("_", " ") for t in tagged_types(product, metric.count.tag)]
        out += (w.gap or "") + w("tag_count", metric=label(product, name, builder.locale),
                                 events=w("tag_or").join(events))
    return out
