"""Load a product: YAML -> pydantic models -> cross-checks, every error at once.

Sections are validated item by item, so one bad eligibility rule does not hide
the mistakes in the next one, and cross-checks still run on everything that
did validate. pydantic error records are turned into positioned problems by
their `type` and `ctx` (never by matching message text), following the
rendercv recipe: skip `loc` segments that are not keys in the YAML, and point
a missing field at its parent mapping.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import Problem, ProductError, did_you_mean
from .check import check_product
from .model import Model, Product
from .rewards import share_conditions
from .source import Document, PathKey, format_path, load_file, load_text

_ADAPTERS: dict[Any, TypeAdapter] = {}


@dataclass
class Partial:
    """What validated, plus the raw names of what did not (to avoid cascades)."""

    sections: dict[str, Any] = field(default_factory=dict)
    raw_names: dict[str, set[str]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    # list sections: the YAML index of each item that validated, and of each that did not
    indexes: dict[str, list[int]] = field(default_factory=dict)
    failed_items: dict[str, list[int]] = field(default_factory=dict)


def load(path: str | Path) -> Product:
    """Load and check a product file; raise `ProductError` listing every problem."""
    return load_document(load_file(path, ProductError))


def loads(text: str, file: str = "<product>") -> Product:
    """Load and check a product from YAML text."""
    return load_document(load_text(text, file, ProductError))


def load_document(doc: Document) -> Product:
    if not isinstance(doc.data, dict):
        raise ProductError([Problem(doc.span(()), "", "a product must be a YAML mapping",
                                    "start with 'id: my_product'")])
    partial, problems = _validate_sections(doc)
    product = _assemble(doc, partial, problems)
    problems += check_product(product, doc, partial)
    if problems:
        raise ProductError(problems)
    product._source = doc
    product._hash = content_hash(doc.data)
    return product


def content_hash(data: Any) -> str:
    """A short hash of a product's content as written (formatting and comments excluded).

    It hashes the parsed YAML, not the model, so adding an optional field to
    the product format never changes the hash of products already registered.
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# ------------------------------------------------------------ sections


def _adapter(annotation: Any) -> TypeAdapter:
    key = repr(annotation)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(annotation)
    return _ADAPTERS[key]


def _validate_sections(doc: Document) -> tuple[Partial, list[Problem]]:
    data: dict = doc.data
    partial, problems = Partial(), []
    fields = Product.model_fields
    known = {info.alias or name: name for name, info in fields.items()}
    misspelt = set()
    for key in data:
        if key not in known:
            close = _closest(str(key), known)
            misspelt.add(close)
            problems.append(Problem(doc.key_span((key,)), str(key), f"unknown field '{key}'",
                                    _did_you_mean(close), "extra_forbidden"))
    for key, name in known.items():
        info = fields[name]
        if key not in data:
            if info.is_required() and key not in misspelt:  # the misspelling is the one mistake
                problems.append(Problem(doc.span(()), "", f"missing required field '{key}'",
                                        None, "missing"))
            continue
        value, errors = _validate_field(doc, key, info.rebuild_annotation(), data[key], partial)
        problems += errors
        if errors:
            partial.failed.add(key)
        if value is not _FAILED:
            partial.sections[name] = value
    return partial, problems


_FAILED = object()


def _validate_field(doc: Document, key: str, annotation: Any, raw: Any,
                    partial: Partial) -> tuple[Any, list[Problem]]:
    """Validate one top-level field; list and dict sections item by item."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    item_type = args[-1] if args else None
    is_models = isinstance(item_type, type) and issubclass(item_type, BaseModel)
    if origin is list and is_models and isinstance(raw, list):
        partial.raw_names[key] = {i["id"] for i in raw if isinstance(i, dict)
                                  and isinstance(i.get("id"), str)}
        return _validate_items(doc, key, item_type, enumerate(raw), list, partial)
    if origin is dict and is_models and isinstance(raw, dict):
        partial.raw_names[key] = {str(k) for k in raw}
        return _validate_items(doc, key, item_type, raw.items(), dict, partial)
    try:
        return _adapter(annotation).validate_python(raw), []
    except ValidationError as exc:
        return _FAILED, pydantic_problems(doc, exc, (key,))


def _validate_items(doc: Document, key: str, item_type: type, items, kind: type,
                    partial: Partial):
    good: Any = kind()
    problems: list[Problem] = []
    for index, raw in items:
        try:
            value = item_type.model_validate(raw)
        except ValidationError as exc:
            problems += pydantic_problems(doc, exc, (key, index))
            if kind is list:
                partial.failed_items.setdefault(key, []).append(index)
            continue
        if kind is list:
            partial.indexes.setdefault(key, []).append(index)
            good.append(value)
        else:
            good[index] = value
    return good, problems


def _assemble(doc: Document, partial: Partial, problems: list[Problem]) -> Product:
    if not problems:
        try:
            product = Product.model_validate(doc.data)
        except ValidationError as exc:
            problems += pydantic_problems(doc, exc, ())
            product = _partial_product(partial)
    else:
        product = _partial_product(partial)
    attach_spans(product, doc, ())
    if problems:  # an item after one that failed keeps its own place in the YAML
        fields = Product.model_fields
        for key, indexes in partial.indexes.items():
            name = next(n for n, info in fields.items() if (info.alias or n) == key)
            for item, index in zip(getattr(product, name) or (), indexes, strict=False):
                attach_spans(item, doc, (key, index))
    share_conditions(product)  # issue 13: a programme's `same_as`
    return product


def _partial_product(partial: Partial) -> Product:
    """What validated; a required section that did not is empty (or None), never absent,
    so the cross-checks can still run over the rest."""
    sections = dict(partial.sections)
    for name, info in Product.model_fields.items():
        if name not in sections and info.is_required():
            origin = typing.get_origin(info.annotation)
            sections[name] = origin() if origin in (list, dict) else None
    return Product.model_construct(**sections)


def attach_spans(node: Any, doc: Document, path: PathKey) -> None:
    """Give every model instance its YAML span and document path."""
    if isinstance(node, Model):
        node._span = doc.span(path)
        node._path = path
        for name, info in type(node).model_fields.items():
            value = getattr(node, name, None)
            if value is not None:
                attach_spans(value, doc, path + (info.alias or name,))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            attach_spans(item, doc, path + (index,))
    elif isinstance(node, dict):
        for key, item in node.items():
            attach_spans(item, doc, path + (key,))


# ------------------------------------------------------------ pydantic errors


def pydantic_problems(doc: Document, exc: ValidationError, prefix: PathKey) -> list[Problem]:
    """Positioned problems from a pydantic error, one per place, union noise removed."""
    found: dict[PathKey, list[dict]] = {}
    misspelt: set[tuple[PathKey, str | None]] = set()
    for error in exc.errors(include_url=False):
        path = _doc_path(doc, prefix, error["loc"])
        error = dict(error, full_loc=tuple(prefix) + tuple(error["loc"]))
        if error["type"] == "missing":
            error["missing"] = str(error["loc"][-1])
        if error["type"] == "extra_forbidden" and path:
            error["close"] = _closest(str(path[-1]), _allowed_keys(error["full_loc"]))
            misspelt.add((path[:-1], error["close"]))
        found.setdefault(path, []).append(error)
    deeper = {p[:i] for p in found for i in range(len(p))}
    problems = []
    for path, errors in found.items():
        if path in deeper:  # a union branch for the wrong shape of input; the deeper error tells
            errors = [e for e in errors if not e["type"].endswith(("_type", "_parsing"))]
        # a field reported unknown with "did you mean X" is not also reported as X missing
        errors = [e for e in errors if (path, e.get("missing", "")) not in misspelt]
        if errors:
            problems.append(_problem(doc, path, errors))
    return problems


def _doc_path(doc: Document, prefix: PathKey, loc: tuple) -> PathKey:
    path = tuple(prefix)
    for part in loc:
        candidate = path + (part,)
        if candidate in doc.spans or (isinstance(part, str) and _has_key(doc, path, part)):
            path = candidate
    return path


def _has_key(doc: Document, path: PathKey, key: str) -> bool:
    node = doc.data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) and key in node


def _problem(doc: Document, path: PathKey, errors: list[dict]) -> Problem:
    messages = []
    hint = None
    for error in errors:
        message, error_hint = _message(doc, path, error)
        if message not in messages:
            messages.append(message)
        hint = hint or error_hint
    first = errors[0]
    if first["type"] == "missing":
        span = doc.span(path)
    elif first["type"] == "extra_forbidden":
        span = doc.key_span(path)
    else:
        span = doc.span(path)
    text = messages[0] if len(messages) == 1 else " or ".join(_expected(errors))
    return Problem(span, format_path(path), text, hint, first["type"])


_EXPECTED = {
    "string_type": "a string", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "list_type": "a list", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_pattern_mismatch": "a name (lower_case_with_underscores)",
}


def _expected(errors: list[dict]) -> list[str]:
    seen: list[str] = []
    for error in errors:
        text = _EXPECTED.get(error["type"], error["msg"])
        if text not in seen:
            seen.append(text)
    return [f"expected {seen[0]}"] + seen[1:]


def _message(doc: Document, path: PathKey, error: dict) -> tuple[str, str | None]:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return f"missing required field '{error['missing']}'", None
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        return f"unknown field '{key}'", _did_you_mean(error.get("close"))
    if kind == "string_pattern_mismatch":
        if "\\d+\\.\\d+" in str(ctx.get("pattern", "")):
            return f"'{value}' is not a version", "write it as MAJOR.MINOR.PATCH, e.g. 1.0.0"
        return (f"'{value}' is not a valid name",
                "use lower-case letters, digits and underscores, starting with a letter")
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        return f"'{value}' is not allowed here; expected {expected}", did_you_mean(
            str(value), options)
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"'{value}' is not a valid date", "write dates as YYYY-MM-DD"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()))
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "more than", "less_than": "less than"}[kind]
        return f"must be {words} {bound}, got {value!r}", None
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])), None
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}", None
    return error["msg"], None


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _closest(name: str, choices) -> str | None:
    hint = did_you_mean(name, choices)
    return hint.split("'")[1] if hint else None


def _did_you_mean(name: str | None) -> str | None:
    return f"did you mean '{name}'?" if name else None


def _allowed_keys(loc: tuple) -> list[str]:
    """Field names of the model that rejected an unknown key, found by walking the
    full location (from the product root) down to the mapping that holds it."""
    annotation: Any = Product
    for part in loc[:-1]:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _as_model(annotation)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _as_model(arg)
        if found:
            return found
    return None


_BRANCH = re.compile(r"(\w+)\]?$")  # 'RollingWindow' or 'function-after[..., LocalizedText]'


def _step(annotation: Any, part: Any) -> Any:
    """The annotation one `loc` segment below `annotation` (None when it cannot tell)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _step(args[0], part)
    if origin is dict:
        return args[-1]
    if origin is list:
        return args[0] if isinstance(part, int) else None
    if args:  # a union: `part` may name the branch pydantic tried
        branch = _BRANCH.search(str(part))
        for arg in args:
            if branch and getattr(arg, "__name__", None) == branch.group(1):
                return arg
        return next((s for s in (_step(arg, part) for arg in args) if s is not None), None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
    return None
