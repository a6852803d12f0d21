"""The filing pack: one signed, reproducible zip for a regulator or a product committee.

`build_pack(env, ref, profile)` takes a registered version (``id@version`` or
``id@DATE``) and returns the zip's bytes and its manifest. The zip holds:

- ``policy/<id>-<version>.<lang>.pdf`` - the specimen policy in every language;
- ``product/<id>@<version>.yaml`` - the registered text the matrix's lines point into;
- ``traceability.csv`` / ``.html`` - rule, clause, YAML line, the cases that exercise it;
- ``suites/results.json`` / ``.html``, ``suites/coverage.txt`` - the product's suites
  (``<products>/<id>/*.suite.yaml``, named with their hashes in the manifest) run
  against the filed version, with rule coverage;
- ``diff/diff.json`` / ``diff/report.html`` - changes, redline and impact on the suites
  against the predecessor (the highest lower version that was approved), if any;
- ``lint.json`` (under `profile`), ``readability.json`` / ``.csv`` (per clause);
- ``public_key.pem``, ``manifest.json`` (the sha256 of every other file, the product,
  the engine and package versions, the key's fingerprint) and ``manifest.sig`` (Ed25519
  over ``manifest.json``).

Members are sorted, stamped 1980-01-01 00:00 with mode 0644, and nothing in
them reads the clock, so identical inputs give a byte-identical zip.
`filing_verify` checks a pack.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compiler.safe_subset import ENGINE_VERSION
from ..compliance.diff import diff
from ..compliance.report import report_bytes
from ..environment import Environment
from ..product.model import Product
from ..registry.versions import VersionRecord, version_key
from .filing_evidence import (
    Members,
    lint_members,
    readability_members,
    run_evidence,
    suite_files,
    suite_members,
    traceability_members,
)
from .filing_sign import fingerprint, key_path, public_pem, sign, signing_key
from .suites import shown_path

FORMAT = "configurator filing pack 1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644 << 16  # a regular file, rw-r--r--


@dataclass
class Pack:
    """A filing pack: the zip's bytes and the manifest it carries."""

    data: bytes
    manifest: dict[str, Any]


@dataclass
class Filed:
    """What is being filed: the version, its product, its text and its predecessor."""

    record: VersionRecord
    product: Product
    text: str
    predecessor: VersionRecord | None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_pack(env: Environment, ref: str, profile: str = "CN") -> Pack:
    """The filing pack of the registered version `ref`, signed with the registry's key."""
    filed = _filed(env, ref)
    key = signing_key(key_path(env.db_path))  # a bad key fails before minutes of work
    compiled = env.compile(filed.product)
    illustration = env.illustration(filed.product)
    files = suite_files(env.products_folder, filed.product.id)
    evidence = run_evidence(compiled, files)
    members: Members = {f"product/{filed.record.ref}.yaml": filed.text.encode("utf-8"),
                        PUBLIC_KEY: public_pem(key)}
    members |= _policies(env, filed.product)
    members |= traceability_members(compiled, evidence)
    members |= suite_members(evidence)
    members |= _diff_members(env, filed, files)
    members |= lint_members(compiled, profile, illustration)
    members |= readability_members(compiled, list(filed.product.languages), illustration)
    manifest = _manifest(filed, profile, files, members, fingerprint(key.public_key()))
    members[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                         + "\n").encode("utf-8")
    members[SIGNATURE] = sign(key, members[MANIFEST])
    return Pack(zip_bytes(members), manifest)


def _filed(env: Environment, ref: str) -> Filed:
    with env.store(readonly=True) as store:
        record = store.record_for(ref)
        row = next(store.db.query("SELECT content FROM versions WHERE product_id = ? AND "
                                  "version = ?", [record.product_id, record.version]))
        earlier = [r for r in store.history(record.product_id)
                   if version_key(r.version) < version_key(record.version)
                   and r.approved_by is not None]
    product = env.load(record.ref)  # checks the stored text against its hashes
    return Filed(record, product, str(row["content"]), earlier[-1] if earlier else None)


def _policies(env: Environment, product: Product) -> Members:
    return {f"policy/{product.id}-{product.version}.{language}.pdf":
            env.render_pdf(product, locale=language) for language in product.languages}


def _diff_members(env: Environment, filed: Filed, files: list[Path]) -> Members:
    if filed.predecessor is None:
        return {}
    old = env.load(filed.predecessor.ref)
    result = diff(old, filed.product, [str(shown_path(path)) for path in files] or None)
    return {"diff/diff.json": report_bytes(result, ".json"),
            "diff/report.html": report_bytes(result, ".html")}


def _manifest(filed: Filed, profile: str, suites: list[Path], members: Members,
              key_fingerprint: str) -> dict[str, Any]:
    product, predecessor = filed.product, filed.predecessor
    return {
        "format": FORMAT,
        "product": {"id": product.id, "version": product.version, "hash": product.hash},
        "registration": filed.record.to_json(),
        "predecessor": None if predecessor is None else {
            "ref": predecessor.ref, "status": predecessor.status, "hash": predecessor.hash,
            "diff": "diff/diff.json", "report": "diff/report.html"},
        "predecessor_note": (f"diff against {predecessor.ref}" if predecessor else
                             "no earlier approved version in the registry: no diff"),
        "lint_profile": profile,
        "languages": list(product.languages),
        "suites": {"source": f"the products folder's suites for {product.id} "
                             f"(<products>/{product.id}/*.suite.yaml), run against the "
                             f"registered version",
                   "files": {f"{product.id}/{path.name}": sha256(path.read_bytes())
                             for path in suites}},
        "engine_version": ENGINE_VERSION,
        "package_version": importlib.metadata.version("configurator"),
        "public_key_fingerprint": key_fingerprint,
        "signature": {"algorithm": "Ed25519", "file": SIGNATURE, "signs": MANIFEST},
        "files": {name: sha256(data) for name, data in sorted(members.items())},
    }


def zip_bytes(members: Members) -> bytes:
    """The members as a zip: sorted, fixed time and mode, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = ZIP_MODE
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name], compresslevel=9)
    return out.getvalue()
