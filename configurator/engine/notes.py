"""What the engine writes in its own words, in the case's language.

Check-up reasons, claim notes and timeline notes are the engine's, not the
product's: they are worded here, once per language, so ``evaluate --lang
zh-CN`` (and ``--json``) say every line in Chinese. The English wording is
the Outcome contract's and does not change.
"""

from __future__ import annotations

from typing import Any, Final

_WORDS: Final = {
    "en": {
        "at_issue": "at issue",
        "every_months": "every {n} months",
        "each_quarter": "in each quarter of the policy year",
        "each_half": "in each half of the policy year",
        "triggered": "triggered by {rule} on {date}",
        "capped": "capped by the {label} ({room} left)",
        "per_claim": "per-claim limit",
        "per_year": "yearly limit",
        "lifetime": "lifetime limit",
        "year_share": "yearly share of the sum insured",
        "shared": "'{name}' limit",
        "days_capped": "{days} days claimed, {allowed} left of the yearly {cap}-day cap",
        "paid_this_year": "already paid {count} time(s) this policy year (limit {limit})",
        "paid_lifetime": "already paid {count} time(s) (lifetime limit {limit})",
        "nothing_payable": "nothing payable",
        "after_as_of": "{event} on {date} is after as_of and was ignored",
        "not_renewed": "the policy was not renewed for year {number}",
        "waiting": "claim on day {day} of cover is inside the {days}-day waiting period",
        "declined": "the application was declined",
        "pending": "the application awaits manual underwriting",
        "lapsed": "the policy was not in force on this date",
        "renewal": "renewal of year {number}",
        "before_cover": "the event happened before cover started",
        "no_benefit": "no benefit covers this claim",
        "lapsed_exclusion": "exclusion {exclusion} lapsed on {date}",
        "exclusion_until": "exclusion {exclusion} applies up to and including {date}",
        "yearly_deductible": "{amount} of this claim went to the yearly deductible ({left} "
                             "left this policy year)",
        "ratio_by": "paid at {percent}% ({field}: {value})",
        "late_results": "the results of {checkup} on {date} do not apply: it was done after "
                        "its deadline",
        "missed_in_a_row": "check-up {checkup} due {due} missed: {count} time(s) in a row; "
                           "what a miss does applies from {n} in a row",
    },
    "zh-CN": {
        "at_issue": "投保时",
        "every_months": "每{n}个月",
        "each_quarter": "保单年度每季度一次",
        "each_half": "保单年度每半年一次",
        "triggered": "由{rule}于{date}触发",
        "capped": "受{label}限制（尚余{room}）",
        "per_claim": "每次赔付限额",
        "per_year": "年度限额",
        "lifetime": "终身限额",
        "year_share": "年度保额比例限额",
        "shared": "“{name}”共用限额",
        "days_capped": "申请{days}天，年度{cap}天上限内尚余{allowed}天",
        "paid_this_year": "本保单年度已赔付{count}次（上限{limit}次）",
        "paid_lifetime": "已累计赔付{count}次（终身上限{limit}次）",
        "nothing_payable": "无可赔付金额",
        "after_as_of": "{event}（{date}）晚于评估日，未予考虑",
        "not_renewed": "第{number}个保单年度未续保",
        "waiting": "出险日为保障生效后第{day}天，仍在{days}天等待期内",
        "declined": "投保申请未获承保",
        "pending": "投保申请尚待人工核保",
        "lapsed": "出险日保单未生效",
        "renewal": "第{number}个保单年度续保",
        "before_cover": "事故发生在保障开始之前",
        "no_benefit": "本次理赔不属于任何保险责任",
        "lapsed_exclusion": "除外责任{exclusion}已于{date}失效",
        "exclusion_until": "除外责任{exclusion}适用至{date}（含当日）",
        "yearly_deductible": "本次费用中{amount}计入年度免赔额（本保单年度尚余{left}）",
        "ratio_by": "按{percent}%赔付（依据{field}）",
        "late_results": "{checkup}于{date}完成，已超过截止日期，其结果不予适用",
        "missed_in_a_row": "检查{checkup}（应检日{due}）已连续错过{count}次，"
                           "连续错过{n}次起按错过处理",
    },
}
LOCALES: Final = tuple(_WORDS)


class Notes:
    """The engine's sentences in one language (English for a language it does not know)."""

    def __init__(self, locale: str = "en"):
        self.locale = locale if locale in _WORDS else "en"
        self._words = _WORDS[self.locale]

    def of(self, key: str, **values: Any) -> str:
        """The sentence `key` with `values` filled in. A method, not `__call__`: calling an
        object is not a native call when compiled, calling its method is."""
        return self._words[key].format(**values)
