"""Render a product (and optionally one person's Outcome) as a policy document.

    >>> html = render_html(product)                                # the specimen policy
    >>> pdf = render_pdf(product, outcome, case, illustration=ill)  # a personalised policy

Rendering is the last stage: it takes a product and plain data the engine
produced - the person's Outcome and the worked example's Outcomes
(`engine.illustrate`) - and never compiles or evaluates anything itself
(`Environment.render_pdf` does both and then calls this). The document is
built as plain data (`policy.build_policy`, `schedule.personal_schedule`,
`example.worked_example`), laid out by jinja2 templates in `templates/`,
and printed to a tagged PDF/UA-1 by weasyprint. Output is byte-identical for
identical input: the document date comes from the case (its as-of date) or
the product (its effective date), and the PDF identifier is a hash of the HTML.
Templates cannot fetch anything: the URL fetcher serves only files under
`templates/` and refuses everything else. Outside text reaches the HTML only
through `escape` (one escaping function per context), and whatever jinja2 or
weasyprint raise while a document is made becomes a `RenderError` naming the
document (`failures`), never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..cases.case import Case
from ..cases.outcome import Illustration, Outcome
from ..errors import ConfigError, ConfiguratorError, Problem
from ..product.model import Product
from ..product.params import parameters_at
from .blocks import Policy
from .escape import clean_text
from .example import worked_example
from .paged import Clock, PagedPolicy, document_html
from .phrases import Values, phrases
from .policy import build_policy
from .schedule import personal_schedule
from .typeset import typeset
from .weasy import REFUSED, base_url, font_config, identifier, local_fetcher

__all__ = ["REFUSED", "RenderError", "build_document", "describe", "failures", "html_to_pdf",
           "render_html", "render_pdf", "shown"]

PDF_VARIANT = "pdf/ua-1"
GENERATOR = "configurator"
LOGGER = logging.getLogger("configurator.render")


NOT_ISSUED = "not_issued"  # the problem code of an application with no policy to render


class RenderError(ConfigError):
    """A policy cannot be rendered for this input (e.g. the application was declined)."""


# ------------------------------------------------------------ the façade


def render_html(product: Product, outcome: Outcome | None = None, case: Case | None = None,
                locale: str = "en", illustration: Illustration | None = None) -> str:
    """The policy as one self-contained HTML page (specimen without an Outcome).

    `outcome` is the engine's decision for the person in `case` (whose name,
    policy number and start the schedule shows); `illustration` the worked
    example's Outcomes. Unit exponents are superscripts (`typeset`); the
    line-break rules of the printed page are left to the browser.
    """
    with failures(describe(product, case, locale), product.span):
        policy = typeset(build_document(product, outcome, case, locale, illustration))
        return document_html(policy, _meta(product, case, policy), css=True)


def render_pdf(product: Product, outcome: Outcome | None = None, case: Case | None = None,
               locale: str = "en", illustration: Illustration | None = None, *,
               variant: str | None = PDF_VARIANT,
               timings: dict[str, float] | None = None) -> bytes:
    """The policy as a tagged PDF (PDF/UA-1 unless `variant` says otherwise).

    The document is laid out in two parts: the front (cover and the person's
    schedule) for every document, and the shared part (reading guide,
    contents, clauses), the same for every person with this product,
    language and page numbering, laid out and drawn once per process and
    reused (`paged.PagedPolicy`, `drawing.Drawing`). The words are typeset
    for print first (`typeset`: superscripts, no line break between a number
    and its unit, Chinese table cells kept whole). `timings`, if given, gets
    the seconds spent in our code ("ours") and in weasyprint ("weasyprint").
    """
    clock = Clock(timings)
    with failures(describe(product, case, locale), product.span):
        with clock("ours"):
            policy = typeset(build_document(product, outcome, case, locale, illustration),
                             print=True)
            meta = _meta(product, case, policy)
            shared = _meta(product, None, policy, product.effective_from)
        return PagedPolicy(policy, meta, shared, variant, clock).pdf()


def html_to_pdf(html: str, *, variant: str | None = PDF_VARIANT,
                what: str = "the document") -> bytes:
    """weasyprint on one whole HTML document, with nothing cached.

    A failure is a `RenderError` naming `what` (e.g. "the compliance report ...").
    """
    with failures(what):
        import weasyprint

        return weasyprint.HTML(string=html, base_url=base_url(), url_fetcher=local_fetcher()
                               ).write_pdf(pdf_variant=variant, pdf_identifier=identifier(html),
                                           custom_metadata=True, font_config=font_config())


# ------------------------------------------------------------ failures


def describe(product: Product, case: Case | None, locale: str) -> str:
    """Which document is being made, in words: product, language and case."""
    what = f"the policy document of {product.id} {product.version} in '{locale}'"
    if case is None:
        return what + " (the specimen)"
    number = f", policy {shown(case.policy_number)}" if case.policy_number else ""
    return f"{what} for the case {shown(case.file, 300)}{number}"


def shown(text: Any, limit: int = 60) -> str:
    """Outside text as a message may quote it: cleaned, on one line, at most `limit` long."""
    flat = " ".join(clean_text(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextmanager
def failures(what: str, span: Any = None) -> Iterator[None]:
    """Whatever jinja2 or weasyprint raise while making `what` becomes a `RenderError`.

    Our own errors pass through as they are. The traceback goes to the
    `configurator.render` log at debug level, never to the user.
    """
    refused = len(REFUSED)
    try:
        yield
    except (ConfiguratorError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # anything; weasyprint's fatal fetch error is a BaseException
        LOGGER.debug("rendering %s failed", what, exc_info=True)
        if len(REFUSED) > refused:
            hint = (f"it asked for {shown(REFUSED[refused], 200)}, and documents may only use "
                    f"files in templates/")
        else:
            hint = ("input that loads and checks should always render, so this is a bug in "
                    "configurator or weasyprint: please report it with the product and case")
        raise RenderError([Problem(span, "document", f"could not render {what}: "
                                   f"{type(exc).__name__}: {shown(exc, 300)}", hint,
                                   code="render_failed")]) from exc


def build_document(product: Product, outcome: Outcome | None = None, case: Case | None = None,
                   locale: str = "en", illustration: Illustration | None = None) -> Policy:
    """The policy as plain data: specimen wording, plus the schedule for one person."""
    _check_locale(product, locale)
    for what, decided in (("outcome", outcome),
                          ("illustration", illustration.first if illustration else None)):
        if decided is not None and (decided.product["id"], decided.product["hash"]) != (
                product.id, product.hash):
            raise RenderError([Problem(None, what, f"the {what} was decided by "
                                       f"{decided.product['id']} {decided.product['hash']}, "
                                       f"not {product.id} {product.hash}",
                                       "render with the product version that decided it")])
    if outcome is not None and outcome.decision != "accept":
        raise RenderError([Problem(None, "decision", f"the engine's decision is "
                                   f"'{outcome.decision}', so there is no policy to render",
                                   "render the specimen, or settle the application first",
                                   NOT_ISSUED)])
    day = case.start if case is not None else product.effective_from
    examples = worked_example(product, illustration, locale)
    policy = build_policy(product, locale, day, {"examples": examples, "outcome": outcome})
    if outcome is not None:
        _personalise(policy, product, outcome, case, locale)
    return policy


def _personalise(policy: Policy, product: Product, outcome: Outcome, case: Case | None,
                 locale: str) -> None:
    words = phrases(locale)
    constants = parameters_at(product, outcome.as_of)
    values = Values(product, constants, locale)
    policy.schedule = personal_schedule(product, outcome, case, constants, locale)
    if case is not None:
        policy.holder = case.personal.get("holder") or case.personal.get("name")
        policy.policy_number = case.policy_number
        policy.start = values.date(case.start)
        if case.policy_number:
            policy.title = words("title_personal", product=policy.product_name,
                                 number=case.policy_number)
    policy.date = outcome.as_of


def _check_locale(product: Product, locale: str) -> None:
    if locale not in product.languages:
        raise RenderError([Problem(product.span, "languages", f"{product.id} is not written in "
                                   f"'{locale}'", f"use one of: {', '.join(product.languages)}")])


# ------------------------------------------------------------ metadata


def _meta(product: Product, case: Case | None, policy: Policy, day: Any = None
          ) -> dict[str, Any]:
    """Document metadata: fixed dates (never the clock) and the product's identity."""
    day, locale = day or policy.date, policy.locale
    # weasyprint keeps only letters and digits of a name: /productid, /producthash...
    custom = {"product-id": product.id, "product-version": product.version,
              "product-hash": product.hash, "language": locale}
    if case is not None and case.policy_number:
        custom["policy-number"] = case.policy_number
    return {"created": day.isoformat(), "generator": GENERATOR, "custom": custom,
            "date": Values(product, {}, locale).date(day),
            "keywords": f"{product.id}, {product.version}, {product.hash}"}
