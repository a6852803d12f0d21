"""The policy document as plain data: paragraphs, tables, clauses, sections, the guide.

Small dataclasses, already in words: `policy.build_policy` fills them, the
templates lay them out and the readability scorer and lint read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .phrases import Phrases


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
        return "clause-" + self.number.replace(".", "-")


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

    @property
    def anchor(self) -> str:
        if not self.ref:
            return ""
        return ("clause-" if "." in self.ref else "section-") + self.ref.replace(".", "-")


@dataclass
class KeyFacts:
    who: list[GuideItem]
    pays: list[GuideItem]
    waiting: list[GuideItem]
    must_do: list[GuideItem]
    exclusions: list[GuideItem]
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
    rights: list[GuideItem]
    attention: list[GuideItem]
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

