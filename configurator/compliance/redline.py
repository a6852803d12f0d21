"""A clause-by-clause redline of the rendered wording of two product versions.

Every text field of both versions is keyed by a stable path (list items by
their id, never their position), rendered with its parameters injected
(`wording.render_text`, values in force on each version's effective date)
in every locale either version has (and again on each date a parameter
changes), then compared word by word:

* words (``pre-existing``, ``don't``) are one token each;
* numbers are one token with their separators, decimals and a trailing
  percent sign (``1,000``, ``12.5%``), so a changed amount reads as one
  replacement, never as a digit-level splice;
* each Chinese character (and any other single symbol) is its own token.

The HTML form escapes every token; only the ``<del>``/``<ins>`` tags are markup.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ..document.escape import tagged
from ..product.clauses import clause_numbers
from ..product.model import Product, text_variants
from ..product.params import parameter_periods, parameters_at
from ..product.source import PathKey, format_path
from ..product.texts import texts
from ..product.usage import item_at
from ..product.wording import render_text

TOKEN = re.compile(r"""
    \d{1,3}(?:,\d{3})+(?:\.\d+)?%?      # 1,000  12,000.50
  | \d+(?:\.\d+)?%?                     # 180  12.5%  0.8
  | [A-Za-z]+(?:['\u2019-][A-Za-z]+)*   # words, pre-existing, don't
  | \s+
  | .                                   # a Chinese character, a symbol: one each
""", re.VERBOSE | re.DOTALL)
SECTION_PREFIX = {"definitions": "definition", "eligibility": "eligibility",
                  "benefits": "benefit", "checkups": "checkup", "adherence": "adherence",
                  "exclusions": "exclusion"}


def tokens(text: str) -> list[str]:
    """Redline tokens; runs of white space are collapsed to one space first."""
    return TOKEN.findall(" ".join(text.split()))


@dataclass
class Piece:
    op: str  # equal | delete | insert
    text: str

    def to_json(self) -> list[str]:
        return [self.op, self.text]


@dataclass
class ClauseRedline:
    """One text field in one locale: old and new wording and the word-level changes."""

    key: str  # stable path: "benefits.liver_cancer.text"
    subject: str  # "benefit.liver_cancer"
    clause: str
    locale: str
    status: str  # changed | added | removed
    old: str
    new: str
    pieces: list[Piece] = field(default_factory=list)
    in_force: str | None = None  # the date this wording applies from, if not the start

    @property
    def html(self) -> str:
        return pieces_html(self.pieces)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "subject": self.subject, "clause": self.clause,
                "locale": self.locale, "status": self.status, "in_force": self.in_force,
                "old": self.old, "new": self.new,
                "pieces": [p.to_json() for p in self.pieces], "html": self.html}


def compare_words(old: str, new: str) -> list[Piece]:
    """Word-level changes from `old` to `new`.

    A change is shown as everything deleted, then everything inserted; a
    lone space between two changed words joins them (``<del>After a</del>
    <ins>Once the</ins>``, not four fragments).
    """
    a, b = tokens(old), tokens(new)
    runs: list[list] = []  # [equal?, old tokens, new tokens]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        same = op == "equal"
        if runs and runs[-1][0] == same:
            runs[-1][1] += a[i1:i2]
            runs[-1][2] += b[j1:j2]
        else:
            runs.append([same, a[i1:i2], b[j1:j2]])
    pieces: list[Piece] = []
    for same, old_part, new_part in _join_spaces(runs):
        if same:
            _append(pieces, "equal", "".join(old_part))
        else:
            _append(pieces, "delete", "".join(old_part))
            _append(pieces, "insert", "".join(new_part))
    return pieces


def _join_spaces(runs: list[list]) -> list[list]:
    """Fold a white-space-only equal run between two changes into one change."""
    out: list[list] = []
    for index, run in enumerate(runs):
        between = 0 < index < len(runs) - 1 and run[0] and all(t.isspace() for t in run[1])
        if between or (out and not out[-1][0] and not run[0]):
            previous = out.pop()
            run = [False, previous[1] + run[1], previous[2] + run[2]]
        out.append(run)
    return out


def _append(pieces: list[Piece], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].op == op:
        pieces[-1].text += text
    else:
        pieces.append(Piece(op, text))


def pieces_html(pieces: list[Piece]) -> str:
    """The redline as HTML: every token escaped, changes in <del>/<ins> (`escape.tagged`)."""
    return str(tagged((piece.op, piece.text) for piece in pieces))


# ------------------------------------------------------------ clauses


def text_fields(product: Product) -> dict[PathKey, tuple[PathKey, Any]]:
    """Every text field keyed by a stable path (list items by id): (document path, text)."""
    return {stable_path(product, path): (path, text) for path, text in texts(product)}


def stable_texts(product: Product) -> dict[PathKey, Any]:
    """Every text field keyed by a stable path (list items by id)."""
    return {key: text for key, (_, text) in text_fields(product).items()}


def stable_path(product: Product, path: PathKey) -> PathKey:
    out: list[Any] = []
    for depth, part in enumerate(path):
        if isinstance(part, int):
            item = item_at(product, path[: depth + 1])
            out.append(getattr(item, "id", part))
        else:
            out.append(part)
    return tuple(out)


def subject_of(key: PathKey) -> str:
    """The stable subject a text belongs to: `benefit.liver_cancer`, `term`, `input.age`."""
    section = str(key[0])
    if section in SECTION_PREFIX and len(key) > 1:
        return f"{SECTION_PREFIX[section]}.{key[1]}"
    singular = {"inputs": "input", "derived": "derived", "events": "event",
                "metrics": "metric", "parameters": "parameter"}
    if section in singular and len(key) > 1:
        return f"{singular[section]}.{key[1]}"
    if section in ("name", "summary"):
        return "metadata"
    return section


def clause_of(key: PathKey, numbers: dict[str, str]) -> str:
    subject = subject_of(key)
    if key[0] == "checkups" and len(key) > 3 and key[2] == "results":
        return numbers.get(f"{subject}.{key[3]}", numbers.get(subject, ""))
    return numbers.get(subject, "")


def redline(old: Product, new: Product) -> list[ClauseRedline]:
    """Every text whose rendered wording differs, in either locale, in the new version's order.

    Wording is rendered with the parameters in force on each date either
    version's parameters change; a text that reads differently only from a
    later date is shown as of that date (`ClauseRedline.in_force`).
    """
    old_texts, new_texts = stable_texts(old), stable_texts(new)
    dates = sorted({d for product in (old, new) for d, _ in parameter_periods(product)})
    renders = [(day, _rendered(old, old_texts, day), _rendered(new, new_texts, day))
               for day in dates]
    numbers = {**clause_numbers(old), **clause_numbers(new)}
    keys = list(new_texts) + [k for k in old_texts if k not in new_texts]
    out = []
    for key in keys:
        for locale in ("en", "zh-CN"):
            shown: set[tuple] = set()
            for index, (day, old_r, new_r) in enumerate(renders):
                a, b = old_r.get((key, locale)), new_r.get((key, locale))
                pieces = compare_words(a or "", b or "")
                changed = tuple((p.op, p.text) for p in pieces if p.op != "equal")
                if a == b or changed in shown:
                    continue  # a later date that only repeats the same edits adds nothing
                shown.add(changed)
                status = "added" if a is None else "removed" if b is None else "changed"
                out.append(ClauseRedline(
                    format_path(key), subject_of(key), clause_of(key, numbers), locale, status,
                    a or "", b or "", pieces, day.isoformat() if index else None))
    return out


def _rendered(product: Product, found: dict[PathKey, Any], day: dt.date) -> dict[tuple, str]:
    constants = parameters_at(product, max(day, product.effective_from))
    out = {}
    for key, text in found.items():
        for locale, _ in text_variants(text):
            out[(key, locale)] = " ".join(render_text(text, product, constants, locale).split())
    return out
