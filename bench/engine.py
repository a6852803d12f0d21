"""Engine benchmark: µs per case through `evaluate`, against two floors.

    python bench/engine.py [--cases 10000] [--rounds 5] [--rss 100000]

Prints, as medians over rounds (one run, so the ratios compare like with like
on a noisy shared machine):
  (a) eligibility only, through `evaluate`;
  (b) a full one-year timeline of about 20 events, through `evaluate`;
  floor 1: the same eligibility conditions through the direct evaluator;
  floor 2: durable-rules' own cost for the compiled ruleset and the same facts,
           called at its lowest level (assert, drain the agenda, delete the session);
and the ratios, then RSS before and after many evaluations.
Targets (issue 2): (a) <= 150 µs and <= 1.3x floor 2; (b) <= 1.5 ms; RSS growth < 50 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from configurator import case_from_data, compile_product, evaluate, load, native  # noqa: E402
from configurator.conditions.evaluate import compile_fn  # noqa: E402
from configurator.engine import durable  # noqa: E402
from configurator.engine.plan import plan_for  # noqa: E402

START = dt.date(2026, 3, 1)


ACCEPTED = {"age": 40, "sex": "male", "hbv_status": "small_three_positive",
            "hbsag_positive_months": 96, "alt": 38, "hbv_dna": 100, "afp": 3.5,
            "on_antivirals": True, "antiviral_months": 24}  # accepted: the whole timeline runs


def applicant(rng: random.Random) -> dict:
    """A plausible hepatitis B applicant; about one in five is declined or referred."""
    status = rng.choices(["carrier", "small_three_positive", "big_three_positive",
                          "chronic_hepatitis", "resolved"], [40, 30, 15, 12, 3])[0]
    sex = rng.choice(["male", "female"])
    treated = status == "chronic_hepatitis" or rng.random() < 0.3
    return {
        "age": rng.randint(16, 64), "sex": sex, "hbv_status": status,
        "hbsag_positive_months": rng.randint(3, 360),
        "alt": round(rng.uniform(10, 130 if sex == "male" else 100), 1),
        "hbv_dna": rng.choice([20, 150, 400, 1500, 5000, 30000]),
        "afp": round(rng.uniform(1, 25), 1), "on_antivirals": treated,
        "antiviral_months": rng.randint(0, 120) if treated else 0,
        "cirrhosis": rng.random() < 0.03, "fatty_liver": rng.random() < 0.15,
        "liver_nodule": rng.random() < 0.03, "portal_vein_mm": round(rng.uniform(9, 14), 1),
    }


def timeline(rng: random.Random) -> list[dict]:
    """About 20 events over a policy year: refills, two check-ups, tests and claims."""
    events = []
    day = START + dt.timedelta(days=rng.randint(0, 10))
    while day < START + dt.timedelta(days=360) and len(events) < 13:
        events.append({"date": day.isoformat(), "type": "antiviral_refill", "days_supply": 30})
        day += dt.timedelta(days=rng.randint(26, 34))
    for month in (6, 12):
        visit = START + dt.timedelta(days=30 * month - 60 + rng.randint(0, 50))
        events.append({"date": visit.isoformat(), "type": "monitoring_visit",
                       "alt": rng.randint(20, 120), "hbv_dna": 20, "afp": 4, "cost": 450})
    events.append({"date": (START + dt.timedelta(days=200)).isoformat(), "type": "hbsag_test",
                   "hbsag_positive": rng.random() < 0.9})
    events.append({"date": (START + dt.timedelta(days=rng.randint(100, 300))).isoformat(),
                   "type": "specialist_visit", "cost": 300})
    kinds = ["liver_cancer_diagnosis", "severe_hepatitis_diagnosis",
             "decompensated_cirrhosis_diagnosis"]
    for _ in range(2):
        events.append({"date": (START + dt.timedelta(days=rng.randint(30, 360))).isoformat(),
                       "type": rng.choice(kinds),
                       "cause": rng.choice(["hepatitis_b", "hepatitis_b", "alcohol"])})
    return events


def cases(product, count: int, full: bool, seed: int) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = {"policy": {"start": START.isoformat()}, "applicant": applicant(rng),
                "as_of": (START + dt.timedelta(days=366 if full else 0)).isoformat(),
                "events": timeline(rng) if full else []}
        out.append(case_from_data(data, product))
    return out


def engine_mode() -> str:
    """Which code the runs use: the compiled hot modules or the source (configurator/native.py)."""
    in_use, why = native.mode()
    return f"{in_use} ({why}); {interpreter()}"


def interpreter() -> str:
    """The CPython build the runs use: a statically linked one (Debian's, built with PGO and
    LTO) runs the engine ~14-20% faster than one on a shared libpython (pyenv's default)."""
    try:  # whether this process runs the interpreter from libpython (Linux)
        shared = "libpython" in Path("/proc/self/maps").read_text()
        linked = "on a shared libpython" if shared else "linked statically"
    except OSError:
        linked = "linked as this system does"
    return f"Python {platform.python_version()} at {sys.base_prefix}, {linked}"


def per_case_us(run, items, rounds: int, clock=time.perf_counter) -> float:
    """Median over rounds of the mean µs per item, by `clock` (wall; `time.process_time`
    for CPU)."""
    results = []
    for _ in range(rounds):
        began = clock()
        for item in items:
            run(item)
        results.append((clock() - began) / len(items) * 1e6)
    return statistics.median(results)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--timeline-cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rss", type=int, default=100000)
    parser.add_argument("--long-case", type=int, default=10000,
                        help="events in the one long case (checked and evaluated)")
    args = parser.parse_args()

    product = load(ROOT / "products" / "hepatitis_b.yaml")
    compiled = compile_product(product)
    eligibility = cases(product, args.cases, full=False, seed=1)
    year = cases(product, args.timeline_cases, full=True, seed=2)
    for case in eligibility[:500]:  # warm up: rulesets, plans, caches
        evaluate(compiled, case)
    direct, engine_only, encoded = floors(compiled, eligibility)
    results = {
        "eligibility through evaluate": per_case_us(lambda c: evaluate(compiled, c), eligibility,
                                                    args.rounds),
        "floor: direct evaluator": per_case_us(direct, eligibility, args.rounds),
        "floor: durable-rules alone": per_case_us(engine_only, encoded, args.rounds),
        "full year through evaluate": per_case_us(lambda c: evaluate(compiled, c), year,
                                                  args.rounds),
    }
    events = statistics.mean(len(c.events) for c in year)
    fired = statistics.mean(len(evaluate(compiled, c).trace) for c in year[:200])
    print(f"hepatitis_b {product.version} ({product.hash}); {args.cases} applicants, "
          f"{args.timeline_cases} one-year timelines of {events:.1f} events "
          f"({fired:.1f} rules fired); median of {args.rounds} rounds")
    report(results)
    long_case(product, compiled, args.long_case, args.rounds)
    memory(compiled, eligibility + year[:200], args.rss)


def floors(compiled, eligibility: list) -> tuple:
    """The floors evaluate is measured against: the direct evaluator on the same
    conditions, and durable-rules alone on the same (pre-encoded) facts."""
    product, plan = compiled.product, plan_for(compiled)
    period = plan.periods[0]
    conditions = [compile_fn(rule.when.node, period.constants) for rule in product.eligibility]
    conditions += [compile_fn(c.trigger.when.node, period.constants)
                   for c in product.checkups if c.trigger.when and c.trigger.on == "applicant"]

    def derived(case) -> dict:
        env = dict(case.applicant)
        for name, fn in period.derived:
            env[name] = fn(env)
        return env

    def direct(case) -> list[bool]:
        env = derived(case)
        return [fn(env) for fn in conditions]

    handle = period.route["applicant"][0]
    facts = []
    for case in eligibility:
        env = derived(case)
        fact = {"_kind": "applicant", "_ref": 1}
        fact.update({n: env[n] for n in plan.fact_names["applicant"] if n in env})
        facts.append(fact)
    encoded = [json.dumps([f])[1:-1] for f in facts]
    return direct, lambda fact_json: durable.raw_run(handle, fact_json), encoded


def report(results: dict[str, float]) -> None:
    for name, value in results.items():
        print(f"  {name:<32} {value:9.1f} µs/case")
    eligibility_us = results["eligibility through evaluate"]
    engine_only_us = results["floor: durable-rules alone"]
    direct_us = results["floor: direct evaluator"]
    print(f"  ratio evaluate / durable-rules alone   {eligibility_us / engine_only_us:.2f}x"
          "  (target <= 1.30)")
    print(f"  ratio evaluate / direct evaluator      {eligibility_us / direct_us:.1f}x")
    print(f"  eligibility target <= 150 µs: {'met' if eligibility_us <= 150 else 'MISSED'}; "
          f"full-year target <= 1500 µs: "
          f"{'met' if results['full year through evaluate'] <= 1500 else 'MISSED'}")


def long_case(product, compiled, count: int, rounds: int) -> None:
    """One case with `count` events (check-up visits, scans, refills over ten years): CPU
    seconds to check it and to evaluate it, and the same for a tenth of it (linear work
    makes the ratio 10)."""
    def seconds(n: int) -> tuple[float, float]:
        rng = random.Random(n)
        events = []
        for i in range(n):
            day = (START + dt.timedelta(days=i * 3650 // n)).isoformat()
            kind = ("monitoring_visit", "antiviral_refill", "liver_stiffness_scan")[i % 3]
            fields = {"monitoring_visit": {"alt": rng.randint(20, 200), "hbv_dna": 20,
                                           "afp": 3.5, "cost": 300},
                      "antiviral_refill": {"days_supply": 30},
                      "liver_stiffness_scan": {"lsm_kpa": 6.5, "cost": 200}}[kind]
            events.append({"date": day, "type": kind, **fields})
        data = {"policy": {"start": START.isoformat()}, "applicant": ACCEPTED,
                "as_of": (START + dt.timedelta(days=3650)).isoformat(), "events": events}
        checks, runs = [], []
        for _ in range(rounds):
            began = time.process_time()
            case = case_from_data(data, product)
            checks.append(time.process_time() - began)
            began = time.process_time()
            evaluate(compiled, case)
            runs.append(time.process_time() - began)
        return statistics.median(checks), statistics.median(runs)

    small, big = seconds(count // 10), seconds(count)
    print(f"  one case of {count} events: check {big[0]:.2f} s, evaluate {big[1]:.2f} s "
          f"CPU (target <= 1 s: {'met' if sum(big) <= 1 else 'MISSED'}); growth from "
          f"{count // 10} events x{sum(big) / sum(small):.1f} (linear: x10)")


def memory(compiled, pool: list, count: int) -> None:
    before = rss_mb()
    for i in range(count):
        evaluate(compiled, pool[i % len(pool)])
    after = rss_mb()
    print(f"  RSS {before:.1f} MB -> {after:.1f} MB after {count} evaluations "
          f"(growth {after - before:+.1f} MB, target < 50); live sessions: "
          f"{durable.live_sessions()}")


if __name__ == "__main__":
    main()
