"""The plain-language text fields of a product, and the placeholders inside them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import LocalizedText, Model
from .source import PathKey

PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def texts(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, Any]]:
    """Every Text field in a product, with its document path."""
    if isinstance(node, LocalizedText):
        yield path, node
        return
    if isinstance(node, Model):
        for name, info in type(node).model_fields.items():
            value = getattr(node, name, None)
            key = path + (info.alias or name,)
            if isinstance(value, str) and _is_text_field(info):
                yield key, value
            elif value is not None and not isinstance(value, str):
                yield from texts(value, key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from texts(item, path + (index,))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from texts(item, path + (key,))


def _is_text_field(info) -> bool:
    return "Text" in repr(info.annotation) or "LocalizedText" in repr(info.annotation)

