"""Typesetting the policy's words for the page: superscripts and where lines may not break.

    >>> shown = typeset(policy)                # render_html: exponents as superscripts
    >>> printed = typeset(policy, print=True)  # render_pdf: and glue for the printed lines

The wording and the products stay plain text ("kg/m2", "180天"); this is the
last step before layout, on a copy of the `Policy` (`document()` callers keep
the plain words):

* **unit exponents** ("kg/m2", "1.73m2", "cm3") become superscripts
  (kg/m², 1.73 m²), in every language and output;
* **printed lines** (`print=True`, the PDF): a number stays on the line of
  its unit and "RMB" on the line of its amount (a no-break space in English,
  a word joiner U+2060 in Chinese, where lines may otherwise break between
  any two characters); "clause 3.2" stays on one line;
* **Chinese table cells** are set as CSS ``word-break: keep-all`` asks
  (which weasyprint does not implement): no line break between two Chinese
  characters or between a Chinese character and a number, only at spaces and
  punctuation, so a narrow column never splits "给付比/例" or "180/天" and
  takes the width its longest word needs - up to 12 characters: a longer run
  with nothing to break at breaks as Chinese does, or it would run off the
  page; so is a short Chinese term anywhere
  (a heading, an item of a list). Long prose, the schedule's value column
  included, keeps Chinese line breaking (numbers still glued to their units).

Word joiners and no-break spaces are invisible: pdftotext and copy-paste give
the plain text back.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from functools import lru_cache
from typing import Any

from .blocks import Table

WORD_JOINER = "\u2060"
NO_BREAK_SPACE = "\u00a0"
_SUPERSCRIPT = {"2": "\u00b2", "3": "\u00b3"}

# identifiers, not words: never retyped
_VERBATIM = frozenset({"locale", "product_id", "version", "hash", "key", "ref", "anchor",
                       "kind", "policy_number", "clause", "number"})
_METADATA = ("title", "running", "product_name")
# the schedule's label/value rows: the label is a table cell, the value is prose
_CELL_FIELDS = frozenset({"label"})

# a length unit with an exponent, after a digit, a slash, a space or a bracket:
# kg/m2, 1.73m2, cm3 (not a word such as "Sm2" or "m23")
_EXPONENT = re.compile(r"(?:(?<=\d)|(?<=[/\s(（])|^)(mm|cm|dm|km|m)([23])(?![0-9A-Za-z])")
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSE_NUMBER = re.compile(rf"(?<=[0-9%])(?=[{_CJK}])")  # 180|天, 100%|的
# inside a Chinese table cell: no break between Chinese characters, or between one
# and a Latin letter or digit (乙肝病毒|DNA, 每次|500, 等待|期)
_CELL_WORD = re.compile(rf"(?<=[{_CJK}])(?=[{_CJK}0-9A-Za-z])|(?<=[A-Za-z])(?=[{_CJK}])")
# a short Chinese term (no space or punctuation to break at) is set whole wherever it is,
# like a table cell: "护理或休养性住院" in a list of exclusions does not end a line at 住
# a run of words with nothing to break at between them is kept whole up to MAX_KEPT
# characters - a longer one ("视医院是否在我们的网络内而定") would be wider than its column and
# run off the page, so it keeps Chinese line breaking (numbers still glued to their units)
MAX_KEPT = 12
_KEPT = rf"[{_CJK}0-9A-Za-z\u2060]"  # what a kept run is made of (the joiner too)
_TERM = re.compile(rf"{_KEPT}{{2,{MAX_KEPT}}}")
_RUN = re.compile(rf"{_KEPT}+")
_LEADING_NUMBER = re.compile(r"(\d+(?:\.\d+)*) ")  # a clause number opening a cell
_NUMBER_WORD = re.compile(r"(?<=\d) (?=[A-Za-z%°µ])")  # 180 days, 12.4 kPa
# (not "RMB 3,200": a no-break space in a line's text before the clause reference's
# nowrap span makes weasyprint break that line after its first word)
_GLUED_BEFORE = re.compile(r"\b(clauses?|sections?|Clause|Section|No\.) (?=\d)")


def superscripts(text: str) -> str:
    """Unit exponents as superscripts: kg/m2 -> kg/m², 1.73m2 -> 1.73 m²."""
    if "m2" not in text and "m3" not in text:
        return text

    def written(match: re.Match[str]) -> str:
        start = match.start()
        space = NO_BREAK_SPACE if start and text[start - 1].isdigit() else ""
        return space + match.group(1) + _SUPERSCRIPT[match.group(2)]

    return _EXPONENT.sub(written, text)


def printed(text: str, locale: str, cell: bool = False) -> str:
    """`text` with the line-break rules of the printed page (see the module docstring)."""
    if cell and _LEADING_NUMBER.match(text):  # a clause number stays with its name
        text = _LEADING_NUMBER.sub(r"\1" + NO_BREAK_SPACE, text, count=1)
    if locale == "zh-CN":
        text = _CLOSE_NUMBER.sub(WORD_JOINER, text)
        if cell or _TERM.fullmatch(text):
            text = _RUN.sub(_kept_whole, text)
    if " " in text:
        text = _GLUED_BEFORE.sub(lambda m: m.group(1) + NO_BREAK_SPACE,
                                 _NUMBER_WORD.sub(NO_BREAK_SPACE, text))
    return text


def _kept_whole(run: re.Match[str]) -> str:
    text = run.group()
    if len(text) - text.count(WORD_JOINER) > MAX_KEPT:
        return text
    return _CELL_WORD.sub(WORD_JOINER, text)


def typeset(policy: Any, print: bool = False) -> Any:  # noqa: A002 - the reader's word
    """A copy of `policy` (any tree of dataclasses, lists and strings) typeset for the page.

    What no string in it changes is shared with `policy`, not copied.
    """
    locale = getattr(policy, "locale", "en")
    done = _retyped(policy, (locale, print), False)
    # the title and running header are document metadata too: left as written
    kept = {name: getattr(policy, name) for name in _METADATA if hasattr(policy, name)}
    return dataclasses.replace(done, **kept) if kept and done is not policy else done


@lru_cache(maxsize=16384)
def _text(value: str, how: tuple[str, bool], cell: bool) -> str:
    locale, print_ = how
    value = superscripts(value)
    return printed(value, locale, cell) if print_ else value


def _retyped(value: Any, how: tuple[str, bool], cell: bool) -> Any:
    if isinstance(value, str):
        return _text(value, how, cell)
    if isinstance(value, (list, tuple)):
        items = [_retyped(item, how, cell) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        found = {key: _retyped(item, how, cell) for key, item in value.items()}
        return value if all(found[key] is item for key, item in value.items()) else found
    names = _text_fields(type(value))
    if names is None:
        return value
    changes = {}
    for name, inside in names:
        old = getattr(value, name)
        new = _retyped(old, how, cell or inside)
        if new is not old:
            changes[name] = new
    if not changes:
        return value
    copied = copy.copy(value)
    for name, new in changes.items():
        object.__setattr__(copied, name, new)
    return copied


@lru_cache(maxsize=64)
def _text_fields(kind: type) -> tuple[tuple[str, bool], ...] | None:
    """(field, inside a table cell) for the fields of dataclass `kind` that hold words."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple((field.name, field.name in _CELL_FIELDS or (
        issubclass(kind, Table) and field.name in ("head", "rows")))
        for field in dataclasses.fields(kind) if field.name not in _VERBATIM)
