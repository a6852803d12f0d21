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


def test_the_summary_only_path_gives_the_same_summary_rows(monkeypatch):
    from configurator import case_from_data, compile_product, evaluate, load
    from configurator.cases.outcome import summary_row as summary

    monkeypatch.chdir(differential.ROOT)
    for product_id in differential.PRODUCTS:
        product = load(f"products/{product_id}.yaml")
        compiled = compile_product(product)
        people = differential.accepted_people(product, compiled,
                                              differential.ROOT / "products" / product_id)
        for number, data in enumerate(differential.generated(product, people, 150, 77)):
            case = case_from_data(data, product)
            full, short = evaluate(compiled, case), evaluate(compiled, case, summary=True)
            assert summary(number, short, "n") == summary(number, full, "n")
            assert short.trace == [] and short.adherence == []
            assert full.decision == short.decision and full.reasons == short.reasons


def test_canonical_order_is_the_sort_key_order():
    import datetime as dt
    import random

    from configurator.cases.case import Event, canonical_order

    rng = random.Random(5)
    for _ in range(300):
        events = [(Event(rng.choice(["", "a", "b"]), rng.choice(["x", "y"]),
                         dt.date(2026, 1, rng.randint(1, 3)),
                         {"n": rng.choice([1, 2, "2", None]), "m": rng.randint(0, 1)}), index)
                  for index in range(rng.randint(0, 12))]
        expected = sorted(events, key=lambda pair: pair[0].sort_key())
        checked = [(e.type, e.date, e.fields, e.id, e.tags, index) for e, index in events]
        assert [c[-1] for c in canonical_order(checked)] == [i for _, i in expected]
