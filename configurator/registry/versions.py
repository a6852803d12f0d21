"""Registered versions and how they are named: ``id@version`` and ``id@YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..product.model import Product
from .db import StoreError, canonical, sha256_text
from .faults import require_text

VERSION = re.compile(r"^\d+\.\d+\.\d+$")  # as the product model has it
REF = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)@(?P<at>\d{4}-\d{2}-\d{2}|\d+\.\d+\.\d+)$")


STATUSES = ("draft", "approved", "published", "retired")


class NotFound(StoreError):
    """No such product, version, or version in force on a date."""


@dataclass(frozen=True)
class VersionRecord:
    """One registered version of a product and its lifecycle so far."""

    product_id: str
    version: str
    status: str
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
    supersedes: str | None = None  # the published version this one ends (registered then)
    superseded_by: str | None = None  # the version that ended this one's window
    approved_diff_sha256: str | None = None  # the diff against `supersedes` the reviewer saw

    @property
    def predecessor(self) -> str | None:
        """``id@version`` of the version this one supersedes, if any."""
        return f"{self.product_id}@{self.supersedes}" if self.supersedes else None

    @property
    def proposed_end(self) -> dt.date:
        """The last day the predecessor stays in force: the day before this one starts."""
        return self.effective_from - dt.timedelta(days=1)

    @property
    def ref(self) -> str:
        return f"{self.product_id}@{self.version}"

    @property
    def window(self) -> str:
        """The window, both ends inclusive: ``2026-01-01..2026-12-31``; open: ``2026-01-01..``."""
        end = self.effective_to.isoformat() if self.effective_to else ""
        return f"{self.effective_from.isoformat()}..{end}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        """Whether [start, end] (inclusive, None = open) shares a day with this window."""
        return (end is None or self.effective_from <= end) and (
            self.effective_to is None or start <= self.effective_to)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["effective_from"] = self.effective_from.isoformat()
        data["effective_to"] = self.effective_to.isoformat() if self.effective_to else None
        return data

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VersionRecord:
        """The record of a ``versions`` row; a row configurator cannot have written (a
        binary value, a date that is not a date, an unknown status) is refused."""
        fields = {k: row.get(k) for k in cls.__dataclass_fields__}
        where = f"versions row {row.get('product_id')!s:.40}@{row.get('version')!s:.20}"
        require_text(fields, where, _REQUIRED, tuple(set(fields) - set(_REQUIRED)))
        try:
            fields["effective_from"] = dt.date.fromisoformat(row["effective_from"])
            end = row.get("effective_to")
            fields["effective_to"] = dt.date.fromisoformat(end) if end else None
            version_key(fields["version"])
        except ValueError as exc:
            raise StoreError(f"{where} cannot be read: {exc}; the row was altered outside "
                             f"configurator (run 'configurator audit verify')") from exc
        if fields["status"] not in STATUSES:
            raise StoreError(f"{where} cannot be read: its status {fields['status']!r:.40} is "
                             f"not one of {', '.join(STATUSES)} (run 'configurator audit "
                             f"verify')")
        return cls(**fields)


_REQUIRED = ("product_id", "version", "status", "hash", "effective_from", "registered_by",
             "registered_at")


def version_key(version: str) -> tuple[int, ...]:
    """``1.10.0`` -> (1, 10, 0), so versions sort by number; ValueError for anything else."""
    if not VERSION.match(version):
        raise ValueError(f"version {version[:20]!r} is not MAJOR.MINOR.PATCH")
    return tuple(int(part) for part in version.split("."))


def substance_hash(product: Product) -> str:
    """Hash of the content without the version number (to refuse relabelled duplicates)."""
    data = product.model_dump(mode="json", by_alias=True)
    data.pop("version", None)
    return sha256_text(canonical(data))


def parse_ref(ref: str) -> tuple[str, str | dt.date] | None:
    """``id@1.2.0`` -> (id, "1.2.0"); ``id@2026-01-01`` -> (id, date); else None."""
    match = REF.match(ref)
    if not match:
        return None
    at = match["at"]
    if "-" in at:
        try:
            return match["id"], dt.date.fromisoformat(at)
        except ValueError as exc:
            raise NotFound(f"{ref}: '{at}' is not a valid date (write YYYY-MM-DD)") from exc
    return match["id"], at


def is_ref(text: str | Path) -> bool:
    """A registry reference (and not an existing file that happens to look like one)."""
    return not Path(text).exists() and REF.match(str(text)) is not None

