"""Tags on events (issue 13): which event types a tag-count metric reads.

An event type lists the tags its events may carry (`events.<type>.tags`); a case's
event carries some of them (`tags: [..]`); `count: {tag: X}` counts the events of
every type declaring X that carry it. Declaring tags per type keeps the set of
types a tag can reach known, so a count's `when` is checked against the fields
they all have.
"""

from __future__ import annotations

from typing import Any

from .model import Product


def tagged_types(product: Product, tag: str) -> tuple[str, ...]:
    """The event types that declare `tag`, in the order the product lists them."""
    return tuple(name for name, spec in product.events.items() if tag in spec.tags)


def all_tags(product: Product) -> list[str]:
    """Every tag some event type declares, each once, in declaration order."""
    return list(dict.fromkeys(t for spec in product.events.values() for t in spec.tags))


def count_types(product: Product, spec: Any) -> tuple[str, ...]:
    """The event types a count metric reads: the tag's types, or event and also."""
    if getattr(spec, "tag", None) is not None:
        return tagged_types(product, spec.tag)
    return tuple(dict.fromkeys((spec.event, *getattr(spec, "also", ()))))
