"""The optimised paths (issue 14) decide exactly as the code before them.

`tests/fixtures/differential/outcomes.txt` was captured with the code before the
throughput work (see `tests/differential.py`): every suite case and 5,000 generated
timelines, by the sha256 of their Outcome JSON.
"""

from __future__ import annotations

from tests import differential


def test_every_outcome_is_unchanged_from_before_the_optimisations(monkeypatch):
    monkeypatch.chdir(differential.ROOT)
    expected = differential.read_fixture()
    found = differential.digests()
    assert len(found) == len(expected) > 5000
    changed = [name for name, digest in found if expected.get(name) != digest]
    assert changed == []
