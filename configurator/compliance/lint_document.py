"""Lint rules on the policy document the product renders to: highlighting and readability.

They read the same document model the renderer lays out (`policy.build_policy`
and `readability.clause_scores`), so what they check is what the customer
reads. Registered into `lint.RULES` when `lint` is imported.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..document.policy import build_policy
from ..document.readability import clause_scores, document_score
from ..product.clauses import clause_numbers
from ..product.model import Product
from ..product.source import PathKey
from .lint_rules import Context, rule

ART_17 = "Insurance Law Art. 17(2); judicial interpretation II Art. 11 (conspicuous prompt)"
NAIC = "NAIC Model 575 and state readability statutes (Flesch reading ease)"
CN_READABILITY = "保监发〔2004〕33号 plain-language clauses (sentence length)"
FLESCH_MIN = {"US": 40.0}  # NAIC floor; FL/CT 45, VA/MA 50 would be stricter profiles
# domain.md §7.5 (a design value; no regulation sets one): sentences of 20-25
# characters on average read easily. The whole document is held to that; a
# single clause is flagged only well past it (a one-sentence definition of 28
# characters is fine, one of 40 needs splitting).
CHINESE_DOCUMENT_CHARS_MAX = 25.0
CHINESE_CLAUSE_CHARS_MAX = 35.0


def must_highlight(product: Product) -> Iterator[tuple[str, PathKey, str]]:
    """(clause key, YAML path, why) for every exclusion and way cover is cut or not raised."""
    for exclusion in product.exclusions:
        yield f"exclusion.{exclusion.id}", exclusion.path, "an exclusion"
    for item in product.eligibility:
        if item.outcome == "loading":
            yield f"eligibility.{item.id}", item.path, "a premium loading"
    for checkup in product.checkups:
        if checkup.on_missed is not None:
            yield f"checkup.{checkup.id}", checkup.path, "what a missed check-up does"
        for result in checkup.results:
            if result.tier or result.exclude or result.loading is not None or result.refer:
                yield (f"checkup.{checkup.id}.{result.id}", result.path,
                       "a result that can cut cover")
    for programme in product.adherence:
        if programme.change is not None:
            yield (f"adherence.{programme.id}", programme.path,
                   f"a bonus that is capped and {programme.change.on_miss}s after a missed year")


@rule("HIGHLIGHT", source=ART_17)
def highlight(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """Every exclusion and cover reduction is highlighted and listed in the reading guide."""
    for locale in _locales(ctx):
        policy = build_policy(ctx.product, locale)
        clauses = {clause.key: clause for clause in policy.clauses()}
        guide = {item.ref for item in policy.attention if item.attention}
        for key, path, why in must_highlight(ctx.product):
            clause = clauses.get(key)
            if clause is None:
                yield path, f"{why} has no clause in the {locale} policy"
            elif not (clause.attention or any(getattr(b, "attention", False)
                                              for b in clause.blocks)):
                yield path, f"clause {clause.number} is {why} but is not highlighted ({locale})"
            elif clause.number not in guide:
                yield path, (f"clause {clause.number} is {why} but the reading guide does not "
                             f"list it ({locale})")


@rule("READABILITY", source=f"{NAIC}; {CN_READABILITY}")
def readability(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """Each clause reads plainly enough for the profile (US: Flesch; CN: sentence length)."""
    places = clause_paths(ctx.product)
    if ctx.profile == "US" and "en" in _locales(ctx):
        for score in clause_scores(ctx.product, "en", ctx.illustration):
            if score.flesch is not None and score.flesch < FLESCH_MIN["US"]:
                yield places.get(score.clause, ()), (
                    f"clause {score.clause} ({score.title}) scores Flesch {score.flesch:.0f}, "
                    f"below {FLESCH_MIN['US']:.0f}: use shorter sentences and words")
    if ctx.profile == "CN" and "zh-CN" in _locales(ctx):
        for score in clause_scores(ctx.product, "zh-CN", ctx.illustration):
            chars = score.chars_per_sentence or 0
            if chars > CHINESE_CLAUSE_CHARS_MAX:
                yield places.get(score.clause, ()), (
                    f"clause {score.clause} ({score.title}) averages {chars:.0f} characters a "
                    f"sentence, over {CHINESE_CLAUSE_CHARS_MAX:.0f}: split long sentences")
        whole = document_score(ctx.product, "zh-CN", ctx.illustration).chars_per_sentence or 0
        if whole > CHINESE_DOCUMENT_CHARS_MAX:
            yield ("languages",), (
                f"the Chinese policy averages {whole:.0f} characters a sentence, over "
                f"{CHINESE_DOCUMENT_CHARS_MAX:.0f}: split long sentences")


def _locales(ctx: Context) -> list[str]:
    return [locale for locale in ctx.locales if locale in ctx.product.languages]


def clause_paths(product: Product) -> dict[str, PathKey]:
    """Clause number -> the YAML path of the item whose text that clause shows."""

    paths: dict[str, PathKey] = {}
    items = {f"definition.{d.id}": d for d in product.definitions}
    items.update({f"eligibility.{r.id}": r for r in product.eligibility})
    items.update({f"benefit.{b.id}": b for b in product.benefits})
    items.update({f"adherence.{a.id}": a for a in product.adherence})
    items.update({f"exclusion.{x.id}": x for x in product.exclusions})
    for checkup in product.checkups:
        items[f"checkup.{checkup.id}"] = checkup
        items.update({f"checkup.{checkup.id}.{r.id}": r for r in checkup.results})
    for key, number in clause_numbers(product).items():
        if key in items:
            paths[number] = items[key].path + ("text",)
    return paths
