"""The policy document as plain data: key facts, reading guide, numbered clauses.

`build_policy` turns a product (and, for a personalised policy, a schedule
built from the engine's Outcome) into a `Policy`: small dataclasses the
templates lay out and the readability scorer reads. Clause numbers come from
`compile.clause_numbers`, so a reason the engine gives cites the clause the
customer reads. Every number is formatted from the product's parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..product.clauses import DECLINES, clause_numbers, eligibility_clauses
from ..product.model import Benefit, Checkup, EligibilityRule, Product, ResultRule, text_in
from ..product.params import parameters_at
from ..product.wording import render_text
from .blocks import Cell, Clause, KeyFacts, Para, Policy, Section, Table
from .guide import reading_guide
from .keyfacts import key_facts
from .phrases import Values, phrases
from .policy_terms import (
    lapse_paras,
    late_paras,
    pays_expenses_words,
    ratio_words,
    restricted,
    tag_words,
    yearly_deductible_words,
)
from .titles import capital, rule_title

# Section numbers 1-6 are fixed by `compile.clause_numbers`; the rest follow.
SECTIONS = ("definitions", "eligibility", "benefits", "checkups", "adherence", "exclusions",
            "claims", "general")
# a benefit's frequency counts payments: "1 payment a policy year" / "每个保单年度1次"
PAYMENTS = "payments"


def build_policy(product: Product, locale: str = "en", day: dt.date | None = None,
                 extras: dict[str, Any] | None = None) -> Policy:
    """The specimen wording of `product` in `locale`, with parameters in force on `day`.

    `extras` may carry ``examples`` (programme id -> worked-example blocks), and
    for a personalised policy the person's ``outcome``: the key facts are then
    theirs (`keyfacts`); the clauses stay the same for everyone.
    """
    day = day or product.effective_from
    return _Builder(product, locale, day, extras or {}).policy()


class _Builder:
    def __init__(self, product: Product, locale: str, day: dt.date, extras: dict[str, Any]):
        self.product = product
        self.locale = locale
        self.day = day
        self.extras = extras
        self.constants = parameters_at(product, day)
        self.words = phrases(locale)
        self.values = Values(product, self.constants, locale)
        self.numbers = clause_numbers(product)
        self.number_of = {key: str(i) for i, key in enumerate(SECTIONS, start=1)}

    # -------------------------------------------------------------- helpers

    def text(self, text: Any) -> str:
        return render_text(text, self.product, self.constants, self.locale)

    def name(self, text: Any) -> str:
        return text_in(text, self.locale)

    def clause(self, key: str) -> str:
        return self.numbers[key]

    def title(self, key: str, rule: EligibilityRule | ResultRule) -> str:
        """The rule's own `title:`, or the fallback `titles.rule_title` derives."""
        return rule_title(self.product, key, rule, self.locale, self.constants, self.numbers)

    # -------------------------------------------------------------- the document

    def policy(self) -> Policy:
        p, w = self.product, self.words
        name = self.name(p.name)
        sections = [self.definitions(), self.eligibility(), self.benefits(), self.checkups(),
                    self.adherence(), self.exclusions(), self.claims(), self.general()]
        guide = reading_guide(self, sections)
        return Policy(
            self.locale, p.id, p.version, p.hash, name,
            w("title", product=name, kind=w("specimen")),
            w("running", product=name, version=p.version),
            w("version", version=p.version, date=self.values.date(p.effective_from)),
            self.day, self.key_facts(), guide, guide.highlighted(),
            [s for s in sections if s.clauses or s.blocks], words=w)

    def section(self, key: str, blocks: list | None = None) -> Section:
        return Section(self.number_of[key], key, self.words(f"sections.{key}"), blocks or [])

    # -------------------------------------------------------------- sections 1-6

    def definitions(self) -> Section:
        section = self.section("definitions", [Para(self.words("definitions_intro"))])
        for item in self.product.definitions:
            section.clauses.append(Clause(self.clause(f"definition.{item.id}"),
                                          capital(self.name(item.term)),
                                          f"definition.{item.id}",
                                          [Para(self.text(item.text))]))
        return section

    def eligibility(self) -> Section:
        section = self.section("eligibility", [Para(self.words("eligibility_intro"))])
        for item in eligibility_clauses(self.product):
            section.clauses.append(self.declines_clause(item) if isinstance(item, list)
                                   else self.eligibility_clause(item))
        return section

    def declines_clause(self, rules: list[EligibilityRule]) -> Clause:
        """One clause for every decline: 'We cannot cover you' once, then each as an item."""
        w = self.words
        intro = w("declines_intro_one" if len(rules) == 1 else "declines_intro")
        clause = Clause(self.clause(DECLINES), w("declines_title"), DECLINES, [Para(intro)],
                        as_list=True)
        for rule in rules:
            key = f"eligibility.{rule.id}"
            title = self.title(key, rule)
            clause.clauses.append(Clause(self.clause(key), title, key,
                                         [Para(self.text(rule.text), label=title)]))
        return clause

    def eligibility_clause(self, rule: EligibilityRule) -> Clause:
        reduces = rule.outcome in ("loading", "exclusion")
        key = f"eligibility.{rule.id}"
        blocks = [Para(self.text(rule.text), reduces),
                  Para(self.words(f"elig_{rule.outcome}"), reduces)]
        return Clause(self.clause(key), self.title(key, rule), key, blocks, attention=reduces)

    def benefits(self) -> Section:
        si = self.values.ref(self.product.coverage.sum_insured, self.product.currency)
        blocks: list[Any] = [Para(self.words("benefits_intro", sum_insured=si))]
        blocks += self.tiers()
        blocks.append(self.benefits_table())
        section = self.section("benefits", blocks)
        for benefit in self.product.benefits:
            section.clauses.append(Clause(
                self.clause(f"benefit.{benefit.id}"), self.name(benefit.name),
                f"benefit.{benefit.id}", [Para(self.text(benefit.text),
                                               self.benefit_restricted(benefit))]))
        return section

    def tiers(self) -> list[Para]:
        tiers = self.product.coverage.tiers
        if len(tiers) < 2:
            return []
        out = [Para(self.words("tier_intro"))]
        for tier in tiers.values():
            reduced = self.values.number(tier.percent) < 100
            line = self.words("tier_row", name=self.name(tier.name),
                              percent=self.values.ref(tier.percent, "percent"))
            out.append(Para(line, reduced))
            if tier.text is not None:
                out.append(Para(self.text(tier.text), reduced))
        return out

    def benefit_restricted(self, benefit: Benefit) -> bool:
        v = self.values
        return bool(v.number(benefit.waiting_period_days) or self.limits_words(benefit)
                    or v.number(benefit.pays.ratio_percent) < 100
                    or v.number(benefit.pays.deductible) or restricted(self, benefit))

    def pays_words(self, benefit: Benefit) -> str:
        pays, v, w = benefit.pays, self.values, self.words
        if pays.percent_of_sum_insured is not None:
            words = w("pays_percent", percent=v.ref(pays.percent_of_sum_insured, "percent"))
        elif pays.amount is not None:
            words = w("pays_amount", amount=v.ref(pays.amount, self.product.currency))
        elif pays.per_day is not None:
            words = w("pays_per_day", amount=v.ref(pays.per_day, self.product.currency))
        else:
            words = pays_expenses_words(self, benefit)
        if v.number(pays.deductible):
            words += w("pays_deductible", amount=v.ref(pays.deductible, self.product.currency))
        return words + yearly_deductible_words(self, benefit)

    def limits_words(self, benefit: Benefit) -> list[str]:
        limits, freq, v, w = benefit.limits, benefit.frequency, self.values, self.words
        money = self.product.currency
        out = []
        if limits.per_claim is not None:
            out.append(w("limit_per_claim", amount=v.ref(limits.per_claim, money)))
        if limits.per_year is not None:
            out.append(w("limit_per_year", amount=v.ref(limits.per_year, money)))
        if limits.per_year_days is not None:
            out.append(w("limit_per_year_days", days=v.ref(limits.per_year_days, "days")))
        if limits.lifetime is not None:
            out.append(w("limit_lifetime", amount=v.ref(limits.lifetime, money)))
        if limits.per_year_percent_of_sum_insured is not None:
            out.append(w("limit_per_year_share", percent=v.ref(
                limits.per_year_percent_of_sum_insured, "percent")))
        if limits.shared is not None:
            shared = self.product.coverage.limits[limits.shared]
            out.append(w("limit_shared", name=self.name(shared.name),
                         amount=v.ref(shared.amount, money)))
        if freq.per_policy_year is not None:
            out.append(w("freq_per_year", count=v.ref(freq.per_policy_year, PAYMENTS)))
        if freq.lifetime is not None:
            out.append(w("freq_lifetime_once") if v.number(freq.lifetime) == 1
                       else w("freq_lifetime", count=v.ref(freq.lifetime, PAYMENTS)))
        return out

    def benefits_table(self) -> Table:
        w, v = self.words, self.values
        rows = []
        for b in self.product.benefits:
            limits = self.limits_words(b)
            waiting = v.number(b.waiting_period_days)
            ratio, reduced = ratio_words(self, b)
            rows.append([
                Cell(f"{self.clause(f'benefit.{b.id}')}{w.gap or ' '}{self.name(b.name)}"),
                Cell(self.pays_words(b)),
                Cell(w("list_sep").join(limits) if limits else w("no_limit"), bool(limits)),
                Cell(ratio, reduced),
                Cell(v.ref(b.waiting_period_days, "days") if waiting else w("no_waiting"),
                     bool(waiting))])
        head = [w(k) for k in ("col_benefit", "col_pays", "col_limits", "col_ratio",
                               "col_waiting")]
        return Table(w("benefits_table"), head, rows)

    def checkups(self) -> Section:
        section = self.section("checkups", [Para(self.words("checkups_intro"))])
        for checkup in self.product.checkups:
            section.clauses.append(self.checkup_clause(checkup))
        return section

    def checkup_clause(self, checkup: Checkup) -> Clause:
        w = self.words
        key = f"checkup.{checkup.id}"
        blocks = [Para(self.text(checkup.text))]
        if checkup.on_done is not None and checkup.on_done.text is not None:
            blocks.append(Para(self.text(checkup.on_done.text), label=w("on_done")))
        if checkup.on_missed is not None:
            text = checkup.on_missed.text if checkup.on_missed.text is not None else checkup.text
            blocks.append(Para(self.text(text) + self.in_a_row(checkup), True, w("on_missed")))
        blocks += late_paras(self, checkup)
        clause = Clause(self.clause(key), self.name(checkup.name), key, blocks)
        for result in checkup.results:
            clause.clauses.append(self.result_clause(checkup, result))
        return clause

    def in_a_row(self, checkup: Checkup) -> str:
        """The sentence saying how many misses in a row on_missed waits for (none for 1)."""
        count = self.values.number(checkup.missed_in_a_row)
        if count <= 1:
            return ""
        w = self.words
        return (w.gap or "") + w("missed_in_a_row", count=self.values.ref(checkup.missed_in_a_row))

    def result_clause(self, checkup: Checkup, result: ResultRule) -> Clause:
        key = f"checkup.{checkup.id}.{result.id}"
        reduces = self.reduces(result)
        return Clause(self.clause(key), self.title(key, result), key,
                      [Para(self.text(result.text), reduces)], attention=reduces)

    def reduces(self, effect: Any) -> bool:
        """Whether an effect can lower cover or raise the price (an attention item)."""
        tiers = self.product.coverage.tiers
        lower_tier = effect.tier is not None and effect.tier in tiers and \
            self.values.number(tiers[effect.tier].percent) < 100
        return bool(effect.exclude or effect.refer or effect.loading is not None or lower_tier)

    def programme_notes(self, programme: Any) -> str:
        """Generated sentences after a programme's text (issue 13): the bonus basis, the
        programme whose condition it shares."""
        w, out = self.words, ""
        change = programme.change
        if change is not None and change.basis == "full" and self.product.coverage.tiers:
            out += (w.gap or "") + w("bonus_basis_full")
        if programme.same_as is not None:
            out += (w.gap or "") + w("same_as", clause=self.clause(
                f"adherence.{programme.same_as}"))
        return out + tag_words(self, programme)

    def adherence(self) -> Section:
        section = self.section("adherence", [Para(self.words("adherence_intro"))])
        examples = self.extras.get("examples", {})
        for programme in self.product.adherence:
            key = f"adherence.{programme.id}"
            blocks = [Para(self.text(programme.text) + self.programme_notes(programme),
                           programme.change is not None)]
            blocks += examples.get(programme.id, [])
            section.clauses.append(Clause(self.clause(key), self.name(programme.name), key,
                                          blocks))
        return section

    def exclusions(self) -> Section:
        w = self.words
        section = self.section("exclusions", [Para(w("exclusions_intro"), True)])
        benefit_names = {b.id: self.name(b.name) for b in self.product.benefits}
        for exclusion in self.product.exclusions:
            key = f"exclusion.{exclusion.id}"
            blocks = [Para(self.text(exclusion.text), True)]
            if exclusion.applies_to:
                listed = w.join([benefit_names[b] for b in exclusion.applies_to])
                blocks.append(Para(w("applies_to", benefits=listed), True))
            if exclusion.added_by_underwriting:
                blocks.append(Para(w("exclusion_added"), True))
            blocks += lapse_paras(self, exclusion)
            section.clauses.append(Clause(self.clause(key), self.name(exclusion.name), key,
                                          blocks, attention=True))
        return section

    # -------------------------------------------------------------- sections 7-8

    def claims(self) -> Section:
        section = self.section("claims")
        number = self.number_of["claims"]
        for index, item in enumerate(self.words.get("claims", []), start=1):
            section.clauses.append(Clause(f"{number}.{index}", item["title"],
                                          f"claims.{index}", [Para(item["text"])]))
        return section

    def general(self) -> Section:
        section = self.section("general")
        number, w, p = self.number_of["general"], self.words, self.product
        parts: list[tuple[str, list[Para], bool]] = [
            ("renewal", [Para(self.text(p.term.text), not p.term.guaranteed_renewal)],
             not p.term.guaranteed_renewal),
            ("premium", self.premium_paras(), False),
            ("cooling_off", [Para(w("general.cooling_off_text",
                                    days=self.values.ref(p.cooling_off_days, "days")))], False),
            ("cancelling", [Para(w("general.cancelling_text"))], False),
            ("disclosure", [Para(w("general.disclosure_text"), True)], True),
            ("complaints", [Para(w("general.complaints_text"))], False)]
        for index, (key, paras, attention) in enumerate(parts, start=1):
            section.clauses.append(Clause(f"{number}.{index}", w(f"general.{key}"),
                                          f"general.{key}", paras, attention=attention))
        return section

    def premium_paras(self) -> list[Para]:
        w, v, premium = self.words, self.values, self.product.premium
        out = [Para(w("general.premium_text", net=v.money(premium.net)))]
        if premium.health_management_cost:
            key = "premium_services_separate" if premium.separately_priced else "premium_services"
            out.append(Para(w(f"general.{key}", cost=v.money(premium.health_management_cost))))
        return out

    def general_clause(self, key: str) -> str:
        keys = ("renewal", "premium", "cooling_off", "cancelling", "disclosure", "complaints")
        return f"{self.number_of['general']}.{keys.index(key) + 1}"

    # -------------------------------------------------------------- front matter

    def key_facts(self) -> KeyFacts:
        """Page 1 (`keyfacts`): the person's values when `extras` carries their Outcome."""
        return key_facts(self, self.extras.get("outcome"))

