"""Ed25519 signatures for filing packs: the signing key beside the registry, and checking.

The only user of `cryptography`. The private key is generated on first use
and kept beside the registry database (``<db>.filing-key``, PKCS#8 PEM,
mode 0600), like the audit trail's case-key secret; a key file that others
can read, that is not a regular file or that does not hold an Ed25519 key is
refused as a `FilingError` naming the file. A pack carries the public half
(``public_key.pem``) and its fingerprint; Ed25519 signatures are
deterministic, so the same manifest always gets the same signature.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import ConfiguratorError
from ..files import create_private

KEY_SUFFIX = ".filing-key"


class FilingError(ConfiguratorError):
    """A filing pack cannot be made or read: a bad key file, a pack that is no pack."""


def key_path(db_path: str | Path) -> Path:
    """Where the signing key of the registry at `db_path` lives."""
    return Path(f"{db_path}{KEY_SUFFIX}")


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`, created (0600, atomically) if it does not exist."""
    try:
        if not path.exists():
            create_private(path, _new_key_pem())
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise FilingError(f"the filing key {path} is not a file; move it away")
        if info.st_mode & 0o077:
            raise FilingError(f"the filing key {path} is readable by other users; run "
                              f"'chmod 600 {path}' (and consider it compromised)")
        data = path.read_bytes()
    except OSError as exc:
        raise FilingError(f"cannot read or create the filing key {path} "
                          f"({exc.strerror or exc}); check the file and its folder") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise FilingError(f"the filing key {path} is not a PEM private key without a "
                          f"password") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise FilingError(f"the filing key {path} is not an Ed25519 key")
    return key


def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def public_pem(key: Ed25519PrivateKey) -> bytes:
    """The public half as SubjectPublicKeyInfo PEM."""
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def public_key(pem: bytes, where: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; `FilingError` naming `where` otherwise."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise FilingError(f"{where} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise FilingError(f"{where} is not an Ed25519 public key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """``sha256:`` and the hex SHA-256 of the raw 32-byte public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def signature_holds(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
