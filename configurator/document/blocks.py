"""The policy document as plain data: paragraphs, tables, clauses, sections, the guide.

Small dataclasses, already in words: `policy.build_policy` fills them, the
templates lay them out and the readability scorer and lint read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .phrases import Phrases


def clause_anchor(number: str) -> str:
    """The id of clause `number` in the policy (and on the workbench's product page):
    2.1.3 -> clause-2-1-3."""
    return "clause-" + number.replace(".", "-")


@dataclass
class Para:
    """A paragraph of body text; `attention` ones are shown bold on a shaded background."""

    text: str
    attention: bool = False
    label: str | None = None  # a lead-in caption, not scored for readability
    kind: str = "para"


@dataclass
class Cell:
    text: str
    attention: bool = False


@dataclass
class Table:
    """A captioned table with a header row (tables are not scored for readability)."""

    caption: str
    head: list[str]
    rows: list[list[Cell]]
    kind: str = "table"


@dataclass
class Clause:
    """A numbered clause: `key` is its owner in the YAML (``benefit.liver_cancer``)."""

    number: str
    title: str
    key: str
    blocks: list[Any] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    attention: bool = False
    as_list: bool = False  # its sub-clauses print as a numbered list, not under headings

    @property
    def anchor(self) -> str:
        return clause_anchor(self.number)


@dataclass
class Section:
    number: str
    key: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"section-{self.number}"


@dataclass
class GuideItem:
    """A line of the reading guide or key facts, with the clause it points to."""

    text: str
    ref: str = ""
    attention: bool = False
    kind: str = "item"

    @property
    def anchor(self) -> str:
        if not self.ref:
            return ""
        return clause_anchor(self.ref) if "." in self.ref else f"section-{self.ref}"

    @property
    def head(self) -> str:
        """The text but its last word (see `tail`)."""
        return self.text[: len(self.text) - len(self.tail)]

    @property
    def tail(self) -> str:
        """The last word, which the clause reference stays on one line with.

        English: the text after the last space; Chinese (no spaces): the last
        two characters and any closing punctuation ("复查。"), so "（第3.2条）"
        never starts a line alone.
        """
        text = self.text
        cut = text.rfind(" ")
        if cut >= 0 and not _wide(text[-1:]):
            return text[cut + 1:]
        start = max(len(text.rstrip(_CLOSING)) - 2, 0)
        while start > 0 and not _wide(text[start - 1]) and not text[start - 1].isspace():
            start -= 1  # a number or a Latin word stays whole: "180天", "HBV DNA"
        return text[start:]


_CLOSING = "。，；：、！？）」』”’"


def _wide(char: str) -> bool:
    """A CJK character or full-width punctuation: Chinese lines break between any two."""
    return bool(char) and ord(char) >= 0x2E80


@dataclass
class GuideGroup:
    """Several items with one consequence: the lead sentence says it, the items name them.

    ("We do not pay a claim in these cases:" and each exclusion with its clause.)
    """

    text: str
    items: list[GuideItem]
    attention: bool = False
    kind: str = "group"


@dataclass
class GuidePart:
    """A headed list of the reading guide: `kind` is attention, duties, gains or by_clause."""

    kind: str
    title: str
    entries: list[GuideItem | GuideGroup]
    intro: str = ""

    @property
    def attention(self) -> bool:
        return self.kind == "attention"


@dataclass
class Guide:
    """The reading guide: what needs special attention, your duties, your gains, the rest."""

    parts: list[GuidePart]

    def highlighted(self) -> list[GuideItem]:
        """Every highlighted item, a group's items one by one (each names its clause)."""
        out: list[GuideItem] = []
        for part in self.parts:
            for entry in part.entries:
                if isinstance(entry, GuideGroup):
                    out += [item for item in entry.items if entry.attention or item.attention]
                elif entry.attention:
                    out.append(entry)
        return out


@dataclass
class FactGroup:
    """One headed part of the key facts; `inline` ones run on as a paragraph."""

    title: str
    items: list[GuideItem]
    inline: bool = False


@dataclass
class KeyFacts:
    """Page 1: the same groups for the specimen and for one person (then every value is theirs)."""

    groups: list[FactGroup]
    cooling_off: GuideItem


@dataclass
class Policy:
    """Everything the templates lay out, already in words."""

    locale: str
    product_id: str
    version: str
    hash: str
    product_name: str
    title: str
    running: str
    version_line: str
    date: dt.date
    key_facts: KeyFacts
    guide: Guide
    attention: list[GuideItem]  # every highlighted guide item (the lint reads it)
    sections: list[Section]
    schedule: Any = None
    holder: str | None = None
    policy_number: str | None = None
    start: str | None = None
    words: Phrases | None = None

    def clauses(self) -> list[Clause]:
        """Every clause and sub-clause, in document order."""
        out = []
        for section in self.sections:
            for clause in section.clauses:
                out.append(clause)
                out.extend(clause.clauses)
        return out

