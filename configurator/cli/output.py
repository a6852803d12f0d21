"""Outcomes in words for a terminal: the decision, why, and (with explain) the evidence.

In the Outcome's language (``evaluate --lang``): the labels here, the
reasons from the product's wording and the engine's notes (`engine.notes`);
money as the policy document writes it ("RMB 200,000" / "200,000元").
"""

from __future__ import annotations

from decimal import Decimal

from ..cases.outcome import Outcome, Reason
from ..conditions.evaluate import show_value
from ..product.model import Product, text_in
from ..product.wording import format_value, number_text

_LABELS = {
    "en": {
        "case": "case: {}", "as_of": "as of: {}", "decision": "decision: {}",
        "cover": "cover: {tier}sum insured {amount}{bonus}", "tier": "tier {}, ",
        "bonus": ", bonus +{}%", "limit": "  limit {}: {}", "none": "cover: none in force",
        "premium": "premium adjustment: {:+g}% of the standard premium",
        "reasons": "reasons", "loadings": "loadings", "check-ups": "check-ups",
        "exclusions": "exclusions", "claims": "claims", "adherence": "adherence",
        "notes": "notes", "colon": ":", "removed": " (removed {})", "due": "due",
        "done": " done {}",
        "deadline": " deadline {}", "payable": "{status}, payable {amount}",
        "programme": "{id}: +{bonus}% {target} (cap {cap}%, {on_miss} on a missed year), "
                     "{years} adherent year(s) in a row",
        "rule_at": "    rule {rule} at {source}, policy clause {clause}", "read": "    read: {}",
        "yes": "yes", "no": "no ",
        "decisions": {"accept": "ACCEPT", "decline": "DECLINE", "refer": "REFER"},
        "codes": {},
    },
    "zh-CN": {
        "case": "案例：{}", "as_of": "评估日：{}", "decision": "核保结论：{}",
        "cover": "保障：{tier}保额{amount}{bonus}", "tier": "档次{}，", "bonus": "，奖励+{}%",
        "limit": "  限额{}：{}", "none": "保障：未生效",
        "premium": "保费调整：标准保费的{:+g}%",
        "reasons": "原因", "loadings": "加费", "check-ups": "体检与复查",
        "exclusions": "除外责任", "claims": "理赔", "adherence": "健康管理计划",
        "notes": "说明", "colon": "：", "removed": "（已于{}取消）", "due": "应于",
        "done": " 完成于{}",
        "deadline": " 截止{}", "payable": "{status}，应付{amount}",
        "programme": "{id}：+{bonus}% {target}（上限{cap}%，未达标年度{on_miss}），"
                     "连续达标{years}年",
        "rule_at": "    规则{rule}（{source}），保险条款第{clause}条", "read": "    读取：{}",
        "yes": "是 ", "no": "否 ",
        "decisions": {"accept": "承保", "decline": "拒保", "refer": "转人工核保"},
        "codes": {"done": "已完成", "due": "待完成", "missed": "已错过", "paid": "已赔付",
                  "partly_paid": "部分赔付", "declined": "拒赔", "pending": "待定",
                  "sum_insured": "保额", "limits": "限额", "premium_discount": "保费折扣",
                  "freeze": "奖励保持不变", "reset": "奖励清零", "none": "无"},
    },
}


class _Report:
    def __init__(self, product: Product, locale: str, explain: bool):
        self.product, self.explain = product, explain
        self.locale = locale if locale in _LABELS else "en"
        self.words = _LABELS[self.locale]

    def say(self, key: str, *args: object, **kwargs: object) -> str:
        return self.words[key].format(*args, **kwargs)

    def code(self, value: str) -> str:
        """An Outcome code (a status, a target) in words; English keeps the code."""
        return self.words["codes"].get(value, value.replace("_", " "))

    def tier(self, tier: str) -> str:
        found = self.product.coverage.tiers.get(tier)
        return text_in(found.name, self.locale) if found and self.locale != "en" else tier

    def money(self, value: Decimal) -> str:
        currency = self.product.currency
        return format_value(value, currency, self.locale, currency)


def outcome_lines(product: Product, outcome: Outcome, explain: bool = False,
                  case_name: str | None = None, locale: str = "en") -> list[str]:
    """A plain-text report of an Outcome (what `configurator evaluate` prints)."""
    r = _Report(product, locale, explain)
    cover = outcome.coverage
    lines = [f"{text_in(product.name, r.locale)} {product.version} ({product.id}, "
             f"{product.hash})"]
    if case_name:
        lines.append(r.say("case", case_name))
    lines += [r.say("as_of", outcome.as_of.isoformat()), "",
              r.say("decision", r.words["decisions"].get(outcome.decision, outcome.decision))]
    if cover.in_force:
        bonus = r.say("bonus", number_text(cover.bonus_percent)) if cover.bonus_percent else ""
        tier = r.say("tier", r.tier(cover.tier)) if cover.tier else ""
        lines.append(r.say("cover", tier=tier, amount=r.money(cover.sum_insured), bonus=bonus))
        lines += [r.say("limit", name, r.money(amount)) for name, amount in cover.limits.items()]
        lines.append(r.say("premium", cover.premium_adjustment_percent))
    else:
        lines.append(r.say("none"))
    lines += _section(r, "reasons", [_reason(r, x) for x in outcome.reasons])
    lines += _section(r, "loadings", [f"{x.rule}: +{number_text(x.percent)}%"
                                      + (r.say("removed", x.removed) if x.removed else "")
                                      for x in outcome.loadings])
    lines += _section(r, "check-ups", [
        f"{c.id:<24} {r.say('due')} {c.due}  {r.code(c.status):<8}"
        + (r.say("done", c.done_on) if c.done_on else r.say("deadline", c.deadline))
        + f"  ({c.reason})" for c in outcome.checkups])
    lines += _section(r, "exclusions", [f"{x.id} [{x.source}]: {x.text}"
                                        + (f" ({x.since} – {x.until})" if x.until else "")
                                        for x in outcome.exclusions])
    lines += _section(r, "claims", [_claim(r, c) for c in outcome.claims])
    lines += _section(r, "adherence", [r.say(
        "programme", id=a.id, bonus=number_text(a.bonus_percent),
        target=r.code(a.target), cap=number_text(a.cap_percent), on_miss=r.code(a.on_miss),
        years=a.consecutive_years) for a in outcome.adherence])
    lines += _section(r, "notes", list(outcome.notes))
    return lines


def _section(r: _Report, title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", r.say(title) + r.say("colon")] + [f"  {item}" for item in items]


def _reason(r: _Report, reason: Reason) -> str:
    date = f"{reason.date} " if reason.date else ""
    text = f"{date}{reason.rule}: {reason.text}"
    if not r.explain:
        return text
    extra = [r.say("rule_at", rule=reason.rule, source=reason.source or "-",
                   clause=reason.clause or "-")]
    if reason.values:
        extra.append(r.say("read", ", ".join(f"{k}={show_value(v)}"
                                             for k, v in reason.values.items())))
    for check in reason.checks or ():
        mark = r.say("yes") if check["value"] else r.say("no")
        extra.append(f"    {'  ' * check['depth']}[{mark}] {check['condition']}")
    return "\n".join([text, *extra])


def _claim(r: _Report, claim) -> str:
    head = f"{claim.id} {claim.date} {claim.benefit or '-'}: " + r.say(
        "payable", status=r.code(claim.status), amount=r.money(claim.payable))
    details = [f"    {_reason(r, x)}".replace("\n", "\n    ") for x in claim.reasons]
    return "\n".join([head, *details])
