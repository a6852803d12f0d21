"""Checking products over HTTP: validate, lint, diff (JSON and the HTML redline), test.

A product sent in a request body (``text/yaml``, or JSON ``{"yaml": ...,
"file": ...}``) is read by the same safe loader as a file, under the name
the request gives (made safe by `refs.upload_name`; it only labels the
problems). `validate` answers 200 with ``valid`` and every positioned problem
(the problems are the answer, not an error); `lint` answers 422 for a product
that does not load (the CLI's exit 2) and otherwise the findings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ..compliance.diff import diff
from ..compliance.diff_gate import FAIL_ON, failures, other_product
from ..compliance.report import render_html
from ..environment import Environment
from ..errors import ConfigError, Problem, ProductError, Span
from ..product.model import Product
from ..runs.suites import run_suites
from .auth import Anyone, Designer, Reviewer
from .errors import BadRequest, Missing, ProblemRecord, documented
from .refs import ID_SCHEMA, REF_SCHEMA, bundled, product_for, upload_name

router = APIRouter(tags=["review"])

YAML_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml",
              "text/plain")
PRODUCT_BODY = {"requestBody": {"required": True, "content": {
    # any text: whatever is wrong with it is the answer (so no schema can refuse it)
    "text/yaml": {"schema": {"description": "the product's YAML"}},
    "application/json": {"schema": {
        "type": "object", "required": ["yaml"], "additionalProperties": False,
        "properties": {"yaml": {"type": "string", "description": "the product's YAML"},
                       "file": {"type": "string", "maxLength": 200,
                                "description": "a name for the problems to cite"}}}}}}}
FileName = Query(None, max_length=200, description="a name for the problems to cite "
                                                   "(text/yaml bodies)")
Profile = Literal["CN", "US"]


class ProductId(BaseModel):
    id: str
    version: str
    hash: str


class Validation(BaseModel):
    valid: bool
    product: ProductId | None = None
    problems: list[ProblemRecord]


class FindingRecord(BaseModel):
    file: str
    line: int
    column: int
    code: str
    severity: str
    message: str


class LintResult(BaseModel):
    product: ProductId
    profile: str
    errors: int
    warnings: int
    findings: list[FindingRecord]


@router.post("/validate", summary="Load and check a product's YAML: every positioned problem",
             response_model=Validation, openapi_extra=PRODUCT_BODY)
async def validate(request: Request, user: Designer, file: str | None = FileName) -> Validation:
    env = request.app.state.env
    try:
        text, name = await product_text(request, file)
    except ConfigError as exc:
        return Validation(valid=False, problems=[p.to_json() for p in exc.problems])

    def check() -> Validation:
        try:
            product = env.loads(text, name)
            env.compile(product)
        except ConfigError as exc:
            return Validation(valid=False, problems=[p.to_json() for p in exc.problems])
        return Validation(valid=True, product=_id(product), problems=[])

    return await run_in_threadpool(check)


@router.post("/lint", summary="Regulatory and plain-language checks of a product's YAML",
             response_model=LintResult, openapi_extra=PRODUCT_BODY)
async def lint_text(request: Request, user: Designer, file: str | None = FileName,
                    profile: Profile | None = None) -> LintResult:
    env = request.app.state.env
    text, name = await product_text(request, file)
    product = await run_in_threadpool(env.loads, text, name)
    return await run_in_threadpool(_lint, request, product, profile, text)


@router.get("/products/{ref}/lint", summary="Regulatory and plain-language checks of a product",
            response_model=LintResult, responses=documented(404))
def lint_product(request: Request, user: Anyone,
                 ref: Annotated[str, Path(max_length=80, json_schema_extra=REF_SCHEMA,
                                          description="ID, ID@VERSION or ID@YYYY-MM-DD")],
                 profile: Profile | None = None) -> LintResult:
    return _lint(request, product_for(request.app.state.env, ref), profile)


def _lint(request: Request, product: Product, profile: str | None,
          text: str | None = None) -> LintResult:
    profile = profile or product.jurisdiction
    findings = request.app.state.evaluations.lint(product, profile, text)
    errors = sum(1 for f in findings if f.severity == "error")
    return LintResult(product=_id(product), profile=profile, errors=errors,
                      warnings=len(findings) - errors, findings=[f.to_json() for f in findings])


# ------------------------------------------------------------ diff


Old = Query(max_length=80, description="the old version: ID, ID@VERSION or ID@YYYY-MM-DD",
            json_schema_extra=REF_SCHEMA)
New = Query(max_length=80, description="the new version", json_schema_extra=REF_SCHEMA)
Impact = Query(False, description="also evaluate the product's scenario suites under both "
                                  "versions and attribute what moved")
LintProfile = Query(None, description="the lint profile for the findings the new version "
                                     "introduces (default: the new version's jurisdiction)")
Force = Query(False, description="compare two different products anyway (refused otherwise)")


@router.get("/diff", summary="Compare two versions: changes, bump, redline, impact",
            responses={**documented(404), 200: {"description": "the diff, as `diff --json`",
                                                "content": {"application/json": {
                                                    "schema": {"type": "object"}}}}})
def diff_json(request: Request, user: Anyone, old: str = Old, new: str = New,
              impact: bool = Impact, profile: Profile | None = LintProfile,
              force: bool = Force) -> dict[str, Any]:
    result = _diff(request.app.state.env, old, new, impact, profile, force)
    gates = {gate: failures(result, (gate,)) for gate in FAIL_ON}
    return {**result.to_json(), "gates": gates}


@router.get("/diff/redline", summary="The compliance report with the wording redline (HTML)",
            response_model=None, response_class=Response, responses={
                **documented(404), 200: {"description": "one HTML page", "content": {
                    "text/html": {"schema": {"type": "string"}}}}})
def diff_redline(request: Request, user: Reviewer, old: str = Old, new: str = New,
                 impact: bool = Impact, profile: Profile | None = LintProfile,
                 force: bool = Force) -> HTMLResponse:
    return HTMLResponse(render_html(_diff(request.app.state.env, old, new, impact, profile,
                                          force)))


def _diff(env: Environment, old: str, new: str, impact: bool, profile: str | None,
          force: bool) -> Any:
    """The diff `configurator diff` gives: new lint findings under `profile` (the new
    version's jurisdiction by default); two different products refused unless `force`."""
    before, after = product_for(env, old), product_for(env, new)
    if other_product(before, after) and not force:
        raise BadRequest(f"{old} is product '{before.id}' but {new} is product '{after.id}': "
                         "diff compares two versions of one product",
                         "add force=true to compare them anyway", path="new")
    suites = env.products_folder / before.id
    cases = [str(suites)] if impact and suites.is_dir() else None
    return diff(before, after, cases, profile or after.jurisdiction,
                (env.illustration(before), env.illustration(after)))


# ------------------------------------------------------------ test


class SuitesRequest(BaseModel):
    product: str = Field(examples=["hepatitis_b"], max_length=48, json_schema_extra=ID_SCHEMA,
                         description="a bundled product's id: its suites are "
                                     "<products>/<id>/*.suite.yaml")
    keyword: str | None = Field(None, max_length=200,
                                description="only cases whose name contains this")


class Mismatch(BaseModel):
    path: str
    expected: Any = None
    actual: Any = None


class CaseRun(BaseModel):
    name: str
    source: str = Field(description="file:line:col of the case in its suite")
    passed: bool
    decision: str
    mismatches: list[Mismatch]


class Coverage(BaseModel):
    product: str
    version: str
    percent: float
    covered: int
    total: int
    missed: list[str] = Field(description="rules and check-ups no case exercised")


class SuitesResult(BaseModel):
    passed: int
    failed: int
    cases: list[CaseRun]
    coverage: list[Coverage]


@router.post("/test", summary="Run a product's scenario suites: results and rule coverage",
             response_model=SuitesResult, responses=documented(404))
def test(body: SuitesRequest, request: Request, user: Anyone) -> SuitesResult:
    env = request.app.state.env
    bundled(env, body.product)  # a bundled product, or 404
    folder = env.products_folder / body.product
    if not folder.is_dir():
        raise Missing(f"{body.product} has no scenario suites", path="product")
    run = run_suites([folder], body.keyword, env)
    if run.problems:
        raise ConfigError(run.problems)
    return SuitesResult(passed=run.passed, failed=len(run.failed),
                   cases=[_case_run(result) for result in run.results],
                   coverage=[_coverage(c) for _, c in sorted(run.coverage.items())])


def _case_run(result: Any) -> CaseRun:
    return CaseRun(name=result.scenario.name, source=str(result.scenario.span),
                   passed=result.passed, decision=result.outcome.decision,
                   mismatches=[Mismatch(path=m.path, expected=_plain(m.expected),
                                        actual=_plain(m.actual)) for m in result.mismatches])


def _coverage(report: Any) -> Coverage:
    items, missed = report.items(), report.missed()
    product = report.compiled.product
    return Coverage(product=product.id, version=product.version, percent=report.percent,
                    covered=len(items) - len(missed), total=len(items), missed=missed)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------ helpers


def _id(product: Product) -> ProductId:
    return ProductId(id=product.id, version=product.version, hash=product.hash)


async def product_text(request: Request, file: str | None) -> tuple[str, str]:
    """The product YAML a request carries, and the (safe) name its problems cite."""
    kind = request.headers.get("content-type", "text/yaml").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        raise BadRequest("the body is empty: send the product's YAML (text/yaml), or JSON "
                         "{\"yaml\": \"...\"}", path="yaml")
    if kind == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("yaml"), str) or not \
                isinstance(data.get("file", ""), str) or len(data.get("file", "")) > 200 or \
                set(data) - {"yaml", "file"}:
            raise BadRequest("send {\"yaml\": \"...\", \"file\": \"name.yaml\"} (a name of at "
                             "most 200 characters)", path="yaml")
        return data["yaml"], upload_name(data.get("file") or file)
    if kind not in YAML_TYPES:
        raise BadRequest(f"send the product as text/yaml or application/json, not {kind[:60]}")
    name = upload_name(file)
    try:
        return body.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        raise ProductError([Problem(Span(name, 1, 1), "", f"the product is not UTF-8 text "
                                    f"(byte {exc.start})", "save the file as UTF-8",
                                    "encoding")]) from None
