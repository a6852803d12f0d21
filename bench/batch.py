"""Batch throughput: cases per second through `configurator evaluate` batch mode.

    python bench/batch.py [--cases 100000] [--timeline-share 0.2]

Generates hepatitis B cases as JSON lines (most eligibility-only, a share
with a one-year timeline), then runs the batch with 1 and 2 worker processes
in the same run and prints cases/s for each and the speed-up.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import START, applicant, timeline  # noqa: E402

from configurator.runs.batch import run_batch  # noqa: E402


def write_cases(path: Path, count: int, timeline_share: float) -> None:
    rng = random.Random(7)
    with path.open("w") as out:
        for number in range(count):
            full = rng.random() < timeline_share
            data = {"name": f"case {number}", "policy": {"start": START.isoformat()},
                    "as_of": (START.replace(year=START.year + 1) if full else START).isoformat(),
                    "applicant": applicant(rng), "events": timeline(rng) if full else []}
            out.write(json.dumps(data) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--timeline-share", type=float, default=0.2)
    args = parser.parse_args()
    product = ROOT / "products" / "hepatitis_b.yaml"
    with tempfile.TemporaryDirectory() as folder:
        cases = Path(folder) / "cases.jsonl"
        write_cases(cases, args.cases, args.timeline_share)
        rates = {}
        for workers in (1, 2):
            began = time.perf_counter()
            report = run_batch(product, cases, Path(folder) / f"out{workers}.jsonl", workers)
            seconds = time.perf_counter() - began
            rates[workers] = report.written / seconds
            print(f"  {workers} worker(s): {report.written} cases in {seconds:.1f} s = "
                  f"{rates[workers]:.0f} cases/s ({len(report.problems)} rows skipped)")
        print(f"  speed-up with 2 workers: {rates[2] / rates[1]:.2f}x "
              f"({args.cases} cases, {args.timeline_share:.0%} with a one-year timeline)")


if __name__ == "__main__":
    main()
