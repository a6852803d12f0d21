"""An Outcome decided in Chinese says every line in Chinese.

The product's wording, the engine's own notes (check-up reasons, claim notes,
timeline notes: `engine/notes.py`) and the terminal report of
``evaluate --lang zh-CN`` — not a sentence left in English. Identifiers
(rule ids, case and event ids), medical abbreviations and units stay as they
are written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from configurator.cli import main
from configurator.environment import Environment

from .paths import CASE, PRODUCT, PRODUCT_FILES

ENV = Environment()
IDENTIFIER = re.compile(r"[A-Za-z0-9_]+(?:[._-][A-Za-z0-9_]+)+|\[[^\]]*\]")
# lower-case Latin words of three letters or more are English; units are not
ENGLISH_WORD = re.compile(r"(?<![A-Za-z/])[a-z]{3,}(?![A-Za-z])")
UNITS = {"min"}  # mL/min/1.73m2
WORDED = (".text", ".reason", "notes[]")


def english_words(text: str) -> list[str]:
    bare = IDENTIFIER.sub(" ", text)
    return [w for w in ENGLISH_WORD.findall(bare) if w not in UNITS]


def worded_strings(node, path: str = ""):
    """(path, string) for every sentence in an Outcome's JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from worded_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from worded_strings(value, f"{path}[]")
    elif isinstance(node, str) and path.endswith(WORDED):
        yield path, node


def example_cases(product_file: Path) -> list[Path]:
    folder = product_file.with_suffix("")
    return sorted(p for p in folder.glob("*.yaml") if not p.name.endswith(".suite.yaml"))


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda p: p.stem)
def test_every_sentence_of_a_chinese_outcome_is_chinese(path):
    product = ENV.load(path)
    checked = 0
    for case_file in example_cases(path):
        outcome = ENV.evaluate(product, ENV.case(case_file, product), explain=True,
                               locale="zh-CN")
        for where, text in worded_strings(json.loads(outcome.dumps())):
            assert not english_words(text), f"{case_file.name} {where}: {text}"
            checked += 1
    assert checked > 20


def test_the_english_outcome_keeps_its_english_notes():
    product = ENV.load(PRODUCT)
    outcome = ENV.evaluate(product, ENV.case(CASE, product))
    assert {c.reason for c in outcome.checkups} >= {"every 6 months"}


def test_the_terminal_report_in_chinese_has_no_english_sentence(capsys):
    case = PRODUCT.parent / "hepatitis_b" / "alcohol_claim_refused.yaml"
    assert main(["evaluate", str(PRODUCT), str(case), "--lang", "zh-CN", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "核保结论：承保" in out and "200,000元" in out and "CNY" not in out
    for line in out.splitlines()[1:]:  # the first line names the product and its id
        sentence = line.split(": ", 1)[-1] if ": " in line else line
        sentence = re.sub(r"^\s*[a-z_][a-z0-9_]*\s", " ", sentence)  # a check-up's id
        if "案例" in line or "读取" in line or "[是 ]" in line or "[否 ]" in line:
            continue  # the case's own name; the values and conditions read (code, not words)
        assert not english_words(sentence), line


def test_money_reads_as_the_policy_prints_it(capsys):
    assert main(["evaluate", str(PRODUCT), str(CASE)]) == 0
    out = capsys.readouterr().out
    assert "sum insured RMB 240,000" in out and "CNY" not in out
