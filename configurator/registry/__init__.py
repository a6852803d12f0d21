"""Floor 5, the registry: product versions with a lifecycle, and the audit trail.

One SQLite file (`db`): `Store` registers, approves, publishes and retires
versions and resolves ``id@version`` / ``id@YYYY-MM-DD``; `audit` records
decisions and issued documents in hash chains, with no personal data.
"""

from __future__ import annotations

from .store import Store, resolve_product

__all__ = ["Store", "resolve_product"]
