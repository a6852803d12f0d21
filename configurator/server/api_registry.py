"""The registry and the audit trail over HTTP.

Lifecycle moves are the CLI's (`registry.store.Store`, with the standard
publish gates: validation, lint errors, the scenario suites beside a bundled
product), always in the name of the signed-in user: ``by`` is never a field
the client sends, so four eyes holds on the server (the author's own
approval is a 409). A product to register is a bundled id or YAML in the
body; YAML is checked by the safe loader first (422 with every positioned
problem), then registered from a private temporary folder (no suites beside
it, so only validation and lint gate it).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, model_validator

from ..compliance.approval import reviewed_diff
from ..environment import Environment
from ..registry.audit import verify_database
from ..registry.audit_show import AuditFilter, outcome_of, show
from ..registry.store import PublishRefused, Store, VersionRecord
from ..registry.versions import REF
from ..runs.gates import STANDARD_GATES
from .auth import Anyone, Auditor, Designer, Reviewer, User, require
from .errors import BadRequest, Conflict, Missing, documented
from .refs import ID_SCHEMA, VERSION_SCHEMA, bundled, upload_name

router = APIRouter(tags=["registry"])

Steward = Annotated[User, Depends(require("designer", "reviewer"))]
VersionRef = Path(max_length=80, examples=["hepatitis_b@1.0.0"], json_schema_extra=VERSION_SCHEMA,
                  description="ID@VERSION, or ID@YYYY-MM-DD (the version in force that day)")
MAX_ROWS = 10_000


class Version(BaseModel):
    """A registered version and its lifecycle so far (window ends inclusive)."""

    ref: str
    product_id: str
    version: str
    status: Literal["draft", "approved", "published", "retired"]
    hash: str
    effective_from: dt.date
    effective_to: dt.date | None
    registered_by: str
    registered_at: str
    approved_by: str | None = None
    approved_at: str | None = None
    published_by: str | None = None
    published_at: str | None = None
    retired_by: str | None = None
    retired_at: str | None = None
    supersedes: str | None = None
    superseded_by: str | None = None
    approved_diff_sha256: str | None = None


class RegisterRequest(BaseModel):
    """A new draft: a bundled product (by id) or a product's YAML."""

    product: str | None = Field(None, max_length=48, description="a bundled product's id",
                                json_schema_extra=ID_SCHEMA)
    yaml: str | None = Field(None, description="or the product's YAML")
    file: str | None = Field(None, max_length=200, description="a name for the YAML's problems")
    effective_from: dt.date = Field(description="the first day in force")
    effective_to: dt.date | None = Field(None, description="the last day in force, inclusive "
                                                           "(default: the product's own)")

    @model_validator(mode="after")
    def _one(self) -> RegisterRequest:
        if (self.product is None) == (self.yaml is None):
            raise ValueError("give either 'product' (a bundled id) or 'yaml'")
        return self


@router.get("/registry/{product_id}", summary="The registered versions of a product",
            response_model=list[Version], responses=documented(404))
def history(request: Request, user: Anyone,
            product_id: Annotated[str, Path(max_length=48, pattern=r"^[a-z][a-z0-9_]*$")]
            ) -> list[Version]:
    with _store(request.app.state.env, readonly=True) as store:
        return [_version(r) for r in store.history(product_id)]


@router.post("/registry", summary="Register a product version as a draft", status_code=201,
             response_model=Version, responses=documented(404, 409))
def register(body: RegisterRequest, request: Request, user: Designer) -> Version:
    env = request.app.state.env
    if body.product is not None:
        source = env.products_folder / f"{bundled(env, body.product).id}.yaml"
        return _register(env, source, body, user)
    name = upload_name(body.file)
    product = env.loads(body.yaml, name)  # every positioned problem, with the request's name
    with tempfile.TemporaryDirectory(prefix="configurator-register-") as folder:
        source = FilePath(folder) / (name if name.endswith((".yaml", ".yml")) else
                                     f"{product.id}.yaml")
        source.write_text(body.yaml, encoding="utf-8")
        try:
            return _register(env, source, body, user)
        except PublishRefused as exc:  # name the upload, not the temporary file
            exc.reasons = [r.replace(str(source), name) for r in exc.reasons]
            raise


def _register(env: Environment, source: FilePath, body: RegisterRequest, user: User) -> Version:
    with env.store(create=True, gates=STANDARD_GATES) as store:
        product = env.load(source)
        existing = store.get(product.id, product.version)
        if existing is not None:
            raise Conflict(f"{existing.ref} is already registered ({existing.status})",
                           f"approve, publish or retire it as {existing.ref}")
        return _version(store.publish(source, by=user.name, effective_from=body.effective_from,
                                      effective_to=body.effective_to))


@router.post("/registry/{ref}/approve", summary="Approve a draft (not by its author)",
             response_model=Version, responses=documented(404, 409))
def approve(request: Request, user: Reviewer, ref: str = VersionRef) -> Version:
    with _store(request.app.state.env, ref=ref) as store:
        return _version(store.approve(ref, by=user.name,
                                      diff_sha256=reviewed_diff(store, ref)))


@router.post("/registry/{ref}/publish", summary="Publish an approved version",
             response_model=Version, responses=documented(404, 409))
def publish(request: Request, user: Steward, ref: str = VersionRef) -> Version:
    with _store(request.app.state.env, ref=ref) as store:
        return _version(store.publish(ref, by=user.name))


@router.post("/registry/{ref}/retire", summary="Retire a version (final)",
             response_model=Version, responses=documented(404, 409))
def retire(request: Request, user: Steward, ref: str = VersionRef) -> Version:
    with _store(request.app.state.env, ref=ref) as store:
        return _version(store.retire(ref, by=user.name))


def _store(env: Environment, readonly: bool = False, ref: str | None = None) -> Store:
    if ref is not None and not REF.match(ref):
        raise BadRequest(f"'{ref[:80]}' is not a registered version's reference",
                         "write ID@VERSION or ID@YYYY-MM-DD", "ref")
    if not env.db_path.is_file():
        raise Missing("there is no registry database yet", "register a product first")
    return env.store(readonly=readonly, gates=STANDARD_GATES)


def _version(record: VersionRecord) -> Version:
    return Version.model_validate({"ref": record.ref, **record.to_json()})


# ------------------------------------------------------------ the audit trail


class Finding(BaseModel):
    kind: Literal["CORRUPT", "TAMPERED"]
    text: str


class Verification(BaseModel):
    ok: bool
    rows: dict[str, int | None] = Field(description="rows per chain (null: unreadable)")
    tips: dict[str, str] = Field(description="the last hash of each chain")
    problems: list[Finding]


class Decision(BaseModel):
    """One recorded decision (no personal data: a case hash and a keyed case key)."""

    seq: int
    recorded_at: str
    user: str | None = Field(description="who recorded it (null: before users were recorded)")
    product_id: str
    product_version: str
    product_hash: str
    engine_version: str | None = None
    decision: str
    case_hash: str
    case_key: str | None = None
    batch_id: str | None = None
    batch_row: int | None = None
    outcome: dict[str, Any]


@router.get("/audit/verify", summary="Check the file, the hash chains and the registry",
            response_model=Verification, responses=documented(404, 409))
def audit_verify(request: Request, user: Auditor) -> Verification:
    env = request.app.state.env
    if not env.db_path.is_file():
        raise Missing("there is no registry database yet", "register a product first")
    result = verify_database(env.db_path)
    return Verification(ok=result.ok, rows=result.rows, tips=result.tips,
                        problems=[Finding(kind=f.kind, text=f.text) for f in result.problems])


@router.get("/audit/decisions", summary="Recorded decisions, oldest first, filtered",
            response_model=list[Decision], responses=documented(404, 409))
def audit_show(request: Request, user: Auditor,
               product: Annotated[str | None, Query(max_length=48)] = None,
               version: Annotated[str | None, Query(max_length=20)] = None,
               since: Annotated[dt.date | None, Query(description="recorded on or after, "
                                                                  "UTC")] = None,
               until: Annotated[dt.date | None, Query(description="recorded on or before, "
                                                                  "UTC")] = None,
               decision: Literal["accept", "decline", "refer"] | None = None,
               batch: Annotated[str | None, Query(max_length=256, description="recorded by "
                                                  "this batch (its id)")] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100) -> list[Decision]:
    selection = AuditFilter(product, version, since, until, decision, limit, batch)
    with _store(request.app.state.env, readonly=True) as store:
        rows = show(store, selection)
    return [Decision.model_validate({**row, "outcome": outcome_of(row)}) for row in rows]
