"""Behaviour as recorded: every bundled example and suite case, and the documents.

`tests/golden/` was written by `python -m tests.golden.capture --write`; a
change meant to alter behaviour rewrites it, and its diff is the change.
"""

from __future__ import annotations

from tests.golden.capture import ROOT, differences


def test_every_bundled_outcome_and_document_is_as_recorded(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert differences() == []
