"""CPU µs per full-timeline accepted case through `evaluate` alone (issue 14's 150 µs target).

    python bench/timeline.py [--cases 2000] [--rounds 7]

The cases are `bench/batch.py`'s (accepted applicants, one-year timelines of about 18
events), read and checked once; then every case is evaluated, round after round, with
the whole Outcome (what `--record` and `evaluate --json` need) and as a batch summary
row needs it (`summary=True`), first with every fact asserted into durable-rules
(`durable.remember(False)`), then with the remembered firings (`engine/memo.py`; the
first pass over the cases, the warm-up, is what fills the memo). Prints the median over
rounds of `time.process_time` per case, so a busy machine costs less accuracy than wall
time would, and how many facts a case asserts into the engine in a memo round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from batch import PRODUCT, write_cases  # noqa: E402
from engine import engine_mode  # noqa: E402

from configurator.cases.batchfile import read_cases  # noqa: E402
from configurator.engine import durable  # noqa: E402
from configurator.environment import Environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    env = Environment()
    print(f"engine: {engine_mode()}")
    product = env.load(PRODUCT)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        write_cases(path, args.cases, 0.0)
        cases = [case for _, case in read_cases(path, product)]
    for remember in (False, True):
        durable.remember(remember)
        for case in cases:  # warm up: rulesets, plan, caches (and the memo)
            env.evaluate(product, case)
        asserted = _count_asserts()
        for summary in (False, True):
            rounds = []
            for _ in range(args.rounds):
                began = time.process_time()
                for case in cases:
                    env.evaluate(product, case, summary=summary)
                rounds.append(time.process_time() - began)
            per_case = statistics.median(rounds) / len(cases) * 1e6
            what = "summary row's Outcome" if summary else "whole Outcome"
            how = "remembered" if remember else "engine only"
            print(f"  {how:<11} {what:<22} {per_case:7.1f} µs CPU a case (target <= 150)")
        count = asserted()
        print(f"  {how:<11} facts asserted into durable-rules: "
              f"{count / len(cases) / (2 * args.rounds):.2f} a case")


def _count_asserts():
    """Start counting the engine's assert calls; the returned function stops and tells."""
    real = durable._engine.assert_facts
    calls = [0]

    def counted(*args):
        calls[0] += 1
        return real(*args)

    durable._engine.assert_facts = counted

    def stop() -> int:
        durable._engine.assert_facts = real
        return calls[0]

    return stop


if __name__ == "__main__":
    main()
