"""Lint rules on clause titles: a rule that becomes a clause names itself, and no two agree.

TITLE_MISSING: an eligibility rule or check-up result without `title:` prints
a heading derived from its outcome and the first thing its condition reads
(`document.titles.rule_title`): good enough to read, never written by anyone.
TITLE_DUPLICATE: two clauses side by side in the printed policy (in one
section, or under one clause) with the same heading, in any language; the
finding stands on the second and names where the first is.
Registered into `lint.RULES` when `lint` is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..document.blocks import Clause
from ..document.policy import build_policy
from ..document.titles import rule_title
from ..product.clauses import clause_numbers
from ..product.model import Product
from ..product.params import parameters_at
from ..product.source import PathKey
from .lint_rules import WARNING, Context, rule

PLAIN = "保监发〔2004〕33号 plain-language clauses; NAIC Model 575 (captions that say what a " \
        "clause is about)"


@rule("TITLE_MISSING", WARNING, source=PLAIN)
def title_missing(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """A rule that becomes a clause gives its own `title:`."""
    p = ctx.product
    constants, numbers = parameters_at(p, p.effective_from), clause_numbers(p)
    for key, owner, item in _titled_rules(p):
        if item.title is None:
            derived = rule_title(p, key, item, "en", constants, numbers)
            yield item.path, (f"{owner} has no title: clause {numbers[key]} is headed "
                              f"'{derived}', derived from its condition; give it a `title:` "
                              f"in {_languages(p)}")


@rule("TITLE_DUPLICATE", WARNING, source=PLAIN)
def title_duplicate(ctx: Context) -> Iterator[tuple[PathKey, str]]:
    """No two clauses side by side print the same heading."""
    places = title_paths(ctx.product)
    found: dict[tuple[str, str], list[str]] = {}  # (first key, second key) -> locales
    texts: dict[tuple[str, str], tuple[str, str, str]] = {}
    for locale in [lo for lo in ctx.locales if lo in ctx.product.languages]:
        policy = build_policy(ctx.product, locale)
        for siblings in _sibling_lists(policy):
            seen: dict[str, Clause] = {}
            for clause in siblings:
                heading = " ".join(clause.title.split()).casefold()
                first = seen.setdefault(heading, clause)
                if first is not clause and clause.key in places:
                    pair = (first.key, clause.key)
                    found.setdefault(pair, []).append(locale)
                    texts.setdefault(pair, (first.number, clause.number, clause.title))
    for (first, second), locales in found.items():
        one, two, title = texts[(first, second)]
        where = ctx.span(places[first]) if first in places else "the document wording"
        yield places[second], (f"clause {two} has the same title as clause {one} ({where}): "
                               f"'{title}' ({', '.join(locales)}); give each clause its own "
                               "title")


def _titled_rules(product: Product) -> Iterator[tuple[str, str, Any]]:
    """(clause key, how to name it, rule) for every rule whose clause heading is its title."""
    for item in product.eligibility:
        yield f"eligibility.{item.id}", f"eligibility rule {item.id}", item
    for checkup in product.checkups:
        for result in checkup.results:
            yield (f"checkup.{checkup.id}.{result.id}",
                   f"result {result.id} of check-up {checkup.id}", result)


def _sibling_lists(policy: Any) -> Iterator[list[Clause]]:
    for section in policy.sections:
        yield section.clauses
        for clause in section.clauses:
            if clause.clauses:
                yield clause.clauses


def title_paths(product: Product) -> dict[str, PathKey]:
    """Clause key -> the YAML path of the words its heading prints (a title, name or term)."""
    out: dict[str, PathKey] = {}
    named = [("definition", product.definitions, "term"), ("benefit", product.benefits, "name"),
             ("checkup", product.checkups, "name"), ("adherence", product.adherence, "name"),
             ("exclusion", product.exclusions, "name")]
    for prefix, items, field in named:
        out.update({f"{prefix}.{item.id}": item.path + (field,) for item in items})
    for key, _, item in _titled_rules(product):
        out[key] = item.path + ("title",) if item.title is not None else item.path
    return out


def _languages(product: Product) -> str:
    return " and ".join(product.languages) if len(product.languages) > 1 else "your language"
