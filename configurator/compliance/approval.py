"""The hash of a diff, so an approval can record exactly what its reviewer approved.

`diff_sha256` hashes what the diff *says* - the two versions (id, version,
product hash), every change (kind, subject, effect, reason, causes, values,
clause) and the wording redline - and leaves out where the files lay (paths,
line numbers), so ``configurator diff hepatitis_b@1.0.0 v1.1.yaml`` and the
registry's own comparison of the stored texts give the same hash. The impact
on cases is left out too: it depends on which cases were chosen.

`reviewed_diff` is what a successor's approval records
(`registry.store.Store.approve`): the hash of the diff between the version it
supersedes and itself, both read from the registry.
"""

from __future__ import annotations

from pathlib import Path

from ..registry.store import Store
from .diff import Diff, diff


def diff_sha256(result: Diff) -> str:
    """The sha256 of what a diff says (`Diff.reviewed`), independent of file paths and of
    the cases chosen for its impact."""
    return result.sha256


def reviewed_diff(store: Store, ref: str | Path) -> str | None:
    """The hash of the diff between the version `ref` supersedes and itself (None when it
    supersedes nothing)."""
    record = store.registered(ref)
    if not record.supersedes:
        return None
    predecessor = store.get(record.product_id, record.supersedes)
    if predecessor is None:
        return None
    return diff_sha256(diff(store.load_version(predecessor), store.load_version(record)))
