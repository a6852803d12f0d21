"""Lint rules from regulation: waiting periods, renewal, cooling-off, defined terms.

The regulatory facts come from ``shared/reference/domain.md`` §0, §5 and §7.5.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from ..product.model import LocalizedText, Product, text_variants
from ..product.source import PathKey
from .lint_rules import (
    MAX_HEALTH_MANAGEMENT_SHARE,
    MAX_WAITING_DAYS,
    MIN_COOLING_OFF_DAYS,
    WARNING,
    Context,
    rule,
)

# ------------------------------------------------------------ regulation (China)

ART_27 = "健康保险管理办法 2019 Art. 27"
HEALTH_MANAGEMENT = "健康保险管理办法 2019 (20% of net premium); 2020 health-management notice"
RENEWAL = "银保监办发〔2021〕7号 (short-term health insurance)"
COOLING_OFF = "健康保险管理办法: long-term health products, cooling-off >= 15 days"
PRE_EXISTING = "CBIRC personal-insurance department, January 2022"


@rule("WAITING_PERIOD", profiles=("CN",), source=ART_27)
def waiting_period(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """Disease and medical products may have a waiting period of at most 180 days."""
    for benefit in ctx.product.benefits:
        longest = max(ctx.values(benefit.waiting_period_days))
        if longest > MAX_WAITING_DAYS:
            via = f" (parameter {benefit.waiting_period_days})" if isinstance(
                benefit.waiting_period_days, str) else ""
            yield benefit.path + ("waiting_period_days",), (
                f"waiting period of benefit {benefit.id} is {longest:g} days{via}; at most "
                f"{MAX_WAITING_DAYS} days are allowed ({ART_27})")


@rule("HEALTH_MGMT_COST", profiles=("CN",), source=HEALTH_MANAGEMENT)
def health_management_cost(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """Health-management services may cost at most 20% of net premium unless priced apart."""
    premium = ctx.product.premium
    if premium.separately_priced or premium.health_management_cost == 0:
        return
    share = premium.health_management_cost / premium.net if premium.net else Decimal("Infinity")
    if share > MAX_HEALTH_MANAGEMENT_SHARE:
        yield ("premium", "health_management_cost"), (
            f"health-management cost is {share:.0%} of net premium; above 20% it must be priced "
            "separately and shown in the contract (set separately_priced: true)")


def short_term(product: Product) -> bool:
    """Art. 4: one year or less without guaranteed renewal."""
    return product.term.months <= 12 and not product.term.guaranteed_renewal


NOT_GUARANTEED = {"en": re.compile(r"renewal is not guaranteed", re.I),
                  "zh-CN": re.compile(r"不保证续保")}
PROMISES = {"en": re.compile(r"guaranteed renewal|renewal is guaranteed|guarantees? (?:to |you )?"
                             r"renew|automatic(?:ally)? renew|renews? automatically", re.I),
            "zh-CN": re.compile(r"(?<!不)(?:保证续保|自动续保|承诺续保)")}


@rule("RENEWAL_DISCLOSURE", profiles=("CN",), source=RENEWAL)
def renewal_disclosure(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A renewable term of a year or less must say renewal is not guaranteed."""
    product = ctx.product
    if not (short_term(product) and product.term.renewable):
        return
    for locale, value in text_variants(product.term.text):
        if not NOT_GUARANTEED[locale].search(value):
            words = "renewal is not guaranteed" if locale == "en" else "不保证续保"
            path = ("term", "text", locale) if isinstance(product.term.text, LocalizedText) \
                else ("term", "text")
            yield path, f"a renewable term of one year or less must say '{words}' ({locale})"


@rule("RENEWAL_PROMISE", profiles=("CN",), source=RENEWAL)
def renewal_promise(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A short-term product must not claim guaranteed, automatic or promised renewal."""
    if not short_term(ctx.product):
        return
    for path, locale, value in ctx.texts():
        found = PROMISES[locale].search(value)
        if found:
            yield path, (f"'{found.group(0)}' promises renewal, which a term of one year or "
                         "less without guaranteed renewal must not (blacklisted wording)")


@rule("COOLING_OFF", profiles=("CN",), source=COOLING_OFF)
def cooling_off(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A long-term product (over a year, or guaranteed renewal) needs >= 15 cooling-off days."""
    product = ctx.product
    if short_term(product) or product.cooling_off_days >= MIN_COOLING_OFF_DAYS:
        return
    yield ("cooling_off_days",), (
        f"a long-term product needs a cooling-off period of at least {MIN_COOLING_OFF_DAYS} "
        f"days, not {product.cooling_off_days}")


PRE_EXISTING_TERM = {"en": re.compile(r"pre-?existing", re.I), "zh-CN": re.compile(r"既往症")}
SHOULD_KNOW = {"en": re.compile(r"ordinary person|reasonable person|(?:should|would|ought to)"
                                r"(?: reasonably)? have (?:known|been aware)|should (?:have )?"
                                r"know|obvious symptoms", re.I),
               "zh-CN": re.compile(r"普通人|一般人|常人|理应知道|应当知道|应该知道|应当知晓|"
                                   r"应知晓|明显症状")}
RECORDS = {"en": re.compile(r"diagnos|treat", re.I), "zh-CN": re.compile(r"诊断|确诊|治疗|就诊")}


@rule("PRE_EXISTING", profiles=("CN",), source=PRE_EXISTING)
def pre_existing(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """Pre-existing conditions are defined by diagnosis or treatment records only."""
    for path, locale, value in ctx.texts():
        if PRE_EXISTING_TERM[locale].search(value) or _defines_pre_existing(ctx, path):
            found = SHOULD_KNOW[locale].search(value)
            if found:
                yield path, (f"'{found.group(0)}': a pre-existing condition must be defined by "
                             "diagnosis or treatment records, not by symptoms a person should "
                             "have noticed")
    for definition in ctx.product.definitions:
        if not any(PRE_EXISTING_TERM[loc].search(v) for loc, v in text_variants(
                definition.term)):
            continue
        for locale, value in text_variants(definition.text):
            if not RECORDS[locale].search(value):
                yield definition.path + ("text",), (
                    f"the definition of a pre-existing condition ({locale}) must rest on a "
                    "diagnosis or treatment before cover started")


def _defines_pre_existing(ctx: Context, path: PathKey) -> bool:
    if path[:1] != ("definitions",) or len(path) < 2:
        return False
    definition = ctx.product.definitions[path[1]]
    return any(PRE_EXISTING_TERM[loc].search(v) for loc, v in text_variants(definition.term))


STANDARD_PREMIUM = {"en": re.compile(r"standard premium", re.I),
                    "zh-CN": re.compile(r"标准保费")}
LOADING_WORDS = {"en": re.compile(r"loading|extra premium", re.I),
                 "zh-CN": re.compile(r"加费|加收")}


@rule("DISCOUNT_LOADING", source="actuarial practice: discounts never reduce a risk loading")
def discount_loading(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A premium discount applies to the standard premium only, and its wording says so."""
    for programme in ctx.product.adherence:
        if programme.change is None or programme.change.target != "premium_discount":
            continue
        for locale, value in text_variants(programme.text):
            missing = [what for what, pattern in (("the standard premium", STANDARD_PREMIUM),
                                                  ("that loadings are not discounted",
                                                   LOADING_WORDS))
                       if not pattern[locale].search(value)]
            if missing:
                yield _text_path(programme.path + ("text",), programme.text, locale), (
                    f"the wording of premium discount {programme.id} ({locale}) must say "
                    f"{' and '.join(missing)}")


DISCOUNT_CEILING = 20  # percent of the premium: performance-linked incentives run 10-15%


@rule("DISCOUNT_CAP_HIGH", severity=WARNING,
      source="pricing: performance-linked premium incentives (10-15%, at most 20%)")
def discount_cap_high(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """The most a premium can be discounted - the total cap, or else every discount cap and
    check-up rebate added up - is over 20% of the premium."""
    premium = ctx.product.premium
    if premium is not None and premium.discount_cap_percent is not None:
        most = max(ctx.values(premium.discount_cap_percent))
        path: PathKey = premium.path + ("discount_cap_percent",)
    else:
        caps = [max(ctx.values(p.change.cap_percent)) for p in ctx.product.adherence
                if p.change is not None and p.change.target == "premium_discount"]
        rebates = [max(ctx.values(e.premium_rebate_percent)) for c in ctx.product.checkups
                   for e in (c.on_done, c.on_missed, *c.results)
                   if e is not None and e.premium_rebate_percent is not None]
        most = sum(caps) + max(rebates, default=0)
        path = ("premium",)
    if most > DISCOUNT_CEILING:
        yield path, (f"premium discounts can reach {most:g}% of the premium, over "
                     f"{DISCOUNT_CEILING}%: set premium.discount_cap_percent to "
                     f"{DISCOUNT_CEILING} or less")


def _text_path(path: PathKey, text: Any, locale: str) -> PathKey:
    return path + (locale,) if isinstance(text, LocalizedText) else path


# ------------------------------------------------------------ defined terms

GLOSSARY = (("waiting period", "等待期"), ("pre-existing condition", "既往症"),
            ("policy year", "保单年度"), ("deductible", "免赔额"),
            ("cooling-off period", "犹豫期"), ("grace period", "宽限期"),
            ("cash value", "现金价值"))


def term_pattern(term: str, locale: str) -> re.Pattern:
    """How a defined term is found in text: whole words (plural too) in English.

    A term with a gloss in brackets (``tooth decay (caries)``, ``洗牙（龈上洁治）``)
    is found by either part.
    """
    parts = _parts(term)
    if locale == "zh-CN":
        return re.compile("|".join(re.escape(p) for p in [term, *parts]))
    words = "|".join(re.escape(p) for p in [term, *parts])
    return re.compile(rf"(?<![\w-])(?:{words})(?:s|es)?(?![\w-])", re.I)


def _parts(term: str) -> list[str]:
    return [p.strip() for p in re.split(r"[()（）]", term) if p.strip()] or [term]


STOP_WORDS = {"the", "and", "for", "your", "you", "how", "are", "its", "with", "from", "that",
              "our", "any", "all", "not", "per"}


def term_words(term: str) -> list[list[str]]:
    """For each part of an English term, the stems of its content words (`need for home
    oxygen` -> `need`, `home`, `oxyge`): a text using all of them uses the term in other
    word order or inflection."""
    out = []
    for part in _parts(term):
        words = [w.lower()[:5] for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", part)
                 if len(w) > 2 and w.lower() not in STOP_WORDS]
        if words:
            out.append(words)
    return out


def uses_term(text: str, term: str, locale: str) -> bool:
    """Whether wording uses a defined term, verbatim or (English) by all its content words."""
    if term_pattern(term, locale).search(text):
        return True
    if locale != "en":
        return False
    stems = {w.lower()[:5] for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", text)}
    return any(all(word in stems for word in words) for words in term_words(term))


# Terms the policy document states from the product's structure, not from its
# texts: the schedule prints the sum insured, the cooling-off clause, each
# benefit's waiting period, deductible and payment ratio, and so on. A defined
# term among these is used whenever the product has the feature. (A contract
# with the renderer: it must print these.)
STATED_BY_STRUCTURE: tuple[tuple[tuple[str, ...], tuple[str, ...], Callable], ...] = (
    (("sum insured",), ("保险金额", "保额"), lambda p: True),
    (("cooling-off period",), ("犹豫期",), lambda p: True),
    (("waiting period",), ("等待期",), lambda p: any(b.waiting_period_days != 0
                                                    for b in p.benefits)),
    (("deductible",), ("免赔额",), lambda p: any(b.pays.deductible != 0 for b in p.benefits)),
    (("payment ratio", "payment share"), ("赔付比例", "给付比例"),
     lambda p: any(b.pays.ratio_percent != 100 or
                   b.pays.expenses_field for b in p.benefits)),
    (("grace period",), ("宽限期",), lambda p: any(c.extension_days != 0 for c in p.checkups)),
    (("health services", "health management services"), ("健康管理服务",),
     lambda p: p.premium.health_management_cost > 0),
    (("underwriter review", "manual underwriting"), ("人工核保",),
     lambda p: any(r.outcome == "refer" for r in p.eligibility) or any(
         e is not None and e.refer for c in p.checkups for e in (c.on_done, c.on_missed,
                                                                *c.results))),
)


def stated_by_structure(product: Product, term: str, locale: str) -> bool:
    """Whether the schedule states `term` itself (see STATED_BY_STRUCTURE)."""
    def same(name: str) -> str:
        return re.sub(r"[\s-]+", " ", name.strip().lower())

    for english, chinese, applies in STATED_BY_STRUCTURE:
        names = english if locale == "en" else chinese
        if same(term) in {same(n) for n in names} and applies(product):
            return True
    return False


def defined_terms(product: Product) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"en": set(), "zh-CN": set()}
    for definition in product.definitions:
        for locale, term in text_variants(definition.term):
            out[locale].add(term.lower() if locale == "en" else term)
    return out


def _other_texts(ctx: Context, skip: int | None) -> Iterator[tuple[PathKey, str, str]]:
    for path, locale, value in ctx.texts():
        if skip is not None and path[:2] == ("definitions", skip):
            continue
        yield path, locale, value


@rule("TERM_UNDEFINED", source="保监发〔2004〕33号: unavoidable terms explained in a "
                               "definitions section")
def term_undefined(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A term of art the wording uses must be defined."""
    defined = defined_terms(ctx.product)
    locales = ctx.locales
    for pair in GLOSSARY:
        for locale, term in zip(("en", "zh-CN"), pair, strict=True):
            if locale not in locales or any(term.lower() in d.lower() for d in defined[locale]):
                continue
            pattern = term_pattern(term, locale)
            first = next((p for p, loc, v in _other_texts(ctx, None)
                          if loc == locale and pattern.search(v)), None)
            if first is not None:
                yield first, f"'{term}' is used but not defined; add it to definitions"


@rule("TERM_UNUSED", severity=WARNING, source="plain-language practice")
def term_unused(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A defined term the wording never uses is noise in the definitions section."""
    for index, definition in enumerate(ctx.product.definitions):
        for locale, term in text_variants(definition.term):
            if locale not in ctx.locales:
                continue
            if stated_by_structure(ctx.product, term, locale):
                continue
            if not any(loc == locale and uses_term(v, term, locale)
                       for _, loc, v in _other_texts(ctx, index)):
                yield _text_path(definition.path + ("term",), definition.term, locale), (
                    f"'{term}' is defined but never used ({locale})")


