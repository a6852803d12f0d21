"""The plain-language text fields of a product, and the placeholders inside them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import Problem
from .model import LocalizedText, Model
from .source import Document, PathKey, format_path

PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")
# C0 controls but tab and newline, DEL and the C1 controls: nothing a document prints
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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


def control_problems(doc: Document, path: PathKey, value: str) -> list[Problem]:
    """A problem for wording that holds a control character other than tab and newline."""
    found = CONTROL.search(value)
    if found is None:
        return []
    return [Problem(doc.span(path), format_path(path),
                    f"wording holds the control character U+{ord(found.group()):04X} at "
                    f"character {found.start() + 1}",
                    "remove it: wording may hold tabs and line breaks, no other control "
                    "characters", "wording")]
