"""Batch throughput: full-timeline cases through `configurator evaluate` batch mode.

    python bench/batch.py [--sizes 10000,100000] [--million] [--runs local1,local2,dask2]
                          [--record] [--repeat 1] [--eligibility-share 0]

Generates hepatitis B cases as JSON lines - accepted applicants, each with a
one-year timeline of about 18 events (refills, two check-ups, tests, claims),
so every case runs the whole timeline - then runs `configurator evaluate
cases.jsonl -o out.jsonl` as a child process for each size and each way:
``local1`` (one process), ``local2`` (``--workers 2``), ``dask2`` (``--dask
local:2``), and with ``--record`` the same again with ``--record``, each run into
its own copy of one fresh registry (a later run does not append to a larger
table). For each it prints wall seconds, cases/s, CPU µs per case (the child's
and its workers' user+system time, `os.wait4`) and the peak RSS of the largest
process; RSS growth is the peak at the largest size less the peak at the
smallest. It checks every way wrote the same bytes. `--million` adds 1,000,000
cases (about 1.7 GB of JSON lines in the temporary folder).

`--repeat N` runs every way N times, interleaved (each round runs every way once, so a
slow minute on a shared machine hits all ways alike), and then prints each way's median
wall and CPU with their range, and the two ratios the targets are about: each way's
``--record`` against the same way without it, and ``dask2`` against ``local2`` - each
the median of the rounds' own ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import ACCEPTED, START, applicant, engine_mode, timeline  # noqa: E402

PRODUCT = ROOT / "products" / "hepatitis_b.yaml"
WAYS = {"local1": [], "local2": ["--workers", "2"], "dask2": ["--dask", "local:2"]}


def write_cases(path: Path, count: int, eligibility_share: float) -> None:
    rng = random.Random(7)
    with path.open("w") as out:
        for number in range(count):
            short = rng.random() < eligibility_share
            person = applicant(rng) if short else dict(ACCEPTED, age=rng.randint(18, 60))
            data = {"name": f"case {number}",
                    "policy": {"start": START.isoformat(), "number": f"P-{number}"},
                    "as_of": (START if short else START + dt.timedelta(days=366)).isoformat(),
                    "applicant": person, "events": [] if short else timeline(rng)}
            out.write(json.dumps(data) + "\n")


def configurator(*args: str | Path, env: dict | None = None) -> tuple[float, float, float, str]:
    """Run the CLI as a child: (wall s, CPU s of it and its workers, peak RSS MB, stderr)."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "configurator", *map(str, args)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env=env)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 2):
        raise SystemExit(f"configurator {' '.join(map(str, args))} failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stderr


def registry(folder: Path) -> Path:
    """A fresh registry where the bundled hepatitis B product is published."""
    db = folder / "registry.db"
    configurator("publish", PRODUCT, "--effective-from", "2026-01-01", "--by", "alice",
                 "--db", db)
    configurator("approve", "hepatitis_b@1.0.0", "--by", "bob", "--db", db)
    configurator("publish", "hepatitis_b@1.0.0", "--by", "alice", "--db", db)
    return db


def fresh_copy(db: Path, target: Path) -> Path:
    """`db` copied whole to `target` (SQLite's backup: the copy is consistent)."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 cases")
    parser.add_argument("--runs", default="local1,local2,dask2")
    parser.add_argument("--record", action="store_true", help="each way again with --record")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every way, interleaved; medians after (default 1)")
    parser.add_argument("--eligibility-share", type=float, default=0.0,
                        help="share of eligibility-only cases (default: every case a timeline)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    ways = args.runs.split(",")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        db = registry(Path(folder)) if args.record else None
        print(f"engine: {engine_mode()}")
        print(f"hepatitis_b, full one-year timelines (~18 events, accepted), "
              f"{os.cpu_count()} cores; CPU = the run and its workers")
        peaks: dict[str, list[float]] = {}
        for size in sizes:
            cases = Path(folder) / f"cases{size}.jsonl"
            write_cases(cases, size, args.eligibility_share)
            outputs = {}
            runs: dict[str, list[tuple[float, float]]] = {}
            for _ in range(max(1, args.repeat)):
                for way in ways:
                    for record in ([False, True] if args.record else [False]):
                        name = way + (" --record" if record else "")
                        out = Path(folder) / f"out-{size}-{way}-{record}.jsonl"
                        extra = ["--record", "--db", fresh_copy(db, Path(folder) / "run.db"),
                                 "--batch-id", f"{size}-{way}"] if record else []
                        wall, cpu, rss, _ = configurator("evaluate", PRODUCT, cases, "-o", out,
                                                         *WAYS[way], *extra, env=env)
                        # a digest, not the bytes: a child forked from this process counts
                        # its memory in its peak RSS until it execs
                        with out.open("rb") as handle:
                            outputs.setdefault(name, set()).add(
                                hashlib.file_digest(handle, "sha256").digest())
                        runs.setdefault(name, []).append((wall, cpu / size * 1e6))
                        peaks.setdefault(name, []).append(rss)
                        print(f"  {size:>9,} {name:<16} {wall:7.1f} s wall {size / wall:8.0f} "
                              f"cases/s  {cpu / size * 1e6:6.0f} µs CPU/case  peak RSS "
                              f"{rss:6.0f} MB", flush=True)
                        out.unlink()
            same = len(set().union(*outputs.values())) == 1
            print(f"  {size:>9,} every way wrote the same bytes: {'yes' if same else 'NO'}")
            if args.repeat > 1:
                medians(size, runs)
        if len(sizes) > 1:
            for name, values in peaks.items():  # the first run's peak against the last's
                print(f"  RSS growth {name}: {values[-1] - values[0]:+.0f} MB "
                      f"({sizes[0]:,} -> {sizes[-1]:,} cases)")


def medians(size: int, runs: dict[str, list[tuple[float, float]]]) -> None:
    """Each way's median wall and CPU over the rounds, and the targets' ratios: each the
    median of the rounds' own ratios (round k of one way against round k of the other)."""
    for name, values in runs.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(f"  {size:>9,} {name:<16} median {statistics.median(walls):7.2f} s wall "
              f"({min(walls):.2f}-{max(walls):.2f}), {statistics.median(cpus):6.0f} µs CPU/case "
              f"({min(cpus):.0f}-{max(cpus):.0f}), {len(values)} runs")
    pairs = [(f"{way} --record", way) for way in WAYS] + [("dask2", "local2")]
    for over, under in pairs:
        if over in runs and under in runs:
            walls = [a[0] / b[0] - 1 for a, b in zip(runs[over], runs[under], strict=True)]
            cpus = [a[1] / b[1] - 1 for a, b in zip(runs[over], runs[under], strict=True)]
            print(f"  {size:>9,} {over + ' / ' + under:<25} wall "
                  f"{statistics.median(walls):+.1%} (runs {', '.join(f'{r:+.1%}' for r in walls)}),"
                  f" CPU {statistics.median(cpus):+.1%}")


if __name__ == "__main__":
    main()
