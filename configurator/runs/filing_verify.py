"""Checking a filing pack: every hash, no file missing or extra, and the signature.

`verify_pack(path, trusted)` returns a `Verification`: the lines saying what
was checked, and the problems found, each naming the file. With `trusted`
(the PEM of a public key the reviewer trusts) the signature is checked with
that key, and a pack signed with any other key is refused; without it, only
the pack's own ``public_key.pem`` is used, which proves the pack is intact
but not who made it (the lines say so). A file that is not a zip, or a zip
without a readable ``manifest.json``, is no filing pack (`FilingError`).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .filing import MANIFEST, PUBLIC_KEY, SIGNATURE, sha256
from .filing_sign import FilingError, fingerprint, public_key, signature_holds


@dataclass
class Verification:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(path: str | Path, trusted: bytes | None = None,
                trusted_name: str = "--key") -> Verification:
    """Check the pack at `path` (see the module docstring)."""
    members, problems = _read(Path(path))
    manifest = _manifest(path, members)
    result = Verification(problems=problems)
    _check_files(manifest, members, result)
    _check_signature(manifest, members, trusted, trusted_name, result)
    return result


def _read(path: Path) -> tuple[dict[str, bytes | None], list[str]]:
    """Every member's bytes (None when it cannot be read back: a damaged member)."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename for info in archive.infolist()]
            problems += [f"{name}: appears {count} times in the zip" for name, count
                         in sorted(Counter(names).items()) if count > 1]
            members: dict[str, bytes | None] = {}
            for name in names:
                try:
                    members[name] = archive.read(name)
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    members[name] = None
                    problems.append(f"{name}: cannot be read back ({exc})")
    except (zipfile.BadZipFile, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise FilingError(f"{path}: not a filing pack ({reason})") from exc
    return members, problems


def _manifest(path: str | Path, members: dict[str, bytes | None]) -> dict[str, Any]:
    data = members.get(MANIFEST)
    try:
        manifest = json.loads(data) if data is not None else None
    except ValueError:
        manifest = None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise FilingError(f"{path}: not a filing pack (no readable {MANIFEST} listing its "
                          f"files)")
    return manifest


def _check_files(manifest: dict[str, Any], members: dict[str, bytes | None],
                 result: Verification) -> None:
    files: dict[str, str] = manifest["files"]
    for name in sorted(files):
        data = members.get(name)
        if name not in members:
            result.problems.append(f"{name}: missing (listed in {MANIFEST})")
        elif data is not None and sha256(data) != files[name]:
            result.problems.append(f"{name}: altered (sha256 {sha256(data)[:16]}..., "
                                   f"{MANIFEST} says {files[name][:16]}...)")
    extra = sorted(set(members) - set(files) - {MANIFEST, SIGNATURE})
    result.problems += [f"{name}: extra (not listed in {MANIFEST})" for name in extra]
    result.checked.append(f"{len(files)} files listed in {MANIFEST}: sha256 of each "
                          f"compared, and the zip checked for missing and extra files")


def _own_key(pem: bytes | None, result: Verification):
    """The pack's own public key, or None (a problem when it is there but unreadable)."""
    if not pem:
        return None
    try:
        return public_key(pem, f"the pack's {PUBLIC_KEY}")
    except FilingError as exc:
        result.problems.append(f"{PUBLIC_KEY}: {exc}")
        return None


def _check_signature(manifest: dict[str, Any], members: dict[str, bytes | None],
                     trusted: bytes | None, trusted_name: str, result: Verification) -> None:
    own_pem, signature = members.get(PUBLIC_KEY), members.get(SIGNATURE)
    if signature is None:
        result.problems.append(f"{SIGNATURE}: missing; the manifest is not signed")
        return
    own = _own_key(own_pem, result)
    if own is not None and fingerprint(own) != manifest.get("public_key_fingerprint"):
        result.problems.append(f"{PUBLIC_KEY}: its fingerprint {fingerprint(own)} is not the "
                               f"one {MANIFEST} names")
    key = public_key(trusted, trusted_name) if trusted is not None else own
    if key is None:
        result.problems.append(f"{PUBLIC_KEY}: missing, and no --key given to check with")
        return
    if trusted is not None and own is not None and fingerprint(own) != fingerprint(key):
        result.problems.append(f"{PUBLIC_KEY}: the pack was signed with key {fingerprint(own)}"
                               f", not the trusted key {fingerprint(key)}; refused")
    if not signature_holds(key, signature, members[MANIFEST] or b""):
        result.problems.append(f"{MANIFEST}: the Ed25519 signature in {SIGNATURE} does not "
                               f"match (the manifest was altered, or signed with another key)")
    else:
        result.checked.append(f"{MANIFEST}: Ed25519 signature valid with key {fingerprint(key)}")
    if trusted is not None:
        result.checked.append(f"the signature was checked with the trusted key {trusted_name}")
    else:
        result.checked.append(f"the signature was checked only with the pack's own "
                              f"{PUBLIC_KEY}: this shows the pack is intact, not who made it; "
                              f"pass --key with a public key you trust")
