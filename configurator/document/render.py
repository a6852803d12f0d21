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

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..cases.case import Case
from ..cases.outcome import Illustration, Outcome
from ..errors import ConfigError, ConfiguratorError, Problem
from ..product.model import Product
from ..product.params import parameters_at
from ..resources import templates_folder
from .blocks import Policy
from .escape import clean_text, environment, stylesheet
from .example import worked_example
from .phrases import Values, phrases
from .policy import build_policy
from .schedule import personal_schedule

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
    example's Outcomes.
    """
    with failures(describe(product, case, locale), product.span):
        policy = build_document(product, outcome, case, locale, illustration)
        return _html(policy, _meta(product, case, policy), "all")


def render_pdf(product: Product, outcome: Outcome | None = None, case: Case | None = None,
               locale: str = "en", illustration: Illustration | None = None, *,
               variant: str | None = PDF_VARIANT,
               timings: dict[str, float] | None = None) -> bytes:
    """The policy as a tagged PDF (PDF/UA-1 unless `variant` says otherwise).

    The document is laid out in two parts: the front (cover and the person's
    schedule) for every document, and the clauses, which are the same for
    every person with this product, language and page count, laid out once
    per process and reused (see `PagedPolicy`). `timings`, if given, gets the
    seconds spent in our code ("ours") and in weasyprint ("weasyprint").
    """
    clock = _Clock(timings)
    with failures(describe(product, case, locale), product.span):
        with clock("ours"):
            policy = build_document(product, outcome, case, locale, illustration)
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

        return weasyprint.HTML(string=html, base_url=_base_url(), url_fetcher=local_fetcher()
                               ).write_pdf(pdf_variant=variant, pdf_identifier=_identifier(html),
                                           custom_metadata=True, font_config=_font_config())


def _html(policy: Policy, meta: dict[str, Any], part: str, **pages: int | None) -> str:
    """The HTML of `part` ("all", "front" or "body"); `pages` fixes page numbers."""
    numbers = {"total": None, "offset": None, "schedule_page": None, **pages}
    css = stylesheet(_css()) if part == "all" else ""  # the parts get it pre-parsed
    return _template().render(policy=policy, css=css, meta=meta, part=part, pages=numbers)


def _identifier(*texts: str) -> bytes:
    """The PDF file identifier: a hash of the HTML, so equal input gives equal bytes."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32].encode("ascii")


def _base_url() -> str:
    return templates_folder().as_uri() + "/"


class _Clock:
    """Adds elapsed seconds to named totals (for bench/render.py)."""

    def __init__(self, totals: dict[str, float] | None):
        self.totals = totals

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            if self.totals is not None:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - began


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


# ------------------------------------------------------------ paged output


_CLAUSE_PAGES: dict[str, int] = {}  # clause-part key -> its page count
_FRONT_PAGES: dict[tuple[str, bool], int] = {}  # last front-part page count seen
_CLAUSE_LAYOUTS: OrderedDict[tuple, tuple[Any, str]] = OrderedDict()
MAX_CACHED_LAYOUTS = 6


class PagedPolicy:
    """A policy laid out as front part + clause part, the clause part cached.

    The clause part (reading guide, contents, clauses 1-8) depends only on the
    product, language, parameters in force and the page numbers around it; its
    layout is kept per process, keyed by its HTML with the page numbers left
    out, plus those page numbers. The front part (cover and schedule) is laid
    out for each document, with the total page count written in its footer.
    """

    def __init__(self, policy: Policy, meta: dict[str, Any], shared: dict[str, Any],
                 variant: str | None, clock: _Clock):
        self.policy = policy
        self.meta = meta
        self.shared = shared  # the clause part's metadata: nothing personal
        self.variant = variant
        self.clock = clock

    def layout(self, html: str) -> Any:
        import weasyprint

        with self.clock("weasyprint"):
            return weasyprint.HTML(string=html, base_url=_base_url(),
                                   url_fetcher=local_fetcher()).render(
                font_config=_font_config(), pdf_variant=self.variant,
                stylesheets=[_stylesheet()])

    def html(self, part: str, **pages: int | None) -> str:
        with self.clock("ours"):
            return _html(self.policy, self.shared if part == "body" else self.meta, part,
                         **pages)

    def pdf(self) -> bytes:
        plain = self.html("body", total=None, offset=None, schedule_page=None)
        key = hashlib.sha256(f"{self.variant}\n{plain}".encode()).hexdigest()
        clause_pages = _CLAUSE_PAGES.get(key)
        if clause_pages is None:
            clause_pages = _CLAUSE_PAGES[key] = len(self.layout(plain).pages)
        front, front_html = self.front(key, clause_pages)
        schedule_page = self.page_of(front, "schedule")
        clauses, clauses_html = self.clauses(key, len(front.pages), clause_pages, schedule_page)
        with self.clock("weasyprint"):
            whole = front.copy(front.pages + clauses.pages)
            return whole.write_pdf(pdf_variant=self.variant, custom_metadata=True,
                                   pdf_identifier=_identifier(front_html, clauses_html))

    def front(self, key: str, clause_pages: int) -> tuple[Any, str]:
        """The front part, laid out until the page total in its footer is right."""
        guess_key = (key, self.policy.schedule is not None)
        guess = _FRONT_PAGES.get(guess_key, 2 if self.policy.schedule else 1)
        for _ in range(4):
            html = self.html("front", total=guess + clause_pages, offset=None,
                             schedule_page=None)
            front = self.layout(html)
            if len(front.pages) == guess:
                break
            guess = len(front.pages)
        _FRONT_PAGES[guess_key] = guess
        return front, html

    def clauses(self, key: str, front_pages: int, clause_pages: int,
                schedule_page: int | None) -> tuple[Any, str]:
        """The clause part with its page numbers following the front part (cached)."""
        layout_key = (key, front_pages, clause_pages, schedule_page)
        found = _CLAUSE_LAYOUTS.get(layout_key)
        if found is None:
            html = self.html("body", total=front_pages + clause_pages, offset=front_pages + 1,
                             schedule_page=schedule_page)
            found = (self.layout(html), html)
            _CLAUSE_LAYOUTS[layout_key] = found
            while len(_CLAUSE_LAYOUTS) > MAX_CACHED_LAYOUTS:
                _CLAUSE_LAYOUTS.popitem(last=False)
        _CLAUSE_LAYOUTS.move_to_end(layout_key)
        return found

    @staticmethod
    def page_of(document: Any, anchor: str) -> int | None:
        for number, page in enumerate(document.pages, start=1):
            if anchor in page.anchors:
                return number
        return None


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


# ------------------------------------------------------------ per-process caches


def _template() -> jinja2.Template:
    return environment().get_template("policy.html.j2")


@lru_cache(maxsize=1)
def _css() -> str:
    return (templates_folder() / "policy.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _stylesheet() -> Any:
    """policy.css parsed once per process."""
    import weasyprint

    return weasyprint.CSS(string=_css(), base_url=_base_url(), url_fetcher=local_fetcher(),
                          font_config=_font_config())


@lru_cache(maxsize=1)
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


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


# ------------------------------------------------------------ no remote fetches


REFUSED: list[str] = []  # every URL a document tried to fetch and was refused


def local_fetcher() -> Any:
    """A url_fetcher that serves files under `templates/` and refuses everything else.

    Refused URLs are appended to `REFUSED`, so a test can assert that no
    remote fetch was even attempted; a refusal also stops the render.
    """
    return _local_fetcher_class()()


@lru_cache(maxsize=1)
def _local_fetcher_class() -> type:
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher  # weasyprint is slow to import: only when used

    root = templates_folder().resolve()

    class LocalFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                REFUSED.append(url)
                LOGGER.error("refused to fetch %s: documents only use files in %s", url, root)
                raise PermissionError(f"refused to fetch {url}")
            return super().fetch(url, headers)

    return LocalFetcher
