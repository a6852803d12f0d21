"""Checks that keep the wording and the rules from drifting apart.

Every number a policy prints must be the number a rule reads. These checks
(run by `validate`, so `lint`, `diff` and `publish` never see a product that
fails them) refuse what lets the two part:

- a placeholder naming no parameter, or with a format its parameter does not
  suit (``{sum_insured:percent}``), or printing a bare whole number the reader
  cannot place (a parameter without a unit: say what it counts);
- a unit the text repeats right after the placeholder ("3 tests HbA1c tests");
- a parameter only the wording reads that restates one the rules read (the
  same stem, ``pdc_min_percent`` beside ``pdc_min``, or the same value times
  100): the wording must name the rule's own parameter with a format;
- a text missing one of the languages the product declares (the document
  would print another language's sentence).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ..errors import Problem, did_you_mean
from .fields import text_variants
from .model import LocalizedText, Parameter, Product
from .source import Document, PathKey, format_path
from .texts import PLACEHOLDER, control_problems, texts
from .usage import RULES, WORDING, parameter_uses
from .wording import placeholder_problem, repeated_unit, split

# designer's notes: no document prints them, so they may be in one language
NOTES = ("description",)
LANGUAGE_NAMES = {"en": "English", "zh-CN": "Chinese (zh-CN)"}


def wording_problems(product: Product, doc: Document, known: set[str]) -> list[Problem]:
    """Every problem in the product's wording; `known` holds every parameter name written
    (also those that failed to load, whose placeholders are not reported again)."""
    problems: list[Problem] = []
    for path, text in texts(product):
        problems += _languages(product, doc, path, text)
        for locale, value in text_variants(text):
            where = path + (locale,) if not isinstance(text, str) else path
            problems += control_problems(doc, where, value)
            problems += _placeholders(product, doc, where, value, locale, known)
    return problems + restated_parameters(product, doc)


def _placeholders(product: Product, doc: Document, where: PathKey, value: str, locale: str,
                  known: set[str]) -> Iterator[Problem]:
    for match in PLACEHOLDER.finditer(value):
        name, form = split(match.group(1))
        span, path = doc.text_span(where, match.start()), format_path(where)
        parameter = product.parameters.get(name)
        if parameter is None:
            if name not in known:
                yield Problem(span, path, f"wording refers to unknown parameter '{{{name}}}'",
                              did_you_mean(name, known), "wording")
            continue
        wrong = placeholder_problem(match.group(0), name, parameter, form)
        if wrong is not None:
            yield Problem(span, path, wrong[0], wrong[1], "wording")
            continue
        again = repeated_unit(parameter, form, value[match.end():], locale)
        if again is not None:
            yield Problem(span, path, f"'{match.group(0)}' already prints its unit, and the "
                                      f"text repeats it ('{again}')",
                          f"remove '{again}' after the placeholder, or write "
                          f"{{{name}:number}}", "wording")


def _languages(product: Product, doc: Document, path: PathKey, text: Any) -> list[Problem]:
    declared = product.languages
    if len(declared) < 2 or path[-1] in NOTES:
        return []
    held = {locale for locale, _ in text_variants(text)} if isinstance(text, LocalizedText) \
        else {"en"}
    missing = [locale for locale in declared if locale not in held]
    if not missing:
        return []
    names = " and ".join(LANGUAGE_NAMES.get(locale, locale) for locale in missing)
    return [Problem(doc.span(path), format_path(path),
                    f"this text has no {names}, and the product declares "
                    f"languages {', '.join(declared)}: the document would print another "
                    "language's sentence",
                    f"add {' and '.join(missing)}: under this text", "wording")]


def restated_parameters(product: Product, doc: Document) -> list[Problem]:
    """A problem for each parameter only the wording reads that restates a rule's."""
    uses = parameter_uses(product)
    ruled = {name: product.parameters[name] for name, use in uses.items() if use[RULES]}
    problems = []
    for name, use in uses.items():
        if use[RULES] or not use[WORDING]:
            continue
        twin = next((other for other, parameter in ruled.items()
                     if _restates(name, product.parameters[name], other, parameter)), None)
        if twin is None:
            continue
        form = "percent" if product.parameters[twin].unit in ("ratio", "percent") else None
        wanted = f"{{{twin}:{form}}}" if form else f"{{{twin}}}"
        problems.append(Problem(
            doc.span(("parameters", name)), format_path(("parameters", name)),
            f"parameter {name} is read only by the wording and restates {twin}, which the "
            f"rules read: change {twin} and the policy would still print {name}",
            f"write {wanted} in the wording and remove {name}", "drift"))
    return problems


def _restates(name: str, parameter: Parameter, other: str, rule: Parameter) -> bool:
    if name.startswith(other + "_") or other.startswith(name + "_"):
        return True
    mine, theirs = _numbers(parameter), _numbers(rule)
    return bool(mine) and len(mine) == len(theirs) and all(
        a == b * 100 for a, b in zip(mine, theirs, strict=True)) and rule.unit == "ratio"


def _numbers(parameter: Parameter) -> list[Decimal]:
    values = [parameter.value] if parameter.values is None else \
        [dated.value for dated in parameter.values]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return []
    return [Decimal(str(v)) for v in values]
