"""Where a product uses its parameters: in rules (numbers and conditions) or only in wording."""

from __future__ import annotations

from typing import Any

from ..conditions.expression import as_expression
from ..conditions.parser import ConditionSyntaxError
from ..conditions.visitor import names
from .model import Product, text_variants
from .source import PathKey, walk
from .texts import PLACEHOLDER, texts

RULES, WORDING = "rules", "wording"
CONDITION_KEYS = ("when", "expr")


def parameter_uses(product: Product) -> dict[str, dict[str, list[PathKey]]]:
    """For each parameter: the paths that read it, under "rules" and "wording"."""
    uses: dict[str, dict[str, list[PathKey]]] = {
        name: {RULES: [], WORDING: []} for name in product.parameters}
    text_paths = set()
    for path, text in texts(product):
        text_paths.add(path)
        for _, value in text_variants(text):
            for match in PLACEHOLDER.finditer(value):
                _note(uses, match.group(1).strip(), WORDING, path)
    data = product.model_dump(by_alias=True)
    for path, value in walk(data):
        if not isinstance(value, str) or path[:1] in (("parameters",), ("illustration",)) \
                or _inside(path, text_paths):
            continue
        if path and path[-1] in CONDITION_KEYS:
            for name in _condition_names(value):
                _note(uses, name, RULES, path)
        else:
            _note(uses, value, RULES, path)
    return uses


def _note(uses: dict, name: str, where: str, path: PathKey) -> None:
    if name in uses:
        uses[name][where].append(path)


def _inside(path: PathKey, prefixes: set[PathKey]) -> bool:
    return any(path[:n] in prefixes for n in range(1, len(path) + 1))


def _condition_names(text: str) -> list[str]:
    try:  # text from the model's dump: an Expression still, whose tree is kept
        return [n.id for n in names(as_expression(text).node)]
    except ConditionSyntaxError:
        return []


def used_only_in_wording(product: Product, name: str) -> bool:
    found = parameter_uses(product).get(name, {RULES: [], WORDING: []})
    return not found[RULES] and bool(found[WORDING])


def item_at(product: Product, path: PathKey) -> Any:
    """The model node at a document path (list items by index)."""
    node: Any = product
    for part in path:
        if isinstance(part, int):
            node = node[part]
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = getattr(node, _attribute(node, part))
    return node


def _attribute(node: Any, key: str) -> str:
    for name, info in type(node).model_fields.items():
        if key in (name, info.alias):
            return name
    return key
