"""Compare two versions of a product for a compliance reviewer.

    >>> from configurator import load
    >>> from configurator.diff import diff
    >>> result = diff(load("v1.yaml"), load("v2.yaml"))
    >>> result.bump.level, result.changes[0].reason
    ('major', 'waiting period for Liver cancer lengthened from 180 days to 200 days: unfavourable')

Three answers, each from its own module:

* `changes` / `diff_sections`: what changed, by stable id, named in domain
  terms and judged for the insured (favourable, unfavourable, neutral, mixed);
* `redline`: how the rendered wording changed, clause by clause, both locales;
* `impact` (optional): which cases come out differently, grouped by the
  change that moved them (`impact_words`: in plain words, with money totals);
* `diff_gate` (optional): the lint findings the new version introduces, and
  what ``diff --fail-on`` fails on.

`Diff.sha256` is what an approval records (`approval`): the hash of what the
diff says, without file paths or the impact on chosen cases.

The suggested version bump: any unfavourable or mixed change is **major**
(it worsens, or may worsen, terms someone already holds); any other change
to what the rules do is **minor** (favourable additions, neutral changes);
wording alone (or a condition rewritten with the same meaning) is a **patch**;
nothing at all is **none**.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cases.outcome import Illustration
from ..product.model import Product, text_in
from ..registry.db import canonical, sha256_text
from .changes import EFFECTS, MIXED, UNFAVOURABLE, Change
from .diff_gate import new_findings
from .diff_sections import PATCH_KINDS, compare_products
from .impact import Impact, collect_cases, impact
from .impact_words import GroupSummary, word_impact
from .lint_rules import Finding
from .redline import ClauseRedline, redline

Illustrations = tuple[Illustration | None, Illustration | None]
LEVELS = ("none", "patch", "minor", "major")


@dataclass
class Bump:
    """The version bump the changes call for, and whether the new version number gives it."""

    level: str
    reason: str
    declared: str
    sufficient: bool

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "reason": self.reason, "declared": self.declared,
                "sufficient": self.sufficient}


@dataclass
class Version:
    id: str
    name: str
    version: str
    hash: str
    file: str

    @classmethod
    def of(cls, product: Product) -> Version:
        return cls(product.id, text_in(product.name, "en"), product.version, product.hash,
                   product.source_file)


@dataclass
class Diff:
    """Everything `configurator diff` reports."""

    old: Version
    new: Version
    changes: list[Change]
    redline: list[ClauseRedline]
    bump: Bump
    impact: Impact | None = None
    counts: dict[str, int] = field(default_factory=dict)
    summaries: list[GroupSummary] = field(default_factory=list)  # one per impact group
    lint: list[Finding] | None = None  # findings new in the new version (None: not linted)
    profile: str = ""

    def reviewed(self) -> dict[str, Any]:
        """What `sha256` covers: the versions, the changes without file positions, the
        redline."""
        side = ("id", "version", "hash")
        return {"old": {k: getattr(self.old, k) for k in side},
                "new": {k: getattr(self.new, k) for k in side},
                "changes": [{k: v for k, v in c.to_json().items()
                             if k not in ("old_source", "new_source")} for c in self.changes],
                "redline": [r.to_json() for r in self.redline]}

    @property
    def sha256(self) -> str:
        return sha256_text(canonical(self.reviewed()))

    def to_json(self) -> dict[str, Any]:
        return {"old": vars(self.old), "new": vars(self.new), "sha256": self.sha256,
                "bump": self.bump.to_json(),
                "counts": self.counts, "changes": [c.to_json() for c in self.changes],
                "redline": [r.to_json() for r in self.redline],
                "impact": self.impact.to_json() if self.impact is not None else None,
                "impact_summary": [s.to_json() for s in self.summaries],
                "new_lint_findings": None if self.lint is None else
                [f.to_json() for f in self.lint], "lint_profile": self.profile or None}


def diff(old: Product, new: Product, cases: list[str] | None = None,
         profile: str | None = None, illustrations: Illustrations = (None, None)) -> Diff:
    """Compare two loaded products; with `cases` (paths), also evaluate their impact; with
    a lint `profile`, also list the lint findings the new version introduces
    (`illustrations`: each version's worked example, `Environment.illustration`)."""
    changes = compare_products(old, new)
    result = Diff(Version.of(old), Version.of(new), changes, redline(old, new),
                  suggest_bump(changes, old.version, new.version))
    result.counts = {effect: sum(1 for c in changes if c.effect == effect) for effect in EFFECTS}
    if cases:
        result.impact = impact(old, new, changes, collect_cases(cases))
        result.summaries = word_impact(result, old, new)
    if profile:
        result.lint, result.profile = new_findings(old, new, profile, illustrations), profile
    return result


def suggest_bump(changes: list[Change], old_version: str, new_version: str) -> Bump:
    level, reason = _level(changes)
    declared = declared_bump(old_version, new_version)
    return Bump(level, reason, declared, LEVELS.index(declared) >= LEVELS.index(level))


def _level(changes: list[Change]) -> tuple[str, str]:
    worse = [c for c in changes if c.effect in (UNFAVOURABLE, MIXED)]
    if worse:
        return "major", f"{len(worse)} change(s) unfavourable or mixed for the insured, " \
                        f"e.g. {worse[0].reason}"
    semantic = [c for c in changes if c.kind not in PATCH_KINDS]
    if semantic:
        return "minor", f"{len(semantic)} change(s) to what the rules do, none unfavourable"
    if changes:
        return "patch", "wording, or conditions rewritten with the same meaning"
    return "none", "no change"


def declared_bump(old_version: str, new_version: str) -> str:
    """The bump from one MAJOR.MINOR.PATCH to another ('none' when not higher)."""
    a = tuple(int(x) for x in old_version.split("."))
    b = tuple(int(x) for x in new_version.split("."))
    if b <= a:
        return "none"
    for level, x, y in zip(("major", "minor", "patch"), a, b, strict=True):
        if y != x:
            return level
    return "none"
