"""Supersession: a new version takes over from a published one without erasing its history.

A version registered with a window that starts inside a published version's
window - after its first day - and runs at least as long (open-ended, or to
the same last day or later) is that version's *successor*: ``supersedes``
names the predecessor, and the proposal is to end the predecessor's window
the day before the successor's first day. Nothing changes yet. When the
successor is published (after its approval, which records the hash of the
diff the reviewer approved against the predecessor), the predecessor's
``effective_to`` is set in the same write transaction and the registry log
gains an ``end-date`` entry for the predecessor naming the publisher (``by``)
and the successor's approver and author (``detail``). Both versions stay
published: ``ID@DATE`` resolves each day to the one in force then.

Any other overlap with a published window is still refused (the store's
overlap check), and a successor whose predecessor was retired or ended
meanwhile is published without ending anything.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .versions import VersionRecord

END_DATE = "end-date"


def qualifies(other: VersionRecord, start: dt.date, end: dt.date | None) -> bool:
    """Whether a version in force [start, end] can supersede published `other`: it starts
    inside other's window after its first day and covers the rest of it."""
    return (other.status == "published" and other.in_force_on(start)
            and other.effective_from < start
            and (end is None or (other.effective_to is not None and end >= other.effective_to)))


def supersedable(store: Any, product_id: str, version: str, start: dt.date,
                 end: dt.date | None) -> VersionRecord | None:
    """The published version a new version in force [start, end] would supersede, if any
    (at most one: published windows never overlap, and it must contain `start`)."""
    rows = store.db.query("SELECT * FROM versions WHERE product_id = ? AND status = "
                          "'published' AND version != ?", [product_id, version])
    found = [r for r in map(VersionRecord.from_row, rows) if qualifies(r, start, end)]
    return found[0] if found else None


def still_superseded(store: Any, record: VersionRecord) -> VersionRecord | None:
    """The predecessor `record` ends when it is published: the one it was registered to
    supersede, if that is still published and still in force on its first day."""
    if not record.supersedes:
        return None
    predecessor = store.get(record.product_id, record.supersedes)
    if predecessor is None or not qualifies(predecessor, record.effective_from,
                                            record.effective_to):
        return None
    return predecessor


def end_date(store: Any, predecessor: VersionRecord, successor: VersionRecord,
             by: str) -> None:
    """End `predecessor` the day before `successor` starts; call inside the publishing
    transaction."""
    end = successor.proposed_end.isoformat()
    store.db["versions"].update((predecessor.product_id, predecessor.version), {
        "effective_to": end, "superseded_by": successor.version})
    store._log(store.now(), predecessor.product_id, predecessor.version, END_DATE, by, {
        "effective_to": end, "superseded_by": successor.version,
        "was": predecessor.effective_to.isoformat() if predecessor.effective_to else None,
        "approved_by": successor.approved_by, "registered_by": successor.registered_by,
        "diff_sha256": successor.approved_diff_sha256})


def log_entries(store: Any, product_id: str) -> list[dict[str, Any]]:
    """The registry log of one product, oldest first, with its detail decoded."""
    rows = store.db.query("SELECT seq, at, version, action, by, detail FROM registry_log "
                          "WHERE product_id = ? ORDER BY seq", [product_id])
    return [{**row, "detail": _detail(row.get("detail"))} for row in rows]


def _detail(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"unreadable": str(text)[:80]}


def log_words(product_id: str, entry: dict[str, Any]) -> str:
    """One registry log entry in words: when, who, what."""
    detail, ref = entry["detail"], f"{product_id}@{entry['version']}"
    when = str(entry["at"])[:19].replace("T", " ")
    action = entry["action"]
    if action == "register":
        what = f"registered {ref} for {detail.get('effective_from')}.." \
               f"{detail.get('effective_to') or ''}"
        if detail.get("supersedes"):
            what += f", to supersede {product_id}@{detail['supersedes']}"
    elif action == END_DATE:
        what = (f"ended {ref} on {detail.get('effective_to')} (was "
                f"{detail.get('was') or 'open-ended'}): superseded by "
                f"{product_id}@{detail.get('superseded_by')}, approved by "
                f"{detail.get('approved_by')}")
    else:
        what = f"{action} {ref}"
        if detail.get("approved_diff_sha256"):
            what += f" (diff sha256 {detail['approved_diff_sha256']})"
    return f"{entry['seq']:>4} {when} {entry['by']}: {what}"
