"""What the review pages show: a product checked, two versions compared, the registry
and the audit trail - each built by calling the library.

- check: `Environment.loads` (the same safe loader and checks as a file) and `lint`;
- compare: `compliance.diff.diff` with the product's scenario suites as the impact cases;
- registry: `Store.history`; lifecycle moves through `Store.approve/publish/retire`
  with the standard publish gates (the registry enforces four eyes, not this page);
- audit: `registry.audit.show` with an `AuditFilter`, and `verify`.
"""

from __future__ import annotations

from typing import Any

from ..compliance.approval import reviewed_diff
from ..compliance.diff import diff
from ..compliance.lint import lint
from ..compliance.report import render_html
from ..environment import Environment
from ..errors import ConfigError
from ..product.model import Product, text_in
from ..registry.audit import verify
from ..registry.audit_show import AuditFilter, show
from ..registry.store import VersionRecord
from ..registry.versions import NotFound, is_ref
from ..runs.gates import STANDARD_GATES
from ..runs.suites import suites_for
from .auth import User
from .errors import BadRequest
from .workbench_cases_views import bundled_file
from .workbench_views import content_locale, short_source

# who may make each lifecycle move (the registry itself refuses the author's approval)
LIFECYCLE_ROLES = {"approve": ("reviewer",), "publish": ("designer", "reviewer"),
                   "retire": ("designer", "reviewer")}
NEXT_MOVES = {"draft": ("approve", "retire"), "approved": ("publish", "retire"),
              "published": ("retire",), "retired": ()}
MAX_SHOWN = 200  # audit rows and issued documents on one page


# ------------------------------------------------------------ check a product


def check_view(env: Environment, text: str, file: str) -> dict[str, Any]:
    """A product's YAML checked like a file: every positioned problem with its line, or
    the product's facts and its lint findings."""
    source = text.splitlines()
    try:
        product = env.loads(text, file)
    except ConfigError as exc:
        records = [p.to_json() for p in exc.problems]
        lines = {r["line"]: source[r["line"] - 1] for r in records
                 if r["line"] and 0 < r["line"] <= len(source)}
        return {"ok": False, "problems": records, "lines": lines, "file": file}
    findings = lint(product, product.jurisdiction, env.illustration(product))
    return {"ok": True, "file": file, "product": {
        "id": product.id, "version": product.version, "hash": product.hash,
        "name": text_in(product.name, "en")},
        "findings": [f.to_json() for f in findings],
        "lines": {f.span.line: source[f.span.line - 1] for f in findings
                  if 0 < f.span.line <= len(source)}}


# ------------------------------------------------------------ compare two versions


def compare_view(env: Environment, old: Product, new: Product, locale: str) -> dict[str, Any]:
    """The classified changes, the redline in the page's language and the impact on the
    product's scenario suites."""
    if old.id != new.id:
        raise BadRequest(f"{old.id} and {new.id} are different products",
                         "compare two versions of the same product", "new")
    bundled = bundled_file(env, old)
    suites = [str(p) for p in suites_for(bundled)] if bundled is not None else []
    result = diff(old, new, cases=suites or None)
    shown = content_locale(new, locale)
    redline = [r for r in result.redline if r.locale == shown] or result.redline
    impact = result.impact.to_json() if result.impact is not None else None
    if impact is not None:
        for case in impact["cases"]:
            case["where"] = short_source(case["where"])
    return {"old": vars(result.old) | {"name": text_in(old.name, shown)},
            "new": vars(result.new) | {"name": text_in(new.name, shown)},
            "bump": result.bump.to_json(), "counts": result.counts,
            "changes": [_change(c.to_json()) for c in result.changes],
            "redline": [{"clause": r.clause, "subject": r.subject, "status": r.status,
                         "locale": r.locale, "in_force": r.in_force or "",
                         "pieces": [(p.op, p.text) for p in r.pieces]} for r in redline],
            "impact": impact, "suites": len(suites)}


def report_html(old: Product, new: Product) -> str:
    """The compliance report as one self-contained HTML page (`configurator diff -o`)."""
    return render_html(diff(old, new))


def _change(change: dict[str, Any]) -> dict[str, Any]:
    for key in ("old_source", "new_source"):
        if change.get(key):
            change[key] = short_source(change[key])
    return change


def version_of(env: Environment, ref: str) -> dict[str, Any] | None:
    """The registry record of `ref` and the moves it allows, or None (not a registry ref,
    or no such version)."""
    if not is_ref(ref) or not env.db_path.is_file():
        return None
    try:
        with env.store(readonly=True) as store:
            return record_view(store.record_for(ref))
    except NotFound:
        return None


def record_view(record: VersionRecord) -> dict[str, Any]:
    return record.to_json() | {"ref": record.ref, "window": record.window,
                               "moves": list(NEXT_MOVES.get(record.status, ()))}


def lifecycle(env: Environment, action: str, ref: str, user: User) -> dict[str, Any]:
    """Make a lifecycle move as `user`; the registry refuses what it must (four eyes, the
    gates, overlapping windows) with a `StoreError`."""
    with env.store(gates=STANDARD_GATES) as store:
        if action == "approve":  # a successor's approval records the diff it approved
            return record_view(store.approve(ref, by=user.name,
                                             diff_sha256=reviewed_diff(store, ref)))
        move = {"publish": store.publish, "retire": store.retire}
        return record_view(move[action](ref, by=user.name))


# ------------------------------------------------------------ the registry and audit trail


def registry_view(env: Environment) -> dict[str, Any]:
    """Every registered version of every product, with its status, window and people."""
    if not env.db_path.is_file():
        return {"exists": False, "products": []}
    with env.store(readonly=True) as store:
        ids = store._product_ids()  # the registry's own list of product ids
        return {"exists": True, "products": [
            {"id": pid, "versions": [record_view(r) for r in store.history(pid)]}
            for pid in ids]}


def audit_view(env: Environment, selection: AuditFilter) -> dict[str, Any]:
    """Recorded decisions matching `selection`, and the documents issued lately."""
    if not env.db_path.is_file():
        return {"exists": False, "rows": [], "documents": []}
    with env.store(readonly=True) as store:
        rows = show(store, selection)
        documents = [
            {k: row.get(k) for k in ("seq", "recorded_at", "kind", "product_id",
                                     "product_version", "sha256", "user")}
            for row in store.db.query("SELECT * FROM documents ORDER BY seq DESC LIMIT ?",
                                      [MAX_SHOWN])] \
            if "documents" in store.db.table_names() else []
    return {"exists": True, "documents": documents, "rows": [
        {"seq": r["seq"], "recorded_at": r["recorded_at"],
         "ref": f"{r['product_id']}@{r['product_version']}", "decision": r["decision"],
         "case_hash": (r.get("case_hash") or "")[:16], "user": r.get("user") or "",
         "batch": f"{r['batch_id']}#{r['batch_row']}" if r.get("batch_id") else "",
         "batch_id": r.get("batch_id") or ""}
        for r in rows]}


def verify_view(env: Environment) -> dict[str, Any]:
    """`audit verify`: the chains, the registry replayed, SQLite's own check."""
    if not env.db_path.is_file():
        return {"exists": False}
    with env.store(readonly=True) as store:
        found = verify(store)
    return {"exists": True, "ok": found.ok, "rows": found.rows,
            "problems": [str(p) for p in found.problems]}
