"""What the case builder, what-if and issuing pages show, built by calling the library.

A case from a form is checked by the case loader (`FormCase.case`); a case
that does not check is a list of problems to show beside the form, not an
error page. What-if compares two Outcomes with the impact report's own
comparison (`compliance.impact.differences` over `facts`), and says why
through the reasons and the rules that fired under one case and not the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cases.case import Case
from ..cases.outcome import Outcome
from ..compliance.impact import differences, facts
from ..environment import Environment
from ..errors import CaseError, Problem
from ..product.model import Product, text_in
from ..product.source import load_file
from ..registry.audit import record_document
from ..registry.versions import is_ref
from ..runs.demo import example_cases
from .auth import User
from .errors import Missing
from .workbench_forms import (
    EventRow,
    FieldView,
    FormCase,
    applicant_fields,
    attach,
    event_rows,
    event_templates,
    top_fields,
)
from .workbench_views import Writer, content_locale, outcome_view, reason_view, short_source


@dataclass
class CaseFormView:
    """The case form to draw: the case's fields, the applicant's, the timeline."""

    product_name: str
    top: list[FieldView]
    applicant: list[FieldView]
    events: list[EventRow]
    templates: list[EventRow]


def case_form_view(product: Product, form: FormCase, locale: str,
                   problems: list[Problem]) -> CaseFormView:
    """The form for `product` holding `form`'s values, each problem beside its field."""
    locale = content_locale(product, locale)
    top, applicant = top_fields(form), applicant_fields(product, form, locale)
    events = event_rows(product, form, locale)
    attach([*top, *applicant, *(c for e in events for c in e.controls)], problems)
    return CaseFormView(text_in(product.name, locale), top, applicant, events,
                        event_templates(product, locale))


def decide(env: Environment, product: Product, form: FormCase, locale: str
           ) -> tuple[Outcome | None, list[Problem]]:
    """The Outcome of the form's case (explained), or the problems that stop it."""
    try:
        case = form.case(product)
    except CaseError as exc:
        return None, exc.problems
    return env.evaluate(product, case, explain=True,
                        locale=content_locale(product, locale)), []


# ------------------------------------------------------------ example cases


def bundled_file(env: Environment, product: Product) -> Path | None:
    """The product's file in the server's products folder (named by its checked id)."""
    path = env.products_folder / f"{product.id}.yaml"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=32)
def _examples(product_file: str) -> dict[str, Path]:
    return {path.stem: path for path in example_cases(Path(product_file))}


def examples(env: Environment, product: Product) -> dict[str, Path]:
    path = bundled_file(env, product)
    return _examples(str(path)) if path is not None else {}


def example_names(env: Environment, product: Product) -> list[str]:
    """The product's example cases, by name (the files beside it)."""
    return list(examples(env, product))


def example_form(env: Environment, product: Product, name: str) -> FormCase:
    """An example case as a form to start from; only a name from the list is accepted."""
    found = examples(env, product).get(name)
    if found is None:
        raise Missing(f"{product.id} has no example case named '{name[:60]}'",
                      "choose one of the product's example cases from the list", "example")
    return FormCase.from_data(load_file(found, CaseError).data, product)


# ------------------------------------------------------------ what-if


def whatif_view(env: Environment, product: Product, base: FormCase | None,
                variant: FormCase, locale: str, compare: bool) -> dict[str, Any]:
    """The base case's Outcome and, when asked to compare, the variant's and what moved
    (no base yet: only the form, whose first post becomes the base)."""
    view: dict[str, Any] = {"base": None, "base_records": [], "variant_problems": [],
                            "variant_records": [], "variant": None, "compared": False}
    if base is None:
        return view
    base_outcome, problems = decide(env, product, base, locale)
    view["base_records"] = [p.to_json() for p in problems]
    if base_outcome is None:
        return view
    view["base"] = outcome_view(product, base_outcome, locale)
    if not compare:
        return view
    new, view["variant_problems"] = decide(env, product, variant, locale)
    view["variant_records"] = [p.to_json() for p in view["variant_problems"]]
    if new is not None:
        view.update(compared=True, variant=outcome_view(product, new, locale),
                    **changes(env, product, base_outcome, new, locale))
    return view


def changes(env: Environment, product: Product, old: Outcome, new: Outcome,
            locale: str) -> dict[str, Any]:
    """What changed between two Outcomes of one product, and the rules behind it."""
    write = Writer(product, locale, new.as_of)
    moved = [{"aspect": d.aspect, "effect": d.effect, "old": _side(d.aspect, d.old, write),
              "new": _side(d.aspect, d.new, write)}
             for d in differences(facts(old), facts(new))]
    before = {r.rule: r for r in old.reasons}
    after = {r.rule: r for r in new.reasons}
    rules = env.compile(product).rules
    fired_before = {s.rule for s in old.trace if not s.rule.startswith("_")}
    fired_after = {s.rule for s in new.trace if not s.rule.startswith("_")}

    def fired(ids: set[str]) -> list[dict[str, str]]:
        return [{"id": i, "clause": rules[i].clause if i in rules else "",
                 "source": short_source(rules[i].source) if i in rules else ""}
                for i in sorted(ids)]

    explained = set(before) ^ set(after)  # shown with their reasons already
    return {"differences": moved,
            "gone": [reason_view(r) for k, r in before.items() if k not in after],
            "came": [reason_view(r) for k, r in after.items() if k not in before],
            "fired_before": fired(fired_before - fired_after - explained),
            "fired_after": fired(fired_after - fired_before - explained)}


def _side(aspect: str, value: Any, write: Writer) -> dict[str, str]:
    """One side of a difference, for the template to word: a decision, yes/no, a claim's
    status and amount, or a value written out."""
    if value is None:
        return {"kind": "none", "value": ""}
    if aspect == "decision":
        return {"kind": "decision", "value": str(value)}
    if aspect == "in_force":
        return {"kind": "yesno", "value": "yes" if value else "no"}
    if aspect == "payable":
        status, amount = value
        return {"kind": "claim", "value": write.money(amount), "status": status}
    if aspect == "sum_insured":
        return {"kind": "plain", "value": write.money(value)}
    if aspect in ("bonus_percent", "premium_adjustment_percent"):
        return {"kind": "percent", "value": write.value(value, None)}
    kind = {"tier": "tier", "exclusions": "exclusion"}.get(aspect)
    return {"kind": "plain", "value": write.name_of(kind, value) if kind else str(value)}


# ------------------------------------------------------------ issuing the policy


def registered_status(env: Environment, ref: str) -> str | None:
    """The registry status of the version `ref` names, or None for a bundled product."""
    if not is_ref(ref):
        return None
    with env.store(readonly=True) as store:
        return store.record_for(ref).status


def issue_view(env: Environment, ref: str, product: Product, form: FormCase,
               locale: str) -> dict[str, Any]:
    """The personalised policy as HTML to preview, and whether issuing it is recorded."""
    case = form.case(product)
    status = registered_status(env, ref)
    return {"html": env.render_html(product, case, locale=locale),
            "product_name": text_in(product.name, locale), "status": status,
            "recorded": status == "published", "holder": case.personal.get("holder", ""),
            "number": case.policy_number or ""}


def issued_pdf(env: Environment, ref: str, product: Product, case: Case, locale: str,
               user: User) -> tuple[bytes, bool]:
    """The personalised PDF, recorded in the audit trail (with `user`) when the version is
    a published one from the registry; otherwise a preview, not recorded."""
    pdf = env.render_pdf(product, case, locale=locale)
    if registered_status(env, ref) != "published":
        return pdf, False
    with env.store() as store:
        record_document(store, product, case, pdf, user=user.name)
    return pdf, True
