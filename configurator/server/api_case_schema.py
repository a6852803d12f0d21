"""A JSON Schema for a case of one product: now `configurator.cases.schema` (the CLI's
`schema --kind case` writes the same), kept here for the routes that serve it."""

from __future__ import annotations

from ..cases.schema import case_schema, value_schema

__all__ = ["case_schema", "value_schema"]
